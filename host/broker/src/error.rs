//! Broker errors, and the one place where store errors become RocketMQ response codes.

use std::path::PathBuf;

use wasmq_protocol::ResponseCode;
use wasmq_store::StoreError;

/// Java's remark for code 14 (`SendMessageProcessor`/`DefaultMessageStore`).
pub const SERVICE_NOT_AVAILABLE_REMARK: &str = "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.";

/// A request refused with a response code and a remark (kept small on the error path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Response code.
    pub code: ResponseCode,
    /// Remark naming the problem.
    pub remark: String,
}

impl Refusal {
    /// A refusal.
    pub fn new(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self {
            code,
            remark: remark.into(),
        }
    }
}

impl From<Refusal> for wasmq_protocol::RemotingCommand {
    fn from(r: Refusal) -> Self {
        wasmq_protocol::RemotingCommand::error(r.code, r.remark)
    }
}

/// Why the broker could not start or persist its state.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// A config value is unusable.
    #[error("bad broker config {key} = {value:?}: {reason}")]
    BadConfig {
        /// The broker.conf key.
        key: &'static str,
        /// Its value.
        value: String,
        /// What is accepted.
        reason: String,
    },
    /// A config file could not be parsed or encoded.
    #[error("config file {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// File I/O failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The response code and remark a send (or any write) answers a store error with.
pub fn store_error_response(e: &StoreError) -> (ResponseCode, String) {
    match e {
        StoreError::Poisoned { .. } | StoreError::ServiceNotAvailable(_) => (
            ResponseCode::ServiceNotAvailable,
            SERVICE_NOT_AVAILABLE_REMARK.to_owned(),
        ),
        StoreError::MessageTooLarge { .. }
        | StoreError::PropertiesTooLong { .. }
        | StoreError::TopicTooLong { .. }
        | StoreError::EmptyBatch => (ResponseCode::MessageIllegal, e.to_string()),
        StoreError::Corrupt { .. } | StoreError::Io { .. } => {
            (ResponseCode::SystemError, e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_full_is_14_with_java_remark() {
        let (code, remark) =
            store_error_response(&StoreError::ServiceNotAvailable("disk full".into()));
        assert_eq!(code, ResponseCode::ServiceNotAvailable);
        assert!(remark.starts_with("service not available now."), "{remark}");
        assert!(remark.contains("disk is full"));
        let (code, _) = store_error_response(&StoreError::Poisoned { cause: "x".into() });
        assert_eq!(code, ResponseCode::ServiceNotAvailable);
        let (code, _) = store_error_response(&StoreError::MessageTooLarge { size: 9, max: 1 });
        assert_eq!(code, ResponseCode::MessageIllegal);
    }
}
