//! ns per message: SQL92 `color = 'red' AND idx BETWEEN 10 AND 20` evaluated over stored
//! properties strings, against the TAG hash-code check in the same run.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wasmq_filter::{Expression, MessageFilter, TagFilter, props};
use wasmq_protocol::message::properties::{encode_properties, iter_properties, property};
use wasmq_protocol::message::tags_hash_code;

const BATCH: usize = 64;
const SELECTOR: &str = "color = 'red' AND idx BETWEEN 10 AND 20";

/// Properties as a Java producer + broker leave them: keys, tags, uniq key, cluster, user props.
fn messages() -> Vec<(String, i64)> {
    let colors = ["red", "green", "blue", "red"];
    (0..BATCH)
        .map(|i| {
            let tag = format!("Tag{}", i % 3);
            let uniq = format!("7F00000100002A9F00000000{i:08X}");
            let idx = (i * 7 % 32).to_string();
            let props = encode_properties([
                ("KEYS", format!("order-{i}").as_str()),
                ("TAGS", tag.as_str()),
                ("UNIQ_KEY", uniq.as_str()),
                ("CLUSTER", "DefaultCluster"),
                ("color", colors[i % colors.len()]),
                ("idx", idx.as_str()),
                ("region", "eu-west-1"),
            ]);
            (props, tags_hash_code(&tag))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let msgs = messages();
    let tag = TagFilter::parse(Some("Tag1 || Tag2")).expect("tag filter");
    let sql = MessageFilter::new(Some("SQL92"), Some(SELECTOR)).expect("sql filter");
    let matched = msgs
        .iter()
        .filter(|(p, _)| sql.matches(&|k: &str| property(p, k)))
        .count();
    eprintln!("{matched}/{BATCH} messages match {SELECTOR:?}");

    let mut g = c.benchmark_group("filter_per_message");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("tag_hash_check_baseline", |b| {
        b.iter(|| {
            msgs.iter()
                .filter(|(_, code)| tag.matches_code(black_box(*code)))
                .count()
        })
    });
    g.bench_function("sql92_over_properties_string", |b| {
        b.iter(|| {
            msgs.iter()
                .filter(|(p, _)| sql.matches(&|k: &str| property(black_box(p), k)))
                .count()
        })
    });
    g.bench_function("sql92_over_properties_string_filter_props_lookup", |b| {
        b.iter(|| {
            msgs.iter()
                .filter(|(p, _)| sql.matches(&props::lookup(black_box(p))))
                .count()
        })
    });
    // Same selector over pre-split properties: separates evaluation cost from lookup cost.
    let decoded: Vec<Vec<(&str, &str)>> = msgs
        .iter()
        .map(|(p, _)| iter_properties(p).collect())
        .collect();
    g.bench_function("sql92_over_presplit_properties", |b| {
        b.iter(|| {
            decoded
                .iter()
                .filter(|d| {
                    let d = black_box(d);
                    sql.matches(&|k: &str| d.iter().rev().find(|(n, _)| *n == k).map(|(_, v)| *v))
                })
                .count()
        })
    });
    g.bench_function("property_lookup_only_color_idx", |b| {
        b.iter(|| {
            msgs.iter()
                .filter(|(p, _)| {
                    property(black_box(p), "color").is_some() && property(p, "idx").is_some()
                })
                .count()
        })
    });
    g.finish();

    let one = msgs[5].0.as_str();
    eprintln!("properties of one message: {} bytes", one.len());
    c.bench_function("one_lookup_filter_props", |b| {
        b.iter(|| props::property(black_box(one), black_box("idx")))
    });
    c.bench_function("one_lookup_protocol_property", |b| {
        b.iter(|| property(black_box(one), black_box("idx")))
    });
    c.bench_function("sql92_parse", |b| {
        b.iter(|| Expression::parse(black_box(SELECTOR)).is_ok())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
