//! The two header serializations: JSON (type 0) and RocketMQ binary (type 1).
//!
//! Decoding is lenient where real clients are sloppy: `extFields` values may be JSON numbers or
//! booleans (ali-ons, C++ clients), `serializeTypeCurrentRPC` may be missing, unknown keys and
//! trailing whitespace are ignored. Encoding is what the strictest reader (the Go client) needs:
//! compact JSON, `extFields` values always strings.

use std::fmt::Write as _;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::code::LanguageCode;
use crate::command::{ExtFields, RemotingCommand, SerializeType};
use crate::frame::FrameError;

/// The header fields of a command, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderFields {
    /// Code.
    pub code: i32,
    /// Language.
    pub language: LanguageCode,
    /// Version ordinal.
    pub version: i32,
    /// Opaque.
    pub opaque: i32,
    /// Flag.
    pub flag: i32,
    /// Remark.
    pub remark: Option<String>,
    /// Custom header.
    pub ext_fields: ExtFields,
}

impl HeaderFields {
    fn into_command(self, serialize_type: SerializeType) -> RemotingCommand {
        RemotingCommand {
            code: self.code,
            language: self.language,
            version: self.version,
            opaque: self.opaque,
            flag: self.flag,
            remark: self.remark,
            ext_fields: self.ext_fields,
            serialize_type,
            ..RemotingCommand::default()
        }
    }
}

/// Decodes a header of `serialize_type` into a command without body.
pub fn decode_header(
    serialize_type: SerializeType,
    bytes: &[u8],
) -> Result<RemotingCommand, FrameError> {
    let fields = match serialize_type {
        SerializeType::Json => decode_json(bytes)?,
        SerializeType::RocketMq => decode_binary(bytes)?,
    };
    Ok(fields.into_command(serialize_type))
}

/// Appends `cmd`'s header in its serialize type to `out`.
pub fn encode_header(cmd: &RemotingCommand, out: &mut Vec<u8>) {
    match cmd.serialize_type {
        SerializeType::Json => encode_json(cmd, out),
        SerializeType::RocketMq => encode_binary(cmd, out),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonHeaderIn {
    #[serde(deserialize_with = "lenient_i32")]
    code: i32,
    #[serde(default, deserialize_with = "lenient_language")]
    language: LanguageCode,
    #[serde(default, deserialize_with = "lenient_i32")]
    version: i32,
    #[serde(default, deserialize_with = "lenient_i32")]
    opaque: i32,
    #[serde(default, deserialize_with = "lenient_i32")]
    flag: i32,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, deserialize_with = "lenient_ext_fields")]
    ext_fields: ExtFields,
}

fn decode_json(bytes: &[u8]) -> Result<HeaderFields, FrameError> {
    let h: JsonHeaderIn =
        serde_json::from_slice(bytes).map_err(|e| FrameError::BadHeader(e.to_string()))?;
    Ok(HeaderFields {
        code: h.code,
        language: h.language,
        version: h.version,
        opaque: h.opaque,
        flag: h.flag,
        remark: h.remark,
        ext_fields: h.ext_fields,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonHeaderOut<'a> {
    code: i32,
    #[serde(
        skip_serializing_if = "ExtFields::is_empty",
        serialize_with = "ext_out"
    )]
    ext_fields: &'a ExtFields,
    flag: i32,
    language: &'static str,
    opaque: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<&'a str>,
    serialize_type_current_r_p_c: &'static str,
    version: i32,
}

fn ext_out<S: serde::Serializer>(f: &&ExtFields, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(f.iter())
}

fn encode_json(cmd: &RemotingCommand, out: &mut Vec<u8>) {
    let h = JsonHeaderOut {
        code: cmd.code,
        ext_fields: &cmd.ext_fields,
        flag: cmd.flag,
        language: cmd.language.name(),
        opaque: cmd.opaque,
        remark: cmd.remark.as_deref(),
        serialize_type_current_r_p_c: "JSON",
        version: cmd.version,
    };
    // Serializing plain strings and integers into a Vec cannot fail.
    if let Err(e) = serde_json::to_writer(&mut *out, &h) {
        unreachable!("JSON header serialization failed: {e}");
    }
}

/// Accepts a JSON integer, or a string holding one.
fn lenient_i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i32;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a 32-bit integer")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
            i32::try_from(v).map_err(|_| E::custom(format!("{v} is out of the 32-bit range")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
            i32::try_from(v).map_err(|_| E::custom(format!("{v} is out of the 32-bit range")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i32, E> {
            v.trim()
                .parse()
                .map_err(|_| E::custom(format!("{v:?} is not an integer")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<i32, E> {
            Ok(0)
        }
    }
    d.deserialize_any(V)
}

/// Accepts a language name or its numeric code.
fn lenient_language<'de, D: Deserializer<'de>>(d: D) -> Result<LanguageCode, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = LanguageCode;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a language name or code")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<LanguageCode, E> {
            Ok(LanguageCode::from_name(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<LanguageCode, E> {
            Ok(u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_code))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<LanguageCode, E> {
            Ok(u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_code))
        }
        fn visit_unit<E: de::Error>(self) -> Result<LanguageCode, E> {
            Ok(LanguageCode::Other)
        }
    }
    d.deserialize_any(V)
}

/// Accepts `extFields` whose values are strings, numbers, booleans or null (null = absent).
fn lenient_ext_fields<'de, D: Deserializer<'de>>(d: D) -> Result<ExtFields, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = ExtFields;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of scalar values")
        }
        fn visit_unit<E: de::Error>(self) -> Result<ExtFields, E> {
            Ok(ExtFields::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtFields, A::Error> {
            let mut f = ExtFields::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                let text = match v {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => b.to_string(),
                    serde_json::Value::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                f.insert(k, text);
            }
            Ok(f)
        }
    }
    d.deserialize_any(V)
}

// ---------------------------------------------------------------------------------------------
// ROCKETMQ binary

/// A bounds-checked big-endian reader over a header.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        match end.and_then(|e| self.bytes.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(FrameError::BadHeader(format!(
                "binary header truncated reading {what}: need {n} bytes at offset {}, have {}",
                self.pos,
                self.bytes.len().saturating_sub(self.pos)
            ))),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], FrameError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn i16(&mut self, what: &'static str) -> Result<i16, FrameError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    fn i32(&mut self, what: &'static str) -> Result<i32, FrameError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    fn len(&mut self, n: i64, what: &'static str) -> Result<usize, FrameError> {
        usize::try_from(n).map_err(|_| FrameError::BadHeader(format!("negative {what}: {n}")))
    }

    fn utf8(&mut self, n: usize, what: &'static str) -> Result<String, FrameError> {
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec())
            .map_err(|_| FrameError::BadHeader(format!("{what} is not UTF-8")))
    }
}

fn decode_binary(bytes: &[u8]) -> Result<HeaderFields, FrameError> {
    let mut r = Reader { bytes, pos: 0 };
    let code = i32::from(r.i16("code")?);
    let language = LanguageCode::from_code(r.array::<1>("language")?[0]);
    let version = i32::from(r.i16("version")?);
    let opaque = r.i32("opaque")?;
    let flag = r.i32("flag")?;
    let remark_len = r.i32("remark length")?;
    let remark = match remark_len {
        0 => None,
        n => {
            let n = r.len(i64::from(n), "remark length")?;
            Some(r.utf8(n, "remark")?)
        }
    };
    let ext_len = r.i32("extFields length")?;
    let ext_len = r.len(i64::from(ext_len), "extFields length")?;
    let ext = r.take(ext_len, "extFields")?;
    let mut er = Reader { bytes: ext, pos: 0 };
    let mut ext_fields = ExtFields::new();
    while er.pos < ext.len() {
        let kl = er.i16("extFields key length")?;
        let kl = er.len(i64::from(kl), "extFields key length")?;
        let key = er.utf8(kl, "extFields key")?;
        let vl = er.i32("extFields value length")?;
        let vl = er.len(i64::from(vl), "extFields value length")?;
        let value = er.utf8(vl, "extFields value")?;
        ext_fields.insert(key, value);
    }
    Ok(HeaderFields {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
    })
}

fn encode_binary(cmd: &RemotingCommand, out: &mut Vec<u8>) {
    // Codes above i16 (5.x POP) are JSON-only in RocketMQ; truncation mirrors Java's (short) cast.
    out.extend_from_slice(&(cmd.code as i16).to_be_bytes());
    out.push(cmd.language.code());
    out.extend_from_slice(&(cmd.version as i16).to_be_bytes());
    out.extend_from_slice(&cmd.opaque.to_be_bytes());
    out.extend_from_slice(&cmd.flag.to_be_bytes());
    match &cmd.remark {
        Some(r) if !r.is_empty() => {
            out.extend_from_slice(&len_i32(r.len()).to_be_bytes());
            out.extend_from_slice(r.as_bytes());
        }
        _ => out.extend_from_slice(&0i32.to_be_bytes()),
    }
    let ext_start = out.len();
    out.extend_from_slice(&0i32.to_be_bytes());
    for (k, v) in cmd.ext_fields.iter() {
        out.extend_from_slice(&(len_i32(k.len()) as i16).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&len_i32(v.len()).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    let ext_len = len_i32(out.len() - ext_start - 4);
    if let Some(slot) = out.get_mut(ext_start..ext_start + 4) {
        slot.copy_from_slice(&ext_len.to_be_bytes());
    }
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Renders a header for logs: `code=10 opaque=3 flag=0 ext={a=1, b=2}`.
pub fn describe(cmd: &RemotingCommand) -> String {
    let mut s = format!("code={} opaque={} flag={}", cmd.code, cmd.opaque, cmd.flag);
    if let Some(r) = &cmd.remark {
        let _ = write!(s, " remark={r:?}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_accepts_scalars_and_missing_fields() {
        let raw = br#"{"code":105,"language":"JAVA","version":121,"opaque":7,"flag":0,
            "extFields":{"topic":"T","queueId":3,"unitMode":false,"x":null},"unknown":[1,2]}
        "#;
        let h = decode_json(raw).unwrap();
        assert_eq!(h.code, 105);
        assert_eq!(h.ext_fields.get("topic"), Some("T"));
        assert_eq!(h.ext_fields.get("queueId"), Some("3"));
        assert_eq!(h.ext_fields.get("unitMode"), Some("false"));
        assert_eq!(h.ext_fields.get("x"), None);
    }

    #[test]
    fn json_output_is_compact_with_string_values() {
        let mut c = RemotingCommand::request(105, 1);
        c.ext_fields.insert("topic", "T");
        let mut out = Vec::new();
        encode_json(&c, &mut out);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            r#"{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":409}"#
        );
    }

    #[test]
    fn binary_round_trip() {
        let mut c = RemotingCommand::request(310, -5);
        c.serialize_type = SerializeType::RocketMq;
        c.remark = Some("héllo".into());
        c.ext_fields.insert("a", "x");
        c.ext_fields.insert("b", "");
        let mut out = Vec::new();
        encode_binary(&c, &mut out);
        let h = decode_binary(&out).unwrap();
        assert_eq!(h.code, 310);
        assert_eq!(h.opaque, -5);
        assert_eq!(h.remark.as_deref(), Some("héllo"));
        assert_eq!(h.ext_fields, c.ext_fields);
    }

    #[test]
    fn binary_truncations_are_errors() {
        let mut c = RemotingCommand::request(11, 9);
        c.ext_fields.insert("topic", "TopicTest");
        let mut out = Vec::new();
        encode_binary(&c, &mut out);
        for n in 0..out.len() {
            assert!(decode_binary(&out[..n]).is_err(), "prefix {n} decoded");
        }
    }
}
