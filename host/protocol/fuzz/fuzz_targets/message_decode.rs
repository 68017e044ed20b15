//! Fuzz the stored-record, batch, properties and msgId decoders: no panics, and every record
//! that decodes re-encodes to a record that decodes to the same fields.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wasmq_protocol::message::{
    RecordIter, decode_batch, decode_offset_msg_id, decode_properties, decode_record, encode_record,
};

fuzz_target!(|data: &[u8]| {
    let buf = Bytes::copy_from_slice(data);
    if let Ok((rec, _size)) = decode_record(&buf, false) {
        let f = rec.fields();
        let mut out = vec![0u8; f.encoded_size()];
        if encode_record(&f, &mut out).is_ok() {
            let again = decode_record(&Bytes::from(out), true).map(|(r, _)| r);
            assert_eq!(
                again
                    .as_ref()
                    .map(|r| (&r.body, &r.topic, &r.properties, r.queue_offset))
                    .ok(),
                Some((&rec.body, &rec.topic, &rec.properties, rec.queue_offset))
            );
        }
    }
    for r in RecordIter::new(buf.clone(), true) {
        let _ = r;
    }
    let _ = decode_batch(&buf);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = decode_properties(s);
        let _ = decode_offset_msg_id(s);
    }
});
