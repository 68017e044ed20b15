//! PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102), GET_KVLIST_BY_NAMESPACE
//! (219): the namespaced KV config.

use std::sync::Arc;

use wasmq_protocol::header::namesrv::{
    DeleteKvConfigRequestHeader, GetKvConfigRequestHeader, GetKvConfigResponseHeader,
    GetKvListByNamespaceRequestHeader, PutKvConfigRequestHeader,
};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Writes the table to disk off the I/O threads. Unlike Java (which logs and answers success),
/// a failed write is answered SYSTEM_ERROR: the change is in memory only.
async fn persisted(state: Arc<NamesrvState>) -> RemotingCommand {
    let s = Arc::clone(&state);
    match tokio::task::spawn_blocking(move || s.kv().persist()).await {
        Ok(Ok(())) => RemotingCommand::success(),
        Ok(Err(e)) => {
            tracing::error!(cause = %e, "KV config not persisted");
            RemotingCommand::error(
                ResponseCode::SystemError,
                format!("KV config changed in memory but not persisted: {e}"),
            )
        }
        Err(e) => RemotingCommand::error(
            ResponseCode::SystemError,
            format!("KV config persist task failed: {e}"),
        ),
    }
}

/// PUT_KV_CONFIG.
pub async fn put(
    state: Arc<NamesrvState>,
    req: Request<PutKvConfigRequestHeader>,
) -> RemotingCommand {
    let h = &req.header;
    state.kv().put(&h.namespace, &h.key, &h.value);
    persisted(state).await
}

/// DELETE_KV_CONFIG (deleting a missing key succeeds).
pub async fn delete(
    state: Arc<NamesrvState>,
    req: Request<DeleteKvConfigRequestHeader>,
) -> RemotingCommand {
    let h = &req.header;
    state.kv().delete(&h.namespace, &h.key);
    persisted(state).await
}

/// GET_KV_CONFIG: header `value`, or 22 QUERY_NOT_FOUND.
pub fn get(state: &NamesrvState, req: Request<GetKvConfigRequestHeader>) -> RemotingCommand {
    let h = &req.header;
    match state.kv().get(&h.namespace, &h.key) {
        Some(value) => RemotingCommand::success()
            .with_header(&GetKvConfigResponseHeader { value: Some(value) }),
        None => RemotingCommand::error(
            ResponseCode::QueryNotFound,
            format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
        ),
    }
}

/// GET_KVLIST_BY_NAMESPACE: `{"table":{..}}`, or 22 QUERY_NOT_FOUND when the namespace is empty.
pub fn list(
    state: &NamesrvState,
    req: Request<GetKvListByNamespaceRequestHeader>,
) -> RemotingCommand {
    match state.kv().list(&req.header.namespace) {
        Some(table) => RemotingCommand::success().with_body(super::json(&table)),
        None => RemotingCommand::error(
            ResponseCode::QueryNotFound,
            format!("No config item, Namespace: {}", req.header.namespace),
        ),
    }
}
