//! Fuzzes the frame decoder: arbitrary bytes never panic, and whatever decodes re-encodes to a
//! frame that decodes to the same command.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wasmq_protocol::frame;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    while let Ok(Some(cmd)) = frame::decode(&mut buf) {
        let mut again = BytesMut::new();
        if frame::encode(&cmd, &mut again).is_ok() {
            let back = frame::decode(&mut again)
                .expect("re-encoded frame decodes")
                .expect("re-encoded frame is whole");
            assert_eq!(back.code, cmd.code);
            assert_eq!(back.opaque, cmd.opaque);
            assert_eq!(back.flag, cmd.flag);
            assert_eq!(back.remark, cmd.remark);
            assert_eq!(back.ext_fields, cmd.ext_fields);
            assert_eq!(back.body, cmd.body);
        }
    }
});
