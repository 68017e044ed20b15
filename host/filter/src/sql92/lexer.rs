//! Lazy tokenizer for the SQL92 selector, following the token rules of Java's `SelectorParser.jj`.
//!
//! Like JavaCC, tokens are produced on demand: the parser only lexes as far as it looks ahead, so
//! an invalid character after a complete expression is reported only if the parser peeks at it.

use super::error::{ParseError, ParseErrorKind, Position};

/// One token with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) pos: Position,
}

/// Token kinds of the grammar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    /// `0 | [1-9][0-9]*[lL]?`, raw text.
    Decimal(String),
    /// Floating point literal, raw text.
    Float(String),
    /// String literal, already unescaped (`''` -> `'`).
    Str(String),
    /// Identifier (property name), as written.
    Id(String),
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Eof,
}

impl Tok {
    /// How the token is named in error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Not => "NOT".into(),
            Tok::And => "AND".into(),
            Tok::Or => "OR".into(),
            Tok::Between => "BETWEEN".into(),
            Tok::In => "IN".into(),
            Tok::True => "TRUE".into(),
            Tok::False => "FALSE".into(),
            Tok::Null => "NULL".into(),
            Tok::Is => "IS".into(),
            Tok::Decimal(t) | Tok::Float(t) => format!("number {t}"),
            Tok::Str(s) => format!("string '{}'", s.replace('\'', "''")),
            Tok::Id(s) => format!("identifier {s}"),
            Tok::Eq => "'='".into(),
            Tok::Ne => "'<>'".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::Eof => "end of input".into(),
        }
    }
}

/// Character cursor with line/column tracking.
#[derive(Debug)]
pub(crate) struct Lexer {
    chars: Vec<char>,
    idx: usize,
    pos: Position,
}

fn is_id_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_id_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

impl Lexer {
    pub(crate) fn new(src: &str) -> Self {
        Lexer {
            chars: src.chars().collect(),
            idx: 0,
            pos: Position { line: 1, column: 1 },
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn bump(&mut self) {
        if let Some(c) = self.at(self.idx) {
            self.idx += 1;
            // "\r\n" counts as one line break, like JavaCC's SimpleCharStream.
            if c == '\n' || (c == '\r' && self.at(self.idx) != Some('\n')) {
                self.pos.line += 1;
                self.pos.column = 1;
            } else if c != '\r' {
                self.pos.column += 1;
            }
        }
    }

    fn bump_n(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    fn error(&self, pos: Position, kind: ParseErrorKind) -> ParseError {
        ParseError { pos, kind }
    }

    /// Skips white space and comments (`-- ...` up to a line break, `/* ... */`).
    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match self.at(self.idx) {
                Some(' ' | '\t' | '\n' | '\r' | '\u{c}') => self.bump(),
                Some('-') if self.at(self.idx + 1) == Some('-') => {
                    // Java's LINE_COMMENT needs a terminating line break; without one the two
                    // dashes are two minus tokens (and the selector most likely fails to parse).
                    let rest = &self.chars[self.idx + 2..];
                    match rest.iter().position(|&c| c == '\n' || c == '\r') {
                        Some(n) => {
                            let crlf = rest[n] == '\r' && rest.get(n + 1) == Some(&'\n');
                            self.bump_n(2 + n + 1 + usize::from(crlf));
                        }
                        None => return Ok(()),
                    }
                }
                Some('/') if self.at(self.idx + 1) == Some('*') => {
                    let start = self.pos;
                    let rest = &self.chars[self.idx + 2..];
                    let end = rest.windows(2).position(|w| w == ['*', '/']);
                    match end {
                        Some(n) => self.bump_n(2 + n + 2),
                        None => {
                            return Err(self.error(
                                start,
                                ParseErrorKind::Lexical("unterminated /* comment".into()),
                            ));
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Length of the longest match of `[0-9]+` at `i`.
    fn digits(&self, i: usize) -> usize {
        self.chars[i.min(self.chars.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    }

    /// Length of `[eE][+-]?[0-9]+` at `i`, or 0.
    fn exponent(&self, i: usize) -> usize {
        if !matches!(self.at(i), Some('e' | 'E')) {
            return 0;
        }
        let sign = usize::from(matches!(self.at(i + 1), Some('+' | '-')));
        let d = self.digits(i + 1 + sign);
        if d == 0 { 0 } else { 1 + sign + d }
    }

    /// Longest FLOATING_POINT_LITERAL at the cursor (0 if none).
    fn float_len(&self) -> usize {
        let i = self.idx;
        let int = self.digits(i);
        let mut best = 0;
        if int > 0 {
            if self.at(i + int) == Some('.') {
                let frac = self.digits(i + int + 1);
                let end = i + int + 1 + frac;
                best = best.max(int + 1 + frac + self.exponent(end));
            }
            let e = self.exponent(i + int);
            if e > 0 {
                best = best.max(int + e);
            }
        } else if self.at(i) == Some('.') {
            let frac = self.digits(i + 1);
            if frac > 0 {
                best = 1 + frac + self.exponent(i + 1 + frac);
            }
        }
        best
    }

    /// Longest DECIMAL_LITERAL at the cursor (0 if none): `0 | [1-9][0-9]*[lL]?`.
    fn decimal_len(&self) -> usize {
        match self.at(self.idx) {
            Some('0') => 1,
            Some('1'..='9') => {
                let d = self.digits(self.idx);
                d + usize::from(matches!(self.at(self.idx + d), Some('l' | 'L')))
            }
            _ => 0,
        }
    }

    fn text(&self, len: usize) -> String {
        self.chars[self.idx..self.idx + len].iter().collect()
    }

    /// Produces the next token (or [`Tok::Eof`]).
    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_trivia()?;
        let pos = self.pos;
        let Some(c) = self.at(self.idx) else {
            return Ok(Token {
                kind: Tok::Eof,
                pos,
            });
        };
        let (kind, len) = match c {
            '0'..='9' | '.' => {
                let (f, d) = (self.float_len(), self.decimal_len());
                if f == 0 && d == 0 {
                    return Err(
                        self.error(pos, ParseErrorKind::Lexical("'.' without digits".into()))
                    );
                }
                if f > d {
                    (Tok::Float(self.text(f)), f)
                } else {
                    (Tok::Decimal(self.text(d)), d)
                }
            }
            '\'' => return self.string(pos),
            c if is_id_start(c) => {
                let len = self.chars[self.idx..]
                    .iter()
                    .take_while(|&&c| is_id_part(c))
                    .count();
                let word = self.text(len);
                (keyword(&word).unwrap_or(Tok::Id(word)), len)
            }
            '=' => (Tok::Eq, 1),
            '<' => match self.at(self.idx + 1) {
                Some('>') => (Tok::Ne, 2),
                Some('=') => (Tok::Le, 2),
                _ => (Tok::Lt, 1),
            },
            '>' => match self.at(self.idx + 1) {
                Some('=') => (Tok::Ge, 2),
                _ => (Tok::Gt, 1),
            },
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            other => {
                return Err(self.error(
                    pos,
                    ParseErrorKind::Lexical(format!("unexpected character {other:?}")),
                ));
            }
        };
        self.bump_n(len);
        Ok(Token { kind, pos })
    }

    /// `'` ( `''` | any but `'` )* `'`
    fn string(&mut self, pos: Position) -> Result<Token, ParseError> {
        let mut value = String::new();
        let mut i = self.idx + 1;
        loop {
            match self.at(i) {
                None => {
                    return Err(self.error(
                        pos,
                        ParseErrorKind::Lexical("unterminated string literal".into()),
                    ));
                }
                Some('\'') if self.at(i + 1) == Some('\'') => {
                    value.push('\'');
                    i += 2;
                }
                Some('\'') => {
                    i += 1;
                    break;
                }
                Some(c) => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        self.bump_n(i - self.idx);
        Ok(Token {
            kind: Tok::Str(value),
            pos,
        })
    }
}

/// Reserved words, matched case-insensitively on the whole identifier.
fn keyword(word: &str) -> Option<Tok> {
    const WORDS: [(&str, Tok); 9] = [
        ("NOT", Tok::Not),
        ("AND", Tok::And),
        ("OR", Tok::Or),
        ("BETWEEN", Tok::Between),
        ("IN", Tok::In),
        ("TRUE", Tok::True),
        ("FALSE", Tok::False),
        ("NULL", Tok::Null),
        ("IS", Tok::Is),
    ];
    WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(word))
        .map(|(_, t)| t.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Result<Vec<Tok>, ParseError> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token()?;
            if t.kind == Tok::Eof {
                return Ok(out);
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn numbers_follow_javacc_longest_match() {
        assert_eq!(kinds("10L").unwrap(), vec![Tok::Decimal("10L".into())]);
        assert_eq!(
            kinds("0L").unwrap(),
            vec![Tok::Decimal("0".into()), Tok::Id("L".into())]
        );
        assert_eq!(
            kinds("007").unwrap(),
            vec![
                Tok::Decimal("0".into()),
                Tok::Decimal("0".into()),
                Tok::Decimal("7".into())
            ]
        );
        assert_eq!(kinds("007.5").unwrap(), vec![Tok::Float("007.5".into())]);
        assert_eq!(kinds("5.").unwrap(), vec![Tok::Float("5.".into())]);
        assert_eq!(kinds(".5e-3").unwrap(), vec![Tok::Float(".5e-3".into())]);
        assert_eq!(
            kinds("10E").unwrap(),
            vec![Tok::Decimal("10".into()), Tok::Id("E".into())]
        );
        assert!(kinds(".").is_err());
    }

    #[test]
    fn keywords_identifiers_strings_and_comments() {
        assert_eq!(
            kinds("nOt NOTE is_null $a1 'it''s' /* x */ <> <= >= -- c\n-").unwrap(),
            vec![
                Tok::Not,
                Tok::Id("NOTE".into()),
                Tok::Id("is_null".into()),
                Tok::Id("$a1".into()),
                Tok::Str("it's".into()),
                Tok::Ne,
                Tok::Le,
                Tok::Ge,
                Tok::Minus,
            ]
        );
        // no '.' in identifiers (4.9.x grammar); a line comment needs a line break
        assert!(kinds("a.b").is_err());
        assert_eq!(kinds("-- x").unwrap()[..2], [Tok::Minus, Tok::Minus]);
        assert!(kinds("'open").is_err());
        assert!(kinds("/* open").is_err());
    }
}
