//! Retention policy: per-topic retention times and a minimum age before a commit-log file may go.
//!
//! Configuration:
//! - `topic.<glob>` — retention for matching topics, e.g. `72h`, `30m`, `7d` or milliseconds;
//!   the longest matching glob wins; topics matching none get the broker default;
//! - `max-bytes.<glob>` — optional size cap for matching topics (bytes);
//! - `min-file-age` — files modified less than this long ago are kept (answer `false`);
//!   older files get the broker default.

wit_bindgen::generate!({ world: "retention-plugin", path: "../../wit", additional_derives: [PartialEq] });

use exports::wasmq::plugin::{plugin, retention};
use wasmq::plugin::types::{FileInfo, Hook, PluginError, PluginInfo, RetentionDecision};
use wasmq_plugin_sdk::{glob_match, parse_duration_ms};

/// Parsed configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub retention: Vec<(String, u64)>,
    pub max_bytes: Vec<(String, u64)>,
    pub min_file_age_ms: Option<u64>,
}

fn longest<'a>(rules: &'a [(String, u64)], topic: &str) -> Option<&'a (String, u64)> {
    rules
        .iter()
        .filter(|(g, _)| glob_match(g, topic))
        .max_by_key(|(g, _)| g.len())
}

impl Policy {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Policy, String> {
        let mut p = Policy::default();
        let duration = |k: &str, v: &str| {
            parse_duration_ms(v)
                .ok_or_else(|| format!("{k} = `{v}` is not a duration like 48h, 30m, 7d"))
        };
        for (k, v) in entries {
            if let Some(glob) = k.strip_prefix("topic.") {
                p.retention.push((glob.to_string(), duration(k, v)?));
            } else if let Some(glob) = k.strip_prefix("max-bytes.") {
                p.max_bytes.push((
                    glob.to_string(),
                    v.parse()
                        .map_err(|_| format!("{k} = `{v}` is not a number of bytes"))?,
                ));
            } else if k == "min-file-age" {
                p.min_file_age_ms = Some(duration(k, v)?);
            } else {
                return Err(format!(
                    "unknown configuration key `{k}` (expected topic.<glob>, max-bytes.<glob>, min-file-age)"
                ));
            }
        }
        Ok(p)
    }

    /// Retention for a topic.
    pub fn topic(&self, topic: &str) -> Option<RetentionDecision> {
        let retention_ms = longest(&self.retention, topic).map(|(_, ms)| *ms);
        let max_bytes = longest(&self.max_bytes, topic).map(|(_, b)| *b);
        (retention_ms.is_some() || max_bytes.is_some()).then_some(RetentionDecision {
            retention_ms,
            max_bytes,
        })
    }

    /// Whether an expiring file may be deleted.
    pub fn may_delete(&self, file: &FileInfo, now_ms: u64) -> Option<bool> {
        let min = self.min_file_age_ms?;
        (now_ms.saturating_sub(file.last_modified_ms) < min).then_some(false)
    }
}

struct Retention;

thread_local! {
    static POLICY: std::cell::RefCell<Policy> = std::cell::RefCell::new(Policy::default());
}

impl plugin::Guest for Retention {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "retention-policy".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            hooks: vec![Hook::Retention],
            needs_body: false,
            reads_tags: false,
            reads_keys: false,
            reads_properties: Some(Vec::new()),
            only_tags: Vec::new(),
        }
    }

    fn init() -> Result<(), PluginError> {
        let p = Policy::from_config(&wasmq::plugin::config::entries())
            .map_err(|message| PluginError { message })?;
        POLICY.with(|s| *s.borrow_mut() = p);
        Ok(())
    }
}

impl retention::Guest for Retention {
    fn topic_retention(
        topic: String,
        _now_ms: u64,
    ) -> Result<Option<RetentionDecision>, PluginError> {
        Ok(POLICY.with(|p| p.borrow().topic(&topic)))
    }

    fn may_delete_file(file: FileInfo, now_ms: u64) -> Result<Option<bool>, PluginError> {
        Ok(POLICY.with(|p| p.borrow().may_delete(&file, now_ms)))
    }
}

// Exported only for wasm: the native build (unit tests) cannot carry component symbol names.
#[cfg(target_arch = "wasm32")]
export!(Retention);

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(pairs: &[(&str, &str)]) -> Policy {
        Policy::from_config(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn longest_topic_glob_wins() {
        let p = policy(&[
            ("topic.*", "48h"),
            ("topic.audit-*", "30d"),
            ("max-bytes.audit-*", "1000"),
        ]);
        assert_eq!(
            p.topic("orders"),
            Some(RetentionDecision {
                retention_ms: Some(48 * 3_600_000),
                max_bytes: None
            })
        );
        assert_eq!(
            p.topic("audit-eu"),
            Some(RetentionDecision {
                retention_ms: Some(30 * 86_400_000),
                max_bytes: Some(1000)
            })
        );
        assert_eq!(policy(&[]).topic("orders"), None);
    }

    #[test]
    fn young_files_are_kept() {
        let p = policy(&[("min-file-age", "1h")]);
        let f = |modified| FileInfo {
            name: "0000".into(),
            kind: "commitlog".into(),
            topic: String::new(),
            size_bytes: 1,
            first_offset: 0,
            last_modified_ms: modified,
        };
        assert_eq!(
            p.may_delete(&f(10_000_000 - 60_000), 10_000_000),
            Some(false)
        );
        assert_eq!(p.may_delete(&f(0), 10_000_000), None);
        assert!(Policy::from_config(&[("topic.x".into(), "soon".into())]).is_err());
    }
}
