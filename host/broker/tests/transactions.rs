//! Transactional messages: half messages hidden until committed, rollback, and the checker asking
//! the producer with CHECK_TRANSACTION_STATE.

mod common;

use std::sync::Arc;

use common::*;
use parking_lot::Mutex;
use wasmq_protocol::header::broker::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader,
};
use wasmq_protocol::message::{decode_offset_msg_id, keys, property};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::{Connection, Dispatch, RemotingClient, Service};

const HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";

fn half(body: &str) -> RemotingCommand {
    let mut c = send_v2(
        "Tx",
        0,
        &[("TRAN_MSG", "true"), ("PGROUP", "PG"), ("UNIQ_KEY", body)],
        body,
    );
    c.ext_fields.insert("f", "4");
    c
}

fn end(resp: &RemotingCommand, commit_or_rollback: i32) -> RemotingCommand {
    let (_, commit_log_offset) = decode_offset_msg_id(ext(resp, "msgId")).unwrap();
    end_at(
        ext(resp, "queueOffset").parse().unwrap(),
        commit_log_offset,
        commit_or_rollback,
    )
}

fn end_at(table_offset: i64, commit_log_offset: i64, commit_or_rollback: i32) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::EndTransaction,
        0,
        &EndTransactionRequestHeader {
            producer_group: "PG".into(),
            tran_state_table_offset: table_offset,
            commit_log_offset,
            commit_or_rollback,
            from_transaction_check: Some(false),
            msg_id: None,
            transaction_id: None,
        },
    )
}

#[tokio::test]
async fn commit_shows_the_message_and_rollback_drops_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let first = b.call(half("kept")).await;
    assert_eq!(first.code, 0, "{first:?}");
    let second = b.call(half("dropped")).await;
    assert_eq!(second.code, 0);
    wait_dispatched(&b, HALF, 0, 2).await;
    let p = b.call(pull("CG", "Tx", 0, 0, Some("*"), None)).await;
    assert_eq!(
        p.code,
        ResponseCode::PullNotFound.as_i32(),
        "half messages are hidden"
    );

    let wrong_group = {
        let mut c = end(&first, 8);
        c.ext_fields.insert("producerGroup", "Other");
        b.call(c).await
    };
    assert_eq!(wrong_group.code, 1);
    let mut commit = end(&first, 8);
    commit.set_oneway();
    b.client.invoke_oneway(&b.addr, commit).await.unwrap();
    wait_dispatched(&b, "Tx", 0, 1).await;
    let r = b.call(end(&second, 12)).await;
    assert_eq!(r.code, 0, "{r:?}");
    let recs = records(&b.call(pull("CG", "Tx", 0, 0, Some("*"), None)).await);
    assert_eq!(recs.len(), 1);
    assert_eq!(&recs[0].body[..], b"kept");
    assert_eq!(recs[0].sys_flag & 0xC, 0x8, "committed sysFlag");
    assert_eq!(property(&recs[0].properties, keys::TRAN_MSG), None);
    assert_eq!(property(&recs[0].properties, keys::REAL_TOPIC), None);
    assert_eq!(property(&recs[0].properties, keys::UNIQ_KEY), Some("kept"));
    // Both halves have op records; a repeated commit changes nothing.
    wait_dispatched(&b, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0, 2).await;
    assert_eq!(b.call(end(&first, 8)).await.code, 0);
    assert_eq!(b.handle.broker().store.max_offset_in_queue("Tx", 0), 1);
    b.stop().await;
}

/// A producer that answers CHECK_TRANSACTION_STATE with a commit.
struct Producer {
    checks: Mutex<Vec<CheckTransactionStateRequestHeader>>,
}

impl Service for Producer {
    fn call(&self, conn: &Connection, request: RemotingCommand) -> Dispatch {
        if request.code == RequestCode::CheckTransactionState.as_i32() {
            let h: CheckTransactionStateRequestHeader = request.decode_header().unwrap();
            let body = wasmq_protocol::message::RecordIter::new(request.body.clone(), true)
                .next()
                .unwrap()
                .unwrap();
            assert_eq!(body.topic, "Tx", "the check shows the real topic");
            let mut end = end_at(h.tran_state_table_offset, h.commit_log_offset, 8);
            end.ext_fields.insert("fromTransactionCheck", "true");
            conn.oneway(end).unwrap();
            self.checks.lock().push(h);
        }
        Dispatch::Ready(None)
    }
}

#[tokio::test]
async fn unresolved_half_is_checked_with_its_producer() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.transaction_time_out = 0;
    c.transaction_check_interval = 100;
    let b = TestBroker::start_with(c, dir.path()).await;
    let producer = Arc::new(Producer {
        checks: Mutex::new(Vec::new()),
    });
    let client = RemotingClient::with_service(producer.clone());
    let hb = client
        .invoke(&b.addr, heartbeat("10.0.0.9@9", "CG", "Tx", "*"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(hb.code, 0);
    let r = client
        .invoke(&b.addr, half("checked"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    wait_dispatched(&b, "Tx", 0, 1).await;
    let recs = records(&b.call(pull("CG", "Tx", 0, 0, Some("*"), None)).await);
    assert_eq!(&recs[0].body[..], b"checked");
    let checks = producer.checks.lock().len();
    assert!(checks >= 1);
    // Resolved: further passes do not ask again.
    for _ in 0..3 {
        wasmq_broker::transactions::check_once(b.handle.broker()).await;
    }
    assert_eq!(
        producer.checks.lock().len(),
        checks,
        "a resolved half is not checked again"
    );
    assert_eq!(b.handle.broker().store.max_offset_in_queue("Tx", 0), 1);
    client.close_all().await;
    b.stop().await;
}
