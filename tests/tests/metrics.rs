//! The Prometheus endpoint (`metricsExporterType=PROM`) of a real `wasmq` process, scraped over
//! HTTP and read with a Prometheus text-format parser while ali-ons produces and consumes: the
//! per-topic counters move by exactly what was sent and pulled, latency histograms count the
//! requests, consumer lag follows commits, connections follow clients, and a bound plugin's
//! counters appear.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use prometheus_parse::{LineInfo, Scrape, Value};
use wasmq_e2e::check::{self, Sent};
use wasmq_e2e::plugins::PluginDir;
use wasmq_e2e::{BrokerOpts, Client, ConsumeArgs, TestBroker, node, unique_name, wait_until};

const TIMEOUT: Duration = Duration::from_secs(60);
const ONS: Client = Client::AliOns;

/// The `metrics` address from the process's ready file.
fn metrics_addr(tb: &TestBroker) -> Option<String> {
    let text = std::fs::read_to_string(tb.ready_path()).expect("read the ready file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("ready file is JSON");
    v["metrics"].as_str().map(str::to_owned)
}

/// `GET /metrics` over a plain socket; checks the status and content type, then parses the
/// body, failing on any line a Prometheus text parser does not recognise.
fn scrape(addr: &str) -> Metrics {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    for line in body.lines() {
        assert!(
            !matches!(LineInfo::parse(line), LineInfo::Ignored),
            "not Prometheus text: {line:?}"
        );
    }
    let parsed = Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parse /metrics");
    Metrics(parsed)
}

/// One parsed scrape.
struct Metrics(Scrape);

impl Metrics {
    /// The sample `name` whose labels include `labels`, if any.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .samples
            .iter()
            .find(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
            .map(|x| match &x.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
                other => panic!("{name} is not a scalar: {other:?}"),
            })
    }

    /// Like [`Metrics::get`], 0 when absent (a counter never bumped).
    fn or0(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }

    /// The `_count` of histogram `name`, checked against its `+Inf` bucket.
    fn histogram_count(&self, name: &str) -> f64 {
        let count = self.or0(&format!("{name}_count"), &[]);
        let hist = self
            .0
            .samples
            .iter()
            .find(|x| x.metric == name)
            .unwrap_or_else(|| panic!("no histogram {name}"));
        let Value::Histogram(buckets) = &hist.value else {
            panic!("{name} is not a histogram: {hist:?}");
        };
        let inf = buckets.last().expect("buckets");
        assert!(inf.less_than.is_infinite(), "{buckets:?}");
        assert_eq!(inf.count, count, "{name}: +Inf bucket and _count differ");
        assert!(
            buckets.windows(2).all(|w| w[0].count <= w[1].count),
            "{name}: buckets are not cumulative: {buckets:?}"
        );
        count
    }
}

fn produce(tb: &TestBroker, topic: &str, n: usize, tags: &str, prefix: &str) -> Vec<Sent> {
    let count = n.to_string();
    let args = [
        "--topic", topic, "--count", &count, "--tags", tags, "--prefix", prefix,
    ];
    let mut p = node::spawn("produce.js", &tb.namesrv_addr(), &args);
    p.finish_ok(TIMEOUT);
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, n);
    sent
}

fn exporter_on(opts: BrokerOpts) -> BrokerOpts {
    opts.set("metricsExporterType", "PROM")
        .set("metricsPromExporterPort", "0")
}

#[test]
fn counters_follow_what_ali_ons_sends_and_consumes() {
    let dir = PluginDir::new();
    dir.install("gate", "tag-filter");
    let topic = unique_name("e2e_metrics");
    let gated = unique_name("e2e_metrics_gated");
    dir.bindings(&format!(
        r#"
[[binding]]
name = "gate-binding"
plugin = "gate"
hook = "ingress-filter"
topics = ["{gated}"]
[binding.config]
tags = "A"
"#
    ));
    // SYNC_FLUSH: every acknowledged send was flushed, so the flush histogram has moved.
    let opts = exporter_on(BrokerOpts::new().sync_flush().plugins_dir(dir.path()))
        .set("mappedFileSizeCommitLog", &(64u64 << 20).to_string());
    let tb = TestBroker::start(opts);
    let addr = metrics_addr(&tb).expect("the ready file names the metrics endpoint");
    let ns = tb.namesrv_addr();
    ONS.prepare_topic(&ns, &topic);
    ONS.prepare_topic(&ns, &gated);

    let t = [("topic", topic.as_str())];
    let before = scrape(&addr);
    assert_eq!(before.get("wasmq_broker_messages_in_total", &t), None);
    // create_topic.js has exited; its connection is gone once the broker has seen it close.
    let idle = wait_until(TIMEOUT, || {
        (scrape(&addr).get("wasmq_broker_connections", &[]) == Some(0.0)).then_some(())
    });
    assert!(idle.is_some(), "connections counted with no client running");
    let sends_before = before.histogram_count("wasmq_broker_send_latency_seconds");
    let data_before = before.or0("wasmq_store_commitlog_data_bytes", &[]);

    // Send N: messages in = N, bytes in = the records' size, one send latency per message.
    const N: usize = 20;
    let sent = produce(&tb, &topic, N, "TagA", "met");
    let m = scrape(&addr);
    assert_eq!(m.get("wasmq_broker_messages_in_total", &t), Some(N as f64));
    let bytes_in = m.or0("wasmq_broker_bytes_in_total", &t);
    let payload: usize = sent.iter().map(|s| s.body.len() + topic.len()).sum();
    assert!(
        bytes_in > payload as f64,
        "bytes in {bytes_in} must exceed bodies + topic names {payload}"
    );
    let data_after = m.or0("wasmq_store_commitlog_data_bytes", &[]);
    assert!(
        data_after - data_before >= bytes_in,
        "the commit log grew {} bytes, less than the {bytes_in} counted in",
        data_after - data_before
    );
    assert_eq!(
        m.histogram_count("wasmq_broker_send_latency_seconds") - sends_before,
        N as f64
    );
    assert!(m.histogram_count("wasmq_store_flush_latency_seconds") >= 1.0);
    assert_eq!(m.or0("wasmq_broker_messages_out_total", &t), 0.0);
    let ratio = m
        .get("wasmq_store_disk_used_ratio", &[])
        .expect("disk ratio");
    assert!((0.0..=1.0).contains(&ratio), "{ratio}");

    // Consume them: messages out = N, the same record bytes out as in, lag 0 once committed.
    let group = unique_name("g_metrics");
    let pulls_before = m.histogram_count("wasmq_broker_pull_latency_seconds");
    let mut consumer = ONS.consume(&ns, &ConsumeArgs::new(&group, &topic).count(N, 1500), &[]);
    let live = wait_until(TIMEOUT, || {
        let c = scrape(&addr).or0("wasmq_broker_connections", &[]);
        (c >= 1.0).then_some(c)
    });
    assert!(
        live.is_some(),
        "the consumer's connection was never counted"
    );
    consumer.finish_ok(TIMEOUT);
    check::assert_exactly_once(&sent, &check::received(consumer.events()));
    let m = scrape(&addr);
    assert_eq!(m.get("wasmq_broker_messages_out_total", &t), Some(N as f64));
    assert_eq!(m.get("wasmq_broker_bytes_out_total", &t), Some(bytes_in));
    assert!(m.histogram_count("wasmq_broker_pull_latency_seconds") > pulls_before);
    let lag = [("group", group.as_str()), ("topic", topic.as_str())];
    let zero = wait_until(TIMEOUT, || {
        (scrape(&addr).get("wasmq_broker_consumer_lag", &lag) == Some(0.0)).then_some(())
    });
    assert!(
        zero.is_some(),
        "lag of {group} did not reach 0 after consuming"
    );

    // M more while the group is away: its lag is exactly M.
    const M: usize = 7;
    produce(&tb, &topic, M, "TagA", "met2");
    let m = scrape(&addr);
    assert_eq!(m.get("wasmq_broker_consumer_lag", &lag), Some(M as f64));
    assert_eq!(
        m.get("wasmq_broker_messages_in_total", &t),
        Some((N + M) as f64)
    );

    // The bound ingress filter keeps tag A only: 10 sends, 10 calls, 5 discarded, 5 stored.
    produce(&tb, &gated, 10, "A,B", "gate");
    let m = scrape(&addr);
    let binding = [
        ("binding", "gate-binding"),
        ("plugin", "gate"),
        ("hook", "ingress-filter"),
    ];
    assert_eq!(m.get("wasmq_plugin_calls_total", &binding), Some(10.0));
    assert_eq!(m.get("wasmq_plugin_messages_total", &binding), Some(10.0));
    assert_eq!(m.get("wasmq_plugin_discards_total", &binding), Some(5.0));
    assert_eq!(m.get("wasmq_plugin_rejects_total", &binding), Some(0.0));
    assert_eq!(m.get("wasmq_plugin_traps_total", &binding), Some(0.0));
    assert_eq!(m.get("wasmq_plugin_enabled", &binding), Some(1.0));
    assert!(m.or0("wasmq_plugin_call_seconds_total", &binding) > 0.0);
    assert!(m.or0("wasmq_plugin_fuel_consumed_total", &binding) > 0.0);
    assert_eq!(
        m.get(
            "wasmq_broker_messages_in_total",
            &[("topic", gated.as_str())]
        ),
        Some(5.0)
    );

    // The nameserver's side: routes were looked up, one broker, our topics.
    let routes = [("name", "GetRouteinfoByTopic")];
    assert!(m.or0("wasmq_namesrv_requests_total", &routes) >= 1.0);
    assert!(m.or0("wasmq_namesrv_route_lookups_total", &[("result", "found")]) >= 1.0);
    assert_eq!(m.get("wasmq_namesrv_brokers", &[]), Some(1.0));
    assert!(m.or0("wasmq_namesrv_topics", &[]) >= 2.0);
    assert!(
        m.or0("wasmq_namesrv_connections", &[]) >= 1.0,
        "the broker's own"
    );

    // Every client has exited: the broker's connection gauge goes back to 0.
    let closed = wait_until(TIMEOUT, || {
        (scrape(&addr).get("wasmq_broker_connections", &[]) == Some(0.0)).then_some(())
    });
    assert!(
        closed.is_some(),
        "client connections still counted after the clients exited"
    );
}

#[test]
fn the_exporter_is_off_by_default_and_a_lone_namesrv_serves_its_own() {
    let tb = TestBroker::start(BrokerOpts::new());
    assert_eq!(metrics_addr(&tb), None, "metrics are off unless enabled");
    drop(tb);

    let ns = TestBroker::start(exporter_on(BrokerOpts::namesrv()));
    let addr = metrics_addr(&ns).expect("the namesrv's metrics endpoint");
    let topic = unique_name("e2e_metrics_none");
    // A route lookup for a topic nobody serves: answered TOPIC_NOT_EXIST, counted not_found.
    let mut p = node::spawn("route.js", &ns.namesrv_addr(), &["--topic", &topic]);
    p.finish_ok(TIMEOUT);
    assert!(
        p.events().iter().any(|e| e["event"] == "route_error"),
        "{:?}",
        p.events()
    );
    let m = scrape(&addr);
    let not_found = m.or0(
        "wasmq_namesrv_route_lookups_total",
        &[("result", "not_found")],
    );
    assert!(not_found >= 1.0, "route lookups: {:?}", lookups(&m));
    assert_eq!(m.get("wasmq_namesrv_brokers", &[]), Some(0.0));
    assert!(
        m.0.samples
            .iter()
            .all(|s| !s.metric.starts_with("wasmq_broker_")),
        "a lone nameserver exports no broker families"
    );
}

#[test]
fn a_taken_exporter_port_fails_the_process_before_it_serves() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port to take");
    let port = taken.local_addr().expect("its address").port().to_string();
    let home = tempfile::tempdir().expect("temp home");
    let kv = home.path().join("kv.json").display().to_string();
    let mut child = std::process::Command::new(wasmq_e2e::binary::wasmq_bin())
        .arg("namesrv")
        .args([
            "--set",
            "listenPort=0",
            "--set",
            &format!("kvConfigPath={kv}"),
        ])
        .args(["--set", "metricsExporterType=PROM"])
        .args(["--set", "metricsPromExporterHost=127.0.0.1"])
        .args(["--set", &format!("metricsPromExporterPort={port}")])
        .env("HOME", home.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn wasmq namesrv");
    let status = wait_until(TIMEOUT, || child.try_wait().ok().flatten());
    let Some(status) = status else {
        let _ = child.kill();
        panic!("wasmq namesrv kept running with its exporter port taken");
    };
    let out = child.wait_with_output().expect("its output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("metricsPromExporterHost/Port") && stderr.contains(&port),
        "the error names the key and the port: {stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("wasmq ready"),
        "it never announced readiness"
    );
    drop(taken);
}

fn lookups(m: &Metrics) -> HashMap<String, f64> {
    m.0.samples
        .iter()
        .filter(|s| s.metric.starts_with("wasmq_namesrv_"))
        .map(|s| {
            let v = match s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                _ => f64::NAN,
            };
            (format!("{}{:?}", s.metric, s.labels), v)
        })
        .collect()
}
