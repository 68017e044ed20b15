//! [`MessageFilter`]: one subscription's filter (TAG or SQL92), built from the pull/heartbeat
//! `expressionType` + `subString`, with the consume-queue prefilter and the properties check.

use crate::sql92::{Expression, ParseError};
use crate::tag::{TagFilter, TagParseError};

/// `expressionType` of TAG subscriptions.
pub const EXPRESSION_TYPE_TAG: &str = "TAG";
/// `expressionType` of SQL92 subscriptions.
pub const EXPRESSION_TYPE_SQL92: &str = "SQL92";

/// Java `ExpressionType.isTagType`: absent, empty or exactly `TAG`.
pub fn is_tag_type(expression_type: Option<&str>) -> bool {
    matches!(expression_type, None | Some("") | Some(EXPRESSION_TYPE_TAG))
}

/// Why a subscription's filter cannot be built (answer SUBSCRIPTION_PARSE_FAILED, code 23).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Bad TAG subString.
    #[error(transparent)]
    Tag(#[from] TagParseError),
    /// Bad SQL92 selector.
    #[error(transparent)]
    Sql92(#[from] ParseError),
    /// SQL92 without an expression (Java: "Expression can't be null! SQL92").
    #[error("expression can't be empty for type {0}")]
    EmptyExpression(String),
    /// An expressionType other than TAG/SQL92 (Java's FilterFactory has no such filter; the
    /// comparison is case-sensitive).
    #[error("unsupported expression type {0:?}")]
    UnsupportedType(String),
}

/// A subscription's message filter.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageFilter {
    /// TAG subscription (checked on the consume-queue tags code).
    Tag(TagFilter),
    /// SQL92 selector (checked on the stored message's properties).
    Sql92(Sql92Filter),
}

/// A parsed SQL92 selector with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql92Filter {
    /// The selector as the client sent it.
    pub source: String,
    /// The parsed selector.
    pub expression: Expression,
}

impl MessageFilter {
    /// Builds the filter for (`expressionType`, `subString`) as Java's `FilterAPI.build` +
    /// `FilterFactory` compile do: absent/empty/`TAG` -> TAG; `SQL92` -> parsed selector (must
    /// be non-empty); anything else -> [`FilterError::UnsupportedType`].
    ///
    /// Whether property filtering is enabled (`enablePropertyFilter`) is the caller's check.
    pub fn new(
        expression_type: Option<&str>,
        sub_string: Option<&str>,
    ) -> Result<Self, FilterError> {
        if is_tag_type(expression_type) {
            return Ok(MessageFilter::Tag(TagFilter::parse(sub_string)?));
        }
        let ty = expression_type.unwrap_or_default();
        if ty != EXPRESSION_TYPE_SQL92 {
            return Err(FilterError::UnsupportedType(ty.to_owned()));
        }
        let source = sub_string.unwrap_or_default();
        if source.is_empty() {
            return Err(FilterError::EmptyExpression(ty.to_owned()));
        }
        let expression = Expression::parse(source)?;
        Ok(MessageFilter::Sql92(Sql92Filter {
            source: source.to_owned(),
            expression,
        }))
    }

    /// Cheap consume-queue prefilter on the entry's tags code: the TAG check for TAG filters,
    /// always true for SQL92 (Java without the bloom-filter extension).
    pub fn may_match_code(&self, tags_code: i64) -> bool {
        match self {
            MessageFilter::Tag(t) => t.matches_code(tags_code),
            MessageFilter::Sql92(_) => true,
        }
    }

    /// Full check on the message properties: always true for TAG (Java's
    /// `isMatchedByCommitLog` does not re-check tags), the selector for SQL92.
    pub fn matches<'a, F>(&self, properties: &F) -> bool
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        match self {
            MessageFilter::Tag(_) => true,
            MessageFilter::Sql92(s) => s.expression.evaluate(properties),
        }
    }

    /// True when [`MessageFilter::matches`] needs the message properties (SQL92), so the pull
    /// path can skip reading the commit log for TAG subscriptions.
    pub fn needs_properties(&self) -> bool {
        matches!(self, MessageFilter::Sql92(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_by_type() {
        assert!(matches!(MessageFilter::new(None, None), Ok(MessageFilter::Tag(t)) if t.is_all()));
        assert!(matches!(
            MessageFilter::new(Some(""), Some("a")),
            Ok(MessageFilter::Tag(_))
        ));
        let sql = MessageFilter::new(Some("SQL92"), Some("a > 1")).unwrap();
        assert!(sql.needs_properties());
        assert!(sql.may_match_code(0));
        assert!(sql.matches(&|k: &str| (k == "a").then_some("2")));
        assert!(!sql.matches(&|_: &str| None));
        assert!(matches!(
            MessageFilter::new(Some("sql92"), Some("a > 1")),
            Err(FilterError::UnsupportedType(_))
        ));
        assert!(matches!(
            MessageFilter::new(Some("SQL92"), Some("")),
            Err(FilterError::EmptyExpression(_))
        ));
        assert!(matches!(
            MessageFilter::new(Some("SQL92"), Some("a >")),
            Err(FilterError::Sql92(_))
        ));
        let tag = MessageFilter::new(Some("TAG"), Some("a || b")).unwrap();
        assert!(tag.may_match_code(97) && !tag.may_match_code(99));
        assert!(tag.matches(&|_: &str| None));
    }
}
