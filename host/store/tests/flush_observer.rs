//! The flush observer (metrics' flush latency) hears every successful SYNC_FLUSH msync.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{block_on, msg, small_config};
use wasmq_store::{FlushDiskType, MessageStore, PutStatus};

#[test]
fn every_durable_put_is_covered_by_an_observed_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = MessageStore::open(small_config(dir.path(), FlushDiskType::SyncFlush)).expect("open");
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    assert!(s.set_flush_observer(Box::new(move |_took| {
        counter.fetch_add(1, Ordering::Relaxed);
    })));
    assert!(
        !s.set_flush_observer(Box::new(|_| {})),
        "a second observer is refused"
    );
    let before = s.runtime_stats().commit_log_flush_count;
    for n in 0..5 {
        let r = block_on(s.put_message(msg("T", 0, n, 100))).expect("put");
        assert_eq!(r.status, PutStatus::PutOk);
    }
    // Each SYNC_FLUSH put returned only after a flush covering it: at least one flush ran, and
    // the observer heard exactly the flushes the store counted.
    let flushes = s.runtime_stats().commit_log_flush_count - before;
    assert!(flushes >= 1);
    assert_eq!(seen.load(Ordering::Relaxed), flushes);
    s.shutdown();
}
