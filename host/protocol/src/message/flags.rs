//! Message sysFlag, topic sysFlag and permission bits, and the tag hash code (3.3, 3.7).

/// sysFlag: body compressed.
pub const COMPRESSED_FLAG: i32 = 0x1;
/// sysFlag: multiple tags.
pub const MULTI_TAGS_FLAG: i32 = 0x2;
/// sysFlag transaction bits: not a transaction message.
pub const TRANSACTION_NOT_TYPE: i32 = 0;
/// sysFlag transaction bits: prepared (half) message.
pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
/// sysFlag transaction bits: commit record.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
/// sysFlag transaction bits: rollback record.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
/// sysFlag: born host is IPv6.
pub const BORNHOST_V6_FLAG: i32 = 0x10;
/// sysFlag: store host is IPv6.
pub const STOREHOST_V6_FLAG: i32 = 0x20;
/// sysFlag: body needs unwrapping.
pub const NEED_UNWRAP_FLAG: i32 = 0x40;
/// sysFlag: inner batch.
pub const INNER_BATCH_FLAG: i32 = 0x80;
/// sysFlag compression bits: LZ4.
pub const COMPRESSION_LZ4: i32 = 0x100;
/// sysFlag compression bits: ZSTD.
pub const COMPRESSION_ZSTD: i32 = 0x200;
/// sysFlag compression bits: ZLIB.
pub const COMPRESSION_ZLIB: i32 = 0x300;
/// Mask of the compression bits.
pub const COMPRESSION_TYPE_MASK: i32 = 0x700;

/// Transaction bits of a sysFlag (`TRANSACTION_*_TYPE`).
pub fn transaction_value(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_ROLLBACK_TYPE
}

/// Topic sysFlag: unit topic.
pub const TOPIC_FLAG_UNIT: i32 = 0x1;
/// Topic sysFlag: unit subscription.
pub const TOPIC_FLAG_UNIT_SUB: i32 = 0x2;

/// Permission: priority.
pub const PERM_PRIORITY: i32 = 0x8;
/// Permission: readable.
pub const PERM_READ: i32 = 0x4;
/// Permission: writeable.
pub const PERM_WRITE: i32 = 0x2;
/// Permission: inherit.
pub const PERM_INHERIT: i32 = 0x1;

/// Java `String.hashCode()`: `h = 31*h + c` over UTF-16 code units with int32 wrap-around.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Tags code of a TAGS value: Java hash sign-extended to i64; 0 for no/empty tags.
pub fn tags_hash_code(tags: &str) -> i64 {
    if tags.is_empty() {
        0
    } else {
        i64::from(java_string_hash(tags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("TagA"), 2_598_919);
        // "hello world".hashCode() in Java
        assert_eq!(java_string_hash("hello world"), 1_794_106_052);
        // overflow wraps negative: "polygenelubricants".hashCode() == Integer.MIN_VALUE
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(tags_hash_code("polygenelubricants"), -2_147_483_648i64);
        // non-BMP char counts as two UTF-16 units: "😀" = \uD83D\uDE00
        assert_eq!(java_string_hash("😀"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn transaction_bits() {
        assert_eq!(transaction_value(0x301 | TRANSACTION_PREPARED_TYPE), 4);
        assert_eq!(transaction_value(TRANSACTION_ROLLBACK_TYPE | 0x10), 0xC);
    }
}
