//! [`RemotingCommand`]: one decoded frame, request or response, and its custom header fields.

use bytes::Bytes;

use crate::code::{CURRENT_VERSION, LanguageCode, ResponseCode};
use crate::header::{CommandHeader, HeaderError};

/// Flag bit 0: the frame is a response.
pub const FLAG_RESPONSE: i32 = 1;
/// Flag bit 1: the request is oneway; it is never answered, not even with an error.
pub const FLAG_ONEWAY: i32 = 2;

/// How the header is serialized; a response always mirrors its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SerializeType {
    /// Type byte 0: a JSON object.
    #[default]
    Json,
    /// Type byte 1: RocketMQ's binary layout (`RocketMQSerializable`).
    RocketMq,
}

impl SerializeType {
    /// The type byte carried in the top byte of the header mark.
    pub fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }
}

/// `extFields`: the custom header, logically a `map<string, string>`.
///
/// Kept as a small vector in insertion order: headers have a handful of fields, a linear search
/// beats hashing at that size, and the encoded order is deterministic (golden-byte tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtFields(Vec<(String, String)>);

impl ExtFields {
    /// An empty field set.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// Iterates `(key, value)` pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut f = ExtFields::new();
        for (k, v) in iter {
            f.insert(k, v);
        }
        f
    }
}

/// One remoting frame: a request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotingCommand {
    /// Request code, or response code when [`Self::is_response`].
    pub code: i32,
    /// The sender's language.
    pub language: LanguageCode,
    /// The sender's version ordinal.
    pub version: i32,
    /// Request id, echoed in the response.
    pub opaque: i32,
    /// Bit 0 response, bit 1 oneway.
    pub flag: i32,
    /// Error text, or none.
    pub remark: Option<String>,
    /// The custom header.
    pub ext_fields: ExtFields,
    /// The body (requests, most responses).
    pub body: Bytes,
    /// Further body parts sent after `body` without copying them together (pull and query
    /// responses hand out slices of the mapped commit log this way). Decoding never fills it.
    pub body_chunks: Vec<Bytes>,
    /// How the header was or will be serialized.
    pub serialize_type: SerializeType,
}

impl Default for RemotingCommand {
    fn default() -> Self {
        Self {
            code: 0,
            language: LanguageCode::Java,
            version: CURRENT_VERSION,
            opaque: 0,
            flag: 0,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            body_chunks: Vec::new(),
            serialize_type: SerializeType::Json,
        }
    }
}

impl RemotingCommand {
    /// A new request with `code` and the given opaque.
    pub fn request(code: impl Into<i32>, opaque: i32) -> Self {
        Self {
            code: code.into(),
            opaque,
            ..Self::default()
        }
    }

    /// A new request carrying a typed header.
    pub fn request_with_header<H: CommandHeader>(code: impl Into<i32>, opaque: i32, h: &H) -> Self {
        let mut c = Self::request(code, opaque);
        h.encode(&mut c.ext_fields);
        c
    }

    /// A response with `code` and `remark`; [`Self::answering`] fills in opaque and serialize type.
    pub fn response(code: ResponseCode, remark: impl Into<Option<String>>) -> Self {
        Self {
            code: code.as_i32(),
            flag: FLAG_RESPONSE,
            remark: remark.into(),
            ..Self::default()
        }
    }

    /// A `SUCCESS` response without header or body.
    pub fn success() -> Self {
        Self::response(ResponseCode::Success, None)
    }

    /// An error response with a remark naming the problem.
    pub fn error(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self::response(code, Some(remark.into()))
    }

    /// Makes this the response to `request`: same opaque, same serialize type, response flag.
    pub fn answering(mut self, request: &RemotingCommand) -> Self {
        self.opaque = request.opaque;
        self.serialize_type = request.serialize_type;
        self.flag |= FLAG_RESPONSE;
        self.version = CURRENT_VERSION;
        self.language = LanguageCode::Java;
        self
    }

    /// Adds a typed header's fields.
    pub fn with_header<H: CommandHeader>(mut self, h: &H) -> Self {
        h.encode(&mut self.ext_fields);
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a remark.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Decodes the custom header as `H`.
    pub fn decode_header<H: CommandHeader>(&self) -> Result<H, HeaderError> {
        H::decode(&self.ext_fields)
    }

    /// True for responses.
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// True for oneway requests.
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// Marks the request oneway.
    pub fn set_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }

    /// The response code, if this is a response with a known code.
    pub fn response_code(&self) -> Option<ResponseCode> {
        ResponseCode::from_i32(self.code)
    }

    /// Total body length including chunks.
    pub fn body_len(&self) -> usize {
        self.body.len() + self.body_chunks.iter().map(Bytes::len).sum::<usize>()
    }
}

impl From<crate::RequestCode> for i32 {
    fn from(c: crate::RequestCode) -> i32 {
        c.as_i32()
    }
}

impl From<ResponseCode> for i32 {
    fn from(c: ResponseCode) -> i32 {
        c.as_i32()
    }
}
