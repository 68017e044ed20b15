//! Reading Java fastjson's maps keyed by objects.
//!
//! Brokers answer GET_TOPIC_STATS_INFO, GET_CONSUME_STATS and INVOKE_BROKER_TO_RESET_OFFSET with
//! maps keyed by `MessageQueue`, which fastjson writes with the object itself in key position:
//! `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"maxOffset":3}}}`. That is not
//! JSON; [`object_keys_to_strings`] turns each such key into a JSON string holding the object's
//! text, after which serde reads the map as `BTreeMap<String, V>` and [`queue_key`] reads a key.

use serde::Deserialize;

/// A `MessageQueue` as it appears in a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
pub struct QueueKey {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
}

/// Parses one rewritten key.
pub fn queue_key(key: &str) -> Option<QueueKey> {
    serde_json::from_str(key).ok()
}

/// Rewrites object keys (`{{..}:v}`) into string keys (`{"{..}":v}`); also quotes bare numeric
/// keys (`{0:"a"}`), as [`wasmq_protocol::body::namesrv::fastjson_to_json`] does. Standard JSON
/// passes through unchanged.
pub fn object_keys_to_strings(input: &[u8]) -> Vec<u8> {
    let input = wasmq_protocol::body::namesrv::fastjson_to_json(input);
    let mut out = Vec::with_capacity(input.len() + 64);
    // Container stack: b'{' or b'['. A key position is right after `{` or `,` inside an object.
    let mut stack: Vec<u8> = Vec::new();
    let mut key_position = false;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'"' => {
                let end = string_end(&input, i);
                out.extend_from_slice(input.get(i..end).unwrap_or_default());
                key_position = false;
                i = end;
                continue;
            }
            b'{' if key_position => {
                // An object in key position: copy it balanced, then emit it as a string.
                let end = balanced_end(&input, i);
                let text = String::from_utf8_lossy(input.get(i..end).unwrap_or_default());
                out.extend_from_slice(
                    serde_json::Value::String(text.into_owned())
                        .to_string()
                        .as_bytes(),
                );
                key_position = false;
                i = end;
                continue;
            }
            b'{' | b'[' => {
                stack.push(b);
                key_position = b == b'{';
            }
            b'}' | b']' => {
                stack.pop();
                key_position = false;
            }
            b',' => key_position = stack.last() == Some(&b'{'),
            c if c.is_ascii_whitespace() => {}
            _ => key_position = false,
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Index just past the string starting at `start` (a `"`).
fn string_end(input: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&c) = input.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    input.len()
}

/// Index just past the object or array starting at `start`.
fn balanced_end(input: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&c) = input.get(i) {
        match c {
            b'"' => {
                i = string_end(input, i);
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    input.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn object_keys_become_strings() {
        let raw = br#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":3},{"brokerName":"b","queueId":1,"topic":"T,}"}:{"brokerOffset":4}}}"#;
        let json = object_keys_to_strings(raw);
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct S {
            consume_tps: f64,
            offset_table: BTreeMap<String, serde_json::Value>,
        }
        let s: S = serde_json::from_slice(&json).unwrap();
        assert_eq!(s.consume_tps, 1.5);
        let keys: Vec<QueueKey> = s.offset_table.keys().filter_map(|k| queue_key(k)).collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].topic, "T,}");
        assert_eq!(keys[1].queue_id, 1);
    }

    #[test]
    fn standard_json_and_arrays_pass_through() {
        let raw = br#"{"a":[{"b":1},{"c":[2,3]}],"d":{"e":"{x}"}}"#;
        assert_eq!(object_keys_to_strings(raw), raw.to_vec());
        assert_eq!(
            object_keys_to_strings(br#"{"brokerAddrs":{0:"a:1"}}"#),
            br#"{"brokerAddrs":{"0":"a:1"}}"#.to_vec()
        );
    }
}
