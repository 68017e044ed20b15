//! `MessageError`: why a stored record, batch body or message id could not be decoded/encoded.

/// Errors of the message codecs; offsets are relative to the start of the decoded buffer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The buffer ends inside a field.
    #[error("truncated {field} at offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        /// Field being read.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// MAGICCODE is not a message magic.
    #[error("bad magic code {magic:#010x} at offset {offset}")]
    BadMagic {
        /// Offset of the record.
        offset: usize,
        /// Magic read.
        magic: u32,
    },
    /// The record is an end-of-file filler (BLANK magic), not a message.
    #[error("end-of-file blank filler of {size} bytes at offset {offset}")]
    Blank {
        /// Offset of the filler.
        offset: usize,
        /// Its TOTALSIZE.
        size: i32,
    },
    /// TOTALSIZE disagrees with the fields actually present.
    #[error("bad total size {total_size} at offset {offset}: fields take {computed} bytes")]
    BadTotalSize {
        /// Offset of the record.
        offset: usize,
        /// TOTALSIZE read.
        total_size: i32,
        /// Size computed from the fields (0 if TOTALSIZE itself is impossible).
        computed: usize,
    },
    /// A negative length field.
    #[error("negative {field} length {len} at offset {offset}")]
    NegativeLength {
        /// Field.
        field: &'static str,
        /// Offset of the length.
        offset: usize,
        /// Value read.
        len: i64,
    },
    /// BODYCRC does not match the body.
    #[error("body CRC mismatch at offset {offset}: stored {stored:#x}, computed {computed:#x}")]
    BodyCrc {
        /// Offset of the record.
        offset: usize,
        /// Stored CRC.
        stored: u32,
        /// Computed CRC.
        computed: u32,
    },
    /// A text field is not UTF-8.
    #[error("{field} is not valid UTF-8 at offset {offset}")]
    BadUtf8 {
        /// Field.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
    },
    /// A field is too long to encode.
    #[error("{field} too long: {len} bytes, limit {max}")]
    TooLong {
        /// Field.
        field: &'static str,
        /// Length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The output buffer is too small.
    #[error("output buffer too small: need {need} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A message id is malformed.
    #[error("bad message id {id:?}: {reason}")]
    BadMsgId {
        /// The id.
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
}
