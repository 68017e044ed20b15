//! Property test: random single and batch appends of random sizes over random queues read back
//! exactly, in order, before and after a reopen.

mod common;

use common::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;
use wasmq_protocol::message::decode_record;
use wasmq_store::{FlushDiskType, MessageStore};

#[derive(Debug, Clone)]
enum Op {
    Single { queue: i32, len: usize },
    Batch { queue: i32, lens: Vec<usize> },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3i32, 0..6000usize).prop_map(|(queue, len)| Op::Single { queue, len }),
        (0..3i32, proptest::collection::vec(0..3000usize, 1..12))
            .prop_map(|(queue, lens)| Op::Batch { queue, lens }),
    ]
}

fn read_all(s: &MessageStore, queue: i32) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    let mut off = 0;
    let max = s.max_offset_in_queue("P", queue);
    while off < max {
        let r = s.get_messages("P", queue, off, 7, &|_| true);
        assert!(r.messages.len() <= 7);
        for b in &r.messages {
            let (rec, _) = decode_record(b, true).expect("valid record");
            out.push((rec.flag as u64, rec.body.len()));
            assert_eq!(rec.body, body(rec.flag as u64, rec.body.len()));
        }
        assert!(r.next_begin_offset > off);
        off = r.next_begin_offset;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn appends_read_back_in_order(ops in proptest::collection::vec(op(), 1..40), sync in any::<bool>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let flush = if sync { FlushDiskType::SyncFlush } else { FlushDiskType::AsyncFlush };
        let cfg = small_config(dir.path(), flush);
        let s = MessageStore::open(cfg.clone()).expect("open");
        let mut expect: BTreeMap<i32, Vec<(u64, usize)>> = BTreeMap::new();
        let mut n = 0u64;
        for op in &ops {
            match op {
                Op::Single { queue, len } => {
                    let mut m = msg("P", *queue, n, 0);
                    m.body = body(n, *len);
                    let r = block_on(s.put_message(m)).expect("put");
                    let e = expect.entry(*queue).or_default();
                    prop_assert_eq!(r.queue_offset, e.len() as i64);
                    e.push((n, *len));
                    n += 1;
                }
                Op::Batch { queue, lens } => {
                    let mut b = batch("P", *queue, n, lens.len() as u64, 0);
                    for (item, len) in b.items.iter_mut().zip(lens) {
                        item.body = body(item.flag as u64, *len);
                    }
                    let r = block_on(s.put_messages(b)).expect("batch");
                    let e = expect.entry(*queue).or_default();
                    prop_assert_eq!(r.queue_offset, e.len() as i64);
                    prop_assert_eq!(r.msg_num as usize, lens.len());
                    for len in lens {
                        e.push((n, *len));
                        n += 1;
                    }
                }
            }
        }
        wait_until(Duration::from_secs(10), "dispatch", || s.dispatched_phy_offset() == s.max_phy_offset());
        for q in 0..3 {
            prop_assert_eq!(read_all(&s, q), expect.get(&q).cloned().unwrap_or_default());
        }
        drop(s);
        let s = MessageStore::open(cfg).expect("reopen");
        for q in 0..3 {
            prop_assert_eq!(read_all(&s, q), expect.get(&q).cloned().unwrap_or_default());
        }
    }
}
