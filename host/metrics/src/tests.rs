//! Scrapes of a registry holding every collector, parsed with a Prometheus text-format parser.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use prometheus_parse::{LineInfo, Scrape, Value};

use crate::*;

#[derive(Debug)]
struct FixedBroker;

impl BrokerProbe for FixedBroker {
    fn sample(&self) -> BrokerSample {
        BrokerSample {
            commit_log_disk_bytes: 1 << 20,
            commit_log_data_bytes: 4242,
            disk_used_ratio: Some(0.25),
            connections: 3,
            lags: vec![ConsumerLag {
                group: "G".into(),
                topic: "T".into(),
                lag: 7,
            }],
        }
    }
}

#[derive(Debug)]
struct FixedNamesrv;

impl NamesrvProbe for FixedNamesrv {
    fn sample(&self) -> NamesrvSample {
        NamesrvSample {
            brokers: 1,
            topics: 5,
            connections: 2,
        }
    }
}

#[derive(Debug)]
struct FixedPlugins;

impl PluginProbe for FixedPlugins {
    fn bindings(&self) -> Vec<BindingSample> {
        vec![BindingSample {
            binding: "gate".into(),
            plugin: "tag-filter".into(),
            hook: "ingress-filter".into(),
            enabled: true,
            calls: 10,
            messages: 12,
            nanos: 1_500_000_000,
            rejects: 1,
            discards: 2,
            traps: 0,
            fuel: 999,
            failures: 0,
        }]
    }
}

fn registry() -> (Arc<Registry>, Arc<BrokerMetrics>, Arc<NamesrvMetrics>) {
    let broker = BrokerMetrics::new();
    let namesrv = NamesrvMetrics::new(&[(105, "GET_ROUTEINFO_BY_TOPIC"), (103, "REGISTER_BROKER")]);
    let mut r = Registry::default();
    r.register_collector(Box::new(BrokerCollector::new(
        Arc::clone(&broker),
        Arc::new(FixedBroker),
    )));
    r.register_collector(Box::new(NamesrvCollector::new(
        Arc::clone(&namesrv),
        Arc::new(FixedNamesrv),
    )));
    r.register_collector(Box::new(PluginCollector(Arc::new(FixedPlugins))));
    (Arc::new(r), broker, namesrv)
}

/// Parses `text`, failing on any line the parser does not recognise.
fn parse(text: &str) -> Scrape {
    for line in text.lines() {
        let ok = match LineInfo::parse(line) {
            LineInfo::Doc { .. } | LineInfo::Type { .. } | LineInfo::Sample { .. } => true,
            LineInfo::Empty => true,
            LineInfo::Ignored => false,
        };
        assert!(ok, "not Prometheus text: {line:?}\n{text}");
    }
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("parse")
}

fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            other => panic!("{name} is not a scalar: {other:?}"),
        })
}

#[test]
fn a_scrape_parses_and_shows_what_was_recorded() {
    let (reg, broker, namesrv) = registry();
    broker.record_in("T", 3, 300);
    broker.record_in("T", 1, 100);
    broker.record_out("T", 2, 200);
    broker.record_in("U", 1, 10);
    broker.observe_send(Duration::from_micros(70));
    broker.observe_pull(Duration::from_millis(2));
    broker.observe_flush(Duration::from_millis(1));
    namesrv.record_request(105);
    namesrv.record_request(105);
    namesrv.record_request(9999);
    namesrv.record_route_lookup(true);
    namesrv.record_route_lookup(false);

    let text = server::encode_prometheus(&reg).unwrap();
    let s = parse(&text);
    let t = [("topic", "T")];
    assert_eq!(value(&s, "wasmq_broker_messages_in_total", &t), Some(4.0));
    assert_eq!(value(&s, "wasmq_broker_bytes_in_total", &t), Some(400.0));
    assert_eq!(value(&s, "wasmq_broker_messages_out_total", &t), Some(2.0));
    assert_eq!(value(&s, "wasmq_broker_bytes_out_total", &t), Some(200.0));
    assert_eq!(
        value(&s, "wasmq_broker_messages_in_total", &[("topic", "U")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "wasmq_broker_send_latency_seconds_count", &[]),
        Some(1.0)
    );
    let hist = s
        .samples
        .iter()
        .find(|x| x.metric == "wasmq_broker_send_latency_seconds")
        .expect("send histogram");
    let Value::Histogram(buckets) = &hist.value else {
        panic!("not a histogram: {hist:?}")
    };
    // 70 µs: not in the 50 µs bucket, in every bucket from 100 µs up.
    assert_eq!(buckets[0].count, 0.0);
    assert!(buckets[1..].iter().all(|b| b.count == 1.0), "{buckets:?}");
    assert_eq!(
        value(&s, "wasmq_store_flush_latency_seconds_count", &[]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "wasmq_store_commitlog_data_bytes", &[]),
        Some(4242.0)
    );
    assert_eq!(value(&s, "wasmq_store_disk_used_ratio", &[]), Some(0.25));
    assert_eq!(value(&s, "wasmq_broker_connections", &[]), Some(3.0));
    assert_eq!(
        value(
            &s,
            "wasmq_broker_consumer_lag",
            &[("group", "G"), ("topic", "T")]
        ),
        Some(7.0)
    );
    let route = [("code", "105"), ("name", "GET_ROUTEINFO_BY_TOPIC")];
    assert_eq!(value(&s, "wasmq_namesrv_requests_total", &route), Some(2.0));
    assert_eq!(
        value(&s, "wasmq_namesrv_requests_total", &[("name", "UNKNOWN")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "wasmq_namesrv_requests_total", &[("code", "103")]),
        None,
        "codes never seen are left out"
    );
    for result in ["found", "not_found"] {
        let l = [("result", result)];
        assert_eq!(
            value(&s, "wasmq_namesrv_route_lookups_total", &l),
            Some(1.0)
        );
    }
    assert_eq!(value(&s, "wasmq_namesrv_topics", &[]), Some(5.0));
    let gate = [
        ("binding", "gate"),
        ("plugin", "tag-filter"),
        ("hook", "ingress-filter"),
    ];
    assert_eq!(value(&s, "wasmq_plugin_calls_total", &gate), Some(10.0));
    assert_eq!(value(&s, "wasmq_plugin_messages_total", &gate), Some(12.0));
    assert_eq!(value(&s, "wasmq_plugin_discards_total", &gate), Some(2.0));
    assert_eq!(
        value(&s, "wasmq_plugin_call_seconds_total", &gate),
        Some(1.5)
    );
    assert_eq!(value(&s, "wasmq_plugin_enabled", &gate), Some(1.0));

    let om = server::encode_openmetrics(&reg).unwrap();
    assert!(om.trim_end().ends_with("# EOF"), "{om}");
    assert!(
        om.contains("wasmq_broker_messages_in_total{topic=\"T\"} 4"),
        "{om}"
    );
}

/// One HTTP/1.1 GET over a plain socket: `(head, body)`.
fn get(addr: std::net::SocketAddr, path: &str, accept: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_serves_both_text_formats_on_an_ephemeral_port() {
    let (reg, broker, _) = registry();
    broker.record_in("T", 5, 500);
    let server = serve("127.0.0.1:0".parse().unwrap(), reg).await.unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    let (head, body, om_head, om_body, missing) = tokio::task::spawn_blocking(move || {
        let (head, body) = get(addr, "/metrics", "*/*");
        let (om_head, om_body) = get(
            addr,
            "/metrics",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        );
        let (missing, _) = get(addr, "/nothing", "*/*");
        (head, body, om_head, om_body, missing)
    })
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    let s = parse(&body);
    assert_eq!(
        value(&s, "wasmq_broker_messages_in_total", &[("topic", "T")]),
        Some(5.0)
    );
    assert!(
        om_head
            .to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{om_head}"
    );
    assert!(om_body.trim_end().ends_with("# EOF"), "{om_body}");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    server.shutdown();
}
