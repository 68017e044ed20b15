//! RocketMQ message filtering for the broker's pull path: TAG subscriptions ([`tag`]) and the
//! SQL92 property selector ([`sql92`]), unified as [`MessageFilter`]. Pure: no I/O, no async.
//!
//! # Using it from the pull path and CHECK_CLIENT_CONFIG
//!
//! Parse **once per subscription** and cache the result (Java caches compiled selectors too),
//! e.g. next to the consumer group's subscription data, keyed by (topic, subVersion):
//!
//! ```
//! use wasmq_filter::{FilterError, MessageFilter};
//!
//! // PULL_MESSAGE header fields `expressionType` and `subscription` (or the heartbeat's
//! // subscription data: `expressionType`, `subString`).
//! let filter = match MessageFilter::new(Some("SQL92"), Some("color = 'red' AND idx BETWEEN 10 AND 20")) {
//!     Ok(f) => f,
//!     // => SUBSCRIPTION_PARSE_FAILED (23) with `err.to_string()` as remark
//!     Err(err) => panic!("{err}"),
//! };
//! ```
//!
//! Non-TAG types need `enablePropertyFilter=true`; check that before calling (Java answers 1
//! otherwise). CHECK_CLIENT_CONFIG (46) is the same call: for a non-TAG `expressionType`,
//! `MessageFilter::new(..)` failing => 23 with the error text, else 0.
//!
//! Then, per consume-queue entry and per stored record:
//!
//! ```
//! # use wasmq_filter::MessageFilter;
//! # let filter = MessageFilter::new(Some("SQL92"), Some("color = 'red'")).unwrap();
//! # let tags_code = 0i64;
//! # let record_properties = "color\u{1}red\u{2}TAGS\u{1}t";
//! // 1. cheap prefilter on the CQ entry (TAG code check; always true for SQL92)
//! if filter.may_match_code(tags_code) {
//!     // 2. only SQL92 needs the record: read it, then evaluate over its properties string
//!     //    (`RecordView::properties`), without decoding it into a map.
//!     let ok = !filter.needs_properties()
//!         || filter.matches(&wasmq_filter::props::lookup(record_properties));
//!     assert!(ok);
//!     // Equivalent, about 3x slower per lookup today:
//!     use wasmq_protocol::message::properties::property;
//!     assert!(filter.matches(&|key: &str| property(record_properties, key)));
//! }
//! ```
//!
//! A non-matching entry is skipped and still counts in `nextBeginOffset`. Evaluation never
//! panics; what Java would throw (a property that does not parse as the literal's number type)
//! counts as no match, as in Java's `ExpressionMessageFilter`. Use
//! [`sql92::Expression::evaluate_detailed`] to log such cases.

pub mod filter;
pub mod props;
pub mod sql92;
pub mod tag;

pub use filter::{
    EXPRESSION_TYPE_SQL92, EXPRESSION_TYPE_TAG, FilterError, MessageFilter, Sql92Filter,
    is_tag_type,
};
pub use sql92::{Expression, ParseError};
pub use tag::TagFilter;
