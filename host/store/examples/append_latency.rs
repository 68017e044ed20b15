//! Append latency profile: N ASYNC_FLUSH puts of 1 KiB in a tight loop, printing throughput and
//! latency percentiles (`cargo run --release --example append_latency -- [N] [flush_ms]`).

use bytes::Bytes;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;
use wasmq_protocol::message::{encode_properties, keys};
use wasmq_store::{FlushDiskType, MessageStore, MessageToStore, StoreConfig};

fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("an ASYNC_FLUSH put waited"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let flush_ms: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = StoreConfig {
        store_path_root_dir: dir.path().to_path_buf(),
        mapped_file_size_commit_log: 256 * 1024 * 1024,
        flush_disk_type: FlushDiskType::AsyncFlush,
        flush_interval_commit_log_ms: flush_ms,
        ..StoreConfig::default()
    };
    let store = MessageStore::open(cfg).expect("open");
    let host = SocketAddr::from(([127, 0, 0, 1], 10911));
    let m = MessageToStore {
        topic: "BenchTopic".into(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(vec![0x5Au8; 1024]),
        properties: encode_properties([(keys::TAGS, "TagA")]),
        sys_flag: 0,
        born_timestamp: 0,
        born_host: host,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        tags_code: 0,
        keys: String::new(),
        uniq_key: None,
        wait_store_ok: true,
    };
    let mut lat = Vec::with_capacity(n);
    let mut worst: Vec<(u64, usize, i64)> = Vec::new();
    let start = Instant::now();
    for _ in 0..n {
        let msg = m.clone();
        let t = Instant::now();
        let r = ready(store.put_message(msg)).expect("put");
        let ns = t.elapsed().as_nanos() as u64;
        if ns > 1_000_000 {
            worst.push((ns, lat.len(), r.wrote_offset));
        }
        lat.push(ns);
    }
    let total = start.elapsed();
    lat.sort_unstable();
    let p = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{n} puts in {total:?}: {:.0} msg/s; latency ns p50 {} p90 {} p99 {} p99.9 {} max {}",
        n as f64 / total.as_secs_f64(),
        p(0.5),
        p(0.9),
        p(0.99),
        p(0.999),
        p(1.0)
    );
    for (ns, i, off) in worst {
        let _ = writeln!(
            out,
            "  stall {:.1} ms at put {i}, offset {off} ({} MiB into its file)",
            ns as f64 / 1e6,
            (off % (256 << 20)) >> 20
        );
    }
    store.shutdown();
}
