//! Frame encode/decode. Incomplete input is `Ok(None)` ("need more bytes"), never an error.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::codec;
use crate::command::{RemotingCommand, SerializeType};

/// Largest frame accepted, including the length field (Java's `frameMaxLength`, 16 MiB).
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// A frame that cannot be decoded. The connection that sent it must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix is negative, too small to hold a header mark, or over the limit.
    #[error("bad frame length {length}: must be between 4 and {max}")]
    BadLength {
        /// The length field as sent.
        length: i64,
        /// The limit.
        max: usize,
    },
    /// The header length does not fit in the frame.
    #[error("header length {header_len} does not fit in a frame of {frame_len} bytes")]
    BadHeaderLength {
        /// Header length from the header mark.
        header_len: usize,
        /// Bytes after the length field.
        frame_len: usize,
    },
    /// Unknown serialize type byte.
    #[error("unknown serialize type {0} (0 = JSON, 1 = ROCKETMQ)")]
    BadSerializeType(u8),
    /// The header does not parse.
    #[error("malformed header: {0}")]
    BadHeader(String),
    /// The frame to encode is larger than the limit.
    #[error("frame of {0} bytes exceeds the {MAX_FRAME_LEN}-byte limit")]
    TooLarge(usize),
}

/// Looks at `buf`: `Ok(Some(n))` when a whole frame of `n` bytes (length field included) is there,
/// `Ok(None)` when more bytes are needed, an error when the length prefix is impossible.
pub fn check(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let mut len = [0u8; 4];
    len.copy_from_slice(prefix);
    let length = i32::from_be_bytes(len);
    let total = usize::try_from(length)
        .ok()
        .filter(|l| *l >= 4 && *l + 4 <= MAX_FRAME_LEN)
        .ok_or(FrameError::BadLength {
            length: i64::from(length),
            max: MAX_FRAME_LEN - 4,
        })?
        + 4;
    Ok((buf.len() >= total).then_some(total))
}

/// Decodes one frame from the front of `buf`, consuming it; the body is a zero-copy slice.
pub fn decode(buf: &mut BytesMut) -> Result<Option<RemotingCommand>, FrameError> {
    let Some(total) = check(buf)? else {
        return Ok(None);
    };
    let frame = buf.split_to(total).freeze();
    parse(frame).map(Some)
}

/// Parses one whole frame (length field included).
pub fn parse(mut frame: Bytes) -> Result<RemotingCommand, FrameError> {
    if frame.len() < 8 {
        return Err(FrameError::BadLength {
            length: frame.len() as i64,
            max: MAX_FRAME_LEN - 4,
        });
    }
    let frame_len = frame.get_i32() as usize;
    let mark = frame.get_u32();
    let serialize_type = match (mark >> 24) as u8 {
        0 => SerializeType::Json,
        1 => SerializeType::RocketMq,
        other => return Err(FrameError::BadSerializeType(other)),
    };
    let header_len = (mark & 0x00FF_FFFF) as usize;
    if header_len > frame.len() {
        return Err(FrameError::BadHeaderLength {
            header_len,
            frame_len,
        });
    }
    let header = frame.split_to(header_len);
    let mut cmd = codec::decode_header(serialize_type, &header)?;
    cmd.body = frame;
    Ok(cmd)
}

/// Encodes `cmd` (header and `body`, not `body_chunks`) with a length field that counts the
/// chunks too, so the caller can write the chunks right after without copying them.
pub fn encode_head(cmd: &RemotingCommand, out: &mut BytesMut) -> Result<(), FrameError> {
    let mut header = Vec::with_capacity(256);
    codec::encode_header(cmd, &mut header);
    let body_len = cmd.body_len();
    let total = 4 + 4 + header.len() + body_len;
    if total > MAX_FRAME_LEN || header.len() > 0x00FF_FFFF {
        return Err(FrameError::TooLarge(total));
    }
    out.reserve(total - body_len + cmd.body.len());
    out.put_i32((total - 4) as i32);
    out.put_u32(u32::from(cmd.serialize_type.code()) << 24 | header.len() as u32);
    out.extend_from_slice(&header);
    out.extend_from_slice(&cmd.body);
    Ok(())
}

/// Encodes the whole frame, chunks included, into one buffer.
pub fn encode(cmd: &RemotingCommand, out: &mut BytesMut) -> Result<(), FrameError> {
    encode_head(cmd, out)?;
    for c in &cmd.body_chunks {
        out.extend_from_slice(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::LanguageCode;

    fn sample(st: SerializeType) -> RemotingCommand {
        let mut c = RemotingCommand::request(310, 42);
        c.serialize_type = st;
        c.language = LanguageCode::Go;
        c.ext_fields.insert("b", "TopicTest");
        c.ext_fields.insert("e", "-1");
        c.body = Bytes::from_static(b"hello");
        c
    }

    #[test]
    fn round_trip_both_serialize_types() {
        for st in [SerializeType::Json, SerializeType::RocketMq] {
            let c = sample(st);
            let mut buf = BytesMut::new();
            encode(&c, &mut buf).unwrap();
            let d = decode(&mut buf).unwrap().unwrap();
            assert!(buf.is_empty());
            assert_eq!(d, c);
        }
    }

    #[test]
    fn every_strict_prefix_needs_more() {
        let mut buf = BytesMut::new();
        encode(&sample(SerializeType::Json), &mut buf).unwrap();
        for n in 0..buf.len() {
            let mut p = BytesMut::from(&buf[..n]);
            assert_eq!(decode(&mut p), Ok(None), "prefix {n}");
        }
    }

    #[test]
    fn chunks_count_in_the_length() {
        let mut c = sample(SerializeType::Json);
        c.body_chunks = vec![Bytes::from_static(b" wor"), Bytes::from_static(b"ld")];
        let mut buf = BytesMut::new();
        encode(&c, &mut buf).unwrap();
        let d = decode(&mut buf).unwrap().unwrap();
        assert_eq!(&d.body[..], b"hello world");
    }

    #[test]
    fn impossible_lengths_are_errors() {
        for len in [-1i32, 0, 3, i32::MAX, 0x7FFF_FFF0, (MAX_FRAME_LEN as i32)] {
            let mut buf = BytesMut::from(&len.to_be_bytes()[..]);
            assert!(decode(&mut buf).is_err(), "length {len}");
        }
    }

    #[test]
    fn header_longer_than_frame_is_an_error() {
        let mut buf = BytesMut::new();
        buf.put_i32(8);
        buf.put_u32(100);
        buf.put_u32(0);
        assert!(matches!(
            decode(&mut buf),
            Err(FrameError::BadHeaderLength { .. })
        ));
    }

    #[test]
    fn garbage_header_is_an_error() {
        let mut buf = BytesMut::new();
        buf.put_i32(4 + 3);
        buf.put_u32(3);
        buf.extend_from_slice(b"{x!");
        assert!(matches!(decode(&mut buf), Err(FrameError::BadHeader(_))));
    }
}
