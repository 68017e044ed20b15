//! Properties string `k\x01v\x02k\x01v` (3.1) and the well-known keys (3.2).

/// Separator between a name and its value (char 1).
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Separator between properties (char 2).
pub const PROPERTY_SEPARATOR: char = '\u{2}';
/// Longest properties string a record can hold (int16 length).
pub const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// Well-known property keys (`MessageConst`).
pub mod keys {
    /// Space-separated keys, indexed.
    pub const KEYS: &str = "KEYS";
    /// Tag.
    pub const TAGS: &str = "TAGS";
    /// "false" = don't wait for sync flush / replica.
    pub const WAIT: &str = "WAIT";
    /// Delay level.
    pub const DELAY: &str = "DELAY";
    /// Original topic of a retry.
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    /// Saved topic of delayed and half messages.
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    /// Saved queue id of delayed and half messages.
    pub const REAL_QID: &str = "REAL_QID";
    /// "true" = half (prepared) message.
    pub const TRAN_MSG: &str = "TRAN_MSG";
    /// Producer group.
    pub const PGROUP: &str = "PGROUP";
    /// Minimum queue offset (set by clients after a pull).
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    /// Maximum queue offset (set by clients after a pull).
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    /// Buyer id.
    pub const BUYER_ID: &str = "BUYER_ID";
    /// First message id across retries.
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    /// Transfer flag.
    pub const TRANSFER_FLAG: &str = "TRANSFER_FLAG";
    /// Correction flag.
    pub const CORRECTION_FLAG: &str = "CORRECTION_FLAG";
    /// MQ2 flag.
    pub const MQ2_FLAG: &str = "MQ2_FLAG";
    /// Client-side reconsume times.
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    /// Message region (send-response extField).
    pub const MSG_REGION: &str = "MSG_REGION";
    /// Trace switch (send-response extField).
    pub const TRACE_ON: &str = "TRACE_ON";
    /// Client message id.
    pub const UNIQ_KEY: &str = "UNIQ_KEY";
    /// Client-side max reconsume times.
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    /// Consume start time.
    pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
    /// Queue offset of the prepared message (transaction check).
    pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
    /// Transaction check times.
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    /// Check immunity time (s).
    pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    /// Instance id.
    pub const INSTANCE_ID: &str = "INSTANCE_ID";
    /// Request-reply correlation id.
    pub const CORRELATION_ID: &str = "CORRELATION_ID";
    /// Request-reply: client to answer.
    pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
    /// Request-reply: time to live.
    pub const TTL: &str = "TTL";
    /// Request-reply: arrive time.
    pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
    /// Request-reply: push reply time.
    pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
    /// Cluster (added by the broker).
    pub const CLUSTER: &str = "CLUSTER";
    /// Message type (`reply`).
    pub const MSG_TYPE: &str = "MSG_TYPE";
    /// LMQ: dispatch to several queues (4.9.3+).
    pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
    /// LMQ: queue offsets (4.9.3+).
    pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
    /// 5.x timer: deliver at (ms).
    pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
    /// 5.x timer: delay (s).
    pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
    /// 5.x timer: delay (ms).
    pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
    /// 5.x sharding key.
    pub const SHARDING_KEY: &str = "__SHARDINGKEY";
    /// 5.x pop checkpoint.
    pub const POP_CK: &str = "POP_CK";
}

/// Encodes name/value pairs without a trailing separator (Java >= 4.9.3).
///
/// Pairs whose name or value is empty or contains a separator cannot round-trip and are skipped.
pub fn encode_properties<'a, I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    let mut out = String::new();
    for (k, v) in pairs {
        let (k, v) = (k.as_ref(), v.as_ref());
        if !valid_part(k) || !valid_part(v) {
            continue;
        }
        if !out.is_empty() {
            out.push(PROPERTY_SEPARATOR);
        }
        out.push_str(k);
        out.push(NAME_VALUE_SEPARATOR);
        out.push_str(v);
    }
    out
}

fn valid_part(s: &str) -> bool {
    !s.is_empty() && !s.contains([NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR])
}

/// Iterates the valid pairs of a properties string, in order (with or without trailing char 2;
/// fragments shorter than 3 chars or without an inner char 1 are skipped, as Java does).
pub fn iter_properties(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split(PROPERTY_SEPARATOR).filter_map(|frag| {
        if frag.chars().count() < 3 {
            return None;
        }
        let idx = frag.find(NAME_VALUE_SEPARATOR)?;
        let (k, rest) = frag.split_at(idx);
        let v = rest.get(1..)?;
        (!k.is_empty() && !v.is_empty()).then_some((k, v))
    })
}

/// Decodes a properties string into owned pairs, in order (later duplicates kept).
pub fn decode_properties(s: &str) -> Vec<(String, String)> {
    iter_properties(s)
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Value of one property (the last occurrence wins, as with Java's HashMap).
pub fn property<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    iter_properties(s)
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_with_and_without_trailing_separator() {
        let a = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2";
        let b = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}";
        assert_eq!(decode_properties(a), decode_properties(b));
        assert_eq!(property(a, keys::TAGS), Some("TagA"));
        assert_eq!(property(b, keys::KEYS), Some("k1 k2"));
        assert_eq!(property(a, keys::UNIQ_KEY), None);
    }

    #[test]
    fn bad_fragments_are_skipped() {
        let s = "\u{2}ab\u{2}\u{1}xy\u{2}K\u{1}\u{2}noseparator\u{2}A\u{1}B\u{2}\u{2}";
        assert_eq!(decode_properties(s), vec![("A".into(), "B".into())]);
    }

    #[test]
    fn encode_skips_unrepresentable_pairs() {
        let s = encode_properties([("A", "1"), ("", "x"), ("B\u{1}", "y"), ("C", "3")]);
        assert_eq!(s, "A\u{1}1\u{2}C\u{1}3");
    }

    proptest! {
        #[test]
        fn roundtrip(pairs in proptest::collection::vec(("[A-Za-z_]{1,12}", "[ -~]{1,20}"), 0..10)) {
            let s = encode_properties(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            prop_assert_eq!(decode_properties(&s), pairs.clone());
            let trailing = format!("{s}\u{2}");
            prop_assert_eq!(decode_properties(&trailing), pairs);
        }

        #[test]
        fn decode_never_panics(s in "\\PC*") {
            let _ = decode_properties(&s);
        }
    }
}
