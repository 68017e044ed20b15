//! SQL92 property filter: delivers the messages a RocketMQ SQL92 selector matches, with the
//! broker's native evaluator (`wasmq-filter`), so results are the same as an SQL92 subscription's.
//!
//! Configuration (binding `config` in plugins.toml):
//! - `expression` — the selector, e.g. `color = 'red' AND idx BETWEEN 10 AND 20`,
//!   `TAGS IN ('a', 'b')`, `region IS NULL` (required; a selector that does not parse is refused
//!   at `init`, so the binding does not start);
//! - `action` — what happens to a message that does not match at the ingress: `discard` (default)
//!   or `reject` (with `reason`). At the consumer side a non-matching message is not delivered.
//!
//! `TAGS`, `KEYS` and user properties are read from the stored properties, as at pull. A message
//! for which Java would throw (e.g. a property that is not a number compared with a number) does not
//! match, as in Java's `ExpressionMessageFilter`.

wit_bindgen::generate!({ world: "filter-plugin", path: "../../wit", additional_derives: [PartialEq] });

use wasmq::plugin::types::{Hook, Verdict};
use wasmq_filter::Expression;
use wasmq_plugin_sdk::MessageRef;

/// The parsed selector and what to do with a message it does not match.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub expression: Expression,
    /// `Some(reason)`: reject instead of discarding (ingress only).
    pub reject: Option<String>,
}

impl Rule {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Rule, String> {
        let mut expression = None;
        let mut action = "discard";
        let mut reason = None;
        for (k, v) in entries {
            match k.as_str() {
                "expression" => expression = Some(v.as_str()),
                "action" => action = v.as_str(),
                "reason" => reason = Some(v.clone()),
                _ => {
                    return Err(format!(
                        "unknown configuration key `{k}` (expected expression, action, reason)"
                    ));
                }
            }
        }
        let text = expression
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or("`expression` (a SQL92 selector) is required")?;
        let expression = Expression::parse(text)
            .map_err(|e| format!("expression `{text}` does not parse: {e}"))?;
        let reject = match action {
            "discard" => None,
            "reject" => Some(reason.unwrap_or_else(|| format!("message does not match `{text}`"))),
            other => return Err(format!("action `{other}` is not `discard` or `reject`")),
        };
        Ok(Rule { expression, reject })
    }

    /// Whether the message matches the selector (SQL unknown and evaluation errors do not).
    pub fn matches(&self, m: &MessageRef<'_>) -> bool {
        let raw = m.properties.raw();
        match std::str::from_utf8(raw) {
            // The broker's own lookup over the stored string (last occurrence wins).
            Ok(props) => self
                .expression
                .evaluate(&wasmq_filter::props::lookup(props)),
            // Stored properties are UTF-8 on the broker; should a host ever send otherwise,
            // read what is readable.
            Err(_) => self
                .expression
                .evaluate(&|name: &str| m.properties.get(name)),
        }
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
    plugin: Sql92Filter,
    info: {
        name: "sql92-filter".into(),
        hooks: vec![Hook::ConsumerFilter, Hook::IngressFilter],
        // TAGS and KEYS are read from the stored properties, as the broker does at pull; the
        // selector names its properties only in the configuration, so all of them are sent.
    },
    config: Rule = Rule::from_config,
    verdict: Rule::verdict,
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_plugin_sdk::{BatchBuilder, TestMessage};

    fn rule(expression: &str) -> Rule {
        Rule::from_config(&[("expression".to_string(), expression.to_string())]).unwrap()
    }

    fn verdicts(rule: &Rule, msgs: &[TestMessage]) -> Vec<Verdict> {
        let mut b = BatchBuilder::new(false);
        msgs.iter().for_each(|m| {
            b.push(m);
        });
        b.batch().iter().map(|m| rule.verdict(&m)).collect()
    }

    /// A message as the broker stores it: TAGS among the properties.
    fn msg(tags: &str, props: &[(&str, &str)]) -> TestMessage {
        let mut m = TestMessage::new("t", tags, b"body");
        if !tags.is_empty() {
            m = m.property("TAGS", tags);
        }
        props.iter().fold(m, |m, (k, v)| m.property(k, v))
    }

    #[test]
    fn and_between_as_java() {
        let r = rule("color = 'red' AND idx BETWEEN 10 AND 20");
        let v = verdicts(
            &r,
            &[
                msg("", &[("color", "red"), ("idx", "10")]),
                msg("", &[("color", "red"), ("idx", "20")]),
                msg("", &[("color", "red"), ("idx", "21")]),
                msg("", &[("color", "blue"), ("idx", "15")]),
                msg("", &[("color", "red")]),
                // Not a number: Java throws, which counts as no match.
                msg("", &[("color", "red"), ("idx", "x")]),
            ],
        );
        use Verdict::{Discard as D, Keep as K};
        assert_eq!(v, vec![K, K, D, D, D, D]);
    }

    #[test]
    fn tags_in_and_is_null_read_the_stored_properties() {
        let r = rule("TAGS IN ('a', 'b') AND region IS NULL");
        let v = verdicts(
            &r,
            &[
                msg("a", &[]),
                msg("b", &[("region", "eu")]),
                msg("c", &[]),
                msg("", &[]),
            ],
        );
        use Verdict::{Discard as D, Keep as K};
        assert_eq!(v, vec![K, D, D, D]);
        // The last occurrence of a property wins, as in the broker's lookup.
        let r = rule("idx = 2");
        let m = msg("", &[("idx", "1"), ("idx", "2")]);
        assert_eq!(verdicts(&r, &[m]), vec![K]);
    }

    #[test]
    fn same_verdicts_as_the_native_filter() {
        let exprs = [
            "color = 'red' AND idx BETWEEN 10 AND 20",
            "TAGS IN ('a', 'b') OR color IS NULL",
            "NOT (idx > 5) OR color <> 'red'",
        ];
        let msgs: Vec<TestMessage> = (0..40)
            .map(|i| {
                let color = ["red", "blue", ""][i % 3];
                let mut props = vec![("idx", i.to_string())];
                if !color.is_empty() {
                    props.push(("color", color.to_string()));
                }
                let props: Vec<(&str, &str)> =
                    props.iter().map(|(k, v)| (*k, v.as_str())).collect();
                msg(["a", "b", "c"][i % 3], &props)
            })
            .collect();
        for e in exprs {
            let native = wasmq_filter::MessageFilter::new(Some("SQL92"), Some(e)).unwrap();
            let want: Vec<Verdict> = msgs
                .iter()
                .map(|m| {
                    let props = std::str::from_utf8(&m.properties).unwrap();
                    if native.matches(&wasmq_filter::props::lookup(props)) {
                        Verdict::Keep
                    } else {
                        Verdict::Discard
                    }
                })
                .collect();
            assert_eq!(verdicts(&rule(e), &msgs), want, "{e}");
        }
    }

    #[test]
    fn configuration_is_checked() {
        let cfg = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(Rule::from_config(&[]).is_err());
        assert!(Rule::from_config(&cfg(&[("expression", "a = ")])).is_err());
        assert!(Rule::from_config(&cfg(&[("expression", "a = 1"), ("x", "y")])).is_err());
        assert!(Rule::from_config(&cfg(&[("expression", "a = 1"), ("action", "boom")])).is_err());
        let r = Rule::from_config(&cfg(&[
            ("expression", "a = 1"),
            ("action", "reject"),
            ("reason", "only a=1"),
        ]))
        .unwrap();
        assert_eq!(
            verdicts(&r, &[msg("", &[("a", "2")]), msg("", &[("a", "1")])]),
            vec![Verdict::Reject("only a=1".into()), Verdict::Keep]
        );
    }
}
