//! ns per message of a tag/property filter run as a wasm plugin vs the same filter in native Rust,
//! at batch sizes 1, 16, 64 and 256, in the same run.
//!
//! Run: `scripts/build-plugins.sh && CARGO_TARGET_DIR=/work/target-plugin cargo bench -p wasmq-plugin-host --bench filter`
//! Criterion prints time per batch and throughput in messages/s (ns per message = 1e9 / throughput).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wasmq_plugin_host::{MessageView, OwnedMessage, glob_match, properties};

const BINDINGS: &str = r#"
[[binding]]
plugin = "tag-filter"
hook = "consumer-filter"
config = { tags = "TagA || TagB", "property.region" = "eu-*" }

[[binding]]
plugin = "tag-filter"
hook = "ingress-filter"
config = { tags = "TagA || TagB", "property.region" = "eu-*" }
"#;

/// The same rule as the plugin's configuration above, in native Rust.
fn native_filter(batch: &[MessageView<'_>]) -> Vec<bool> {
    batch
        .iter()
        .map(|m| {
            (m.tags == "TagA" || m.tags == "TagB")
                && properties(m.properties)
                    .find(|(n, _)| *n == "region")
                    .is_some_and(|(_, v)| glob_match("eu-*", v))
        })
        .collect()
}

fn messages(n: usize) -> Vec<OwnedMessage> {
    (0..n)
        .map(|i| {
            let tag = ["TagA", "TagB", "TagC"][i % 3];
            let region = ["eu-west", "us-east"][i % 2];
            OwnedMessage::new("orders", tag, &vec![b'x'; 1024])
                .with_keys(&format!("order-{i}"))
                .with_property("region", region)
                .with_property("UNIQ_KEY", "7F0000011F2B18B4AAC27B6A5B3B0000")
                .with_property("WAIT", "true")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = common::plugins_dir(&[("tag-filter", "tag-filter")], BINDINGS);
    let host = common::open(dir.path(), None);
    let mut group = c.benchmark_group("filter");
    for n in [1usize, 16, 64, 256] {
        let msgs = messages(n);
        let views: Vec<MessageView<'_>> = msgs.iter().map(|m| m.view()).collect();
        assert_eq!(
            host.consumer_filter("g", "orders", &views).unwrap(),
            native_filter(&views),
            "same verdicts"
        );
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("native", n), &views, |b, v| {
            b.iter(|| black_box(native_filter(black_box(v))))
        });
        group.bench_with_input(BenchmarkId::new("wasm-consumer", n), &views, |b, v| {
            b.iter(|| black_box(host.consumer_filter("g", "orders", black_box(v)).unwrap()))
        });
        let mut batch = msgs.clone();
        group.bench_with_input(BenchmarkId::new("wasm-ingress", n), &n, |b, _| {
            b.iter(|| black_box(host.ingress("orders", &mut batch)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
