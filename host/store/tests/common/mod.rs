//! Shared helpers for store tests: small-file configs, message builders, a tiny executor.
#![allow(dead_code)]

use bytes::Bytes;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use wasmq_protocol::message::{encode_properties, keys};
use wasmq_store::{
    BatchItemToStore, FlushDiskType, MessageBatchToStore, MessageToStore, StoreConfig,
};

/// A config with 64 KiB commit-log files, 20-unit CQ files and a small index.
pub fn small_config(root: &Path, flush: FlushDiskType) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: root.to_path_buf(),
        mapped_file_size_commit_log: 64 * 1024,
        mapped_file_size_consume_queue: 20 * 50,
        flush_disk_type: flush,
        flush_interval_commit_log_ms: 20,
        flush_interval_consume_queue_ms: 50,
        max_message_size: 32 * 1024,
        max_hash_slot_num: 101,
        max_index_num: 400,
        ..StoreConfig::default()
    }
}

/// Runs a future to completion on a current-thread runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

pub fn host(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Deterministic body for message `n` of `len` bytes.
pub fn body(n: u64, len: usize) -> Bytes {
    let mut v = Vec::with_capacity(len);
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(x as u8);
    }
    Bytes::from(v)
}

/// A message with TAGS, KEYS and UNIQ_KEY derived from `n`.
pub fn msg(topic: &str, queue_id: i32, n: u64, len: usize) -> MessageToStore {
    let tag = format!("tag{}", n % 3);
    let key = format!("key{n}");
    let uniq = format!("UNIQ{n:08}");
    let properties = encode_properties([
        (keys::TAGS, tag.as_str()),
        (keys::KEYS, key.as_str()),
        (keys::UNIQ_KEY, uniq.as_str()),
    ]);
    MessageToStore {
        topic: topic.into(),
        queue_id,
        flag: n as i32,
        body: body(n, len),
        properties,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000 + n as i64,
        born_host: host(40000),
        store_host: host(10911),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        tags_code: wasmq_protocol::message::tags_hash_code(&tag),
        keys: key,
        uniq_key: Some(uniq),
        wait_store_ok: true,
    }
}

/// A batch of `count` messages starting at `n`.
pub fn batch(topic: &str, queue_id: i32, n: u64, count: u64, len: usize) -> MessageBatchToStore {
    let items = (n..n + count)
        .map(|i| {
            let m = msg(topic, queue_id, i, len);
            BatchItemToStore {
                flag: m.flag,
                body: m.body,
                properties: m.properties,
                tags_code: m.tags_code,
                keys: m.keys,
                uniq_key: m.uniq_key,
            }
        })
        .collect();
    MessageBatchToStore {
        topic: topic.into(),
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: host(40000),
        store_host: host(10911),
        items,
        wait_store_ok: true,
    }
}

/// Waits until `cond` holds, panicking after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}
