//! END_TRANSACTION (37): commit or roll back a half message (Java `EndTransactionProcessor`).

use std::sync::Arc;

use wasmq_protocol::header::broker::EndTransactionRequestHeader;
use wasmq_protocol::message::flags::{TRANSACTION_COMMIT_TYPE, TRANSACTION_ROLLBACK_TYPE};
use wasmq_protocol::message::keys;
use wasmq_protocol::message::record::RecordView;
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;
use crate::error::store_error_response;
use crate::requeue::{Props, message_from_record};
use crate::transactions::write_op;

/// END_TRANSACTION (37), usually oneway.
#[tracing::instrument(level = "debug", skip_all, fields(group = %req.header.producer_group,
    offset = req.header.tran_state_table_offset))]
pub async fn end_transaction(
    b: Arc<Broker>,
    req: Request<EndTransactionRequestHeader>,
) -> RemotingCommand {
    let h = req.header;
    let err = RemotingCommand::error;
    if b.is_slave() {
        return err(
            ResponseCode::SlaveNotAvailable,
            "Can't commit or rollback message on slave",
        );
    }
    let commit = match h.commit_or_rollback {
        TRANSACTION_COMMIT_TYPE => true,
        TRANSACTION_ROLLBACK_TYPE => false,
        // Unknown state: nothing to do; the checker asks again later.
        _ => return RemotingCommand::success(),
    };
    let Some(bytes) = b.store.look_message_by_offset(h.commit_log_offset) else {
        return err(
            ResponseCode::SystemError,
            "Find prepared transaction message failed",
        );
    };
    let Ok((rec, _)) = RecordView::decode(&bytes, false) else {
        return err(
            ResponseCode::SystemError,
            "Find prepared transaction message failed",
        );
    };
    let mut props = Props::parse(rec.properties);
    if props.get(keys::PGROUP) != Some(h.producer_group.as_str()) {
        return err(ResponseCode::SystemError, "The producer group wrong");
    }
    if rec.queue_offset != h.tran_state_table_offset {
        return err(
            ResponseCode::SystemError,
            "The transaction state table offset wrong",
        );
    }
    if rec.physical_offset != h.commit_log_offset {
        return err(ResponseCode::SystemError, "The commit log offset wrong");
    }
    if b.transactions.is_resolved(rec.queue_offset) {
        return RemotingCommand::success();
    }
    if commit {
        let Some(topic) = props.get(keys::REAL_TOPIC).map(str::to_owned) else {
            return err(
                ResponseCode::SystemError,
                "The half message has no REAL_TOPIC",
            );
        };
        let queue_id = props
            .get(keys::REAL_QID)
            .and_then(|q| q.parse().ok())
            .unwrap_or(0);
        for k in [keys::REAL_TOPIC, keys::REAL_QID, keys::TRAN_MSG] {
            props.remove(k);
        }
        let mut msg = message_from_record(&b, &rec, &bytes, topic, queue_id, &props);
        msg.sys_flag = (rec.sys_flag & !TRANSACTION_ROLLBACK_TYPE) | TRANSACTION_COMMIT_TYPE;
        msg.prepared_transaction_offset = h.commit_log_offset;
        if let Err(e) = b.store.put_message(msg).await {
            let (code, remark) = store_error_response(&e);
            return RemotingCommand::error(code, remark);
        }
    }
    match write_op(&b, rec.queue_offset).await {
        Ok(()) => RemotingCommand::success(),
        Err(e) => {
            let (code, remark) = store_error_response(&e);
            RemotingCommand::error(code, remark)
        }
    }
}
