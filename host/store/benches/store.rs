//! Store benchmarks with same-run baselines:
//! - ASYNC_FLUSH append of 1 KiB messages vs raw memcpy of the same record size into a
//!   pre-faulted file mapping;
//! - SYNC_FLUSH with 1, 16 and 64 concurrent writers vs raw 4 KiB write + fdatasync.

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use wasmq_protocol::message::{encode_properties, keys};
use wasmq_store::bench_support::{RawMapping, write_and_fdatasync};
use wasmq_store::{FlushDiskType, MessageStore, MessageToStore, StoreConfig};

fn message(n: u64) -> MessageToStore {
    let host = SocketAddr::from(([127, 0, 0, 1], 10911));
    MessageToStore {
        topic: "BenchTopic".into(),
        queue_id: (n % 8) as i32,
        flag: 0,
        body: Bytes::from(vec![0x5Au8; 1024]),
        properties: encode_properties([
            (keys::TAGS, "TagA"),
            (keys::UNIQ_KEY, "0A000001000000000000000000000001"),
        ]),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: host,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        tags_code: 0,
        keys: String::new(),
        uniq_key: None,
        wait_store_ok: true,
    }
}

fn config(root: &std::path::Path, flush: FlushDiskType) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: root.to_path_buf(),
        mapped_file_size_commit_log: 256 * 1024 * 1024,
        flush_disk_type: flush,
        ..StoreConfig::default()
    }
}

/// Polls a future that completes without waiting (ASYNC_FLUSH puts never wait).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("an ASYNC_FLUSH put waited"),
    }
}

fn async_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let record_size = 1024 + 91 + "BenchTopic".len() + message(0).properties.len();
    let mut g = c.benchmark_group("append_1KiB");
    g.throughput(Throughput::Elements(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(30);
    let mut raw =
        RawMapping::create(&dir.path().join("raw"), 256 * 1024 * 1024).expect("raw mapping");
    let record = vec![0x5Au8; record_size];
    g.bench_function("baseline_memcpy_prefaulted", |b| {
        b.iter(|| raw.append(std::hint::black_box(&record)))
    });
    let store = MessageStore::open(config(&dir.path().join("store"), FlushDiskType::AsyncFlush))
        .expect("open");
    let m = message(1);
    g.bench_function("store_async_put", |b| {
        b.iter_batched(
            || m.clone(),
            |m| ready(store.put_message(m)).expect("put"),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    store.shutdown();
}

fn sync_writers(store: &Arc<MessageStore>, writers: u64, total: u64) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let per = total.div_ceil(writers);
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let s = Arc::clone(store);
                rt.spawn(async move {
                    for i in 0..per {
                        s.put_message(message(w * per + i)).await.expect("put");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    start.elapsed() * u32::try_from(total).unwrap_or(1) / u32::try_from(per * writers).unwrap_or(1)
}

/// Lets writeback of earlier groups finish so it does not slow the fsync measurements.
fn settle_disk() {
    let _ = std::process::Command::new("sync").status();
}

fn sync_flush(c: &mut Criterion) {
    settle_disk();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("sync_flush");
    g.throughput(Throughput::Elements(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    let mut file = std::fs::File::create(dir.path().join("fsync")).expect("file");
    let block = vec![0u8; 4096];
    g.bench_function("baseline_write4k_fdatasync", |b| {
        b.iter(|| write_and_fdatasync(&mut file, &block).expect("fdatasync"))
    });
    let store = MessageStore::open(config(&dir.path().join("store"), FlushDiskType::SyncFlush))
        .expect("open");
    for writers in [1u64, 16, 64] {
        g.bench_function(format!("store_sync_put_{writers}_writers"), |b| {
            b.iter_custom(|iters| sync_writers(&store, writers, iters))
        });
    }
    g.finish();
    store.shutdown();
}

criterion_group!(benches, async_append, sync_flush);
criterion_main!(benches);
