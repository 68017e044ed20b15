//! SIGKILL crash loop: a child process (this test binary re-executed) appends under SYNC_FLUSH
//! from several writers (single messages and batches) and prints every acknowledged queue offset; the parent kills it at
//! random moments, recovers the store and checks that every acknowledged message reads back
//! intact, that no corrupt record is returned, and that rebuilt consume queues equal recovered ones.

mod common;

use common::*;
use rand::Rng;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wasmq_protocol::message::decode_record;
use wasmq_store::{FlushDiskType, GetMessageStatus, MessageStore, PutStatus};

const CHILD_ENV: &str = "WASMQ_STORE_CRASH_CHILD";
const WRITERS: i32 = 4;
const TOPIC: &str = "CrashTopic";

fn seq_id(queue: i32, qo: i64) -> u64 {
    queue as u64 * 1_000_000 + qo as u64
}

fn body_len(queue: i32, qo: i64) -> usize {
    ((seq_id(queue, qo) * 7919) % 3000) as usize + 1
}

/// Child: append forever, one task per queue, printing `ACK queue qo` after each durable put.
fn child(root: &Path) -> ! {
    let store =
        MessageStore::open(small_config(root, FlushDiskType::SyncFlush)).expect("child open");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let mut tasks = Vec::new();
    for q in 0..WRITERS {
        let s = std::sync::Arc::clone(&store);
        tasks.push(rt.spawn(async move {
            let mut qo = s.max_offset_in_queue(TOPIC, q);
            loop {
                // The last writer appends batches of 3, the others single messages.
                let count = if q == WRITERS - 1 { 3 } else { 1 };
                let r = if count == 1 {
                    let mut m = msg(TOPIC, q, seq_id(q, qo), 0);
                    m.body = body(seq_id(q, qo), body_len(q, qo));
                    s.put_message(m).await.expect("put")
                } else {
                    let mut b = batch(TOPIC, q, seq_id(q, qo), count as u64, 0);
                    for (i, item) in b.items.iter_mut().enumerate() {
                        let o = qo + i as i64;
                        item.body = body(seq_id(q, o), body_len(q, o));
                    }
                    s.put_messages(b).await.expect("batch")
                };
                assert_eq!(r.status, PutStatus::PutOk);
                assert_eq!(r.queue_offset, qo, "queue offsets continue after recovery");
                qo += count;
                let mut out = std::io::stdout().lock();
                writeln!(out, "ACK {q} {}", qo - 1).expect("stdout");
                out.flush().expect("flush");
            }
        }));
    }
    for t in tasks {
        let _ = rt.block_on(t);
    }
    std::process::exit(1)
}

fn verify(root: &Path, acked: &BTreeMap<i32, i64>) -> BTreeMap<i32, i64> {
    let s = MessageStore::open(small_config(root, FlushDiskType::SyncFlush)).expect("recover");
    let mut maxes = BTreeMap::new();
    for q in 0..WRITERS {
        let max = s.max_offset_in_queue(TOPIC, q);
        let need = acked.get(&q).map_or(0, |a| a + 1);
        assert!(
            max >= need,
            "queue {q}: max offset {max} < acknowledged {need}"
        );
        let mut off = 0;
        while off < max {
            let r = s.get_messages(TOPIC, q, off, 32, &|_| true);
            assert_eq!(r.status, GetMessageStatus::Found, "queue {q} offset {off}");
            for (b, qo) in r.messages.iter().zip(&r.message_queue_offsets) {
                let (rec, _) = decode_record(b, true).expect("no corrupt record is ever returned");
                assert_eq!(rec.queue_offset, *qo);
                assert_eq!(
                    rec.body,
                    body(seq_id(q, *qo), body_len(q, *qo)),
                    "queue {q} offset {qo}"
                );
            }
            off = r.next_begin_offset;
        }
        maxes.insert(q, max);
    }
    s.shutdown();
    maxes
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).expect("copy");
        }
    }
}

/// Opens a copy of the crashed store twice: as is, and with consume queues and index deleted
/// (rebuilt from the commit log alone); both must agree.
fn rebuilt_equals_recovered(root: &Path, scratch: &Path) {
    let a = scratch.join("a");
    let b = scratch.join("b");
    copy_dir(root, &a);
    copy_dir(root, &b);
    std::fs::remove_dir_all(b.join("consumequeue")).expect("rm cq");
    std::fs::remove_dir_all(b.join("index")).expect("rm index");
    std::fs::remove_file(b.join("checkpoint")).ok();
    let sa = MessageStore::open(small_config(&a, FlushDiskType::SyncFlush)).expect("open a");
    let sb = MessageStore::open(small_config(&b, FlushDiskType::SyncFlush)).expect("open b");
    for q in 0..WRITERS {
        assert_eq!(
            sa.consume_queue_bytes(TOPIC, q),
            sb.consume_queue_bytes(TOPIC, q),
            "queue {q}"
        );
        let max = sa.max_offset_in_queue(TOPIC, q);
        for qo in [0, max / 2, max - 1]
            .into_iter()
            .filter(|&o| o >= 0 && o < max)
        {
            let key = format!("key{}", seq_id(q, qo));
            let qa: Vec<_> = sa.query_message(TOPIC, &key, 32, 0, i64::MAX).messages;
            let qb: Vec<_> = sb.query_message(TOPIC, &key, 32, 0, i64::MAX).messages;
            assert_eq!(qa, qb, "index for {key}");
            assert_eq!(qa.len(), 1, "{key} indexed once");
        }
    }
    drop(sa);
    drop(sb);
    std::fs::remove_dir_all(&a).ok();
    std::fs::remove_dir_all(&b).ok();
}

#[test]
fn sigkill_crash_loop_loses_no_acknowledged_message() {
    if let Some(root) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&root));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let scratch = dir.path().join("scratch");
    let mut acked: BTreeMap<i32, i64> = BTreeMap::new();
    let mut rng = rand::thread_rng();
    let started = Instant::now();
    let rounds = 20;
    for round in 0..rounds {
        let exe = std::env::current_exe().expect("current exe");
        let mut child = Command::new(exe)
            .args([
                "--exact",
                "sigkill_crash_loop_loses_no_acknowledged_message",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let kill_after: usize = rng.gen_range(1..400);
        let mut seen = 0;
        let record = |line: &str, acked: &mut BTreeMap<i32, i64>| {
            let mut it = line.split_whitespace();
            if it.next() == Some("ACK") {
                let q: i32 = it.next().and_then(|s| s.parse().ok()).expect("queue");
                let qo: i64 = it.next().and_then(|s| s.parse().ok()).expect("offset");
                let e = acked.entry(q).or_insert(-1);
                *e = (*e).max(qo);
                true
            } else {
                false
            }
        };
        for line in lines.by_ref() {
            let line = line.expect("line");
            if record(&line, &mut acked) {
                seen += 1;
                if seen >= kill_after {
                    break;
                }
            }
        }
        child.kill().expect("SIGKILL");
        for line in lines {
            let Ok(line) = line else { break };
            record(&line, &mut acked);
        }
        let status = child.wait().expect("wait");
        assert!(
            !status.success(),
            "child was killed, not finished: {status:?}"
        );
        if round % 5 == 4 {
            rebuilt_equals_recovered(&root, &scratch);
        }
        let maxes = verify(&root, &acked);
        eprintln!("round {round}: killed after {seen} acks; queue maxes {maxes:?}");
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "crash loop too slow"
        );
    }
    assert!(
        acked.values().sum::<i64>() > rounds as i64,
        "the child made progress"
    );
}
