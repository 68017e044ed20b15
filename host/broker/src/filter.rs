//! Pull filters (`ExpressionMessageFilter`): TAG subscriptions matched on the consume queue's
//! tags code, SQL92 selectors (via `wasmq_filter`) evaluated on each record's properties, and
//! [`FilterCache`], which parses each (group, topic, type, expression) once, not on every pull.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use parking_lot::RwLock;

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
    Sql92(Arc<wasmq_filter::MessageFilter>),
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
            // The filter crate's lookup: the codec's answer (last occurrence wins), about 3x faster.
            PullFilter::Sql92(f) => f.matches(&wasmq_filter::props::lookup(properties)),
        }
    }
}

/// How many parsed filters [`FilterCache`] keeps; when full it starts over (subscriptions are
/// few and long-lived, so this only bounds memory against clients churning expressions).
pub const FILTER_CACHE_CAPACITY: usize = 4096;

/// One cached filter with the full key it was parsed for (the map is keyed by its hash).
#[derive(Debug)]
struct CachedFilter {
    group: String,
    topic: String,
    expression_type: String,
    expression: String,
    filter: Arc<wasmq_filter::MessageFilter>,
}

/// Parsed non-TAG filters by (group, topic, expression type, expression). Hits take a read
/// lock and allocate nothing; parse failures are not cached (they are answered every time).
#[derive(Debug, Default)]
pub struct FilterCache {
    map: RwLock<HashMap<u64, CachedFilter>>,
}

fn key_hash(group: &str, topic: &str, expression_type: &str, expression: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (group, topic, expression_type, expression).hash(&mut h);
    h.finish()
}

impl FilterCache {
    /// The filter for this subscription, parsed on first use (`MessageFilter::new`).
    pub fn get_or_parse(
        &self,
        group: &str,
        topic: &str,
        expression_type: &str,
        expression: &str,
    ) -> Result<Arc<wasmq_filter::MessageFilter>, wasmq_filter::FilterError> {
        let k = key_hash(group, topic, expression_type, expression);
        if let Some(c) = self.map.read().get(&k)
            && c.group == group
            && c.topic == topic
            && c.expression_type == expression_type
            && c.expression == expression
        {
            return Ok(Arc::clone(&c.filter));
        }
        let filter = Arc::new(wasmq_filter::MessageFilter::new(
            Some(expression_type),
            Some(expression),
        )?);
        let mut map = self.map.write();
        if map.len() >= FILTER_CACHE_CAPACITY {
            map.clear();
        }
        map.insert(
            k,
            CachedFilter {
                group: group.to_owned(),
                topic: topic.to_owned(),
                expression_type: expression_type.to_owned(),
                expression: expression.to_owned(),
                filter: Arc::clone(&filter),
            },
        );
        Ok(filter)
    }

    /// Cached filters.
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map.read().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_parses_once_per_subscription_and_stays_bounded() {
        let c = FilterCache::default();
        let a = c.get_or_parse("g", "t", "SQL92", "a > 1").unwrap();
        let again = c.get_or_parse("g", "t", "SQL92", "a > 1").unwrap();
        assert!(Arc::ptr_eq(&a, &again), "second lookup is a hit");
        assert_eq!(
            *a,
            wasmq_filter::MessageFilter::new(Some("SQL92"), Some("a > 1")).unwrap()
        );
        let other = c.get_or_parse("g2", "t", "SQL92", "a > 1").unwrap();
        assert!(!Arc::ptr_eq(&a, &other), "keyed by group too");
        let changed = c.get_or_parse("g", "t", "SQL92", "a > 2").unwrap();
        assert_ne!(*changed, *a);
        assert_eq!(c.len(), 3);
        assert!(c.get_or_parse("g", "t", "SQL92", "a >").is_err());
        assert!(c.get_or_parse("g", "t", "XPATH", "a").is_err());
        assert_eq!(c.len(), 3, "failures are not cached");
        for i in 0..FILTER_CACHE_CAPACITY + 10 {
            c.get_or_parse("g", &format!("t{i}"), "SQL92", "a = 1")
                .unwrap();
        }
        assert!(c.len() <= FILTER_CACHE_CAPACITY);
    }

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
