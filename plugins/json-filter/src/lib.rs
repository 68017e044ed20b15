//! JSON-field content filter: delivers messages whose JSON body has a field matching a condition.
//!
//! Configuration:
//! - `field` — dotted path into the body, e.g. `order.customer.country` or `items.0.sku` (required);
//! - `op` — `eq` (default), `ne`, `in`, `gt`, `lt`, `exists`, `missing`;
//! - `value` — compared as a number when both sides are numbers, as a string otherwise;
//!   for `in`, a comma-separated list;
//! - `invalid` — what to do with a body that is not JSON: `discard` (default) or `keep`.
//!
//! Written for the consumer side (one binding per consumer group); it needs bodies.

wit_bindgen::generate!({ world: "filter-plugin", path: "../../wit", additional_derives: [PartialEq] });

use serde_json::Value;
use wasmq::plugin::types::{Hook, Verdict};
use wasmq_plugin_sdk::MessageRef;

/// Comparison applied to the field.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Gt(f64),
    Lt(f64),
    Exists,
    Missing,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub path: Vec<String>,
    pub op: Op,
    pub keep_invalid: bool,
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".into()),
        _ => None,
    }
}

fn equal(v: &Value, want: &str) -> bool {
    match (v, want.parse::<f64>()) {
        (Value::Number(n), Ok(w)) => n.as_f64() == Some(w),
        _ => scalar_text(v).as_deref() == Some(want),
    }
}

impl Condition {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Condition, String> {
        let get = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        for (k, _) in entries {
            if !["field", "op", "value", "invalid"].contains(&k.as_str()) {
                return Err(format!(
                    "unknown configuration key `{k}` (expected field, op, value, invalid)"
                ));
            }
        }
        let field = get("field").ok_or("configuration key `field` is required")?;
        let value = get("value");
        let need_value = || {
            value
                .map(str::to_string)
                .ok_or_else(|| "configuration key `value` is required for this op".to_string())
        };
        let number = || {
            need_value()?
                .parse::<f64>()
                .map_err(|_| "`value` must be a number for gt/lt".to_string())
        };
        let op = match get("op").unwrap_or("eq") {
            "eq" => Op::Eq(need_value()?),
            "ne" => Op::Ne(need_value()?),
            "in" => Op::In(
                need_value()?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect(),
            ),
            "gt" => Op::Gt(number()?),
            "lt" => Op::Lt(number()?),
            "exists" => Op::Exists,
            "missing" => Op::Missing,
            other => {
                return Err(format!(
                    "op `{other}` is not one of eq, ne, in, gt, lt, exists, missing"
                ));
            }
        };
        let keep_invalid = match get("invalid").unwrap_or("discard") {
            "discard" => false,
            "keep" => true,
            other => return Err(format!("invalid = `{other}`: expected `discard` or `keep`")),
        };
        Ok(Condition {
            path: field.split('.').map(str::to_string).collect(),
            op,
            keep_invalid,
        })
    }

    /// Whether a body passes.
    pub fn matches(&self, body: &[u8]) -> bool {
        let Ok(doc) = serde_json::from_slice::<Value>(body) else {
            return self.keep_invalid;
        };
        let mut cur = Some(&doc);
        for part in &self.path {
            cur = match cur {
                Some(Value::Object(map)) => map.get(part),
                Some(Value::Array(items)) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
        }
        match (&self.op, cur) {
            (Op::Exists, found) => found.is_some(),
            (Op::Missing, found) => found.is_none(),
            (_, None) => false,
            (Op::Eq(w), Some(v)) => equal(v, w),
            (Op::Ne(w), Some(v)) => !equal(v, w),
            (Op::In(ws), Some(v)) => ws.iter().any(|w| equal(v, w)),
            (Op::Gt(w), Some(v)) => v.as_f64().is_some_and(|x| x > *w),
            (Op::Lt(w), Some(v)) => v.as_f64().is_some_and(|x| x < *w),
        }
    }
}

wasmq_plugin_sdk::filter_plugin! {
    plugin: JsonFilter,
    info: {
        name: "json-filter".into(),
        hooks: vec![Hook::ConsumerFilter, Hook::IngressFilter],
        needs_body: true,
        reads_properties: Some(Vec::new()),
    },
    config: Condition = Condition::from_config,
    verdict: |c: &Condition, m: &MessageRef<'_>| {
        if c.matches(m.body) {
            Verdict::Keep
        } else {
            Verdict::Discard
        }
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(pairs: &[(&str, &str)]) -> Condition {
        Condition::from_config(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn nested_field_equality_string_and_number() {
        let c = cond(&[("field", "order.country"), ("value", "DE")]);
        assert!(c.matches(br#"{"order":{"country":"DE"}}"#));
        assert!(!c.matches(br#"{"order":{"country":"FR"}}"#));
        assert!(!c.matches(br#"{"order":{}}"#));
        let c = cond(&[("field", "items.1.qty"), ("value", "2")]);
        assert!(c.matches(br#"{"items":[{"qty":1},{"qty":2.0}]}"#));
    }

    #[test]
    fn comparisons_and_membership() {
        let gt = cond(&[("field", "amount"), ("op", "gt"), ("value", "100")]);
        assert!(gt.matches(br#"{"amount":150}"#));
        assert!(!gt.matches(br#"{"amount":50}"#));
        assert!(!gt.matches(br#"{"amount":"lots"}"#));
        let within = cond(&[("field", "c"), ("op", "in"), ("value", "a, b")]);
        assert!(within.matches(br#"{"c":"b"}"#));
        assert!(!within.matches(br#"{"c":"z"}"#));
        let missing = cond(&[("field", "x"), ("op", "missing")]);
        assert!(missing.matches(br#"{"y":1}"#));
    }

    #[test]
    fn invalid_bodies_follow_config() {
        assert!(!cond(&[("field", "a"), ("op", "exists")]).matches(b"not json"));
        assert!(
            cond(&[("field", "a"), ("op", "exists"), ("invalid", "keep")]).matches(b"not json")
        );
        let bad = Condition::from_config(&[
            ("op".to_string(), "gt".to_string()),
            ("field".to_string(), "a".to_string()),
        ]);
        assert!(bad.is_err());
    }
}
