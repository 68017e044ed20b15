//! Property tests of the stored-record codec: round trips, prefixes, corruption, arbitrary bytes.

use super::*;
use bytes::Bytes;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), p)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), p)),
    ]
}

#[derive(Debug, Clone)]
struct Rec {
    ints: (i32, i32, i64, i64, i32, i64, i64, i32, i64),
    born: SocketAddr,
    store: SocketAddr,
    body: Vec<u8>,
    topic: String,
    props: String,
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        any::<(i32, i32, i64, i64, i32, i64, i64, i32, i64)>(),
        addr(),
        addr(),
        proptest::collection::vec(any::<u8>(), 0..300),
        "[A-Za-z0-9_%|-]{1,127}",
        proptest::collection::vec(("[A-Z_]{1,10}", "[ -~]{1,30}"), 0..6),
    )
        .prop_map(|(ints, born, store, body, topic, props)| Rec {
            ints,
            born,
            store,
            body,
            topic,
            props: encode_properties(props),
        })
}

fn fields(r: &Rec) -> RecordFields<'_> {
    let (
        queue_id,
        flag,
        queue_offset,
        physical_offset,
        sys_flag,
        born_timestamp,
        store_timestamp,
        reconsume_times,
        pto,
    ) = r.ints;
    RecordFields {
        queue_id,
        flag,
        queue_offset,
        physical_offset,
        sys_flag,
        born_timestamp,
        born_host: r.born,
        store_timestamp,
        store_host: r.store,
        reconsume_times,
        prepared_transaction_offset: pto,
        body: &r.body,
        body_crc: None,
        topic: &r.topic,
        properties: &r.props,
    }
}

fn encode(r: &Rec) -> Bytes {
    let f = fields(r);
    let mut buf = vec![0u8; f.encoded_size()];
    assert_eq!(encode_record(&f, &mut buf).ok(), Some(buf.len()));
    Bytes::from(buf)
}

proptest! {
    #[test]
    fn record_roundtrip(r in rec()) {
        let enc = encode(&r);
        let (dec, size) = decode_record(&enc, true).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(size, enc.len());
        let f = fields(&r);
        prop_assert_eq!(dec.queue_id, f.queue_id);
        prop_assert_eq!(dec.flag, f.flag);
        prop_assert_eq!(dec.queue_offset, f.queue_offset);
        prop_assert_eq!(dec.physical_offset, f.physical_offset);
        prop_assert_eq!(dec.sys_flag, f.effective_sys_flag());
        prop_assert_eq!(dec.born_timestamp, f.born_timestamp);
        prop_assert_eq!(dec.store_timestamp, f.store_timestamp);
        prop_assert_eq!(dec.born_host, r.born);
        prop_assert_eq!(dec.store_host, r.store);
        prop_assert_eq!(dec.reconsume_times, f.reconsume_times);
        prop_assert_eq!(dec.prepared_transaction_offset, f.prepared_transaction_offset);
        prop_assert_eq!(&dec.body[..], &r.body[..]);
        prop_assert_eq!(&dec.topic, &r.topic);
        prop_assert_eq!(&dec.properties, &r.props);
        // re-encoding the decoded record gives the same bytes
        let f2 = dec.fields();
        let mut again = vec![0u8; f2.encoded_size()];
        prop_assert_eq!(encode_record(&f2, &mut again).ok(), Some(enc.len()));
        prop_assert_eq!(&again[..], &enc[..]);
    }

    #[test]
    fn every_strict_prefix_is_an_error(r in rec()) {
        let enc = encode(&r);
        for cut in 0..enc.len() {
            prop_assert!(decode_record(&enc.slice(..cut), true).is_err());
        }
    }

    #[test]
    fn iterator_over_concatenated_records(rs in proptest::collection::vec(rec(), 0..6)) {
        let mut all = Vec::new();
        for r in &rs {
            all.extend_from_slice(&encode(r));
        }
        let got: Vec<_> = RecordIter::new(Bytes::from(all), true).collect();
        prop_assert_eq!(got.len(), rs.len());
        for (g, r) in got.iter().zip(&rs) {
            prop_assert_eq!(g.as_ref().map(|m| m.body.to_vec()).ok(), Some(r.body.clone()));
        }
    }

    #[test]
    fn flipped_body_byte_fails_crc(r in rec(), pick in any::<usize>()) {
        prop_assume!(!r.body.is_empty());
        let enc = encode(&r).to_vec();
        let f = fields(&r);
        let host = |a: SocketAddr| if a.is_ipv6() { 20 } else { 8 };
        let body_at = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + host(f.born_host) + 8 + host(f.store_host) + 4 + 8 + 4;
        let mut bad = enc.clone();
        let i = body_at + pick % r.body.len();
        if let Some(b) = bad.get_mut(i) { *b ^= 0x5A; }
        let res = decode_record(&Bytes::from(bad), true);
        prop_assert!(matches!(res, Err(MessageError::BodyCrc { .. })), "{:?}", res);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let b = Bytes::from(data);
        let _ = decode_record(&b, true);
        let _ = decode_record(&b, false);
        for item in RecordIter::new(b, false) { let _ = item; }
    }

    #[test]
    fn valid_header_with_garbage_never_panics(r in rec(), garbage in proptest::collection::vec(any::<u8>(), 0..200), at in any::<usize>()) {
        let mut enc = encode(&r).to_vec();
        let at = 8 + at % enc.len().saturating_sub(8).max(1);
        for (i, g) in garbage.iter().enumerate() {
            if let Some(b) = enc.get_mut(at + i) { *b = *g; }
        }
        let _ = decode_record(&Bytes::from(enc), true);
    }
}

#[test]
fn blank_and_bad_magic() {
    let mut blank = vec![0u8; 16];
    blank[..4].copy_from_slice(&16i32.to_be_bytes());
    blank[4..8].copy_from_slice(&record::BLANK_MAGIC_CODE.to_be_bytes());
    assert!(matches!(
        decode_record(&Bytes::from(blank), true),
        Err(MessageError::Blank { size: 16, .. })
    ));
    let zero = Bytes::from(vec![0u8; 128]);
    assert!(matches!(
        decode_record(&zero, true),
        Err(MessageError::BadMagic { magic: 0, .. })
    ));
}

#[test]
fn ipv4_fixed_overhead_is_91() {
    assert_eq!(record_size(0, 0, 0, false, false), 91);
    assert_eq!(record_size(0, 0, 0, true, true), 115);
}
