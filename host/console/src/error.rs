//! [`ApiError`]: why an API call failed, as an HTTP status, a kind the page acts on, and a sentence
//! an operator understands (never a bare exception).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wasmq_admin::AdminError;

/// A failed API call; the body is `{"error": sentence, "kind": kind}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// `unreachable` (the page shows it in the banner), `notFound`, `invalid` or `remote`.
    kind: &'static str,
    message: String,
}

impl ApiError {
    /// A request the console cannot act on (missing or malformed input).
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid",
            message: message.into(),
        }
    }

    /// Nothing matched.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "notFound",
            message: message.into(),
        }
    }

    /// An admin failure, worded by who could not be reached: the nameserver (any address of the
    /// list `namesrv`) or a broker it named.
    pub fn from_admin(e: AdminError, namesrv: &str) -> Self {
        let role = |addr: &str| {
            if namesrv.split(';').map(str::trim).any(|a| a == addr) {
                "the nameserver"
            } else {
                "the broker"
            }
        };
        let unreachable = |addr: &str, why: String| ApiError {
            status: StatusCode::BAD_GATEWAY,
            kind: "unreachable",
            message: format!("cannot reach {} at {addr}: {why}", role(addr)),
        };
        match e {
            AdminError::NoNamesrv => ApiError {
                status: StatusCode::BAD_GATEWAY,
                kind: "unreachable",
                message: "no nameserver address given; start the console with -n host:port or NAMESRV_ADDR".into(),
            },
            AdminError::ConnectionRefused { addr } => {
                unreachable(&addr, "connection refused".into())
            }
            AdminError::Connect { addr, cause } if !addr.contains(':') => {
                unreachable(&addr, format!("{cause} (expected host:port)"))
            }
            AdminError::Connect { addr, cause } => unreachable(&addr, cause),
            AdminError::Timeout {
                addr,
                request,
                millis,
            } => unreachable(&addr, format!("no answer to {request} within {millis} ms")),
            AdminError::Closed { addr, request } => unreachable(
                &addr,
                format!("the connection closed before it answered {request}"),
            ),
            e @ (AdminError::NoRoute { .. }
            | AdminError::NoSuchGroup { .. }
            | AdminError::NoSuchCluster { .. }
            | AdminError::NoSuchBroker { .. }
            | AdminError::NotFound(_)) => ApiError::not_found(e.to_string()),
            AdminError::Invalid(m) => ApiError::invalid(m),
            e => ApiError {
                status: StatusCode::BAD_GATEWAY,
                kind: "remote",
                message: e.to_string(),
            },
        }
    }

    /// [`from_admin`](Self::from_admin) for a borrowed error (the wording only).
    pub fn from_admin_ref(e: &AdminError, namesrv: &str) -> Self {
        let owned = match e {
            AdminError::NoNamesrv => AdminError::NoNamesrv,
            AdminError::ConnectionRefused { addr } => {
                AdminError::ConnectionRefused { addr: addr.clone() }
            }
            AdminError::Connect { addr, cause } => AdminError::Connect {
                addr: addr.clone(),
                cause: cause.clone(),
            },
            AdminError::Timeout {
                addr,
                request,
                millis,
            } => AdminError::Timeout {
                addr: addr.clone(),
                request,
                millis: *millis,
            },
            AdminError::Closed { addr, request } => AdminError::Closed {
                addr: addr.clone(),
                request,
            },
            other => AdminError::Invalid(other.to_string()),
        };
        Self::from_admin(owned, namesrv)
    }

    /// The sentence shown to the operator.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The kind the page acts on.
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message, "kind": self.kind });
        (self.status, Json(body)).into_response()
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<Json<T>, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_nameserver_is_named_as_such() {
        let e = AdminError::ConnectionRefused {
            addr: "127.0.0.1:1".into(),
        };
        let a = ApiError::from_admin(e, "127.0.0.1:1");
        assert_eq!(
            a.message(),
            "cannot reach the nameserver at 127.0.0.1:1: connection refused"
        );
        assert_eq!(a.kind(), "unreachable");
    }

    #[test]
    fn an_address_without_a_port_says_what_is_expected() {
        let e = AdminError::Connect {
            addr: "localhost".into(),
            cause: "invalid socket address".into(),
        };
        let a = ApiError::from_admin(e, "localhost");
        assert_eq!(
            a.message(),
            "cannot reach the nameserver at localhost: invalid socket address (expected host:port)"
        );
    }

    #[test]
    fn a_refused_broker_is_named_as_a_broker() {
        let e = AdminError::ConnectionRefused {
            addr: "10.0.0.2:10911".into(),
        };
        let a = ApiError::from_admin(e, "127.0.0.1:9876;127.0.0.1:9877");
        assert_eq!(
            a.message(),
            "cannot reach the broker at 10.0.0.2:10911: connection refused"
        );
    }
}
