//! "Send a test message": one message to a writable queue of the topic's route, sent by the
//! admin library as producer group `wasmq_admin_producer`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use wasmq_admin::message::SendResult;

use crate::AppState;
use crate::api::required;
use crate::error::{ApiError, ApiResult};

/// The form.
#[derive(Debug, Deserialize)]
pub struct SendForm {
    topic: Option<String>,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    keys: String,
    #[serde(default)]
    body: String,
}

/// `POST /api/send {topic, tags, keys, body}`.
pub async fn send(
    State(s): State<Arc<AppState>>,
    Json(f): Json<SendForm>,
) -> ApiResult<SendResult> {
    let topic = required(f.topic, "topic")?;
    if f.body.is_empty() {
        return Err(ApiError::invalid("give a body"));
    }
    let tags = Some(f.tags.trim()).filter(|t| !t.is_empty());
    let keys = Some(f.keys.trim()).filter(|k| !k.is_empty());
    let r = s
        .admin
        .send_message(&topic, tags, keys, f.body.as_bytes())
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    Ok(Json(r))
}
