//! Recovery from torn and garbled commit-log tails, and consume queues / index rebuilt by
//! dispatch replay equal to those of an uninterrupted run.

mod common;

use common::*;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmq_protocol::message::decode_record;
use wasmq_store::{FlushDiskType, MessageStore, StoreConfig};

const FILE: u64 = 64 * 1024;

struct Written {
    /// (commit-log offset, size) per message n.
    records: Vec<(i64, usize)>,
}

fn write_store(cfg: &StoreConfig, count: u64) -> Written {
    let s = MessageStore::open(cfg.clone()).expect("open");
    let mut records = Vec::new();
    for n in 0..count {
        let r =
            block_on(s.put_message(msg("T", 0, n, 100 + (n as usize * 37) % 900))).expect("put");
        records.push((r.wrote_offset, r.wrote_bytes as usize));
    }
    s.shutdown();
    Written { records }
}

fn file_of(root: &Path, offset: i64) -> (PathBuf, u64) {
    let start = offset as u64 / FILE * FILE;
    (
        root.join("commitlog").join(format!("{start:020}")),
        offset as u64 - start,
    )
}

/// Reopens and checks that exactly messages `0..expect` are present and intact, and that new
/// appends continue at queue offset `expect`.
fn check_recovered(cfg: &StoreConfig, expect: u64) {
    let s = MessageStore::open(cfg.clone()).expect("recover");
    assert_eq!(
        s.max_offset_in_queue("T", 0),
        expect as i64,
        "recovered message count"
    );
    let mut off = 0;
    while off < expect as i64 {
        let r = s.get_messages("T", 0, off, 32, &|_| true);
        for (b, qo) in r.messages.iter().zip(&r.message_queue_offsets) {
            let (rec, _) = decode_record(b, true).expect("valid");
            assert_eq!(rec.body, body(*qo as u64, 100 + (*qo as usize * 37) % 900));
        }
        assert!(r.next_begin_offset > off);
        off = r.next_begin_offset;
    }
    let r = block_on(s.put_message(msg("T", 0, expect, 100 + (expect as usize * 37) % 900)))
        .expect("append");
    assert_eq!(r.queue_offset, expect as i64);
    s.shutdown();
    let s = MessageStore::open(cfg.clone()).expect("reopen");
    assert_eq!(s.max_offset_in_queue("T", 0), expect as i64 + 1);
}

enum Damage {
    /// Cut the file inside record `i` (`delta` bytes into it) and zero the rest.
    Truncate { delta: u64 },
    /// Overwrite from inside record `i` with random bytes.
    Garble { delta: u64, len: usize },
    /// Zero the 4 KiB starting at record `i` (a lost page write).
    ZeroPage,
}

fn damage(root: &Path, rec: (i64, usize), d: &Damage, seed: u64) {
    let (path, at) = file_of(root, rec.0);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect("open file");
    match d {
        Damage::Truncate { delta } => f.set_len(at + delta).expect("truncate"),
        Damage::Garble { delta, len } => {
            let junk = body(seed, *len);
            f.write_all_at(&junk, at + delta).expect("garble");
        }
        Damage::ZeroPage => f.write_all_at(&[0u8; 4096], at).expect("zero"),
    }
}

fn run_case(d: Damage, victim_from_end: usize, crashed: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = small_config(dir.path(), FlushDiskType::AsyncFlush);
    let w = write_store(&cfg, 200);
    let victim = w.records.len() - victim_from_end;
    damage(dir.path(), w.records[victim], &d, victim as u64);
    if crashed {
        std::fs::write(dir.path().join("abort"), b"").expect("abort");
    }
    check_recovered(&cfg, victim as u64);
}

#[test]
fn truncated_tail_recovers_to_last_valid_message() {
    for (from_end, delta) in [(1, 0), (1, 1), (1, 50), (3, 8), (5, 91), (2, 17)] {
        for crashed in [false, true] {
            run_case(Damage::Truncate { delta }, from_end, crashed);
        }
    }
}

#[test]
fn garbled_tail_recovers_to_last_valid_message() {
    // Only TOTALSIZE, MAGIC, PHYSICALOFFSET (checked against the position), the lengths and the
    // body (BODYCRC) are verifiable: the RocketMQ format has no checksum over the other header
    // fields, topic or properties, so garbling those is undetectable by design.
    for (from_end, delta, len) in [
        (1, 0, 4),
        (1, 4, 4),
        (2, 28, 3),
        (4, 120, 200),
        (1, 90, 1000),
        (3, 0, 5000),
    ] {
        for crashed in [false, true] {
            run_case(Damage::Garble { delta, len }, from_end, crashed);
        }
    }
}

#[test]
fn zeroed_page_recovers_to_last_valid_message() {
    for from_end in [1, 2, 6] {
        for crashed in [false, true] {
            run_case(Damage::ZeroPage, from_end, crashed);
        }
    }
}

#[test]
fn garbage_in_a_preallocated_next_file_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = small_config(dir.path(), FlushDiskType::AsyncFlush);
    let w = write_store(&cfg, 150);
    let last = w.records.last().expect("records").0 as u64;
    let next = (last / FILE + 1) * FILE;
    let path = dir.path().join("commitlog").join(format!("{next:020}"));
    std::fs::write(&path, body(1, FILE as usize)).expect("junk file");
    std::fs::write(dir.path().join("abort"), b"").expect("abort");
    check_recovered(&cfg, 150);
}

fn snapshot(s: &MessageStore, queues: i32, keys: u64) -> (Vec<Option<Vec<u8>>>, Vec<usize>) {
    let cqs = (0..queues).map(|q| s.consume_queue_bytes("T", q)).collect();
    let idx = (0..keys)
        .map(|n| {
            s.query_message("T", &format!("key{n}"), 32, 0, i64::MAX)
                .messages
                .len()
        })
        .collect();
    (cqs, idx)
}

#[test]
fn consume_queues_and_index_rebuilt_equal_uninterrupted_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = small_config(dir.path(), FlushDiskType::AsyncFlush);
    let n = 500u64;
    let s = MessageStore::open(cfg.clone()).expect("open");
    for i in 0..n {
        block_on(s.put_message(msg("T", (i % 3) as i32, i, 200 + (i as usize % 300))))
            .expect("put");
    }
    wait_until(Duration::from_secs(10), "dispatch", || {
        s.dispatched_phy_offset() == s.max_phy_offset()
    });
    let want = snapshot(&s, 3, n);
    assert!(want.1.iter().all(|&c| c == 1), "every key indexed once");
    s.shutdown();

    // Crash before any dispatch: only the commit log survived.
    std::fs::remove_dir_all(dir.path().join("consumequeue")).expect("rm cq");
    std::fs::remove_dir_all(dir.path().join("index")).expect("rm index");
    std::fs::remove_file(dir.path().join("checkpoint")).expect("rm checkpoint");
    std::fs::write(dir.path().join("abort"), b"").expect("abort");
    let s = MessageStore::open(cfg.clone()).expect("recover 1");
    assert_eq!(s.recovery_mode(), wasmq_store::RecoveryMode::Abnormal);
    assert!(
        snapshot(&s, 3, n) == want,
        "rebuilt from the commit log alone differs"
    );
    s.shutdown();

    // Crash half-way through dispatch: consume-queue tails lost (across a file boundary),
    // index files gone.
    for q in 0..3 {
        let qdir = dir.path().join("consumequeue/T").join(q.to_string());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&qdir)
            .expect("cq dir")
            .map(|e| e.expect("e").path())
            .collect();
        files.sort();
        assert!(files.len() >= 2, "queue {q} spans several CQ files");
        let last = files.pop().expect("last");
        std::fs::remove_file(last).expect("rm last cq file");
        let prev = files.pop().expect("prev");
        let file = OpenOptions::new().write(true).open(&prev).expect("cq file");
        file.write_all_at(&[0u8; 20 * 25], 20 * 25).expect("cut cq");
    }
    std::fs::remove_dir_all(dir.path().join("index")).expect("rm index");
    std::fs::write(dir.path().join("abort"), b"").expect("abort");
    let s = MessageStore::open(cfg.clone()).expect("recover 2");
    assert!(
        snapshot(&s, 3, n) == want,
        "repaired consume queues / index differ"
    );
    for q in 0..3 {
        let r = block_on(s.put_message(msg("T", q, n + q as u64, 10))).expect("append");
        let units = want.0[q as usize].as_ref().map_or(0, |b| b.len() / 20);
        assert_eq!(
            r.queue_offset, units as i64,
            "queue offsets continue after the repair"
        );
    }
}
