//! PII redaction transform: masks e-mail addresses and card-like numbers in bodies, and named properties.
//!
//! Configuration:
//! - `redact` — comma-separated detectors for the body: `email`, `card` (default: both; empty: none);
//! - `properties` — comma-separated property names whose values are masked entirely;
//! - `mask` — the replacement text (default `***`).
//!
//! Bodies are treated as bytes (ASCII detectors), so non-UTF-8 bodies are safe.

wit_bindgen::generate!({ world: "transform-plugin", path: "../../wit", additional_derives: [PartialEq] });

use exports::wasmq::plugin::{plugin, transform};
use wasmq::plugin::types::{Hook, MessageBatch, MessageUpdate, PluginError, PluginInfo};
use wasmq_plugin_sdk::{Batch, MessageRef, encode_properties};

/// Parsed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Redactor {
    pub email: bool,
    pub card: bool,
    pub properties: Vec<String>,
    pub mask: String,
}

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-".contains(&b)
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".-".contains(&b)
}

impl Redactor {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Redactor, String> {
        let mut r = Redactor {
            email: true,
            card: true,
            properties: Vec::new(),
            mask: "***".into(),
        };
        for (k, v) in entries {
            match k.as_str() {
                "redact" => {
                    r.email = false;
                    r.card = false;
                    for d in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                        match d {
                            "email" => r.email = true,
                            "card" => r.card = true,
                            other => {
                                return Err(format!(
                                    "unknown detector `{other}` in `redact` (expected email, card)"
                                ));
                            }
                        }
                    }
                }
                "properties" => {
                    r.properties = v
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }
                "mask" => r.mask = v.clone(),
                other => {
                    return Err(format!(
                        "unknown configuration key `{other}` (expected redact, properties, mask)"
                    ));
                }
            }
        }
        Ok(r)
    }

    /// Returns the redacted body, or `None` when nothing matched.
    pub fn redact_body(&self, body: &[u8]) -> Option<Vec<u8>> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if self.email {
            for (at, _) in body.iter().enumerate().filter(|(_, b)| **b == b'@') {
                let start = (0..at).rev().take_while(|i| is_local(body[*i])).last();
                let end = (at + 1..body.len())
                    .take_while(|i| is_domain(body[*i]))
                    .last();
                if let (Some(s), Some(e)) = (start, end) {
                    let mut e = e + 1;
                    while e > at + 1 && body[e - 1] == b'.' {
                        e -= 1;
                    }
                    if body[at + 1..e].contains(&b'.') {
                        spans.push((s, e));
                    }
                }
            }
        }
        if self.card {
            let mut i = 0;
            while i < body.len() {
                if body[i].is_ascii_digit() && (i == 0 || !body[i - 1].is_ascii_alphanumeric()) {
                    let (mut j, mut digits, mut last_digit) = (i, 0, i);
                    while j < body.len()
                        && (body[j].is_ascii_digit()
                            || ((body[j] == b' ' || body[j] == b'-') && digits > 0))
                    {
                        if body[j].is_ascii_digit() {
                            digits += 1;
                            last_digit = j;
                        }
                        j += 1;
                    }
                    if (13..=19).contains(&digits) {
                        spans.push((i, last_digit + 1));
                    }
                    i = j.max(i + 1);
                } else {
                    i += 1;
                }
            }
        }
        if spans.is_empty() {
            return None;
        }
        spans.sort();
        let mut out = Vec::with_capacity(body.len());
        let mut pos = 0;
        for (s, e) in spans {
            if s < pos {
                continue;
            }
            out.extend_from_slice(&body[pos..s]);
            out.extend_from_slice(self.mask.as_bytes());
            pos = e;
        }
        out.extend_from_slice(&body[pos..]);
        Some(out)
    }

    /// The update for one message, or `None` when it needs no change.
    pub fn update(&self, m: &MessageRef<'_>) -> Option<MessageUpdate> {
        let body = self.redact_body(m.body);
        let hit = m
            .properties
            .iter()
            .any(|(n, _)| self.properties.iter().any(|p| p == n));
        let properties = hit.then(|| {
            encode_properties(m.properties.iter().map(|(n, v)| {
                if self.properties.iter().any(|p| p == n) {
                    (n, self.mask.as_str())
                } else {
                    (n, v)
                }
            }))
        });
        (body.is_some() || properties.is_some()).then_some(MessageUpdate {
            tags: None,
            keys: None,
            properties,
            body,
        })
    }
}

struct PiiRedact;

thread_local! {
    static REDACTOR: std::cell::RefCell<Option<Redactor>> = const { std::cell::RefCell::new(None) };
}

impl plugin::Guest for PiiRedact {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "pii-redact".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            hooks: vec![Hook::Transform],
            needs_body: true,
            reads_tags: false,
            reads_keys: false,
            reads_properties: None,
            only_tags: Vec::new(),
        }
    }

    fn init() -> Result<(), PluginError> {
        let r = Redactor::from_config(&wasmq::plugin::config::entries())
            .map_err(|message| PluginError { message })?;
        REDACTOR.with(|s| *s.borrow_mut() = Some(r));
        Ok(())
    }
}

impl transform::Guest for PiiRedact {
    fn transform(batch: MessageBatch) -> Result<Vec<Option<MessageUpdate>>, PluginError> {
        let batch = Batch::new(
            &batch.data,
            &batch.fields,
            batch.bodies_included,
            &batch.body_sizes,
        )
        .map_err(|e| PluginError {
            message: e.to_string(),
        })?;
        REDACTOR.with(|r| {
            let r = r.borrow();
            let r = r.as_ref().ok_or_else(|| PluginError {
                message: "init was not called".into(),
            })?;
            let updates: Vec<_> = batch.iter().map(|m| r.update(&m)).collect();
            let changed = updates.iter().filter(|u| u.is_some()).count() as u64;
            if changed > 0 {
                wasmq::plugin::metrics::counter_add("redacted_messages", changed);
            }
            Ok(updates)
        })
    }
}

// Exported only for wasm: the native build (unit tests) cannot carry component symbol names.
#[cfg(target_arch = "wasm32")]
export!(PiiRedact);

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_plugin_sdk::{BatchBuilder, TestMessage};

    fn r(pairs: &[(&str, &str)]) -> Redactor {
        Redactor::from_config(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn emails_and_cards_are_masked() {
        let out = r(&[])
            .redact_body(b"mail bob.smith@example.com, card 4111 1111 1111 1111 ok.")
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "mail ***, card *** ok.");
        assert_eq!(
            r(&[]).redact_body(b"order 12345 for a@b"),
            None,
            "short numbers and dotless domains stay"
        );
    }

    #[test]
    fn detectors_can_be_chosen() {
        let only_email = r(&[("redact", "email"), ("mask", "#")]);
        let out = only_email.redact_body(b"x@y.org 4111111111111111").unwrap();
        assert_eq!(out, b"# 4111111111111111");
        assert!(Redactor::from_config(&[("redact".into(), "dna".into())]).is_err());
    }

    #[test]
    fn named_properties_are_masked() {
        let red = r(&[("properties", "phone"), ("redact", "")]);
        let mut b = BatchBuilder::new(true);
        b.push(
            &TestMessage::new("t", "", b"plain")
                .property("phone", "+33 6")
                .property("region", "eu"),
        );
        b.push(&TestMessage::new("t", "", b"plain").property("region", "eu"));
        let batch = b.batch();
        let u = red.update(&batch.get(0)).unwrap();
        assert_eq!(u.body, None);
        let props = u.properties.unwrap();
        assert_eq!(
            wasmq_plugin_sdk::Properties::new(&props).get("phone"),
            Some("***")
        );
        assert_eq!(
            wasmq_plugin_sdk::Properties::new(&props).get("region"),
            Some("eu")
        );
        assert!(red.update(&batch.get(1)).is_none());
    }
}
