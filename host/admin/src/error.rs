//! [`AdminError`]: why an admin call failed, worded so that the operator sees the cause.

use wasmq_remoting::ClientError;

/// Why an admin call failed. Every message names the address, topic or group involved.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// `-n` was empty.
    #[error("no nameserver address given; use -n host:port or NAMESRV_ADDR")]
    NoNamesrv,
    /// Nothing listens at the address (ECONNREFUSED).
    #[error("connection refused to {addr}")]
    ConnectionRefused {
        /// The address as given.
        addr: String,
    },
    /// Any other connect failure (unreachable host, bad address, connect timeout).
    #[error("cannot connect to {addr}: {cause}")]
    Connect {
        /// The address as given.
        addr: String,
        /// The socket error.
        cause: String,
    },
    /// No answer within the deadline.
    #[error("timeout: no answer from {addr} to {request} within {millis} ms")]
    Timeout {
        /// The remote address.
        addr: String,
        /// The request's name.
        request: &'static str,
        /// The deadline.
        millis: u64,
    },
    /// The connection closed before the answer came.
    #[error("connection to {addr} closed before it answered {request}")]
    Closed {
        /// The remote address.
        addr: String,
        /// The request's name.
        request: &'static str,
    },
    /// The nameserver knows no route for the topic.
    #[error("no route for topic {topic} (nameserver {namesrv})")]
    NoRoute {
        /// The topic.
        topic: String,
        /// The nameserver list asked.
        namesrv: String,
    },
    /// The consumer group is unknown to the cluster (or has nothing to show).
    #[error("no such consumer group {group}: {detail}")]
    NoSuchGroup {
        /// The group.
        group: String,
        /// What was found missing.
        detail: String,
    },
    /// The cluster name is not in the nameserver's cluster table.
    #[error("no such cluster {cluster} (nameserver {namesrv})")]
    NoSuchCluster {
        /// The cluster.
        cluster: String,
        /// The nameserver list asked.
        namesrv: String,
    },
    /// The broker name is not in the topic's route.
    #[error("no broker named {broker} serves topic {topic}")]
    NoSuchBroker {
        /// The broker name.
        broker: String,
        /// The topic.
        topic: String,
    },
    /// The server answered with a non-success code.
    #[error("{addr} answered {request} with {code} {remark}")]
    Remote {
        /// The server's address.
        addr: String,
        /// The request's name.
        request: &'static str,
        /// The response code.
        code: i32,
        /// The remark (or `(no remark)`).
        remark: String,
    },
    /// No message matched.
    #[error("message not found: {0}")]
    NotFound(String),
    /// The answer does not have the form expected.
    #[error("{addr} answered {request} with a body that does not parse: {detail}")]
    BadAnswer {
        /// The server's address.
        addr: String,
        /// The request's name.
        request: &'static str,
        /// The parse error.
        detail: String,
    },
    /// The caller's input is not usable (message id, timestamp, flags).
    #[error("{0}")]
    Invalid(String),
}

impl AdminError {
    /// Maps a transport error of a call to `addr` for `request`.
    pub(crate) fn transport(e: ClientError, request: &'static str) -> Self {
        match e {
            ClientError::Connect { addr, cause } => {
                if cause.kind() == std::io::ErrorKind::ConnectionRefused {
                    AdminError::ConnectionRefused { addr }
                } else {
                    AdminError::Connect {
                        addr,
                        cause: cause.to_string(),
                    }
                }
            }
            ClientError::Closed(addr) => AdminError::Closed { addr, request },
            ClientError::Timeout { addr, millis } => AdminError::Timeout {
                addr,
                request,
                millis,
            },
        }
    }

    /// The response code when the server answered with an error.
    pub fn remote_code(&self) -> Option<i32> {
        match self {
            AdminError::Remote { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Result of an admin call.
pub type Result<T> = std::result::Result<T, AdminError>;
