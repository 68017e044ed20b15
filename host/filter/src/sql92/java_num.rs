//! Java's `Integer.valueOf`, `Long.valueOf`, `Double.valueOf` and `Boolean.valueOf` on strings,
//! which decide how a property string is coerced when compared with a literal.

/// `Integer.valueOf(s)`: optional sign, ASCII digits, no white space, int32 range.
pub(crate) fn parse_int(s: &str) -> Option<i32> {
    parse_long(s).and_then(|v| i32::try_from(v).ok())
}

/// `Long.valueOf(s)`: optional `+`/`-`, at least one ASCII digit, no white space, int64 range.
///
/// Deviation: Java also accepts non-ASCII Unicode decimal digits (`Character.digit`); we don't.
pub(crate) fn parse_long(s: &str) -> Option<i64> {
    let bytes = s.as_bytes();
    let (neg, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate negatively so that i64::MIN parses, as Java does.
    let mut acc: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if neg { Some(acc) } else { acc.checked_neg() }
}

/// `Double.valueOf(s)`: trims chars <= U+0020, optional sign, `NaN`, `Infinity`, or decimal
/// digits with optional `.` and exponent, optionally followed by one of `fFdD`.
///
/// Deviation: Java also accepts hexadecimal floats (`0x1.8p1`); we treat them as not a number.
pub(crate) fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = match body {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let core = match body.as_bytes().last()? {
                b'f' | b'F' | b'd' | b'D' => &body[..body.len() - 1],
                _ => body,
            };
            if !is_java_decimal(core) {
                return None;
            }
            core.parse::<f64>().ok()?
        }
    };
    Some(if neg { -magnitude } else { magnitude })
}

/// `digits [. digits] [(e|E) [+-] digits]` with at least one mantissa digit.
fn is_java_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// `Boolean.valueOf(s)`: true iff `s` equals "true" ignoring case; never fails.
pub(crate) fn parse_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_like_java() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("+42"), Some(42));
        assert_eq!(parse_int("-2147483648"), Some(i32::MIN));
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_int(" 1"), None);
        assert_eq!(parse_int("1.0"), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775808"), None);
    }

    #[test]
    fn doubles_like_java() {
        assert_eq!(parse_double(" 3.5 "), Some(3.5));
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double("5."), Some(5.0));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("2.5f"), Some(2.5));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("nan"), None);
        assert_eq!(parse_double("1e"), None);
        assert_eq!(parse_double("."), None);
        assert_eq!(parse_double("abc"), None);
        assert_eq!(parse_double(""), None);
    }

    #[test]
    fn booleans_like_java() {
        assert!(parse_bool("TRUE"));
        assert!(parse_bool("true"));
        assert!(!parse_bool("yes"));
        assert!(!parse_bool(" true"));
    }
}
