//! Tag filtering by hash code (`ExpressionMessageFilter.isMatchedByConsumeQueue` for TAG).

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
