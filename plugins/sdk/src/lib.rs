//! Typed, zero-copy views over wasmq's flat `message-batch` buffer, helpers plugins share, and
//! `filter_plugin!`, the WIT glue of a filter plugin.
//!
//! The host sends a batch as one byte buffer and six `u32` fields per message
//! (`[queue-id, topic-end, tags-end, keys-end, properties-end, body-end]`, see
//! `wit/plugin.wit`). [`Batch`] walks it without copying; [`BatchBuilder`] encodes one
//! (for unit tests and for the host's reference encoder). [`Properties`] reads RocketMQ's
//! stored property encoding (`name 0x01 value 0x02` ...). This crate has no WIT
//! dependency, so plugin logic written against it is testable natively with `cargo test`.

#![forbid(unsafe_code)]

use std::fmt;

/// Number of `u32` entries per message in a batch's `fields` list.
pub const FIELDS_PER_MESSAGE: usize = 6;

/// Separates a property name from its value in the stored encoding.
pub const NAME_VALUE_SEPARATOR: u8 = 0x01;
/// Terminates one property in the stored encoding.
pub const PROPERTY_SEPARATOR: u8 = 0x02;

/// A malformed batch (only a buggy host produces one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    /// Index of the message that could not be read.
    pub message: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed batch at message {}: {}",
            self.message, self.what
        )
    }
}

impl std::error::Error for BatchError {}

/// A validated view over a batch.
#[derive(Debug, Clone)]
pub struct Batch<'a> {
    data: &'a [u8],
    /// Per message: topic, tags and keys as one validated string.
    texts: Vec<&'a str>,
    fields: &'a [u32],
    body_sizes: &'a [u32],
    bodies_included: bool,
}

impl<'a> Batch<'a> {
    /// Validates offsets and UTF-8 once, so that iteration cannot fail.
    pub fn new(
        data: &'a [u8],
        fields: &'a [u32],
        bodies_included: bool,
        body_sizes: &'a [u32],
    ) -> Result<Self, BatchError> {
        if !fields.len().is_multiple_of(FIELDS_PER_MESSAGE) {
            return Err(BatchError {
                message: fields.len() / FIELDS_PER_MESSAGE,
                what: "fields length is not a multiple of 6",
            });
        }
        let mut start = 0usize;
        let mut texts = Vec::with_capacity(fields.len() / FIELDS_PER_MESSAGE);
        for (i, f) in fields.chunks_exact(FIELDS_PER_MESSAGE).enumerate() {
            let ends = [f[1], f[2], f[3], f[4], f[5]].map(|e| e as usize);
            let mut prev = start;
            for e in ends {
                if e < prev || e > data.len() {
                    return Err(BatchError {
                        message: i,
                        what: "offsets out of order or past the buffer",
                    });
                }
                prev = e;
            }
            // Topic, tags and keys are contiguous: one validation for the three, plus boundary checks.
            let text = std::str::from_utf8(&data[start..ends[2]]).map_err(|_| BatchError {
                message: i,
                what: "topic, tags or keys are not UTF-8",
            })?;
            if !text.is_char_boundary(ends[0] - start) || !text.is_char_boundary(ends[1] - start) {
                return Err(BatchError {
                    message: i,
                    what: "topic, tags or keys are not UTF-8",
                });
            }
            texts.push(text);
            start = ends[4];
        }
        Ok(Batch {
            texts,
            data,
            fields,
            body_sizes,
            bodies_included,
        })
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.fields.len() / FIELDS_PER_MESSAGE
    }

    /// True when the batch has no messages.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether bodies were copied into the buffer (the plugin asked for them).
    pub fn bodies_included(&self) -> bool {
        self.bodies_included
    }

    /// The `i`-th message. Panics when `i >= len()`.
    pub fn get(&self, i: usize) -> MessageRef<'a> {
        let f = &self.fields[i * FIELDS_PER_MESSAGE..(i + 1) * FIELDS_PER_MESSAGE];
        let start = if i == 0 {
            0
        } else {
            self.fields[i * FIELDS_PER_MESSAGE - 1] as usize
        };
        let (t, g, k, p, b) = (
            f[1] as usize,
            f[2] as usize,
            f[3] as usize,
            f[4] as usize,
            f[5] as usize,
        );
        // Validated in `new`, with char boundaries at the field ends.
        let text = self.texts[i];
        let field = |a: usize, z: usize| text.get(a - start..z - start).unwrap_or_default();
        MessageRef {
            topic: field(start, t),
            queue_id: f[0] as i32,
            tags: field(t, g),
            keys: field(g, k),
            properties: Properties::new(&self.data[k..p]),
            body: &self.data[p..b],
            body_size: self.body_sizes.get(i).copied().unwrap_or((b - p) as u32),
        }
    }

    /// All messages, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = MessageRef<'a>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// One message of a batch.
#[derive(Debug, Clone, Copy)]
pub struct MessageRef<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub tags: &'a str,
    /// RocketMQ keys, space-separated.
    pub keys: &'a str,
    pub properties: Properties<'a>,
    /// Empty unless the plugin declared `needs-body`.
    pub body: &'a [u8],
    /// The body's real size, even when the body was not sent.
    pub body_size: u32,
}

/// RocketMQ stored properties (`name 0x01 value 0x02` ...).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Properties<'a> {
    raw: &'a [u8],
}

impl fmt::Debug for Properties<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> Properties<'a> {
    /// Wraps an encoded properties block.
    pub fn new(raw: &'a [u8]) -> Self {
        Properties { raw }
    }

    /// The encoded bytes.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Name/value pairs; entries that are not UTF-8 or lack a separator are skipped.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.raw
            .split(|b| *b == PROPERTY_SEPARATOR)
            .filter_map(|entry| {
                let pos = entry.iter().position(|b| *b == NAME_VALUE_SEPARATOR)?;
                let name = std::str::from_utf8(&entry[..pos]).ok()?;
                let value = std::str::from_utf8(&entry[pos + 1..]).ok()?;
                Some((name, value))
            })
    }

    /// The value of property `name` (only that value is UTF-8-checked).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let name = name.as_bytes();
        self.raw
            .split(|b| *b == PROPERTY_SEPARATOR)
            .find_map(|entry| {
                let value = entry
                    .strip_prefix(name)?
                    .strip_prefix(&[NAME_VALUE_SEPARATOR])?;
                std::str::from_utf8(value).ok()
            })
    }
}

/// Encodes properties in RocketMQ's stored encoding.
pub fn encode_properties<'p>(props: impl IntoIterator<Item = (&'p str, &'p str)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in props {
        out.extend_from_slice(name.as_bytes());
        out.push(NAME_VALUE_SEPARATOR);
        out.extend_from_slice(value.as_bytes());
        out.push(PROPERTY_SEPARATOR);
    }
    out
}

/// An owned message, for building batches in tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestMessage {
    pub topic: String,
    pub queue_id: i32,
    pub tags: String,
    pub keys: String,
    pub properties: Vec<u8>,
    pub body: Vec<u8>,
}

impl TestMessage {
    /// A message with a topic, tags and body; other fields empty.
    pub fn new(topic: &str, tags: &str, body: &[u8]) -> Self {
        TestMessage {
            topic: topic.into(),
            tags: tags.into(),
            body: body.to_vec(),
            ..Default::default()
        }
    }

    /// Adds one property.
    pub fn property(mut self, name: &str, value: &str) -> Self {
        self.properties.extend(encode_properties([(name, value)]));
        self
    }

    /// Sets the keys.
    pub fn keys(mut self, keys: &str) -> Self {
        self.keys = keys.into();
        self
    }
}

/// Encodes messages into the flat batch format (`data`, `fields`, `body_sizes`).
#[derive(Debug, Default, Clone)]
pub struct BatchBuilder {
    pub data: Vec<u8>,
    pub fields: Vec<u32>,
    pub body_sizes: Vec<u32>,
    pub bodies_included: bool,
}

impl BatchBuilder {
    /// An empty builder; `bodies_included` says whether bodies go into the buffer.
    pub fn new(bodies_included: bool) -> Self {
        BatchBuilder {
            bodies_included,
            ..Default::default()
        }
    }

    /// Appends one message.
    pub fn push(&mut self, m: &TestMessage) -> &mut Self {
        let end = |data: &mut Vec<u8>, bytes: &[u8]| {
            data.extend_from_slice(bytes);
            data.len() as u32
        };
        let q = m.queue_id as u32;
        let t = end(&mut self.data, m.topic.as_bytes());
        let g = end(&mut self.data, m.tags.as_bytes());
        let k = end(&mut self.data, m.keys.as_bytes());
        let p = end(&mut self.data, &m.properties);
        let b = end(
            &mut self.data,
            if self.bodies_included { &m.body } else { &[] },
        );
        self.fields.extend_from_slice(&[q, t, g, k, p, b]);
        self.body_sizes.push(m.body.len() as u32);
        self
    }

    /// A view over what was built.
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(
            &self.data,
            &self.fields,
            self.bodies_included,
            &self.body_sizes,
        )
        .expect("builder output is valid")
    }
}

/// Matches `text` against a glob with `*` (any run) and `?` (one byte). Does not allocate.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// Parses a duration such as `500ms`, `30s`, `15m`, `48h`, `7d` or a bare number of
/// milliseconds into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

// ---------------------------------------------------------------------------------------------
// `filter_plugin!`: the WIT glue every filter plugin needs, written once.
//
// A filter plugin's own code is a verdict per message (and, if configured, a rule parsed from
// its binding's config). Everything around it is the same in every plugin: `describe`, `init`
// (parse the config once, keep it for later calls), `filter` (validate the batch, map each
// message to a verdict) and the wasm-only `export!`. The macro writes that, so a plugin reads as
// its logic alone.
//
// The macro names the plugin's own `wit_bindgen::generate!` output (`crate::wasmq`,
// `crate::exports`, `export!`), so it is used at the root of a crate that generated the
// `filter-plugin` world; it adds no WIT dependency to this SDK.
/// Implements the `filter-plugin` world for a type, around a verdict function.
///
/// ```ignore
/// wit_bindgen::generate!({ world: "filter-plugin", path: "../../wit" });
///
/// // Stateless: `verdict: fn(&MessageRef) -> Verdict`.
/// wasmq_plugin_sdk::filter_plugin! {
///     plugin: Fixture,
///     info: { name: "fixture-trap".into(), hooks: vec![Hook::IngressFilter], reads_tags: true },
///     verdict: verdict,
/// }
///
/// // Configured: `config: Type = fn(&[(String, String)]) -> Result<Type, String>`, parsed once
/// // in `init`; `verdict: fn(&Type, &MessageRef) -> Verdict`.
/// wasmq_plugin_sdk::filter_plugin! {
///     plugin: TagFilter,
///     info: { name: "tag-filter".into(), hooks: vec![Hook::IngressFilter], reads_tags: true },
///     config: Rule = Rule::from_config,
///     verdict: Rule::verdict,
/// }
/// ```
///
/// `info` lists the `PluginInfo` fields that differ from the defaults: `version` is the crate's
/// version, `needs_body`, `reads_tags` and `reads_keys` are false, `reads_properties` is `None`
/// (all properties) and `only_tags` is empty.
// `crate::` is meant: it names the calling plugin's generated bindings, not this SDK.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! filter_plugin {
    (
        plugin: $plugin:ident,
        info: { $($field:ident : $value:expr),* $(,)? },
        verdict: $verdict:expr $(,)?
    ) => {
        $crate::filter_plugin! {
            plugin: $plugin,
            info: { $($field: $value),* },
            config: () = |_: &[(String, String)]| Ok::<(), String>(()),
            verdict: |_: &(), m: &$crate::MessageRef<'_>| ($verdict)(m),
        }
    };
    (
        plugin: $plugin:ident,
        info: { $($field:ident : $value:expr),* $(,)? },
        config: $state:ty = $parse:expr,
        verdict: $verdict:expr $(,)?
    ) => {
        struct $plugin;

        thread_local! {
            /// The binding's config, parsed once by `init`.
            static STATE: ::std::cell::RefCell<Option<$state>> =
                const { ::std::cell::RefCell::new(None) };
        }

        impl crate::exports::wasmq::plugin::plugin::Guest for $plugin {
            fn describe() -> crate::wasmq::plugin::types::PluginInfo {
                crate::wasmq::plugin::types::PluginInfo {
                    $($field: $value,)*
                    ..crate::wasmq::plugin::types::PluginInfo {
                        name: String::new(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        hooks: Vec::new(),
                        needs_body: false,
                        reads_tags: false,
                        reads_keys: false,
                        reads_properties: None,
                        only_tags: Vec::new(),
                    }
                }
            }

            fn init() -> Result<(), crate::wasmq::plugin::types::PluginError> {
                let parse = $parse;
                let state: $state = parse(&crate::wasmq::plugin::config::entries())
                    .map_err(|message| crate::wasmq::plugin::types::PluginError { message })?;
                STATE.with(|s| *s.borrow_mut() = Some(state));
                Ok(())
            }
        }

        impl crate::exports::wasmq::plugin::filter::Guest for $plugin {
            fn filter(
                _stage: crate::wasmq::plugin::types::FilterStage,
                batch: crate::wasmq::plugin::types::MessageBatch,
            ) -> Result<
                Vec<crate::wasmq::plugin::types::Verdict>,
                crate::wasmq::plugin::types::PluginError,
            > {
                use crate::wasmq::plugin::types::PluginError;
                let batch = $crate::Batch::new(
                    &batch.data,
                    &batch.fields,
                    batch.bodies_included,
                    &batch.body_sizes,
                )
                .map_err(|e| PluginError { message: e.to_string() })?;
                STATE.with(|s| {
                    let s = s.borrow();
                    let state = s.as_ref().ok_or_else(|| PluginError {
                        message: "init was not called".into(),
                    })?;
                    let verdict = $verdict;
                    Ok(batch.iter().map(|m| verdict(state, &m)).collect())
                })
            }
        }

        // Exported only for wasm: the native build (unit tests) cannot carry component symbol names.
        #[cfg(target_arch = "wasm32")]
        export!($plugin);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_round_trips_every_field() {
        let mut b = BatchBuilder::new(true);
        b.push(
            &TestMessage::new("orders", "TagA", b"hello")
                .property("region", "eu")
                .keys("k1 k2"),
        );
        b.push(&TestMessage {
            queue_id: -3,
            ..TestMessage::new("other", "", b"")
        });
        let batch = b.batch();
        assert_eq!(batch.len(), 2);
        let m = batch.get(0);
        assert_eq!(
            (m.topic, m.tags, m.keys, m.body),
            ("orders", "TagA", "k1 k2", &b"hello"[..])
        );
        assert_eq!(m.properties.get("region"), Some("eu"));
        assert_eq!(m.properties.get("missing"), None);
        let m = batch.get(1);
        assert_eq!((m.topic, m.queue_id, m.body_size), ("other", -3, 0));
    }

    #[test]
    fn bodies_left_out_keep_their_size() {
        let mut b = BatchBuilder::new(false);
        b.push(&TestMessage::new("t", "A", b"abcdef"));
        let m = b.batch().get(0);
        assert!(m.body.is_empty());
        assert_eq!(m.body_size, 6);
    }

    #[test]
    fn malformed_batches_are_refused() {
        assert!(Batch::new(b"abc", &[0, 1, 2], false, &[]).is_err());
        assert!(Batch::new(b"abc", &[0, 2, 1, 3, 3, 3], false, &[]).is_err());
        assert!(Batch::new(b"abc", &[0, 1, 2, 3, 3, 9], false, &[]).is_err());
        assert!(Batch::new(&[0xff, 0xfe], &[0, 2, 2, 2, 2, 2], false, &[]).is_err());
    }

    #[test]
    fn globs_and_durations() {
        assert!(glob_match("orders-*", "orders-eu"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("orders-*", "order"));
        assert!(glob_match("*-audit-*", "x-audit-y"));
        assert_eq!(parse_duration_ms("48h"), Some(172_800_000));
        assert_eq!(parse_duration_ms("250"), Some(250));
        assert_eq!(parse_duration_ms("3w"), None);
    }
}
