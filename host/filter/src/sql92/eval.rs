//! Evaluation of a parsed selector over message properties, with Java's value model
//! (`ComparisonExpression.__compare` coercions, three-valued logic, exceptions as errors).

use std::cmp::Ordering;

use super::error::EvalError;
use super::java_num::{parse_bool, parse_double, parse_int, parse_long};
use super::{CompareOp, Expression, Literal};

/// A runtime value: what Java's `Expression.evaluate` returns (null, Boolean, Integer, Long,
/// Double or String). Property values are always strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'v> {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(&'v str),
}

impl<'v> Value<'v> {
    pub(crate) fn from_literal(l: &'v Literal) -> Self {
        match l {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Long(i) => Value::Long(*i),
            Literal::Double(d) => Value::Double(*d),
            Literal::Str(s) => Value::Str(s),
        }
    }
}

/// Java `Double.compare`: -0.0 < 0.0, NaN equal to itself and greater than everything.
fn java_double_cmp(a: f64, b: f64) -> Ordering {
    if a < b {
        return Ordering::Less;
    }
    if a > b {
        return Ordering::Greater;
    }
    let bits = |d: f64| {
        if d.is_nan() {
            0x7ff8_0000_0000_0000_i64
        } else {
            d.to_bits() as i64
        }
    };
    bits(a).cmp(&bits(b))
}

/// Java `ComparisonExpression.__compare` with `convertStringExpressions = true` (always set by
/// `SelectorParser.parse`). Values of different types are converted towards the other side;
/// pairs it does not know return -1 (`Less`), which makes `=` false. Nulls never reach it.
pub(crate) fn compare(l: &Value<'_>, r: &Value<'_>) -> Result<Ordering, EvalError> {
    use Value::*;
    let int = |s: &str| parse_int(s).ok_or(EvalError::NotANumber("int"));
    let long = |s: &str| parse_long(s).ok_or(EvalError::NotANumber("long"));
    let double = |s: &str| parse_double(s).ok_or(EvalError::NotANumber("double"));
    Ok(match (*l, *r) {
        (Bool(a), Bool(b)) => a.cmp(&b),
        (Int(a), Int(b)) => a.cmp(&b),
        (Long(a), Long(b)) => a.cmp(&b),
        (Double(a), Double(b)) => java_double_cmp(a, b),
        // String.compareTo: UTF-16 code unit order.
        (Str(a), Str(b)) => {
            if a == b {
                Ordering::Equal
            } else {
                a.encode_utf16().cmp(b.encode_utf16())
            }
        }
        // Java casts the Boolean to String here and throws ClassCastException.
        (Bool(_), Str(_)) => return Err(EvalError::BooleanWithString),
        (Int(a), Long(b)) => i64::from(a).cmp(&b),
        (Int(a), Double(b)) => java_double_cmp(f64::from(a), b),
        (Int(a), Str(b)) => a.cmp(&int(b)?),
        (Long(a), Int(b)) => a.cmp(&i64::from(b)),
        (Long(a), Double(b)) => java_double_cmp(a as f64, b),
        (Long(a), Str(b)) => a.cmp(&long(b)?),
        (Double(a), Int(b)) => java_double_cmp(a, f64::from(b)),
        (Double(a), Long(b)) => java_double_cmp(a, b as f64),
        (Double(a), Str(b)) => java_double_cmp(a, double(b)?),
        (Str(a), Bool(b)) => parse_bool(a).cmp(&b),
        (Str(a), Int(b)) => int(a)?.cmp(&b),
        (Str(a), Long(b)) => long(a)?.cmp(&b),
        (Str(a), Double(b)) => java_double_cmp(double(a)?, b),
        // Boolean vs number, number vs Boolean: "return -1".
        _ => Ordering::Less,
    })
}

fn as_bool(v: Value<'_>) -> Result<Option<bool>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        _ => Err(EvalError::NotBoolean),
    }
}

fn tri(v: Option<bool>) -> Value<'static> {
    v.map_or(Value::Null, Value::Bool)
}

/// `<`, `<=`, `>`, `>=` on non-null operands: two strings are compared as doubles (Java tries
/// `Double.valueOf` on both and throws if either fails); otherwise `__compare`.
fn ordered(op: CompareOp, l: Value<'_>, r: Value<'_>) -> Result<Option<bool>, EvalError> {
    if l == Value::Null || r == Value::Null {
        return Ok(None);
    }
    let ord = match (l, r) {
        (Value::Str(a), Value::Str(b)) => match (parse_double(a), parse_double(b)) {
            (Some(a), Some(b)) => java_double_cmp(a, b),
            _ => return Err(EvalError::StringOrdering),
        },
        _ => compare(&l, &r)?,
    };
    Ok(Some(match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
    }))
}

/// Evaluates `e`. Recursion depth is bounded by [`super::MAX_DEPTH`] (enforced by the parser).
pub(crate) fn eval<'v, 'a: 'v, F>(e: &'v Expression, lookup: &F) -> Result<Value<'v>, EvalError>
where
    F: Fn(&str) -> Option<&'a str>,
{
    Ok(match e {
        Expression::Or(items) => {
            let mut unknown = false;
            for item in items {
                match as_bool(eval(item, lookup)?)? {
                    Some(true) => return Ok(Value::Bool(true)),
                    Some(false) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                Value::Null
            } else {
                Value::Bool(false)
            }
        }
        Expression::And(items) => {
            let mut unknown = false;
            for item in items {
                match as_bool(eval(item, lookup)?)? {
                    Some(false) => return Ok(Value::Bool(false)),
                    Some(true) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                Value::Null
            } else {
                Value::Bool(true)
            }
        }
        Expression::Not(inner) => tri(as_bool(eval(inner, lookup)?)?.map(|b| !b)),
        Expression::Compare {
            op: CompareOp::Eq,
            left,
            right,
        } => {
            // Java doCreateEqual: both sides are evaluated; null = null is TRUE, null = x is
            // unknown, x = null is FALSE (so `5 <> a` with `a` missing is TRUE).
            let l = eval(left, lookup)?;
            let r = eval(right, lookup)?;
            match (l, r) {
                (Value::Null, Value::Null) => Value::Bool(true),
                (Value::Null, _) => Value::Null,
                (_, Value::Null) => Value::Bool(false),
                _ => Value::Bool(compare(&l, &r)? == Ordering::Equal),
            }
        }
        Expression::Compare { op, left, right } => {
            let l = eval(left, lookup)?;
            if l == Value::Null {
                return Ok(Value::Null);
            }
            tri(ordered(*op, l, eval(right, lookup)?)?)
        }
        Expression::IsNull(inner) => Value::Bool(eval(inner, lookup)? == Value::Null),
        Expression::Between { value, low, high } => {
            // Java: (value >= low) AND (value <= high); value is evaluated once (it is pure).
            let v = eval(value, lookup)?;
            if v == Value::Null {
                return Ok(Value::Null);
            }
            let ge = ordered(CompareOp::Ge, v, eval(low, lookup)?)?;
            if ge == Some(false) {
                return Ok(Value::Bool(false));
            }
            let le = ordered(CompareOp::Le, v, eval(high, lookup)?)?;
            match (ge, le) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            }
        }
        Expression::In {
            property,
            values,
            negated,
        } => match lookup(property) {
            None => Value::Null,
            Some(v) => Value::Bool(values.iter().any(|x| x == v) ^ negated),
        },
        // A property value is a String, never a Boolean, so Java's cast yields FALSE.
        Expression::BooleanCast(name) => lookup(name).map_or(Value::Null, |_| Value::Bool(false)),
        Expression::Property(name) => lookup(name).map_or(Value::Null, Value::Str),
        Expression::Literal(l) => Value::from_literal(l),
        // Java negates Numbers only; a property (string) or boolean yields null.
        Expression::Negate(inner) => match eval(inner, lookup)? {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Long(i) => Value::Long(i.wrapping_neg()),
            Value::Double(d) => Value::Double(-d),
            _ => Value::Null,
        },
    })
}
