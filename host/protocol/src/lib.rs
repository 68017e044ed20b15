//! wasmq-protocol: Apache RocketMQ 4.x's remoting protocol as a pure codec (no I/O, no runtime).
//!
//! ```text
//! frame   := length:i32 | header_mark:i32 | header:[u8; header_len] | body
//! length       = 4 + header_len + body_len          (bytes after the length field)
//! header_mark  = serialize_type << 24 | header_len  (0 = JSON, 1 = ROCKETMQ binary)
//! ```
//!
//! Modules:
//! - [`command`]: [`RemotingCommand`], the decoded frame, and its [`ExtFields`].
//! - [`frame`]: frame encode/decode ("need more bytes" is `Ok(None)`, not an error).
//! - [`codec`]: the two header serializations (JSON, ROCKETMQ binary).
//! - [`code`]: request and response code tables, language codes, version ordinals.
//! - [`header`]: typed custom headers, decoded from `extFields` in exactly one place.
//! - [`body`]: JSON bodies (route data, cluster info, heartbeats, ...).
//! - [`message`]: the stored message format, properties, batches, ids, tag hash codes.
//!
//! Lenient where real clients are sloppy (numbers and booleans in `extFields`, a missing
//! `serializeTypeCurrentRPC`, unknown keys, trailing whitespace) and strict where they are strict
//! (extFields always emitted as JSON strings, compact JSON, a real `version` in every response).
pub mod body;
pub mod code;
pub mod codec;
pub mod command;
pub mod frame;
pub mod header;
pub mod message;

pub use code::{LanguageCode, RequestCode, ResponseCode};
pub use command::{ExtFields, RemotingCommand, SerializeType};
pub use frame::{FrameError, MAX_FRAME_LEN};
pub use header::{CommandHeader, HeaderError};
