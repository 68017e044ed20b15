//! Batch send body (3.5): items back to back, each
//! `totalSize i32 | magic i32 (0) | bodyCRC i32 (0) | flag i32 | bodyLen i32 | body | propsLen i16 | props`.

use super::error::MessageError;
use super::properties::MAX_PROPERTIES_LEN;
use bytes::{BufMut, Bytes, BytesMut};

/// One message of a batch body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// User flag.
    pub flag: i32,
    /// Body (zero-copy slice of the batch body).
    pub body: Bytes,
    /// Encoded properties of the item.
    pub properties: String,
}

const FIXED: usize = 4 + 4 + 4 + 4 + 4 + 2;

fn field(buf: &Bytes, at: usize, n: usize, name: &'static str) -> Result<Bytes, MessageError> {
    let end = at.checked_add(n);
    match end {
        Some(e) if e <= buf.len() => Ok(buf.slice(at..e)),
        _ => Err(MessageError::Truncated {
            field: name,
            offset: at,
            need: n,
            have: buf.len().saturating_sub(at),
        }),
    }
}

fn be_i32(b: &Bytes) -> i32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(..4) {
        a.copy_from_slice(s);
    }
    i32::from_be_bytes(a)
}

/// Decodes a batch body into its items; any malformed item fails the whole batch.
pub fn decode_batch(buf: &Bytes) -> Result<Vec<BatchItem>, MessageError> {
    let mut items = Vec::new();
    let mut pos = 0usize;
    while pos < buf.len() {
        let start = pos;
        let head = field(buf, pos, 20, "batch item header")?;
        let total = be_i32(&head.slice(0..4));
        let flag = be_i32(&head.slice(12..16));
        let body_len = be_i32(&head.slice(16..20));
        let body_len = usize::try_from(body_len).map_err(|_| MessageError::NegativeLength {
            field: "batch body",
            offset: start + 16,
            len: i64::from(body_len),
        })?;
        pos += 20;
        let body = field(buf, pos, body_len, "batch body")?;
        pos += body_len;
        let plen = field(buf, pos, 2, "batch properties length")?;
        let plen_v = i16::from_be_bytes([
            plen.first().copied().unwrap_or(0),
            plen.get(1).copied().unwrap_or(0),
        ]);
        let plen_u = usize::try_from(plen_v).map_err(|_| MessageError::NegativeLength {
            field: "batch properties",
            offset: pos,
            len: i64::from(plen_v),
        })?;
        pos += 2;
        let props = field(buf, pos, plen_u, "batch properties")?;
        let properties = std::str::from_utf8(&props)
            .map_err(|_| MessageError::BadUtf8 {
                field: "batch properties",
                offset: pos,
            })?
            .to_owned();
        pos += plen_u;
        let computed = pos - start;
        if usize::try_from(total).ok() != Some(computed) {
            return Err(MessageError::BadTotalSize {
                offset: start,
                total_size: total,
                computed,
            });
        }
        items.push(BatchItem {
            flag,
            body,
            properties,
        });
    }
    Ok(items)
}

/// Encodes items as a batch body (what producers send).
pub fn encode_batch(items: &[BatchItem]) -> Result<Bytes, MessageError> {
    let mut out = BytesMut::new();
    for it in items {
        if it.properties.len() > MAX_PROPERTIES_LEN {
            return Err(MessageError::TooLong {
                field: "batch properties",
                len: it.properties.len(),
                max: MAX_PROPERTIES_LEN,
            });
        }
        let size = FIXED + it.body.len() + it.properties.len();
        let size32 = i32::try_from(size).map_err(|_| MessageError::TooLong {
            field: "batch item",
            len: size,
            max: i32::MAX as usize,
        })?;
        out.put_i32(size32);
        out.put_i32(0);
        out.put_i32(0);
        out.put_i32(it.flag);
        out.put_i32(it.body.len() as i32);
        out.put_slice(&it.body);
        out.put_i16(it.properties.len() as i16);
        out.put_slice(it.properties.as_bytes());
    }
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn malformed_batches_are_errors() {
        let good = encode_batch(&[BatchItem {
            flag: 1,
            body: Bytes::from_static(b"abc"),
            properties: "A\u{1}B".into(),
        }])
        .unwrap_or_default();
        assert_eq!(decode_batch(&good).map(|v| v.len()), Ok(1));
        for cut in 1..good.len() {
            assert!(decode_batch(&good.slice(..cut)).is_err(), "prefix {cut}");
        }
        let mut bad = good.to_vec();
        if let Some(b) = bad.get_mut(3) {
            *b = b.wrapping_add(1);
        }
        assert!(matches!(
            decode_batch(&Bytes::from(bad)),
            Err(MessageError::BadTotalSize { .. })
        ));
        let mut neg = good.to_vec();
        if let Some(b) = neg.get_mut(16) {
            *b = 0xFF;
        }
        assert!(decode_batch(&Bytes::from(neg)).is_err());
        assert_eq!(decode_batch(&Bytes::new()), Ok(vec![]));
    }

    proptest! {
        #[test]
        fn roundtrip(items in proptest::collection::vec((any::<i32>(), proptest::collection::vec(any::<u8>(), 0..64), "[ -~]{0,20}"), 0..8)) {
            let items: Vec<BatchItem> = items.into_iter().map(|(flag, body, properties)| BatchItem { flag, body: Bytes::from(body), properties }).collect();
            let enc = encode_batch(&items);
            prop_assert!(enc.is_ok());
            let enc = enc.unwrap_or_default();
            prop_assert_eq!(decode_batch(&enc), Ok(items));
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_batch(&Bytes::from(data));
        }
    }
}
