//! Policy hooks on the data path, implemented outside this crate (the `wasmq` binary adapts the
//! WebAssembly plugin host to [`MessageHooks`], as it adapts route policies for the nameserver).
//!
//! - Ingress: every send whose topic has bound hooks passes its messages (one per message of a
//!   batch) through [`MessageHooks::ingress`] before anything is stored. Hooks may rewrite a
//!   message in place, re-route it (topic / queue; `-1` = broker's choice), append copies, drop
//!   it (acknowledged, not stored) or reject it. A rejection refuses the whole request with 13
//!   and the hook's reason; nothing of it is stored.
//! - Consumer filter: pulled messages of a (group, topic) with bound hooks are filtered by
//!   [`MessageHooks::consumer_filter`]; a hook that cannot decide makes the pull answer 1 (the
//!   client retries later), never skips the messages.
//! - Plugin admin: [`PluginAdmin`] serves the wasmq extension requests WASMQ_PLUGIN_LIST (9000)
//!   and WASMQ_PLUGIN_SET_ENABLED (9001) on a running broker.

use bytes::Bytes;

/// A message on the send path, as ingress hooks see (and may rewrite) it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressMessage {
    /// Topic (a router may change it).
    pub topic: String,
    /// Queue id; `-1` lets the broker choose.
    pub queue_id: i32,
    /// TAGS.
    pub tags: String,
    /// KEYS, space-separated.
    pub keys: String,
    /// Encoded properties (`k\x01v\x02...`).
    pub properties: String,
    /// Body.
    pub body: Bytes,
    /// For a copy a hook appended: the index of the message it copies.
    pub copy_of: Option<usize>,
}

/// The fate of one message on the send path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngressVerdict {
    /// Store it (as the hooks left it).
    Keep,
    /// Refuse the request; the reason goes back to the producer.
    Rejected(String),
    /// Acknowledge without storing.
    Discarded,
}

/// A pulled message, as consumer-filter hooks see it.
#[derive(Debug, Clone, Copy)]
pub struct ConsumedMessage<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// TAGS.
    pub tags: &'a str,
    /// KEYS.
    pub keys: &'a str,
    /// Encoded properties.
    pub properties: &'a str,
    /// Body.
    pub body: &'a [u8],
}

/// Data-path policy hooks. The defaults do nothing.
pub trait MessageHooks: Send + Sync + std::fmt::Debug {
    /// Cheap check: does any ingress hook apply to `topic`?
    fn has_ingress(&self, _topic: &str) -> bool {
        false
    }

    /// Runs the ingress hooks over one send request's messages; returns one verdict per message
    /// of `batch` after the call (copies appended by hooks included).
    fn ingress(&self, _topic: &str, batch: &mut Vec<IngressMessage>) -> Vec<IngressVerdict> {
        vec![IngressVerdict::Keep; batch.len()]
    }

    /// Cheap check: does any consumer filter apply to (`group`, `topic`)?
    fn has_consumer_filter(&self, _group: &str, _topic: &str) -> bool {
        false
    }

    /// `Ok(keep)` with one flag per message, or `Err(reason)` when the hooks cannot decide.
    fn consumer_filter(
        &self,
        _group: &str,
        _topic: &str,
        batch: &[ConsumedMessage<'_>],
    ) -> Result<Vec<bool>, String> {
        Ok(vec![true; batch.len()])
    }
}

/// Hooks that do nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl MessageHooks for NoHooks {}

/// Plugin administration on a running broker (the binary adapts the plugin host).
pub trait PluginAdmin: Send + Sync + std::fmt::Debug {
    /// The bindings with their metrics, as a JSON document (the body of WASMQ_PLUGIN_LIST).
    fn list_json(&self) -> String;

    /// Switches a binding on or off; false when no active binding has that name.
    fn set_enabled(&self, binding: &str, enabled: bool) -> bool;
}
