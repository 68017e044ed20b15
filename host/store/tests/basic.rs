//! Append/read behaviour of `MessageStore`: queues, statuses, files, index, flush modes, poison.

mod common;

use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use wasmq_protocol::message::{decode_record, flags, tags_hash_code};
use wasmq_store::{FlushDiskType, GetMessageStatus, MessageStore, PutStatus, StoreError};

fn all(_: i64) -> bool {
    true
}

fn wait_dispatched(s: &MessageStore) {
    wait_until(Duration::from_secs(10), "dispatch", || {
        s.dispatched_phy_offset() == s.max_phy_offset()
    });
}

#[test]
fn put_get_across_files_and_queues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::AsyncFlush)).expect("open");
    let mut expected = Vec::new();
    for n in 0..400u64 {
        let q = (n % 2) as i32;
        let r = block_on(s.put_message(msg("T", q, n, 300 + (n as usize % 700)))).expect("put");
        assert_eq!(r.status, PutStatus::PutOk);
        assert_eq!(r.queue_offset, (n / 2) as i64);
        assert_eq!(r.msg_num, 1);
        expected.push((q, r.wrote_offset, n));
    }
    assert!(s.max_phy_offset() > 3 * 64 * 1024, "spans several files");
    wait_dispatched(&s);
    assert_eq!(s.max_offset_in_queue("T", 0), 200);
    assert_eq!(s.max_offset_in_queue("T", 1), 200);
    assert_eq!(s.max_offset_in_queue("T", 2), 0);
    for q in 0..2 {
        let mut off = 0;
        let mut seen = 0;
        while off < 200 {
            let r = s.get_messages("T", q, off, 32, &all);
            assert_eq!(r.status, GetMessageStatus::Found);
            assert!(r.messages.len() <= 32);
            for (b, qo) in r.messages.iter().zip(&r.message_queue_offsets) {
                let (rec, _) = decode_record(b, true).expect("valid record");
                assert_eq!(rec.queue_offset, *qo);
                assert_eq!(rec.queue_id, q);
                let n = rec.flag as u64;
                assert_eq!(rec.body, body(n, 300 + (n as usize % 700)));
                assert_eq!(
                    s.look_message_by_offset(rec.physical_offset).as_ref(),
                    Some(b)
                );
                seen += 1;
            }
            off = r.next_begin_offset;
        }
        assert_eq!(seen, 200);
    }
    for (q, phy, n) in expected.iter().take(5) {
        assert_eq!(
            s.commit_log_offset_in_queue("T", *q, (*n / 2) as i64),
            Some(*phy)
        );
    }
}

#[test]
fn get_statuses_follow_java() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::AsyncFlush)).expect("open");
    assert_eq!(
        s.get_messages("T", 0, 0, 32, &all).status,
        GetMessageStatus::NoMatchedLogicQueue
    );
    for n in 0..10 {
        block_on(s.put_message(msg("T", 0, n, 100))).expect("put");
    }
    wait_dispatched(&s);
    let r = s.get_messages("T", 0, 10, 32, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowOne, 10)
    );
    let r = s.get_messages("T", 0, 11, 32, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowBadly, 0)
    );
    let r = s.get_messages("T", 0, 3, 4, &all);
    assert_eq!(
        (r.status, r.messages.len(), r.next_begin_offset),
        (GetMessageStatus::Found, 4, 7)
    );
    assert_eq!((r.min_offset, r.max_offset), (0, 10));
    let tag1 = tags_hash_code("tag1");
    let only1 = move |c: i64| c == tag1;
    let r = s.get_messages("T", 0, 0, 32, &only1);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(r.message_queue_offsets, vec![1, 4, 7]);
    assert_eq!(r.next_begin_offset, 10);
    let none = |_: i64| false;
    let r = s.get_messages("T", 0, 0, 32, &none);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::NoMatchedMessage, 10)
    );
}

#[test]
fn batches_prepared_transactions_and_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::SyncFlush)).expect("open");
    let arrivals = Arc::new(AtomicI64::new(0));
    let a2 = Arc::clone(&arrivals);
    s.set_arrival_listener(Box::new(move |t, q, max, _| {
        assert_eq!((t, q), ("B", 3));
        a2.store(max, Ordering::SeqCst);
    }));
    let r = block_on(s.put_messages(batch("B", 3, 0, 20, 200))).expect("batch");
    assert_eq!(
        (r.status, r.msg_num, r.queue_offset),
        (PutStatus::PutOk, 20, 0)
    );
    assert_eq!(r.record_offsets.len(), 20);
    let mut half = msg("B", 3, 100, 50);
    half.sys_flag = flags::TRANSACTION_PREPARED_TYPE;
    let h = block_on(s.put_message(half)).expect("half");
    assert_eq!(h.queue_offset, 0);
    let r2 = block_on(s.put_messages(batch("B", 3, 20, 5, 200))).expect("batch 2");
    assert_eq!(r2.queue_offset, 20, "prepared records take no queue offset");
    wait_dispatched(&s);
    assert_eq!(s.max_offset_in_queue("B", 3), 25);
    wait_until(Duration::from_secs(5), "arrival listener", || {
        arrivals.load(Ordering::SeqCst) == 25
    });
    let q = s.query_message("B", "key7", 10, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1);
    let (rec, _) = decode_record(&q.messages[0], true).expect("record");
    assert_eq!(rec.flag, 7);
    let q = s.query_message("B", "UNIQ00000100", 10, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1, "prepared messages are indexed");
    assert_eq!(
        s.query_message("B", "nokey", 10, 0, i64::MAX)
            .messages
            .len(),
        0
    );
    assert!(q.index_last_update_phyoffset > 0);
}

#[test]
fn oversize_and_bad_input_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::AsyncFlush)).expect("open");
    let err = block_on(s.put_message(msg("T", 0, 0, 40 * 1024))).expect_err("too large");
    assert!(matches!(err, StoreError::MessageTooLarge { .. }), "{err}");
    let mut m = msg("T", 0, 0, 10);
    m.topic = "x".repeat(128);
    assert!(matches!(
        block_on(s.put_message(m)),
        Err(StoreError::TopicTooLong { len: 128 })
    ));
    let mut m = msg("T", 0, 0, 10);
    m.properties = "a".repeat(40_000);
    assert!(matches!(
        block_on(s.put_message(m)),
        Err(StoreError::PropertiesTooLong { .. })
    ));
    let mut b = batch("T", 0, 0, 1, 10);
    b.items.clear();
    assert!(matches!(
        block_on(s.put_messages(b)),
        Err(StoreError::EmptyBatch)
    ));
    assert_eq!(s.runtime_stats().put_message_failed_times, 4);
    s.shutdown();
    assert!(matches!(
        block_on(s.put_message(msg("T", 0, 0, 10))),
        Err(StoreError::ServiceNotAvailable(_))
    ));
}

#[test]
fn failed_flush_poisons_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::SyncFlush)).expect("open");
    block_on(s.put_message(msg("T", 0, 0, 10))).expect("first put");
    s.inject_flush_failure("simulated EIO");
    let r = block_on(s.put_message(msg("T", 0, 1, 10)));
    let r = match r {
        Err(e) => Err(e),
        // The injected failure may hit the flush after this put was already durable.
        Ok(_) => block_on(s.put_message(msg("T", 0, 2, 10))),
    };
    assert!(matches!(r, Err(StoreError::Poisoned { .. })), "{r:?}");
    let later = block_on(s.put_message(msg("T", 0, 3, 10)));
    match later {
        Err(StoreError::Poisoned { cause }) => assert!(cause.contains("simulated EIO"), "{cause}"),
        other => panic!("expected Poisoned, got {other:?}"),
    }
    assert!(s.runtime_stats().poisoned);
    s.shutdown();
    assert!(
        dir.path().join("abort").exists(),
        "a poisoned store leaves abort for recovery"
    );
}

#[test]
fn reopen_keeps_everything_and_times_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = small_config(dir.path(), FlushDiskType::AsyncFlush);
    let (phy, cq) = {
        let s = MessageStore::open(cfg.clone()).expect("open");
        for n in 0..300 {
            block_on(s.put_message(msg("T", 0, n, 500))).expect("put");
        }
        wait_dispatched(&s);
        let phy = s.max_phy_offset();
        let cq = s.consume_queue_bytes("T", 0).expect("cq");
        s.shutdown();
        (phy, cq)
    };
    assert!(!dir.path().join("abort").exists());
    let s = MessageStore::open(cfg).expect("reopen");
    assert_eq!(s.recovery_mode(), wasmq_store::RecoveryMode::Normal);
    assert_eq!(s.max_phy_offset(), phy);
    assert_eq!(s.consume_queue_bytes("T", 0), Some(cq));
    assert_eq!(s.max_offset_in_queue("T", 0), 300);
    let r = block_on(s.put_message(msg("T", 0, 300, 10))).expect("put after reopen");
    assert_eq!(r.queue_offset, 300);
    let t0 = s.earliest_message_time("T", 0).expect("earliest");
    assert_eq!(s.message_store_time("T", 0, 0), Some(t0));
    assert_eq!(s.offset_by_timestamp("T", 0, 0), 0);
    wait_dispatched(&s);
    assert_eq!(s.offset_by_timestamp("T", 0, i64::MAX), 300);
    let t = s.message_store_time("T", 0, 150).expect("time");
    let o = s.offset_by_timestamp("T", 0, t);
    assert_eq!(s.message_store_time("T", 0, o), Some(t));
    assert!(o <= 150);
}

#[test]
fn second_open_of_the_same_directory_is_refused_until_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = small_config(dir.path(), FlushDiskType::AsyncFlush);
    let s = MessageStore::open(cfg.clone()).expect("open");
    match MessageStore::open(cfg.clone()) {
        Err(StoreError::ServiceNotAvailable(m)) => assert!(m.contains("lock"), "{m}"),
        other => panic!("expected a lock error, got {other:?}"),
    }
    s.shutdown();
    let again = MessageStore::open(cfg).expect("open after shutdown");
    drop(again);
}

#[test]
fn ipv6_hosts_and_no_wait_puts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::SyncFlush)).expect("open");
    let mut m = msg("T", 0, 1, 64);
    m.born_host = "[2001:db8::1]:4000".parse().expect("v6");
    m.store_host = "[2001:db8::2]:10911".parse().expect("v6");
    m.wait_store_ok = false;
    let r = block_on(s.put_message(m)).expect("put");
    assert_eq!(r.status, PutStatus::PutOk);
    let b = s.look_message_by_offset(r.wrote_offset).expect("record");
    let (rec, _) = decode_record(&b, true).expect("decode");
    assert_eq!(rec.store_host, "[2001:db8::2]:10911".parse().expect("v6"));
    assert_eq!(
        rec.sys_flag & (flags::BORNHOST_V6_FLAG | flags::STOREHOST_V6_FLAG),
        0x30
    );
    let id = wasmq_protocol::message::offset_msg_id(rec.store_host, rec.physical_offset);
    assert_eq!(id.len(), 56);
    wait_until(Duration::from_secs(10), "flush", || {
        s.runtime_stats().commit_log_flushed_offset == s.max_phy_offset()
    });
}

#[test]
fn sync_flush_past_the_timeout_reports_flush_disk_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = small_config(dir.path(), FlushDiskType::SyncFlush);
    cfg.sync_flush_timeout_ms = 0;
    let s = MessageStore::open(cfg).expect("open");
    let r = block_on(s.put_message(msg("T", 0, 0, 64))).expect("put");
    assert_eq!(r.status, PutStatus::FlushDiskTimeout);
    assert!(
        s.look_message_by_offset(r.wrote_offset).is_some(),
        "the message is stored anyway"
    );
}

#[test]
fn sync_flush_answers_only_durable_writes_and_shares_flushes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::SyncFlush)).expect("open");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let writers = 32u64;
    let per = 20u64;
    rt.block_on(async {
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let s = Arc::clone(&s);
                rt.spawn(async move {
                    for i in 0..per {
                        let r = s
                            .put_message(msg("G", (w % 4) as i32, w * per + i, 512))
                            .await
                            .expect("put");
                        assert_eq!(r.status, PutStatus::PutOk);
                        let end = r.wrote_offset + i64::from(r.wrote_bytes);
                        let flushed = s.runtime_stats().commit_log_flushed_offset;
                        assert!(
                            flushed >= end,
                            "answered before durable: flushed {flushed} < {end}"
                        );
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    let st = s.runtime_stats();
    eprintln!(
        "{} flushes for {} puts",
        st.commit_log_flush_count,
        writers * per
    );
    assert_eq!(st.put_message_times_total, writers * per);
    assert!(
        st.commit_log_flush_count < writers * per / 2,
        "group commit shares flushes: {} flushes for {} puts",
        st.commit_log_flush_count,
        writers * per
    );
}

#[test]
fn delete_topics_drops_queues_and_restarts_offsets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::AsyncFlush)).expect("open");
    for n in 0..5 {
        block_on(s.put_message(msg("D", 1, n, 32))).expect("put");
    }
    wait_dispatched(&s);
    assert_eq!(s.max_offset_in_queue("D", 1), 5);
    assert!(dir.path().join("consumequeue/D/1").exists());
    s.delete_topics(&["D".to_string()]);
    assert_eq!(s.max_offset_in_queue("D", 1), 0);
    assert_eq!(
        s.get_messages("D", 1, 0, 32, &all).status,
        GetMessageStatus::NoMatchedLogicQueue
    );
    assert!(!dir.path().join("consumequeue/D").exists());
    let r = block_on(s.put_message(msg("D", 1, 9, 32))).expect("put after delete");
    assert_eq!(r.queue_offset, 0);
    wait_dispatched(&s);
    assert_eq!(s.max_offset_in_queue("D", 1), 1);
}
