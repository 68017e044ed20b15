//! LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42): ordered-consumption queue locks (Java
//! `AdminBrokerProcessor.lockBatchMQ`), 60 s lifetime, renewed by re-locking.

use std::time::Instant;

use wasmq_protocol::body::broker::{LockBatchRequestBody, LockBatchResponseBody};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;
use crate::error::Refusal;

fn parse(body: &[u8]) -> Result<LockBatchRequestBody, Refusal> {
    serde_json::from_slice(body).map_err(|e| {
        Refusal::new(
            ResponseCode::SystemError,
            format!("malformed lock batch body: {e}"),
        )
    })
}

/// LOCK_BATCH_MQ (41): answers the queues the client now holds.
pub fn lock(b: &Broker, req: Request<NoHeader>) -> RemotingCommand {
    let body = match parse(&req.body) {
        Ok(v) => v,
        Err(r) => return r.into(),
    };
    let held = b.locks.lock_batch(
        &body.consumer_group,
        &body.client_id,
        &body.mq_set,
        Instant::now(),
    );
    let resp = LockBatchResponseBody {
        lock_ok_mq_set: held.into_iter().collect(),
    };
    match serde_json::to_vec(&resp) {
        Ok(json) => RemotingCommand::success().with_body(json),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// UNLOCK_BATCH_MQ (42).
pub fn unlock(b: &Broker, req: Request<NoHeader>) -> RemotingCommand {
    let body = match parse(&req.body) {
        Ok(v) => v,
        Err(r) => return r.into(),
    };
    b.locks
        .unlock_batch(&body.consumer_group, &body.client_id, &body.mq_set);
    RemotingCommand::success()
}
