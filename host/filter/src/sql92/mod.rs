//! RocketMQ's SQL92 property filter (`expressionType=SQL92`): parser and evaluator with the
//! semantics of Java 4.9.x `org.apache.rocketmq.filter` (ActiveMQ's selector, trimmed).
//!
//! ```
//! use wasmq_filter::sql92::Expression;
//!
//! let expr = Expression::parse("color = 'red' AND idx BETWEEN 10 AND 20").unwrap();
//! let props = [("color", "red"), ("idx", "15")];
//! let lookup = |k: &str| props.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
//! assert!(expr.evaluate(&lookup));
//! ```
//!
//! Semantics in short (each point is Java's, see the comments in `eval.rs` for the odd ones):
//! * Property values are strings. Comparing one with a number literal parses it the way Java's
//!   `Integer/Long/Double.valueOf` would (per the literal's type); comparing with `TRUE`/`FALSE`
//!   uses `Boolean.valueOf`. A value that does not parse makes the whole evaluation fail, which
//!   the broker treats as "no match" (even inside an `OR` whose other side is true, unless that
//!   side was evaluated first and was true).
//! * `<`, `<=`, `>`, `>=` between two properties compare them as doubles.
//! * Three-valued logic: a missing property makes a comparison unknown; `NOT unknown` is unknown;
//!   the message matches only when the result is exactly true.
//! * `IS NULL` is true for a missing property. `=` between two missing properties is true, and
//!   `5 <> a` with `a` missing is true (but `a <> 5` is unknown), as in Java.

mod error;
mod eval;
mod java_num;
mod lexer;
mod parser;

pub use error::{EvalError, ParseError, ParseErrorKind, Position};

/// Maximum depth of the expression tree (e.g. chained `IS NULL`s or `=`s). Deeper selectors are
/// refused with [`ParseErrorKind::TooDeep`] instead of risking the stack (a wasmq limit).
pub const MAX_DEPTH: usize = 128;

/// Maximum nesting of parentheses and unary operators (`(`, `NOT`, `-`, `+`). Each level costs
/// several recursive parser frames (about 16 KiB in debug builds), so this is kept well inside a
/// 2 MiB thread stack. Real selectors nest a handful of levels; Java has no explicit limit.
pub const MAX_NESTING: usize = 32;

/// A parsed selector. Build with [`Expression::parse`]; evaluate with [`Expression::evaluate`].
///
/// The tree mirrors the Java expression objects: `<>` is `Not(Compare(Eq))`, `IS NOT NULL` is
/// `Not(IsNull)`, `NOT BETWEEN` is `Or[Lt, Gt]`, chains of `AND`/`OR` are flattened (same
/// order, same short-circuiting as Java's left-nested pairs).
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// `a OR b OR ...` (at least two operands, all boolean expressions).
    Or(Vec<Expression>),
    /// `a AND b AND ...` (at least two operands, all boolean expressions).
    And(Vec<Expression>),
    /// `NOT a` (operand is a boolean expression).
    Not(Box<Expression>),
    /// `left op right`.
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left operand.
        left: Box<Expression>,
        /// Right operand.
        right: Box<Expression>,
    },
    /// `value IS NULL` (Java: equality with the NULL constant, without operand checks).
    IsNull(Box<Expression>),
    /// `value BETWEEN low AND high` (Java: `value >= low AND value <= high`).
    Between {
        /// Tested operand.
        value: Box<Expression>,
        /// Lower bound (inclusive).
        low: Box<Expression>,
        /// Upper bound (inclusive).
        high: Box<Expression>,
    },
    /// `property [NOT] IN ('a', 'b', ...)`; only string literals, only on a property.
    In {
        /// Property name.
        property: String,
        /// The listed strings.
        values: Vec<String>,
        /// `NOT IN`.
        negated: bool,
    },
    /// A bare property where a boolean is expected (`a AND b = 1`): unknown when the property
    /// is missing, otherwise always false, because property values are strings (Java quirk).
    BooleanCast(String),
    /// A property value (string) or unknown when missing.
    Property(String),
    /// A literal.
    Literal(Literal),
    /// Unary minus: negates numbers; anything else (even a numeric property string) is unknown.
    Negate(Box<Expression>),
}

/// Comparison operators (`<>` is represented as `NOT =`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// Literal values, typed as Java types them.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`
    Null,
    /// `TRUE` / `FALSE`
    Bool(bool),
    /// Integer literal that fits in an `int` (Java `Integer`).
    Int(i32),
    /// Integer literal outside `int` range (Java `Long`).
    Long(i64),
    /// Floating point literal (Java `Double`).
    Double(f64),
    /// `'string'`
    Str(String),
}

impl Expression {
    /// Parses a selector as Java's `SelectorParser.parse` does, including its checks
    /// (`a > 'x'`, `a = NULL`, `a BETWEEN 10 AND 1`, `TRUE = 1`, a non-boolean top level, ...).
    ///
    /// Like Java, tokens after a complete expression are ignored (`a = 1 b` parses as `a = 1`);
    /// only the token right after it must be lexically valid.
    pub fn parse(text: &str) -> Result<Expression, ParseError> {
        parser::Parser::new(text).parse()
    }

    /// True if the message whose properties `lookup` returns matches (Java: the evaluation
    /// returned `Boolean.TRUE`; unknown and evaluation errors are no match). Never panics.
    pub fn evaluate<'a, F>(&self, lookup: &F) -> bool
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        matches!(self.evaluate_detailed(lookup), Ok(Some(true)))
    }

    /// Three-valued result: `Ok(None)` is SQL unknown, `Err` is what Java would throw (the broker
    /// logs it and does not deliver the message).
    pub fn evaluate_detailed<'a, F>(&self, lookup: &F) -> Result<Option<bool>, EvalError>
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        match eval::eval(self, lookup)? {
            eval::Value::Null => Ok(None),
            eval::Value::Bool(b) => Ok(Some(b)),
            _ => Err(EvalError::NotBoolean),
        }
    }

    /// Whether Java types this node as a `BooleanExpression` (usable with AND/OR/NOT, not usable
    /// with `<`, `>`, ...). `TRUE`, `FALSE` and `NULL` literals are boolean constants.
    pub fn is_boolean(&self) -> bool {
        match self {
            Expression::Or(_)
            | Expression::And(_)
            | Expression::Not(_)
            | Expression::Compare { .. }
            | Expression::IsNull(_)
            | Expression::Between { .. }
            | Expression::In { .. }
            | Expression::BooleanCast(_) => true,
            Expression::Literal(l) => matches!(l, Literal::Null | Literal::Bool(_)),
            Expression::Property(_) | Expression::Negate(_) => false,
        }
    }
}
