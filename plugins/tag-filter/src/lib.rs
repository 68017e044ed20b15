//! Tag / property predicate filter: keeps messages whose tag is in a set and whose properties match.
//!
//! Configuration (binding `config` in plugins.toml):
//! - `tags` — RocketMQ subscription style, `TagA || TagB`, or `*` (default) for any tag;
//! - `property.<name>` — the property must exist and match this glob (`*`, `?`);
//! - `action` — what happens to a message that does not match: `discard` (default) or `reject`;
//! - `reason` — the reject reason sent back to the producer (default names the rule).
//!
//! At the consumer side a non-matching message is simply not delivered.

wit_bindgen::generate!({ world: "filter-plugin", path: "../../wit", additional_derives: [PartialEq] });

use wasmq::plugin::types::{Hook, Verdict};
use wasmq_plugin_sdk::{MessageRef, glob_match};

/// The filter rule, parsed once from configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `None` = any tag.
    pub tags: Option<Vec<String>>,
    pub properties: Vec<(String, String)>,
    pub reject: Option<String>,
}

impl Rule {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Rule, String> {
        let mut rule = Rule {
            tags: None,
            properties: Vec::new(),
            reject: None,
        };
        let mut action = "discard".to_string();
        let mut reason = None;
        for (k, v) in entries {
            match k.as_str() {
                "tags" => {
                    let v = v.trim();
                    if v != "*" && !v.is_empty() {
                        rule.tags = Some(
                            v.split("||")
                                .map(|t| t.trim().to_string())
                                .filter(|t| !t.is_empty())
                                .collect(),
                        );
                    }
                }
                "action" => action = v.clone(),
                "reason" => reason = Some(v.clone()),
                _ => match k.strip_prefix("property.") {
                    Some(name) if !name.is_empty() => {
                        rule.properties.push((name.to_string(), v.clone()))
                    }
                    _ => {
                        return Err(format!(
                            "unknown configuration key `{k}` (expected tags, property.<name>, action, reason)"
                        ));
                    }
                },
            }
        }
        rule.properties.sort();
        match action.as_str() {
            "discard" => {}
            "reject" => {
                rule.reject =
                    Some(reason.unwrap_or_else(|| "message refused by tag-filter".to_string()))
            }
            other => return Err(format!("action `{other}` is not `discard` or `reject`")),
        }
        Ok(rule)
    }

    /// Whether the message passes.
    pub fn matches(&self, m: &MessageRef<'_>) -> bool {
        if let Some(tags) = &self.tags
            && !tags.iter().any(|t| t == m.tags)
        {
            return false;
        }
        self.properties.iter().all(|(name, pattern)| {
            m.properties
                .get(name)
                .is_some_and(|v| glob_match(pattern, v))
        })
    }

    /// The verdict for one message.
    pub fn verdict(&self, m: &MessageRef<'_>) -> Verdict {
        match (self.matches(m), &self.reject) {
            (true, _) => Verdict::Keep,
            (false, Some(reason)) => Verdict::Reject(reason.clone()),
            (false, None) => Verdict::Discard,
        }
    }
}

wasmq_plugin_sdk::filter_plugin! {
    plugin: TagFilter,
    info: {
        name: "tag-filter".into(),
        hooks: vec![Hook::IngressFilter, Hook::ConsumerFilter],
        reads_tags: true,
        // Properties are configuration-dependent: ask for all of them (the default).
    },
    config: Rule = Rule::from_config,
    verdict: Rule::verdict,
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_plugin_sdk::{BatchBuilder, TestMessage};

    fn cfg(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn verdicts(rule: &Rule, msgs: &[TestMessage]) -> Vec<Verdict> {
        let mut b = BatchBuilder::new(false);
        msgs.iter().for_each(|m| {
            b.push(m);
        });
        b.batch().iter().map(|m| rule.verdict(&m)).collect()
    }

    #[test]
    fn tag_set_and_property_glob() {
        let rule =
            Rule::from_config(&cfg(&[("tags", "A || B"), ("property.region", "eu-*")])).unwrap();
        let v = verdicts(
            &rule,
            &[
                TestMessage::new("t", "A", b"").property("region", "eu-west"),
                TestMessage::new("t", "C", b"").property("region", "eu-west"),
                TestMessage::new("t", "B", b"").property("region", "us"),
                TestMessage::new("t", "B", b""),
            ],
        );
        assert_eq!(
            v,
            vec![
                Verdict::Keep,
                Verdict::Discard,
                Verdict::Discard,
                Verdict::Discard
            ]
        );
    }

    #[test]
    fn reject_action_carries_the_reason() {
        let rule = Rule::from_config(&cfg(&[
            ("tags", "A"),
            ("action", "reject"),
            ("reason", "only A"),
        ]))
        .unwrap();
        let v = verdicts(
            &rule,
            &[
                TestMessage::new("t", "A", b""),
                TestMessage::new("t", "Z", b""),
            ],
        );
        assert_eq!(v, vec![Verdict::Keep, Verdict::Reject("only A".into())]);
    }

    #[test]
    fn star_matches_everything_and_bad_config_is_refused() {
        let rule = Rule::from_config(&cfg(&[("tags", "*")])).unwrap();
        assert_eq!(
            verdicts(&rule, &[TestMessage::new("t", "", b"")]),
            vec![Verdict::Keep]
        );
        assert!(Rule::from_config(&cfg(&[("tagz", "A")])).is_err());
        assert!(Rule::from_config(&cfg(&[("action", "explode")])).is_err());
    }
}
