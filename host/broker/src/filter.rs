//! Pull filters (`ExpressionMessageFilter`): TAG subscriptions matched on the consume queue's
//! tags code, SQL92 selectors (via `wasmq_filter`) evaluated on each record's properties.

use std::collections::BTreeSet;

use wasmq_protocol::body::broker::SubscriptionData;
use wasmq_protocol::message::java_string_hash;

/// A TAG subscription reduced to what the consume queue can check: the tags' hash codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    /// `None` = everything matches (`*` or empty).
    codes: Option<BTreeSet<i32>>,
}

impl TagFilter {
    /// Matches everything.
    pub fn all() -> Self {
        Self { codes: None }
    }

    /// From an expression like `a || b` (Java `FilterAPI.buildSubscriptionData`).
    pub fn from_expression(expr: &str) -> Self {
        let expr = expr.trim();
        if expr.is_empty() || expr == "*" {
            return Self::all();
        }
        let codes = expr
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(java_string_hash)
            .collect();
        Self { codes: Some(codes) }
    }

    /// From a heartbeat subscription: its code set plus codes recomputed from its tags (GO
    /// hashes UTF-8 bytes, so its codes alone may be wrong for non-ASCII tags).
    pub fn from_subscription(sub: &SubscriptionData) -> Self {
        let s = sub.sub_string.trim();
        if s.is_empty() || s == "*" {
            return Self::all();
        }
        let mut codes = sub.code_set.clone();
        codes.extend(sub.tags_set.iter().map(|t| java_string_hash(t)));
        if codes.is_empty() {
            return Self::from_expression(s);
        }
        Self { codes: Some(codes) }
    }

    /// True when a consume-queue entry with `tags_code` may be delivered.
    pub fn matches(&self, tags_code: i64) -> bool {
        match &self.codes {
            None => true,
            // The low 32 bits carry the Java hash.
            Some(codes) => codes.contains(&(tags_code as i32)),
        }
    }
}

/// The filter of one pull.
#[derive(Debug, Clone)]
pub enum PullFilter {
    /// TAG: decided on the consume-queue entry.
    Tag(TagFilter),
    /// SQL92: every entry passes the consume-queue check; records are evaluated.
    Sql92(wasmq_filter::MessageFilter),
}

impl PullFilter {
    /// The consume-queue check.
    pub fn matches_code(&self, tags_code: i64) -> bool {
        match self {
            PullFilter::Tag(t) => t.matches(tags_code),
            PullFilter::Sql92(f) => f.may_match_code(tags_code),
        }
    }

    /// True when records must be evaluated after reading.
    pub fn needs_properties(&self) -> bool {
        matches!(self, PullFilter::Sql92(f) if f.needs_properties())
    }

    /// The record check, on its encoded properties.
    pub fn matches_properties(&self, properties: &str) -> bool {
        match self {
            PullFilter::Tag(_) => true,
            PullFilter::Sql92(f) => {
                f.matches(&|key: &str| wasmq_protocol::message::property(properties, key))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert!(TagFilter::from_expression("*").matches(12345));
        assert!(TagFilter::from_expression("").matches(0));
        let f = TagFilter::from_expression("a || TagB ");
        assert!(f.matches(97));
        assert!(f.matches(i64::from(java_string_hash("TagB"))));
        assert!(!f.matches(98));
        assert!(!f.matches(0));
    }

    #[test]
    fn subscription_recomputes_codes() {
        let sub = SubscriptionData {
            sub_string: "x".into(),
            tags_set: ["x".to_string()].into(),
            ..Default::default()
        };
        assert!(TagFilter::from_subscription(&sub).matches(120));
        assert!(!TagFilter::from_subscription(&sub).matches(121));
    }
}
