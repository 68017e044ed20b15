//! The message search: by key (`queryMsgByKey`, topic + key) and by id (`queryMsgById`: an offset
//! message id, or a client message id with its topic). Answers carry the decoded messages with
//! their bodies (UTF-8 text, else base64).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use wasmq_admin::message::Message;

use crate::AppState;
use crate::api::required;
use crate::error::{ApiError, ApiResult};

/// `?topic=&key=`.
#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    topic: Option<String>,
    key: Option<String>,
}

/// `?id=&topic=`.
#[derive(Debug, Deserialize)]
pub struct IdQuery {
    id: Option<String>,
    topic: Option<String>,
}

/// Both searches' answer.
#[derive(Debug, Serialize)]
pub struct Messages {
    /// Found messages, oldest first.
    pub messages: Vec<Message>,
}

/// `GET /api/messages/by-key?topic=T&key=K`.
pub async fn by_key(
    State(s): State<Arc<AppState>>,
    Query(q): Query<KeyQuery>,
) -> ApiResult<Messages> {
    let topic = required(q.topic, "topic")?;
    let key = required(q.key, "key")?;
    let messages = s
        .admin
        .query_msg_by_key(&topic, &key)
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    Ok(Json(Messages { messages }))
}

/// `GET /api/messages/by-id?id=ID[&topic=T]`.
pub async fn by_id(
    State(s): State<Arc<AppState>>,
    Query(q): Query<IdQuery>,
) -> ApiResult<Messages> {
    let id = required(q.id, "message id")?;
    let topic = q
        .topic
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let m = s
        .admin
        .query_msg_by_id(&id, topic.as_deref())
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    Ok(Json(Messages { messages: vec![m] }))
}
