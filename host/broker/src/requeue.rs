//! Re-storing a stored record under another topic/queue with edited properties: shared by
//! send-back, delayed delivery and transactions (Java builds a `MessageExtBrokerInner` from a
//! `MessageExt` in each of those places).

use bytes::Bytes;
use wasmq_protocol::message::record::RecordView;
use wasmq_protocol::message::{decode_properties, encode_properties, keys, tags_hash_code};
use wasmq_store::MessageToStore;

use crate::broker::Broker;

/// Properties as an editable list (later entries win, as Java's map).
#[derive(Debug, Clone, Default)]
pub struct Props(pub Vec<(String, String)>);

impl Props {
    /// Parses a properties string.
    pub fn parse(s: &str) -> Self {
        Self(decode_properties(s))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key`, replacing earlier values.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.remove(key);
        self.0.push((key.to_owned(), value.into()));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    /// The encoded string.
    pub fn encode(&self) -> String {
        encode_properties(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A message to store built from `rec` (stored in `bytes`): body, flag, sysFlag, born time and
/// host and reconsume times kept; topic, queue and properties as given; stored by this broker.
pub fn message_from_record(
    b: &Broker,
    rec: &RecordView<'_>,
    bytes: &Bytes,
    topic: String,
    queue_id: i32,
    props: &Props,
) -> MessageToStore {
    MessageToStore {
        tags_code: tags_hash_code(props.get(keys::TAGS).unwrap_or_default()),
        keys: props.get(keys::KEYS).unwrap_or_default().to_owned(),
        uniq_key: props.get(keys::UNIQ_KEY).map(str::to_owned),
        properties: props.encode(),
        topic,
        queue_id,
        flag: rec.flag,
        body: bytes.slice_ref(rec.body),
        sys_flag: rec.sys_flag,
        born_timestamp: rec.born_timestamp,
        born_host: rec.born_host,
        store_host: b.store_host,
        reconsume_times: rec.reconsume_times,
        prepared_transaction_offset: 0,
        wait_store_ok: false,
    }
}
