//! Clean-up service: deleteWhen hours, reserve time, the active file, readers across deletion,
//! disk watermarks, min offsets after clean-up, per-topic retention, the retention advisor, and
//! (when tmpfs can be mounted) a real full disk. Passes run deterministically via `clean_now`.

mod common;

use bytes::Bytes;
use common::*;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wasmq_protocol::message::decode_record;
use wasmq_store::{
    CleanupEnv, Clock, ExpiringFile, FlushDiskType, GetMessageStatus, ManualClock, ManualDiskUsage,
    MessageStore, RetentionAdvisor, StoreConfig, SystemClock, TopicRetention,
};

const FILE: i64 = 64 * 1024;
const HOUR: u64 = 3_600_000;

fn all(_: i64) -> bool {
    true
}

/// Small files, SYNC_FLUSH (flushed == written when a put returns), no background passes.
fn config(root: &Path) -> StoreConfig {
    StoreConfig {
        delete_when: "04".into(),
        file_reserved_time_hours: 48,
        delete_commit_log_files_interval_ms: 0,
        clean_resource_interval_ms: 3_600_000,
        ..small_config(root, FlushDiskType::SyncFlush)
    }
}

struct Env {
    store: Arc<MessageStore>,
    clock: Arc<ManualClock>,
    disk: Arc<ManualDiskUsage>,
}

fn open(cfg: StoreConfig) -> Env {
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms(), 3));
    let disk = Arc::new(ManualDiskUsage::new(0.5));
    let env = CleanupEnv {
        clock: Arc::clone(&clock) as Arc<dyn Clock>,
        disk: Arc::clone(&disk) as Arc<dyn wasmq_store::DiskUsageProbe>,
    };
    let store = MessageStore::open_with(cfg, env).expect("open");
    Env { store, clock, disk }
}

impl Env {
    /// Clock `hours_ahead` past the real now, at local hour `hour`.
    fn at(&self, hours_ahead: u64, hour: u32) {
        self.clock
            .set_now_ms(SystemClock.now_ms() + hours_ahead * HOUR);
        self.clock.set_hour(hour);
    }

    fn files(&self) -> usize {
        self.store.runtime_stats().commit_log_file_count
    }
}

/// Puts batches of 16 x 1000-byte messages to `topic`/`queue` until the write position is in
/// commit-log file number `file` (0-based); returns (commit-log offset, queue offset) of each.
fn fill_to_file(s: &MessageStore, topic: &str, queue: i32, file: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut n = 0;
    while s.max_phy_offset() < file * FILE {
        let r = block_on(s.put_messages(batch(topic, queue, n, 16, 1000))).expect("put");
        for (i, off) in r.record_offsets.iter().enumerate() {
            out.push((*off, r.queue_offset + i as i64));
        }
        n += 16;
    }
    wait_dispatched(s);
    out
}

fn wait_dispatched(s: &MessageStore) {
    wait_until(Duration::from_secs(10), "dispatch", || {
        s.dispatched_phy_offset() == s.max_phy_offset()
    });
}

fn commit_log_names(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("commitlog"))
        .expect("commitlog dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    v.sort();
    v
}

#[test]
fn expired_files_go_at_the_delete_when_hours_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(StoreConfig {
        delete_when: "04;16".into(),
        ..config(dir.path())
    });
    fill_to_file(&e.store, "T", 0, 3);
    assert_eq!(e.files(), 4);
    e.at(49, 3);
    let r = e.store.clean_now();
    assert!(!r.time_to_delete && !r.space_to_delete && !r.manual);
    assert_eq!(
        (r.commit_log_files_deleted, e.files()),
        (0, 4),
        "not at 03:00"
    );
    e.at(47, 4);
    assert_eq!(
        e.store.clean_now().commit_log_files_deleted,
        0,
        "not expired yet"
    );
    e.at(49, 4);
    let r = e.store.clean_now();
    assert!(r.time_to_delete);
    assert_eq!(
        r.commit_log_files_deleted, 3,
        "yes at 04:00, all but the active file"
    );
    assert_eq!(e.files(), 1);
    assert_eq!(e.store.min_phy_offset(), 3 * FILE);
    assert_eq!(
        commit_log_names(dir.path()).first().map(String::as_str),
        Some("00000000000000196608")
    );
    // The second hour of the list, for files written since.
    fill_to_file(&e.store, "T", 0, 5);
    e.at(49, 15);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 0);
    e.at(49, 16);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 2);
    let st = e.store.runtime_stats();
    assert_eq!(st.commit_log_files_deleted_total, 5);
    assert_eq!(st.commit_log_min_offset, 5 * FILE);
    assert!(st.oldest_message_store_time.is_some());
    // Puts keep working in the active file and beyond.
    fill_to_file(&e.store, "T", 0, 6);
}

#[test]
fn at_most_ten_per_pass_and_manual_trigger_at_any_hour() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(config(dir.path()));
    fill_to_file(&e.store, "T", 0, 12);
    assert_eq!(e.files(), 13);
    e.at(49, 4);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 10);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 2);
    assert_eq!(e.files(), 1);
    // A manual trigger deletes expired files outside deleteWhen, run by the kicked thread.
    fill_to_file(&e.store, "T", 0, 15);
    e.at(49, 3);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 0);
    e.store.delete_expired_files_now();
    // (The thread unlists a file before counting it: wait for both.)
    wait_until(Duration::from_secs(10), "manual pass", || {
        let st = e.store.runtime_stats();
        st.commit_log_file_count == 1 && st.commit_log_files_deleted_total == 15
    });
}

#[test]
fn never_the_active_file_and_readers_keep_deleted_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(config(dir.path()));
    let written = fill_to_file(&e.store, "T", 0, 2);
    let held = e.store.get_messages("T", 0, 0, 32, &all);
    assert_eq!(held.status, GetMessageStatus::Found);
    let held: Vec<Bytes> = held.messages;
    let first_path = dir.path().join("commitlog").join("00000000000000000000");
    assert!(first_path.exists());
    // Forced deletion (disk above the clean-forcibly ratio) ignores age, never the active file.
    e.disk.set(Some(0.88));
    e.at(0, 3);
    let r = e.store.clean_now();
    assert!(r.forced && r.space_to_delete && !r.disk_full);
    assert_eq!(r.commit_log_files_deleted, 2);
    assert_eq!(e.files(), 1);
    assert!(!first_path.exists(), "unlinked");
    for _ in 0..3 {
        assert_eq!(
            e.store.clean_now().commit_log_files_deleted,
            0,
            "the active file stays"
        );
    }
    // The reader's bytes are intact (CRC checked) after the unlink.
    for (i, b) in held.iter().enumerate() {
        let (rec, _) = decode_record(b, true).expect("intact record");
        assert_eq!(rec.queue_offset, i as i64);
        assert_eq!(rec.physical_offset, written[i].0);
        assert_eq!(rec.body, body(rec.flag as u64, 1000));
    }
    assert_eq!(
        e.store.look_message_by_offset(0),
        None,
        "gone for new readers"
    );
    block_on(e.store.put_message(msg("T", 0, 999, 100))).expect("put after clean-up");
}

#[test]
fn watermarks_force_deletion_and_disk_full_refuses_puts_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(config(dir.path()));
    fill_to_file(&e.store, "T", 0, 3);
    e.at(1, 3);
    e.disk.set(Some(0.80));
    let r = e.store.clean_now();
    assert!(r.space_to_delete && !r.forced && !r.time_to_delete);
    assert_eq!(
        r.commit_log_files_deleted, 0,
        "above 75 % only expired files go"
    );
    e.at(49, 3);
    assert_eq!(
        e.store.clean_now().commit_log_files_deleted,
        3,
        "at any hour above 75 %"
    );
    fill_to_file(&e.store, "T", 0, 5);
    e.at(1, 3);
    e.disk.set(Some(0.86));
    let r = e.store.clean_now();
    assert!(r.forced);
    assert_eq!(
        r.commit_log_files_deleted, 2,
        "above 85 % regardless of age"
    );
    e.disk.set(Some(0.93));
    let r = e.store.clean_now();
    assert!(r.disk_full && e.store.is_disk_full());
    let err = block_on(e.store.put_message(msg("T", 0, 1, 100))).expect_err("refused");
    assert!(err.is_disk_full(), "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert!(matches!(
        err,
        wasmq_store::StoreError::ServiceNotAvailable(_)
    ));
    let err = block_on(e.store.put_messages(batch("T", 0, 1, 2, 100))).expect_err("refused");
    assert!(err.is_disk_full(), "{err}");
    let st = e.store.runtime_stats();
    assert!(st.disk_full && !st.poisoned);
    assert_eq!(st.disk_used_ratio, Some(0.93));
    let min = e.store.min_offset_in_queue("T", 0);
    let got = e.store.get_messages("T", 0, min, 8, &all);
    assert_eq!(got.status, GetMessageStatus::Found, "reads keep working");
    e.disk.set(Some(0.89));
    assert!(!e.store.clean_now().disk_full, "cleared at or below 90 %");
    block_on(e.store.put_message(msg("T", 0, 2, 100))).expect("accepted again");
    // An unmeasurable disk reclaims expired files at any hour and never refuses puts.
    e.disk.set(None);
    let r = e.store.clean_now();
    assert!(r.space_to_delete && !r.disk_full && r.disk_used_ratio.is_none());
}

#[test]
fn min_offsets_move_and_pulls_below_answer_offset_too_small() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path());
    let e = open(cfg.clone());
    // An idle queue whose data is all in the first file, then a busy one.
    block_on(e.store.put_message(msg("IDLE", 0, 0, 100))).expect("put");
    let written = fill_to_file(&e.store, "T", 0, 5);
    let cq_dir = dir.path().join("consumequeue").join("T").join("0");
    let cq_files_before = std::fs::read_dir(&cq_dir).expect("cq dir").count();
    let index_before = e.store.runtime_stats().index_file_count;
    assert!(index_before >= 2);
    e.at(49, 4);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 5);
    let min_phy = e.store.min_phy_offset();
    let expected_min = written
        .iter()
        .find(|(phy, _)| *phy >= min_phy)
        .map(|(_, qo)| *qo)
        .expect("messages in the active file");
    assert_eq!(e.store.min_offset_in_queue("T", 0), expected_min);
    let r = e.store.get_messages("T", 0, 0, 32, &all);
    assert_eq!(r.status, GetMessageStatus::OffsetTooSmall);
    assert_eq!(
        (r.next_begin_offset, r.min_offset),
        (expected_min, expected_min)
    );
    let r = e.store.get_messages("T", 0, expected_min, 32, &all);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert!(!r.messages.is_empty());
    // The idle queue's only message is gone: min == max, pulls from 0 are corrected to it.
    assert_eq!(e.store.min_offset_in_queue("IDLE", 0), 1);
    let r = e.store.get_messages("IDLE", 0, 0, 32, &all);
    assert_eq!(r.status, GetMessageStatus::OffsetTooSmall);
    assert_eq!(r.next_begin_offset, 1);
    // Consume-queue and index files wholly below the commit log went too.
    let st = e.store.runtime_stats();
    let cq_files_after = std::fs::read_dir(&cq_dir).expect("cq dir").count();
    assert!(
        cq_files_after < cq_files_before,
        "{cq_files_after} < {cq_files_before}"
    );
    assert_eq!(
        st.consume_queue_files_deleted_total as usize,
        cq_files_before - cq_files_after
    );
    assert!(st.index_files_deleted_total >= 1);
    assert_eq!(
        st.index_file_count,
        index_before - st.index_files_deleted_total as usize
    );
    assert_eq!(
        e.store.earliest_message_time("T", 0),
        e.store.message_store_time("T", 0, expected_min)
    );
    // The floors survive a restart (recomputed from the commit log at open).
    e.store.shutdown();
    drop(e);
    let e = open(cfg);
    assert_eq!(e.store.min_offset_in_queue("T", 0), expected_min);
    assert_eq!(e.store.min_offset_in_queue("IDLE", 0), 1);
    assert_eq!(e.store.max_offset_in_queue("T", 0), written.len() as i64);
    let r = e.store.put_message(msg("T", 0, 7, 10));
    assert_eq!(block_on(r).expect("put").queue_offset, written.len() as i64);
}

#[test]
fn topic_retention_only_moves_that_topic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(config(dir.path()));
    let mut a_first = 0;
    for n in 0..40u64 {
        let r = block_on(e.store.put_message(msg("A", 0, n, 200))).expect("put");
        if n == 0 {
            a_first = r.wrote_offset;
        }
        block_on(e.store.put_message(msg("B", 0, n, 200))).expect("put");
    }
    wait_dispatched(&e.store);
    e.at(2, 3);
    e.store
        .set_topic_retention("A", Some(Duration::from_secs(3600)), None);
    assert_eq!(e.store.min_offset_in_queue("A", 0), 40);
    let r = e.store.get_messages("A", 0, 0, 32, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetTooSmall, 40)
    );
    assert_eq!(e.store.min_offset_in_queue("B", 0), 0);
    assert_eq!(
        e.store.get_messages("B", 0, 0, 32, &all).status,
        GetMessageStatus::Found
    );
    assert_eq!(e.store.min_phy_offset(), 0, "the shared commit log stays");
    assert!(e.store.look_message_by_offset(a_first).is_some());
    // New messages are within the retention until the clock passes them.
    block_on(e.store.put_message(msg("A", 0, 40, 200))).expect("put");
    wait_dispatched(&e.store);
    e.at(0, 3);
    e.store.clean_now();
    assert_eq!(e.store.min_offset_in_queue("A", 0), 40);
    assert_eq!(
        e.store.get_messages("A", 0, 40, 32, &all).status,
        GetMessageStatus::Found
    );
    e.store.set_topic_retention("A", None, None);
    assert_eq!(e.store.min_offset_in_queue("A", 0), 40, "never moves back");
}

#[test]
fn topic_byte_retention_drops_the_oldest_across_queues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(config(dir.path()));
    // (commit-log offset, queue, size)
    let mut recs = Vec::new();
    for n in 0..60u64 {
        let q = (n % 3 % 2) as i32;
        let r = block_on(e.store.put_message(msg("C", q, n, 100 + n as usize * 7))).expect("put");
        recs.push((r.wrote_offset, q, r.wrote_bytes as u64));
        block_on(e.store.put_message(msg("D", 0, n, 300))).expect("put");
    }
    wait_dispatched(&e.store);
    let expect = |recs: &[(i64, i32, u64)], max: u64| {
        let mut kept = 0u64;
        let mut dropped = [0i64; 2];
        let mut cut = false;
        for (_, q, size) in recs.iter().rev() {
            if !cut && kept + size <= max {
                kept += size;
            } else {
                cut = true;
                dropped[*q as usize] += 1;
            }
        }
        dropped
    };
    let max = 4000;
    e.store.set_topic_retention("C", None, Some(max));
    let d = expect(&recs, max);
    assert_eq!(e.store.min_offset_in_queue("C", 0), d[0]);
    assert_eq!(e.store.min_offset_in_queue("C", 1), d[1]);
    assert!(d[0] > 0 && d[1] > 0);
    assert_eq!(e.store.min_offset_in_queue("D", 0), 0);
    // More data: the next pass trims again, incrementally.
    for n in 60..80u64 {
        let q = (n % 3 % 2) as i32;
        let r = block_on(e.store.put_message(msg("C", q, n, 100 + n as usize * 7))).expect("put");
        recs.push((r.wrote_offset, q, r.wrote_bytes as u64));
    }
    wait_dispatched(&e.store);
    e.store.clean_now();
    let d = expect(&recs, max);
    assert_eq!(e.store.min_offset_in_queue("C", 0), d[0]);
    assert_eq!(e.store.min_offset_in_queue("C", 1), d[1]);
}

/// An advisor whose answers the test sets.
#[derive(Default)]
struct Advisor {
    mode: AtomicUsize,
    seen: parking_lot::Mutex<Vec<ExpiringFile>>,
}

const KEEP: usize = 1;
const PANIC: usize = 2;
const ALLOW: usize = 3;

impl RetentionAdvisor for Advisor {
    fn may_delete_file(&self, file: &ExpiringFile, _now_ms: u64) -> Option<bool> {
        self.seen.lock().push(file.clone());
        match self.mode.load(Ordering::SeqCst) {
            KEEP => Some(false),
            PANIC => panic!("advisor bug"),
            ALLOW => Some(true),
            _ => None,
        }
    }

    fn retention_for_topic(&self, topic: &str, _now_ms: u64) -> Option<TopicRetention> {
        match (self.mode.load(Ordering::SeqCst), topic) {
            (PANIC, _) => panic!("advisor bug"),
            (_, "SHORT") => Some(TopicRetention {
                retention_ms: Some(1),
                max_bytes: None,
            }),
            _ => None,
        }
    }
}

#[test]
fn advisor_vetoes_allows_and_a_panic_falls_back_to_the_native_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(config(dir.path()));
    let adv = Arc::new(Advisor::default());
    e.store
        .set_retention_advisor(Arc::clone(&adv) as Arc<dyn RetentionAdvisor>);
    fill_to_file(&e.store, "T", 0, 3);
    block_on(e.store.put_message(msg("SHORT", 0, 0, 10))).expect("put");
    wait_dispatched(&e.store);
    // Veto: nothing goes, and the pass stops at the first kept file.
    adv.mode.store(KEEP, Ordering::SeqCst);
    e.at(49, 4);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 0);
    {
        let seen = adv.seen.lock();
        assert_eq!(seen.len(), 1);
        let f = &seen[0];
        assert_eq!(
            (f.name.as_str(), f.first_offset),
            ("00000000000000000000", 0)
        );
        assert!(f.expired && f.topic.is_empty());
        assert_eq!(f.size_bytes, FILE as u64);
        assert!(f.last_modified_ms <= SystemClock.now_ms() && f.last_modified_ms > 0);
    }
    // The advisor's topic retention applies on passes.
    assert_eq!(e.store.min_offset_in_queue("SHORT", 0), 1);
    // Allow: an unexpired file goes at the deleteWhen hour.
    adv.mode.store(ALLOW, Ordering::SeqCst);
    e.at(0, 4);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 3);
    // Panic: the native rule decides (not expired: kept; expired: deleted).
    fill_to_file(&e.store, "T", 0, 5);
    adv.mode.store(PANIC, Ordering::SeqCst);
    e.at(0, 4);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 0);
    e.at(49, 4);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 2);
    // None: native rule too; clearing the advisor likewise.
    adv.mode.store(0, Ordering::SeqCst);
    e.store.clear_retention_advisor();
    fill_to_file(&e.store, "T", 0, 6);
    assert_eq!(e.store.clean_now().commit_log_files_deleted, 1);
}

#[test]
fn background_thread_runs_passes_on_its_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(StoreConfig {
        clean_resource_interval_ms: 10,
        ..config(dir.path())
    });
    fill_to_file(&e.store, "T", 0, 2);
    e.at(49, 4);
    wait_until(Duration::from_secs(10), "background deletion", || {
        e.files() == 1
    });
    e.disk.set(Some(0.95));
    wait_until(Duration::from_secs(10), "disk-full flag", || {
        e.store.is_disk_full()
    });
    e.disk.set(Some(0.10));
    wait_until(Duration::from_secs(10), "flag cleared", || {
        !e.store.is_disk_full()
    });
}

/// A tmpfs mounted on a temp dir, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Tmpfs { dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn ballast(path: &Path, bytes: usize) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    let chunk = vec![0x5au8; 64 * 1024];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        if let Err(e) = f.write_all(&chunk[..n]) {
            // A full disk is the point; stop there.
            if e.raw_os_error() == Some(28) {
                return Ok(());
            }
            return Err(e);
        }
        left -= n;
    }
    f.sync_all()
}

#[test]
fn real_full_disk_on_tmpfs() {
    let fs = match Tmpfs::mount("8m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("SKIPPED real_full_disk_on_tmpfs: cannot mount tmpfs ({why})");
            return;
        }
    };
    let root = fs.dir.path().join("store");
    let cfg = StoreConfig {
        mapped_file_size_commit_log: 1024 * 1024,
        ..config(&root)
    };
    let store = MessageStore::open_with(
        cfg,
        CleanupEnv {
            clock: Arc::new(ManualClock::new(SystemClock.now_ms(), 3)),
            ..CleanupEnv::default()
        },
    )
    .expect("open on tmpfs");
    block_on(store.put_message(msg("T", 0, 0, 1000))).expect("first put");
    wait_dispatched(&store);
    // 1. Above the warning ratio (statvfs): refused; below again: accepted.
    let ball = fs.dir.path().join("ballast");
    ballast(&ball, 7 * 1024 * 1024).expect("ballast");
    let r = store.clean_now();
    assert!(r.disk_full, "usage {:?}", r.disk_used_ratio);
    let err = block_on(store.put_message(msg("T", 0, 1, 1000))).expect_err("disk full");
    assert!(err.is_disk_full(), "{err}");
    assert_eq!(
        store.get_messages("T", 0, 0, 8, &all).status,
        GetMessageStatus::Found
    );
    std::fs::remove_file(&ball).expect("free space");
    assert!(!store.clean_now().disk_full);
    block_on(store.put_message(msg("T", 0, 2, 1000))).expect("put after freeing");
    // 2. ENOSPC creating the next commit-log file: refused as disk full, not an I/O error,
    // and nothing is poisoned.
    // Measure the free space by filling it, then leave 256 KiB: less than the next file.
    ballast(&ball, usize::MAX / 2).expect("fill the disk");
    let free = std::fs::metadata(&ball).expect("ballast").len() as usize;
    std::fs::remove_file(&ball).expect("remove");
    ballast(&ball, free.saturating_sub(256 * 1024)).expect("leave little room");
    let mut n = 10u64;
    let err = loop {
        match block_on(store.put_messages(batch("T", 0, n, 16, 4000))) {
            Ok(_) => n += 16,
            Err(e) => break e,
        }
        assert!(n < 10_000, "the disk never filled");
    };
    assert!(err.is_disk_full(), "{err}");
    assert!(err.to_string().contains("no space left"), "{err}");
    assert!(!store.runtime_stats().poisoned);
    assert_eq!(
        store.get_messages("T", 0, 0, 8, &all).status,
        GetMessageStatus::Found
    );
    std::fs::remove_file(&ball).expect("free space");
    block_on(store.put_messages(batch("T", 0, n, 16, 4000))).expect("put after freeing");
    wait_dispatched(&store);
    store.shutdown();
}
