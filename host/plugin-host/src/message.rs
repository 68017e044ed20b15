//! Message types the broker hands to the plugin host, and the encoder of the flat batch buffer.

use bytes::Bytes;

use crate::bindings::types::MessageBatch;

/// Separates a property name from its value in RocketMQ's stored encoding.
pub const NAME_VALUE_SEPARATOR: u8 = 0x01;
/// Terminates one property in RocketMQ's stored encoding.
pub const PROPERTY_SEPARATOR: u8 = 0x02;

/// A borrowed message, as the broker has it (e.g. slices of the mapped commit log).
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageView<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub tags: &'a str,
    /// RocketMQ keys, space-separated.
    pub keys: &'a str,
    /// RocketMQ stored encoding: `name 0x01 value 0x02` ...
    pub properties: &'a [u8],
    pub body: &'a [u8],
}

/// An owned message on the send path; ingress plugins may rewrite it in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedMessage {
    pub topic: String,
    /// `-1` means "let the broker choose" (set by a router that changed the topic).
    pub queue_id: i32,
    pub tags: String,
    pub keys: String,
    /// RocketMQ stored encoding: `name 0x01 value 0x02` ...
    pub properties: Vec<u8>,
    /// Shared, not copied: the broker's request buffer goes in and comes out unless a transform
    /// rewrites it (a plugin that does not need bodies never costs a body copy).
    pub body: Bytes,
    /// For an extra copy added by a router: the index of the message it copies.
    pub copy_of: Option<usize>,
}

impl OwnedMessage {
    /// A message with a topic, tags and body; other fields empty.
    pub fn new(topic: &str, tags: &str, body: &[u8]) -> Self {
        OwnedMessage {
            topic: topic.into(),
            tags: tags.into(),
            body: Bytes::copy_from_slice(body),
            ..Default::default()
        }
    }

    /// Builder: adds one property.
    pub fn with_property(mut self, name: &str, value: &str) -> Self {
        push_property(&mut self.properties, name, value);
        self
    }

    /// Builder: sets the keys.
    pub fn with_keys(mut self, keys: &str) -> Self {
        self.keys = keys.into();
        self
    }

    /// A borrowed view.
    pub fn view(&self) -> MessageView<'_> {
        MessageView {
            topic: &self.topic,
            queue_id: self.queue_id,
            tags: &self.tags,
            keys: &self.keys,
            properties: &self.properties,
            body: &self.body,
        }
    }

    /// The value of property `name`.
    pub fn property(&self, name: &str) -> Option<&str> {
        properties(&self.properties)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// Appends one property in stored encoding.
pub fn push_property(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(NAME_VALUE_SEPARATOR);
    out.extend_from_slice(value.as_bytes());
    out.push(PROPERTY_SEPARATOR);
}

/// Iterates stored-encoding properties; malformed entries are skipped.
pub fn properties(raw: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    raw.split(|b| *b == PROPERTY_SEPARATOR).filter_map(|entry| {
        let pos = entry.iter().position(|b| *b == NAME_VALUE_SEPARATOR)?;
        Some((
            std::str::from_utf8(&entry[..pos]).ok()?,
            std::str::from_utf8(&entry[pos + 1..]).ok()?,
        ))
    })
}

/// What goes into a batch, from the plugin's `describe` hints and the hook.
#[derive(Debug, Clone)]
pub(crate) struct EncodeOptions {
    pub bodies: bool,
    pub tags: bool,
    pub keys: bool,
    /// `None` = all properties.
    pub properties: Option<Vec<String>>,
}

/// Fills `out` (reusing its buffers) with the messages, per the WIT `message-batch` layout.
pub(crate) fn encode_batch<'a>(
    out: &mut MessageBatch,
    msgs: impl Iterator<Item = MessageView<'a>>,
    opts: &EncodeOptions,
) {
    out.data.clear();
    out.fields.clear();
    out.body_sizes.clear();
    out.bodies_included = opts.bodies;
    for m in msgs {
        let data = &mut out.data;
        data.extend_from_slice(m.topic.as_bytes());
        let topic_end = data.len() as u32;
        if opts.tags {
            data.extend_from_slice(m.tags.as_bytes());
        }
        let tags_end = data.len() as u32;
        if opts.keys {
            data.extend_from_slice(m.keys.as_bytes());
        }
        let keys_end = data.len() as u32;
        match &opts.properties {
            None => data.extend_from_slice(m.properties),
            Some(wanted) if wanted.is_empty() => {}
            Some(wanted) => {
                for entry in m.properties.split(|b| *b == PROPERTY_SEPARATOR) {
                    let name = entry
                        .iter()
                        .position(|b| *b == NAME_VALUE_SEPARATOR)
                        .map(|p| &entry[..p]);
                    if name.is_some_and(|n| wanted.iter().any(|w| w.as_bytes() == n)) {
                        data.extend_from_slice(entry);
                        data.push(PROPERTY_SEPARATOR);
                    }
                }
            }
        }
        let props_end = data.len() as u32;
        if opts.bodies {
            data.extend_from_slice(m.body);
        }
        let body_end = data.len() as u32;
        out.fields.extend_from_slice(&[
            m.queue_id as u32,
            topic_end,
            tags_end,
            keys_end,
            props_end,
            body_end,
        ]);
        out.body_sizes.push(m.body.len() as u32);
    }
}

/// An empty batch with no allocation yet.
pub(crate) fn empty_batch() -> MessageBatch {
    MessageBatch {
        data: Vec::new(),
        fields: Vec::new(),
        bodies_included: false,
        body_sizes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message() -> impl Strategy<Value = OwnedMessage> {
        let text = "\\PC{0,12}";
        (
            text,
            any::<i32>(),
            text,
            text,
            proptest::collection::vec(("[a-zA-Z_]{1,8}", "[^\u{1}\u{2}]{0,12}"), 0..4),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(topic, queue_id, tags, keys, props, body)| {
                let mut m = OwnedMessage {
                    topic,
                    queue_id,
                    tags,
                    keys,
                    body: body.into(),
                    ..Default::default()
                };
                for (k, v) in &props {
                    push_property(&mut m.properties, k, v);
                }
                m
            })
    }

    proptest! {
        /// The host's encoder and the guest SDK's parser agree on every field (the batch contract).
        #[test]
        fn guest_sdk_reads_what_the_host_encodes(msgs in proptest::collection::vec(message(), 0..8), bodies: bool) {
            let mut out = empty_batch();
            let opts = EncodeOptions { bodies, tags: true, keys: true, properties: None };
            encode_batch(&mut out, msgs.iter().map(|m| m.view()), &opts);
            let batch = wasmq_plugin_sdk::Batch::new(&out.data, &out.fields, out.bodies_included, &out.body_sizes).unwrap();
            prop_assert_eq!(batch.len(), msgs.len());
            for (m, r) in msgs.iter().zip(batch.iter()) {
                prop_assert_eq!((r.topic, r.queue_id, r.tags, r.keys), (m.topic.as_str(), m.queue_id, m.tags.as_str(), m.keys.as_str()));
                prop_assert_eq!(r.properties.raw(), m.properties.as_slice());
                prop_assert_eq!(r.body, if bodies { &m.body[..] } else { &[][..] });
                prop_assert_eq!(r.body_size as usize, m.body.len());
                for (k, v) in properties(&m.properties) {
                    prop_assert_eq!(r.properties.get(k), properties(&m.properties).find(|(n, _)| *n == k).map(|(_, v)| v));
                    let _ = v;
                }
            }
        }

        /// Whatever bytes a (buggy) host sends, the SDK's parser refuses or reads them, never panics.
        #[test]
        fn guest_sdk_parser_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64), fields in proptest::collection::vec(0u32..80, 0..24)) {
            if let Ok(batch) = wasmq_plugin_sdk::Batch::new(&data, &fields, true, &[]) {
                for m in batch.iter() {
                    let _ = (m.topic.len(), m.properties.iter().count(), m.body.len());
                }
            }
        }
    }

    #[test]
    fn encoder_layout_and_property_selection() {
        let a = OwnedMessage::new("orders", "A", b"xyz")
            .with_property("region", "eu")
            .with_property("k", "v")
            .with_keys("id1");
        let b = OwnedMessage {
            queue_id: -1,
            ..OwnedMessage::new("t2", "", b"")
        };
        let mut out = empty_batch();
        let opts = EncodeOptions {
            bodies: false,
            tags: true,
            keys: true,
            properties: Some(vec!["region".into()]),
        };
        encode_batch(&mut out, [a.view(), b.view()].into_iter(), &opts);
        assert_eq!(out.fields.len(), 12);
        assert_eq!(&out.data[..6], b"orders");
        assert_eq!(out.fields[1..6], [6, 7, 10, 20, 20]);
        assert_eq!(&out.data[10..20], b"region\x01eu\x02");
        assert_eq!(out.body_sizes, [3, 0]);
        assert_eq!(out.fields[6] as i32, -1);
        assert_eq!(&out.data[20..22], b"t2");
        assert_eq!(a.property("k"), Some("v"));
    }
}
