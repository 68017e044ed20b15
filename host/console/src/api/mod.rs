//! The JSON API under `/api/`, one module per page. Every answer is JSON; failures are
//! [`ApiError`](crate::error::ApiError)s (`{"error": sentence, "kind": ...}`).

pub mod cluster;
pub mod groups;
pub mod messages;
pub mod plugins;
pub mod send;
pub mod topics;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::ApiError;

/// The API's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/info", get(cluster::info))
        .route("/health", get(cluster::health))
        .route("/cluster", get(cluster::cluster))
        .route("/throughput", get(cluster::throughput))
        .route("/topics", get(topics::list))
        .route("/topic", get(topics::detail))
        .route("/groups", get(groups::list))
        .route("/group", get(groups::detail))
        .route("/messages/by-key", get(messages::by_key))
        .route("/messages/by-id", get(messages::by_id))
        .route("/send", post(send::send))
        .route("/plugins", get(plugins::list))
        .route("/plugins/toggle", post(plugins::toggle))
        .fallback(|| async { ApiError::not_found("no such API endpoint") })
}

/// A required, non-blank query parameter.
pub(crate) fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("give a {name}")))
}
