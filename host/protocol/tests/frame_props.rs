//! Property tests of the frame codec: round trips in both serialize types, and arbitrary bytes
//! never panic the decoder.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use wasmq_protocol::{LanguageCode, RemotingCommand, SerializeType, frame};

fn command() -> impl Strategy<Value = RemotingCommand> {
    (
        any::<i16>(),
        any::<i32>(),
        0i32..4,
        proptest::option::of("[ -~é中]{0,40}"),
        proptest::collection::vec(("[a-zA-Z]{1,12}", "[ -~中]{0,30}"), 0..8),
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
        0u8..14,
    )
        .prop_map(|(code, opaque, flag, remark, ext, body, binary, lang)| {
            let mut c = RemotingCommand::request(i32::from(code), opaque);
            c.flag = flag;
            c.remark = remark.filter(|r| !r.is_empty());
            c.language = LanguageCode::from_code(lang);
            c.version = 409;
            for (k, v) in ext {
                c.ext_fields.insert(k, v);
            }
            c.body = Bytes::from(body);
            c.serialize_type = if binary {
                SerializeType::RocketMq
            } else {
                SerializeType::Json
            };
            c
        })
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(c in command()) {
        let mut buf = BytesMut::new();
        frame::encode(&c, &mut buf).unwrap();
        let d = frame::decode(&mut buf).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(d, c);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut buf = BytesMut::from(&data[..]);
        while let Ok(Some(_)) = frame::decode(&mut buf) {}
    }

    #[test]
    fn arbitrary_headers_never_panic(header in proptest::collection::vec(any::<u8>(), 0..512), binary in any::<bool>()) {
        let mut buf = BytesMut::new();
        let len = (4 + header.len()) as i32;
        buf.extend_from_slice(&len.to_be_bytes());
        let mark = (u32::from(binary) << 24) | header.len() as u32;
        buf.extend_from_slice(&mark.to_be_bytes());
        buf.extend_from_slice(&header);
        let _ = frame::decode(&mut buf);
    }
}
