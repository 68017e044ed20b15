//! Recursive-descent parser mirroring the productions of Java's `SelectorParser.jj`, including
//! the checks Java's expression constructors make while the tree is built.

use std::cmp::Ordering;
use std::collections::VecDeque;

use super::error::{ParseError, ParseErrorKind, Position};
use super::eval::{Value, compare};
use super::lexer::{Lexer, Tok, Token};
use super::{CompareOp, Expression, Literal, MAX_DEPTH, MAX_NESTING};

/// A sub-expression with its tree depth and the position where its text starts.
#[derive(Debug)]
struct Node {
    e: Expression,
    depth: usize,
    pos: Position,
}

/// Parser state: lazy token stream with up to two tokens of look-ahead.
#[derive(Debug)]
pub(crate) struct Parser {
    lexer: Lexer,
    ahead: VecDeque<Token>,
    nesting: usize,
}

fn invalid(pos: Position, msg: impl Into<String>) -> ParseError {
    ParseError {
        pos,
        kind: ParseErrorKind::Invalid(msg.into()),
    }
}

impl Parser {
    pub(crate) fn new(text: &str) -> Self {
        Parser {
            lexer: Lexer::new(text),
            ahead: VecDeque::new(),
            nesting: 0,
        }
    }

    /// `JmsSelector`: an `orExpression` that must be boolean. No end-of-input check (Java has none).
    pub(crate) fn parse(mut self) -> Result<Expression, ParseError> {
        let n = self.or_expr()?;
        Ok(as_boolean(n)?.e)
    }

    fn peek(&mut self, k: usize) -> Result<&Token, ParseError> {
        while self.ahead.len() <= k {
            let t = self.lexer.next_token()?;
            self.ahead.push_back(t);
        }
        Ok(&self.ahead[k])
    }

    fn peek_kind(&mut self, k: usize) -> Result<&Tok, ParseError> {
        Ok(&self.peek(k)?.kind)
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        self.peek(0)?;
        self.ahead
            .pop_front()
            .ok_or_else(|| invalid(Position { line: 1, column: 1 }, "token buffer empty"))
    }

    fn expect(&mut self, want: &Tok, expected: &'static str) -> Result<Token, ParseError> {
        let t = self.next()?;
        if &t.kind == want {
            Ok(t)
        } else {
            Err(unexpected(expected, &t))
        }
    }

    fn or_expr(&mut self) -> Result<Node, ParseError> {
        let mut left = self.and_expr()?;
        while *self.peek_kind(0)? == Tok::Or {
            self.next()?;
            let right = self.and_expr()?;
            left = logic(left, right, true)?;
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Node, ParseError> {
        let mut left = self.equality_expr()?;
        while *self.peek_kind(0)? == Tok::And {
            self.next()?;
            let right = self.equality_expr()?;
            left = logic(left, right, false)?;
        }
        Ok(left)
    }

    fn equality_expr(&mut self) -> Result<Node, ParseError> {
        let mut left = self.comparison_expr()?;
        loop {
            match self.peek_kind(0)? {
                Tok::Eq => {
                    self.next()?;
                    let right = self.comparison_expr()?;
                    left = create_equal(left, right)?;
                }
                Tok::Ne => {
                    self.next()?;
                    let right = self.comparison_expr()?;
                    left = wrap(create_equal(left, right)?, |e| Expression::Not(Box::new(e)))?;
                }
                Tok::Is => {
                    self.next()?;
                    let negated = if *self.peek_kind(0)? == Tok::Null {
                        false
                    } else {
                        self.expect(&Tok::Not, "NOT or NULL after IS")?;
                        true
                    };
                    self.expect(&Tok::Null, "NULL")?;
                    left = wrap(left, |e| Expression::IsNull(Box::new(e)))?;
                    if negated {
                        left = wrap(left, |e| Expression::Not(Box::new(e)))?;
                    }
                }
                _ => return Ok(left),
            }
        }
    }

    fn comparison_expr(&mut self) -> Result<Node, ParseError> {
        let mut left = self.unary_expr()?;
        loop {
            let op = match self.peek_kind(0)? {
                Tok::Gt => CompareOp::Gt,
                Tok::Ge => CompareOp::Ge,
                Tok::Lt => CompareOp::Lt,
                Tok::Le => CompareOp::Le,
                Tok::Between => {
                    self.next()?;
                    left = self.between(left, false)?;
                    continue;
                }
                Tok::In => {
                    self.next()?;
                    left = self.in_list(left, false)?;
                    continue;
                }
                // Java enters this loop on NOT and then insists on BETWEEN or IN.
                Tok::Not => {
                    self.next()?;
                    match self.peek_kind(0)? {
                        Tok::Between => {
                            self.next()?;
                            left = self.between(left, true)?;
                        }
                        Tok::In => {
                            self.next()?;
                            left = self.in_list(left, true)?;
                        }
                        _ => {
                            let found = self.next()?;
                            return Err(unexpected("BETWEEN or IN after NOT", &found));
                        }
                    }
                    continue;
                }
                _ => return Ok(left),
            };
            self.next()?;
            let right = self.unary_expr()?;
            left = create_ordering(op, left, right)?;
        }
    }

    /// After `[NOT] BETWEEN`: `low AND high`.
    fn between(&mut self, value: Node, negated: bool) -> Result<Node, ParseError> {
        let low = self.unary_expr()?;
        self.expect(&Tok::And, "AND in BETWEEN")?;
        let high = self.unary_expr()?;
        if negated {
            // Java createNotBetween: value < low OR value > high, with no bound check.
            let lt = create_ordering(CompareOp::Lt, clone_node(&value), low)?;
            let gt = create_ordering(CompareOp::Gt, value, high)?;
            return logic(lt, gt, true);
        }
        check_between_bounds(&low, &high)?;
        for operand in [&value, &low, &high] {
            check_ordering_operand(operand)?;
        }
        let depth = 1 + value.depth.max(low.depth).max(high.depth);
        node(
            Expression::Between {
                value: Box::new(value.e),
                low: Box::new(low.e),
                high: Box::new(high.e),
            },
            depth,
            value.pos,
        )
    }

    /// After `[NOT] IN`: `( 'a' [, 'b' ...] )`.
    fn in_list(&mut self, left: Node, negated: bool) -> Result<Node, ParseError> {
        self.expect(&Tok::LParen, "'(' after IN")?;
        let mut values = Vec::new();
        loop {
            let t = self.next()?;
            match t.kind {
                Tok::Str(s) => values.push(s),
                _ => return Err(unexpected("a string literal in the IN list", &t)),
            }
            let t = self.next()?;
            match t.kind {
                Tok::Comma => {}
                Tok::RParen => break,
                _ => return Err(unexpected("',' or ')' in the IN list", &t)),
            }
        }
        let Expression::Property(property) = left.e else {
            return Err(invalid(left.pos, "IN needs a property name on its left"));
        };
        node(
            Expression::In {
                property,
                values,
                negated,
            },
            left.depth + 1,
            left.pos,
        )
    }

    fn unary_expr(&mut self) -> Result<Node, ParseError> {
        self.nesting += 1;
        let result = if self.nesting > MAX_NESTING {
            let pos = self.peek(0)?.pos;
            Err(ParseError {
                pos,
                kind: ParseErrorKind::TooDeep(MAX_NESTING),
            })
        } else {
            self.unary_inner()
        };
        self.nesting -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Node, ParseError> {
        match self.peek_kind(0)? {
            Tok::Plus => {
                // Unary plus is dropped: `+x` is `x`, whatever x is (Java).
                self.next()?;
                self.unary_expr()
            }
            Tok::Minus => {
                let t = self.next()?;
                let inner = self.unary_expr()?;
                let depth = inner.depth + 1;
                node(Expression::Negate(Box::new(inner.e)), depth, t.pos)
            }
            Tok::Not => {
                let t = self.next()?;
                let inner = as_boolean(self.unary_expr()?)?;
                let depth = inner.depth + 1;
                node(Expression::Not(Box::new(inner.e)), depth, t.pos)
            }
            _ => self.primary_expr(),
        }
    }

    fn primary_expr(&mut self) -> Result<Node, ParseError> {
        let t = self.next()?;
        let pos = t.pos;
        let lit = |l| node(Expression::Literal(l), 1, pos);
        match t.kind {
            Tok::Str(s) => lit(Literal::Str(s)),
            Tok::Decimal(text) => lit(decimal_literal(&text, pos)?),
            Tok::Float(text) => lit(float_literal(&text, pos)?),
            Tok::True => lit(Literal::Bool(true)),
            Tok::False => lit(Literal::Bool(false)),
            Tok::Null => lit(Literal::Null),
            Tok::Id(name) => node(Expression::Property(name), 1, pos),
            Tok::LParen => {
                let inner = self.or_expr()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(Node { pos, ..inner })
            }
            _ => Err(unexpected(
                "a literal, a property name, '(' , NOT, '+' or '-'",
                &t,
            )),
        }
    }
}

fn unexpected(expected: &'static str, found: &Token) -> ParseError {
    ParseError {
        pos: found.pos,
        kind: ParseErrorKind::Unexpected {
            expected,
            found: found.kind.describe(),
        },
    }
}

fn node(e: Expression, depth: usize, pos: Position) -> Result<Node, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError {
            pos,
            kind: ParseErrorKind::TooDeep(MAX_DEPTH),
        });
    }
    Ok(Node { e, depth, pos })
}

fn wrap(n: Node, f: impl FnOnce(Expression) -> Expression) -> Result<Node, ParseError> {
    node(f(n.e), n.depth + 1, n.pos)
}

fn clone_node(n: &Node) -> Node {
    Node {
        e: n.e.clone(),
        depth: n.depth,
        pos: n.pos,
    }
}

/// Java `asBooleanExpression`: boolean expressions pass, a property becomes a boolean cast,
/// anything else is refused.
fn as_boolean(n: Node) -> Result<Node, ParseError> {
    match n.e {
        e if e.is_boolean() => Ok(Node { e, ..n }),
        Expression::Property(name) => Ok(Node {
            e: Expression::BooleanCast(name),
            ..n
        }),
        _ => Err(invalid(
            n.pos,
            "expression will not result in a boolean value",
        )),
    }
}

/// `left OR right` / `left AND right`, flattening a chain on the left.
fn logic(left: Node, right: Node, or: bool) -> Result<Node, ParseError> {
    let left = as_boolean(left)?;
    let right = as_boolean(right)?;
    let depth = left.depth.max(right.depth + 1);
    let e = match (left.e, or) {
        (Expression::Or(mut v), true) | (Expression::And(mut v), false) => {
            v.push(right.e);
            if or {
                Expression::Or(v)
            } else {
                Expression::And(v)
            }
        }
        (l, true) => Expression::Or(vec![l, right.e]),
        (l, false) => Expression::And(vec![l, right.e]),
    };
    node(e, depth.max(2), left.pos)
}

/// Java `createEqual`: neither side may be the NULL literal; a boolean literal on the left cannot
/// be compared with a non-boolean literal on the right (only that direction is checked, as Java).
fn create_equal(left: Node, right: Node) -> Result<Node, ParseError> {
    for n in [&left, &right] {
        if n.e == Expression::Literal(Literal::Null) {
            return Err(invalid(
                n.pos,
                "NULL cannot be compared with '=' or '<>' (use IS NULL)",
            ));
        }
    }
    if let (Expression::Literal(Literal::Bool(_)), Expression::Literal(r)) = (&left.e, &right.e)
        && !matches!(r, Literal::Bool(_))
    {
        return Err(invalid(
            right.pos,
            "a boolean literal cannot be compared with this literal",
        ));
    }
    compare_node(CompareOp::Eq, left, right)
}

/// Java `checkLessThanOperand`: literals must be numbers; boolean expressions are refused.
fn check_ordering_operand(n: &Node) -> Result<(), ParseError> {
    let ok = match &n.e {
        Expression::Literal(l) => {
            matches!(l, Literal::Int(_) | Literal::Long(_) | Literal::Double(_))
        }
        e => !e.is_boolean(),
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(
            n.pos,
            "value cannot be compared with <, <=, >, >= or BETWEEN",
        ))
    }
}

fn create_ordering(op: CompareOp, left: Node, right: Node) -> Result<Node, ParseError> {
    check_ordering_operand(&left)?;
    check_ordering_operand(&right)?;
    compare_node(op, left, right)
}

fn compare_node(op: CompareOp, left: Node, right: Node) -> Result<Node, ParseError> {
    let depth = 1 + left.depth.max(right.depth);
    let e = Expression::Compare {
        op,
        left: Box::new(left.e),
        right: Box::new(right.e),
    };
    node(e, depth, left.pos)
}

/// Java `createBetween`: when both bounds are literals they may not be NULL and `high >= low`
/// (compared with Java's coercions). Bounds like `-5` are not literals (negation happens at
/// evaluation), so `a BETWEEN 5 AND -5` is accepted, as in Java.
fn check_between_bounds(low: &Node, high: &Node) -> Result<(), ParseError> {
    let (Expression::Literal(l), Expression::Literal(h)) = (&low.e, &high.e) else {
        return Ok(());
    };
    if matches!(l, Literal::Null) || matches!(h, Literal::Null) {
        return Err(invalid(low.pos, "BETWEEN bounds can not be NULL"));
    }
    match compare(&Value::from_literal(h), &Value::from_literal(l)) {
        Ok(Ordering::Less) => Err(invalid(
            low.pos,
            "BETWEEN lower bound is greater than the upper bound",
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(invalid(
            low.pos,
            format!("BETWEEN bounds cannot be compared: {e}"),
        )),
    }
}

/// Java `createFromDecimal`: strip `L`, parse as `long` (out of range is an error), narrow to
/// `int` when it fits.
fn decimal_literal(text: &str, pos: Position) -> Result<Literal, ParseError> {
    let digits = text.trim_end_matches(['l', 'L']);
    let v: i64 = digits.parse().map_err(|_| {
        invalid(
            pos,
            format!("integer literal {text} is out of the long range"),
        )
    })?;
    Ok(i32::try_from(v).map_or(Literal::Long(v), Literal::Int))
}

/// Java `createFloat`: a double in [Double.MIN_VALUE, Double.MAX_VALUE]. Java's lower bound
/// check also refuses `0.0` (and underflow to zero): an odd but faithful rule.
fn float_literal(text: &str, pos: Position) -> Result<Literal, ParseError> {
    let v: f64 = text
        .parse()
        .map_err(|_| invalid(pos, format!("bad float literal {text}")))?;
    if v > f64::MAX {
        return Err(invalid(
            pos,
            format!("{text} is greater than Double.MAX_VALUE"),
        ));
    }
    if v < f64::from_bits(1) {
        return Err(invalid(
            pos,
            format!("{text} is less than Double.MIN_VALUE (Java refuses it)"),
        ));
    }
    Ok(Literal::Double(v))
}
