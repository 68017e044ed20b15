//! Each example plugin, built from source by scripts/build-plugins.sh, exercised through the host.

mod common;

use common::{open, plugins_dir};
use wasmq_plugin_host::{
    BrokerData, FileInfo, FileKind, HookKind, MessageView, OwnedMessage, QueueData,
    RetentionDecision, RouteView, Verdict,
};

#[test]
fn tag_filter_at_ingress_and_for_a_consumer_group() {
    let dir = plugins_dir(
        &[("tag-filter", "tag-filter")],
        r#"
        [[binding]]
        name = "orders-tags"
        plugin = "tag-filter"
        hook = "ingress-filter"
        topics = ["orders-*"]
        config = { tags = "A || B", action = "reject", reason = "only A or B" }

        [[binding]]
        name = "eu-only"
        plugin = "tag-filter"
        hook = "consumer-filter"
        groups = ["cg-eu"]
        config = { "property.region" = "eu-*" }
        "#,
    );
    let host = open(dir.path(), None);
    assert!(host.has_ingress("orders-1"));
    assert!(!host.has_ingress("billing"));
    let mut batch = vec![
        OwnedMessage::new("orders-1", "A", b""),
        OwnedMessage::new("orders-1", "C", b""),
        OwnedMessage::new("orders-1", "B", b""),
    ];
    let out = host.ingress("orders-1", &mut batch);
    assert_eq!(
        out.verdicts,
        vec![
            Verdict::Keep,
            Verdict::Rejected {
                plugin: "tag-filter".into(),
                reason: "only A or B".into()
            },
            Verdict::Keep
        ]
    );
    assert!(
        host.ingress("billing", &mut batch).all_kept(),
        "unbound topic passes"
    );

    assert!(host.has_consumer_filter("cg-eu", "any"));
    assert!(!host.has_consumer_filter("cg-us", "any"));
    let a = OwnedMessage::new("t", "x", b"").with_property("region", "eu-west");
    let b = OwnedMessage::new("t", "x", b"").with_property("region", "us-east");
    assert_eq!(
        host.consumer_filter("cg-eu", "t", &[a.view(), b.view()]),
        Ok(vec![true, false])
    );
    assert_eq!(
        host.consumer_filter("cg-us", "t", &[a.view(), b.view()]),
        Ok(vec![true, true])
    );

    let m = host.metrics();
    let ingress = m.iter().find(|m| m.binding == "orders-tags").unwrap();
    assert_eq!(
        (
            ingress.calls,
            ingress.messages,
            ingress.rejects,
            ingress.failures()
        ),
        (1, 3, 1, 0)
    );
    assert!(ingress.fuel_consumed > 0 && ingress.nanos > 0);
    let consumer = m.iter().find(|m| m.binding == "eu-only").unwrap();
    assert_eq!((consumer.calls, consumer.discards), (1, 1));
}

#[test]
fn json_filter_reads_bodies_for_a_consumer() {
    let dir = plugins_dir(
        &[("json-filter", "json-filter")],
        r#"
        [[binding]]
        plugin = "json-filter"
        hook = "consumer-filter"
        topics = ["orders"]
        config = { field = "order.amount", op = "gt", value = "100" }
        "#,
    );
    let host = open(dir.path(), None);
    let bodies: [&[u8]; 4] = [
        br#"{"order":{"amount":150}}"#,
        br#"{"order":{"amount":5}}"#,
        b"not json",
        br#"{"order":{}}"#,
    ];
    let views: Vec<MessageView<'_>> = bodies
        .iter()
        .map(|b| MessageView {
            topic: "orders",
            body: b,
            ..Default::default()
        })
        .collect();
    assert_eq!(
        host.consumer_filter("any", "orders", &views),
        Ok(vec![true, false, false, false])
    );
    assert!(!host.has_consumer_filter("any", "other"));
}

#[test]
fn pii_redaction_rewrites_body_and_properties() {
    let dir = plugins_dir(
        &[("pii-redact", "pii-redact")],
        r#"
        [[binding]]
        plugin = "pii-redact"
        hook = "transform"
        config = { properties = "phone", mask = "[redacted]" }
        "#,
    );
    let host = open(dir.path(), None);
    let mut batch = vec![
        OwnedMessage::new("t", "A", b"contact jane@example.org now")
            .with_property("phone", "+33 612")
            .with_property("k", "v"),
        OwnedMessage::new("t", "A", b"nothing to hide"),
    ];
    let out = host.ingress("t", &mut batch);
    assert!(out.all_kept());
    assert_eq!(&batch[0].body[..], b"contact [redacted] now");
    assert_eq!(batch[0].property("phone"), Some("[redacted]"));
    assert_eq!(batch[0].property("k"), Some("v"));
    assert_eq!(batch[0].tags, "A");
    assert_eq!(&batch[1].body[..], b"nothing to hide");
    let m = &host.metrics()[0];
    assert_eq!(
        m.counters.get("redacted_messages"),
        Some(&1),
        "plugin-reported counter"
    );
}

#[test]
fn routers_pick_queues_topics_and_add_audit_copies() {
    let dir = plugins_dir(
        &[("key-router", "key-router")],
        r#"
        [[binding]]
        name = "by-key"
        plugin = "key-router"
        hook = "router"
        topics = ["orders"]
        config = { queues = 4 }

        [[binding]]
        name = "by-region"
        plugin = "key-router"
        hook = "router"
        topics = ["events"]
        config = { mode = "header", header = "region", "route.eu" = "events-eu", unknown = "reject", audit-topic = "audit" }
        "#,
    );
    let host = open(dir.path(), None);
    let mut batch = vec![
        OwnedMessage::new("orders", "", b"").with_keys("k-1"),
        OwnedMessage::new("orders", "", b"").with_keys("k-1"),
    ];
    assert!(host.ingress("orders", &mut batch).all_kept());
    assert_eq!(batch.len(), 2);
    assert!((0..4).contains(&batch[0].queue_id));
    assert_eq!(batch[0].queue_id, batch[1].queue_id, "same key, same queue");

    let mut batch = vec![
        OwnedMessage::new("events", "", b"e1").with_property("region", "eu"),
        OwnedMessage::new("events", "", b"").with_property("region", "mars"),
    ];
    let out = host.ingress("events", &mut batch);
    assert_eq!(batch.len(), 3, "one audit copy for the kept message");
    assert_eq!(
        (batch[0].topic.as_str(), batch[0].queue_id),
        ("events-eu", -1)
    );
    assert!(
        matches!(&out.verdicts[1], Verdict::Rejected { reason, .. } if reason.contains("mars"))
    );
    assert_eq!(
        (
            batch[2].topic.as_str(),
            batch[2].copy_of,
            &batch[2].body[..]
        ),
        ("audit", Some(0), &b"e1"[..])
    );
    assert_eq!(out.verdicts[2], Verdict::Keep);
}

#[test]
fn ingress_runs_filter_then_transform_then_router() {
    let dir = plugins_dir(
        &[
            ("tag-filter", "tag-filter"),
            ("pii-redact", "pii-redact"),
            ("key-router", "key-router"),
        ],
        r#"
        [[binding]]
        plugin = "key-router"
        hook = "router"
        config = { mode = "header", header = "region", "route.eu" = "t-eu" }
        [[binding]]
        plugin = "pii-redact"
        hook = "transform"
        [[binding]]
        plugin = "tag-filter"
        hook = "ingress-filter"
        config = { tags = "keep" }
        "#,
    );
    let host = open(dir.path(), None);
    let mut batch = vec![
        OwnedMessage::new("t", "keep", b"a@b.com").with_property("region", "eu"),
        OwnedMessage::new("t", "drop", b"a@b.com").with_property("region", "eu"),
    ];
    let out = host.ingress("t", &mut batch);
    assert_eq!(out.verdicts, vec![Verdict::Keep, Verdict::Discarded]);
    assert_eq!(
        (batch[0].topic.as_str(), &batch[0].body[..]),
        ("t-eu", &b"***"[..])
    );
    assert_eq!(
        (batch[1].topic.as_str(), &batch[1].body[..]),
        ("t", &b"a@b.com"[..]),
        "discarded messages skip later stages"
    );
    let hooks: Vec<_> = host.bindings().iter().map(|b| b.hook).collect();
    assert_eq!(
        hooks,
        [
            HookKind::Router,
            HookKind::Transform,
            HookKind::IngressFilter
        ]
    );
}

fn route() -> RouteView {
    let q = |b: &str| QueueData {
        broker_name: b.into(),
        read_queue_nums: 8,
        write_queue_nums: 8,
        perm: 6,
        topic_sys_flag: 0,
    };
    let b = |n: &str, a: &str| BrokerData {
        cluster: "c".into(),
        broker_name: n.into(),
        broker_addrs: vec![(0, a.into())],
    };
    RouteView {
        queue_datas: vec![q("broker-a"), q("broker-b")],
        broker_datas: vec![
            b("broker-a", "10.0.0.1:10911"),
            b("broker-b", "10.1.0.1:10911"),
        ],
    }
}

#[test]
fn route_policy_narrows_the_route_for_some_clients() {
    let dir = plugins_dir(
        &[("route-policy", "route-policy")],
        r#"
        [[binding]]
        plugin = "route-policy"
        hook = "route-policy"
        config = { "allow.10.1.*" = "broker-b", max-queues = 2 }
        "#,
    );
    let host = open(dir.path(), None);
    let shaped = host.route_policy("orders", "10.1.2.3:4444", route());
    assert_eq!(shaped.broker_datas.len(), 1);
    assert_eq!(shaped.broker_datas[0].broker_name, "broker-b");
    assert_eq!(shaped.queue_datas[0].read_queue_nums, 2);
    let other = host.route_policy("orders", "192.168.1.1:1", route());
    assert_eq!(other.broker_datas.len(), 2);
}

#[test]
fn retention_policy_per_topic_and_per_file() {
    let dir = plugins_dir(
        &[("retention-policy", "retention-policy")],
        r#"
        [[binding]]
        plugin = "retention-policy"
        hook = "retention"
        config = { "topic.audit-*" = "30d", min-file-age = "1h" }
        "#,
    );
    let host = open(dir.path(), None);
    assert_eq!(
        host.retention_for_topic("audit-eu", 0),
        Some(RetentionDecision {
            retention_ms: Some(30 * 86_400_000),
            max_bytes: None
        })
    );
    assert_eq!(host.retention_for_topic("orders", 0), None);
    let file = |modified| FileInfo {
        name: "00000000000000000000".into(),
        kind: FileKind::CommitLog,
        topic: String::new(),
        size_bytes: 1 << 30,
        first_offset: 0,
        last_modified_ms: modified,
    };
    let now = 100 * 3_600_000;
    assert_eq!(host.may_delete_file(&file(now - 60_000), now), Some(false));
    assert_eq!(host.may_delete_file(&file(0), now), None);
}
