//! Router: picks the queue from a hash of the message key, or the topic from a header, with an optional audit copy.
//!
//! Configuration:
//! - `mode` — `key-hash` (default) or `header`;
//! - `queues` — key-hash mode: the number of queues; queue = FNV-1a(first key) mod queues;
//! - `header` — header mode: the property whose value selects the topic;
//! - `route.<value>` — header mode: target topic for that property value;
//! - `unknown` — header mode, value without a route: `keep` (default) or `reject`;
//! - `audit-topic` — if set, every message is also copied to this topic.

wit_bindgen::generate!({ world: "router-plugin", path: "../../wit", additional_derives: [PartialEq] });

use exports::wasmq::plugin::{plugin, router};
use wasmq::plugin::types::{
    CopyTarget, Hook, MessageBatch, PluginError, PluginInfo, Reroute, RouteDecision,
};
use wasmq_plugin_sdk::{Batch, MessageRef};

/// How the target is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    KeyHash {
        queues: u32,
    },
    Header {
        name: String,
        routes: Vec<(String, String)>,
        reject_unknown: bool,
    },
}

/// Parsed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Router {
    pub mode: Mode,
    pub audit_topic: Option<String>,
}

/// 32-bit FNV-1a: stable across versions and platforms.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

impl Router {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Router, String> {
        let get = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        for (k, _) in entries {
            let known = ["mode", "queues", "header", "unknown", "audit-topic"]
                .contains(&k.as_str())
                || k.starts_with("route.");
            if !known {
                return Err(format!("unknown configuration key `{k}`"));
            }
        }
        let mode = match get("mode").as_deref().unwrap_or("key-hash") {
            "key-hash" => {
                let queues = get("queues").ok_or("key-hash mode needs `queues`")?;
                let queues: u32 = queues
                    .parse()
                    .map_err(|_| format!("`queues` = `{queues}` is not a positive integer"))?;
                if queues == 0 {
                    return Err("`queues` must be at least 1".into());
                }
                Mode::KeyHash { queues }
            }
            "header" => Mode::Header {
                name: get("header").ok_or("header mode needs `header`")?,
                routes: entries
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("route.")?.to_string(), v.clone())))
                    .collect(),
                reject_unknown: match get("unknown").as_deref().unwrap_or("keep") {
                    "keep" => false,
                    "reject" => true,
                    other => return Err(format!("unknown = `{other}`: expected keep or reject")),
                },
            },
            other => return Err(format!("mode `{other}` is not key-hash or header")),
        };
        Ok(Router {
            mode,
            audit_topic: get("audit-topic").filter(|t| !t.is_empty()),
        })
    }

    /// The decision for one message.
    pub fn decide(&self, m: &MessageRef<'_>) -> RouteDecision {
        let copies: Vec<CopyTarget> = self
            .audit_topic
            .iter()
            .map(|t| CopyTarget {
                topic: t.clone(),
                queue_id: None,
            })
            .collect();
        let (topic, queue_id) = match &self.mode {
            Mode::KeyHash { queues } => match m.keys.split_whitespace().next() {
                Some(key) => (None, Some((fnv1a(key.as_bytes()) % queues) as i32)),
                None => (None, None),
            },
            Mode::Header {
                name,
                routes,
                reject_unknown,
            } => {
                let value = m.properties.get(name).unwrap_or_default();
                match routes.iter().find(|(v, _)| v == value) {
                    Some((_, topic)) => (Some(topic.clone()), None),
                    None if *reject_unknown => {
                        return RouteDecision::Reject(format!("no route for {name}=`{value}`"));
                    }
                    None => (None, None),
                }
            }
        };
        if topic.is_none() && queue_id.is_none() && copies.is_empty() {
            RouteDecision::Keep
        } else {
            RouteDecision::Reroute(Reroute {
                topic,
                queue_id,
                copies,
            })
        }
    }
}

struct KeyRouter;

thread_local! {
    static ROUTER: std::cell::RefCell<Option<Router>> = const { std::cell::RefCell::new(None) };
}

impl plugin::Guest for KeyRouter {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "key-router".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            hooks: vec![Hook::Router],
            needs_body: false,
            reads_tags: false,
            reads_keys: true,
            reads_properties: None,
            only_tags: Vec::new(),
        }
    }

    fn init() -> Result<(), PluginError> {
        let r = Router::from_config(&wasmq::plugin::config::entries())
            .map_err(|message| PluginError { message })?;
        ROUTER.with(|s| *s.borrow_mut() = Some(r));
        Ok(())
    }
}

impl router::Guest for KeyRouter {
    fn route(batch: MessageBatch) -> Result<Vec<RouteDecision>, PluginError> {
        let batch = Batch::new(
            &batch.data,
            &batch.fields,
            batch.bodies_included,
            &batch.body_sizes,
        )
        .map_err(|e| PluginError {
            message: e.to_string(),
        })?;
        ROUTER.with(|r| {
            let r = r.borrow();
            let r = r.as_ref().ok_or_else(|| PluginError {
                message: "init was not called".into(),
            })?;
            Ok(batch.iter().map(|m| r.decide(&m)).collect())
        })
    }
}

// Exported only for wasm: the native build (unit tests) cannot carry component symbol names.
#[cfg(target_arch = "wasm32")]
export!(KeyRouter);

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_plugin_sdk::{BatchBuilder, TestMessage};

    fn router(pairs: &[(&str, &str)]) -> Router {
        Router::from_config(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    fn decide(r: &Router, m: TestMessage) -> RouteDecision {
        let mut b = BatchBuilder::new(false);
        b.push(&m);
        r.decide(&b.batch().get(0))
    }

    #[test]
    fn key_hash_is_stable_and_in_range() {
        let r = router(&[("queues", "8")]);
        let expected = (fnv1a(b"order-42") % 8) as i32;
        for _ in 0..3 {
            let d = decide(&r, TestMessage::new("t", "", b"").keys("order-42 other"));
            assert_eq!(
                d,
                RouteDecision::Reroute(Reroute {
                    topic: None,
                    queue_id: Some(expected),
                    copies: vec![]
                })
            );
        }
        assert_eq!(
            decide(&r, TestMessage::new("t", "", b"")),
            RouteDecision::Keep
        );
        assert_eq!(fnv1a(b"a"), 0xe40c292c);
    }

    #[test]
    fn header_routes_and_audit_copy() {
        let r = router(&[
            ("mode", "header"),
            ("header", "region"),
            ("route.eu", "orders-eu"),
            ("audit-topic", "audit"),
        ]);
        let d = decide(
            &r,
            TestMessage::new("orders", "", b"").property("region", "eu"),
        );
        let audit = vec![CopyTarget {
            topic: "audit".into(),
            queue_id: None,
        }];
        assert_eq!(
            d,
            RouteDecision::Reroute(Reroute {
                topic: Some("orders-eu".into()),
                queue_id: None,
                copies: audit.clone()
            })
        );
        let d = decide(
            &r,
            TestMessage::new("orders", "", b"").property("region", "us"),
        );
        assert_eq!(
            d,
            RouteDecision::Reroute(Reroute {
                topic: None,
                queue_id: None,
                copies: audit
            })
        );
    }

    #[test]
    fn unknown_header_value_can_be_rejected() {
        let r = router(&[
            ("mode", "header"),
            ("header", "region"),
            ("unknown", "reject"),
        ]);
        assert!(matches!(
            decide(&r, TestMessage::new("t", "", b"")),
            RouteDecision::Reject(_)
        ));
        assert!(Router::from_config(&[("mode".into(), "key-hash".into())]).is_err());
    }
}
