//! SQL92 at pull: ns per message of the broker's native evaluator (`wasmq-filter`, as the pull path
//! runs it over each stored record's properties) vs the same evaluator as the bundled
//! `sql92-filter` consumer-filter plugin through the plugin host, at batch sizes 1, 32 and 64, in
//! the same run. The measurements behind docs/plugins.md, "SQL92: native or plugin".
//!
//! Run: `scripts/build-plugins.sh && cargo bench -p wasmq-plugin-host --bench sql92`
//! Criterion prints time per batch and throughput in messages/s (ns per message = 1e9 / throughput).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wasmq_filter::MessageFilter;
use wasmq_plugin_host::{MessageView, OwnedMessage};

/// The two selectors of issue 7's acceptance test.
const EXPRESSIONS: [(&str, &str); 2] = [
    ("and-between", "color = 'red' AND idx BETWEEN 10 AND 20"),
    (
        "tags-in-is-null",
        "TAGS IN ('TagA', 'TagB') AND region IS NULL",
    ),
];

fn bindings(expression: &str) -> String {
    format!(
        "[[binding]]\nplugin = \"sql92-filter\"\nhook = \"consumer-filter\"\ngroups = [\"g\"]\n\
         config = {{ expression = \"{expression}\" }}\n"
    )
}

/// Messages as the pull path sees them: stored properties with TAGS, KEYS, UNIQ_KEY and the
/// producer's, 1 KiB bodies.
fn messages(n: usize) -> Vec<OwnedMessage> {
    (0..n)
        .map(|i| {
            let tag = ["TagA", "TagB", "TagC"][i % 3];
            let mut m = OwnedMessage::new("orders", tag, &vec![b'x'; 1024])
                .with_keys(&format!("order-{i}"))
                .with_property("TAGS", tag)
                .with_property("KEYS", &format!("order-{i}"))
                .with_property("color", ["red", "blue"][i % 2])
                .with_property("idx", &(i % 32).to_string())
                .with_property("UNIQ_KEY", "7F0000011F2B18B4AAC27B6A5B3B0000")
                .with_property("CLUSTER", "DefaultCluster");
            if i % 4 == 0 {
                m = m.with_property("region", "eu-west");
            }
            m
        })
        .collect()
}

/// The native pull path: one evaluation per record over its stored properties string.
fn native(filter: &MessageFilter, batch: &[MessageView<'_>]) -> Vec<bool> {
    batch
        .iter()
        .map(|m| {
            let props = std::str::from_utf8(m.properties).unwrap_or_default();
            filter.matches(&wasmq_filter::props::lookup(props))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (name, expression) in EXPRESSIONS {
        let dir = common::plugins_dir(&[("sql92-filter", "sql92-filter")], &bindings(expression));
        let host = common::open(dir.path(), None);
        let filter = MessageFilter::new(Some("SQL92"), Some(expression)).expect("selector parses");
        let mut group = c.benchmark_group(format!("sql92/{name}"));
        for n in [1usize, 32, 64] {
            let msgs = messages(n);
            let views: Vec<MessageView<'_>> = msgs.iter().map(|m| m.view()).collect();
            assert_eq!(
                host.consumer_filter("g", "orders", &views).unwrap(),
                native(&filter, &views),
                "same verdicts"
            );
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("native", n), &views, |b, v| {
                b.iter(|| black_box(native(&filter, black_box(v))))
            });
            group.bench_with_input(BenchmarkId::new("plugin", n), &views, |b, v| {
                b.iter(|| black_box(host.consumer_filter("g", "orders", black_box(v)).unwrap()))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
