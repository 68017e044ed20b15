//! Parse and evaluation errors of the SQL92 selector.

use std::fmt;

/// 1-based line and column (in characters) of a token in the selector text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, starting at 1.
    pub line: u32,
    /// Column in characters, starting at 1.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A selector Java's `SelectorParser.parse` would reject (answered with SUBSCRIPTION_PARSE_FAILED).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SQL92 expression at {pos}: {kind}")]
pub struct ParseError {
    /// Where the offending token starts (end of input for a premature end).
    pub pos: Position,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// Column (1-based, in characters) of the offending token.
    pub fn column(&self) -> u32 {
        self.pos.column
    }

    /// Line (1-based) of the offending token.
    pub fn line(&self) -> u32 {
        self.pos.line
    }
}

/// Kinds of parse errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// A token that the grammar does not allow here.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What the grammar allows here.
        expected: &'static str,
        /// The token found instead.
        found: String,
    },
    /// Characters that form no token (unterminated string, stray `!`, ...).
    #[error("{0}")]
    Lexical(String),
    /// Grammatical but refused by Java's expression constructors (`a > 'x'`, `a = NULL`,
    /// `BETWEEN 10 AND 1`, literal out of range, ...).
    #[error("{0}")]
    Invalid(String),
    /// Nested deeper than [`super::MAX_NESTING`] or [`super::MAX_DEPTH`] (wasmq limits; the
    /// value is the limit that was hit).
    #[error("expression nested deeper than {0} levels")]
    TooDeep(usize),
}

/// Why evaluating a selector failed on one message. Java throws in these cases and the broker
/// logs and treats the message as not matching; [`super::Expression::evaluate`] returns `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A property value could not be parsed as the number type it was compared with
    /// (Java `NumberFormatException`), e.g. `a = 5` with `a=5.0` (Integer.valueOf fails).
    #[error("property value is not a valid {0}")]
    NotANumber(&'static str),
    /// `<`, `<=`, `>`, `>=` between two strings that are not both numbers.
    #[error("cannot order two strings that are not numbers")]
    StringOrdering,
    /// A boolean on the left compared with a string on the right (Java's `__compare` casts the
    /// Boolean to String and throws ClassCastException), e.g. `TRUE = a`.
    #[error("cannot compare a boolean with a string")]
    BooleanWithString,
    /// A logical operator received a non-boolean operand (Java ClassCastException).
    #[error("operand is not a boolean")]
    NotBoolean,
}
