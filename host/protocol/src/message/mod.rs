//! Messages as RocketMQ stores and ships them: the stored record (MessageExt), properties,
//! batch bodies, message ids and tag hash codes.
//!
//! - [`properties`]: `k\x01v\x02...` strings and the well-known keys ([`keys`]).
//! - [`record`]: the stored record (commit log = pull/query/view body), encode/decode/iterate.
//! - [`batch`]: the batch send body (code 320 / 310 with `m=true`).
//! - [`msg_id`]: offset message ids (store host + commit-log offset as hex).
//! - [`flags`]: message sysFlag and permission bits, tag hash codes.
//!
//! All integers are big-endian; decoders never panic on arbitrary bytes.
pub mod batch;
pub mod error;
pub mod flags;
pub mod msg_id;
pub mod properties;
pub mod record;

pub use batch::{BatchItem, decode_batch, encode_batch};
pub use error::MessageError;
pub use flags::{java_string_hash, tags_hash_code};
pub use msg_id::{decode_offset_msg_id, offset_msg_id};
pub use properties::{decode_properties, encode_properties, keys, property};
pub use record::{
    MessageRecord, RecordFields, RecordIter, RecordView, body_crc, decode_record, encode_record,
    record_size,
};

#[cfg(test)]
mod tests;
