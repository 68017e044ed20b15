//! WebAssembly plugins in the data path of a real broker, driven by ali-ons: a consumer-side JSON
//! filter per group, a PII-redacting transform, a router's audit copies, a trapping ingress filter
//! under both failure policies, a hot replacement mid-stream, and a nameserver route policy.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use wasmq_e2e::check::{self, Received, Sent};
use wasmq_e2e::plugins::PluginDir;
use wasmq_e2e::{BrokerOpts, Client, ConsumeArgs, ScriptProc, TestBroker, node, unique_name, wire};

const PRODUCE_TIMEOUT: Duration = Duration::from_secs(40);
const CONSUME_TIMEOUT: Duration = Duration::from_secs(40);
/// How long a consumer keeps listening after its count to catch duplicate or extra deliveries.
const LINGER_MS: u64 = 1500;
const ONS: Client = Client::AliOns;

/// Broker options for this file: 64 MiB commit-log files (these tests store little, and several
/// brokers run at once on a development disk that is nearly full).
fn roomy(opts: BrokerOpts) -> BrokerOpts {
    opts.set("mappedFileSizeCommitLog", &(64u64 << 20).to_string())
}

/// A standalone broker serving `dir`.
fn broker_with(dir: &PluginDir) -> TestBroker {
    TestBroker::start(roomy(BrokerOpts::new().plugins_dir(dir.path())))
}

/// A fresh topic, created through ali-ons.
fn new_topic(tb: &TestBroker, prefix: &str) -> String {
    let topic = unique_name(prefix);
    ONS.prepare_topic(&tb.namesrv_addr(), &topic);
    topic
}

/// Options of one `produce.js` run.
struct Produce<'a> {
    topic: &'a str,
    count: usize,
    tags: &'a str,
    prefix: &'a str,
    bodies: Option<&'a [&'a str]>,
    keep_going: bool,
    interval_ms: u64,
}

impl<'a> Produce<'a> {
    fn new(topic: &'a str, count: usize, prefix: &'a str) -> Self {
        Produce {
            topic,
            count,
            tags: "TagA",
            prefix,
            bodies: None,
            keep_going: false,
            interval_ms: 0,
        }
    }

    /// Starts the producer; `scratch` holds the bodies file.
    fn spawn(&self, tb: &TestBroker, scratch: &Path) -> ScriptProc {
        let count = self.count.to_string();
        let interval = self.interval_ms.to_string();
        let mut args = vec![
            "--topic",
            self.topic,
            "--count",
            &count,
            "--tags",
            self.tags,
            "--prefix",
            self.prefix,
            "--interval-ms",
            &interval,
        ];
        let file = scratch.join(format!("bodies-{}.json", self.prefix));
        let file_arg = file.display().to_string();
        if let Some(bodies) = self.bodies {
            std::fs::write(&file, serde_json::to_vec(bodies).expect("bodies as JSON"))
                .expect("write bodies file");
            args.extend(["--bodies", &file_arg]);
        }
        if self.keep_going {
            args.push("--keep-going");
        }
        node::spawn("produce.js", &tb.namesrv_addr(), &args)
    }

    /// Runs the producer to its end and returns its `sent` results, all SEND_OK.
    fn run_ok(&self, tb: &TestBroker, scratch: &Path) -> Vec<Sent> {
        let mut p = self.spawn(tb, scratch);
        p.finish_ok(PRODUCE_TIMEOUT);
        let sent = check::sent(p.events());
        check::assert_all_send_ok(&sent, self.count);
        sent
    }
}

/// Consumes `count` messages (plus the linger window) in `group` and returns them.
fn consume_n(tb: &TestBroker, group: &str, topic: &str, count: usize) -> Vec<Received> {
    let args = ConsumeArgs::new(group, topic).count(count, LINGER_MS);
    let mut p = ONS.consume(&tb.namesrv_addr(), &args, &[]);
    p.finish_ok(CONSUME_TIMEOUT);
    check::received(p.events())
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wasmq-e2e-scratch-")
        .tempdir()
        .expect("scratch dir")
}

/// Deliveries counted per message key (keys are unique per send: `<prefix>-key-<i>`).
fn by_key(got: &[Received]) -> HashMap<String, Vec<&Received>> {
    let mut m: HashMap<String, Vec<&Received>> = HashMap::new();
    for r in got.iter().filter(|r| !r.retry) {
        m.entry(r.keys.clone().unwrap_or_default())
            .or_default()
            .push(r);
    }
    m
}

const JSON_BODIES: [&str; 8] = [
    r#"{"amount":5,"item":"pen"}"#,
    r#"{"amount":1500,"item":"desk"}"#,
    r#"{"amount":999,"item":"chair"}"#,
    r#"{"amount":1001,"item":"lamp"}"#,
    r#"{"amount":250000,"item":"car"}"#,
    r#"{"amount":1000,"item":"sofa"}"#,
    "not json at all",
    r#"{"item":"no amount"}"#,
];

/// The bodies of `JSON_BODIES` whose `amount` is above 1000.
fn above_1000(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["amount"].as_f64())
        .is_some_and(|a| a > 1000.0)
}

#[test]
fn json_consumer_filter_applies_to_its_group_only() {
    let dir = PluginDir::new();
    dir.add("json-filter");
    let topic = unique_name("e2e_json");
    let (g1, g2) = (unique_name("g_json_rich"), unique_name("g_json_all"));
    dir.bindings(&format!(
        r#"
[[binding]]
plugin = "json-filter"
hook = "consumer-filter"
topics = ["{topic}"]
groups = ["{g1}"]
[binding.config]
field = "amount"
op = "gt"
value = "1000"
"#
    ));
    let tb = broker_with(&dir);
    ONS.prepare_topic(&tb.namesrv_addr(), &topic);
    let s = scratch();
    let mut p = Produce::new(&topic, 48, "json");
    p.bodies = Some(&JSON_BODIES);
    let sent = p.run_ok(&tb, s.path());
    let wanted: Vec<Sent> = sent
        .iter()
        .filter(|m| above_1000(&m.body))
        .cloned()
        .collect();
    assert_eq!(wanted.len(), 18, "test data: 3 of every 8 bodies match");

    let args1 = ConsumeArgs::new(&g1, &topic).count(wanted.len(), LINGER_MS);
    let args2 = ConsumeArgs::new(&g2, &topic).count(sent.len(), LINGER_MS);
    let mut c1 = ONS.consume(&tb.namesrv_addr(), &args1, &[]);
    let mut c2 = ONS.consume(&tb.namesrv_addr(), &args2, &[]);
    c1.finish_ok(CONSUME_TIMEOUT);
    c2.finish_ok(CONSUME_TIMEOUT);
    check::assert_exactly_once(&wanted, &check::received(c1.events()));
    check::assert_exactly_once(&sent, &check::received(c2.events()));
}

const PII_BODIES: [(&str, &str); 3] = [
    (
        "contact alice.smith@example.com about card 4111 1111 1111 1111 please",
        "contact *** about card *** please",
    ),
    ("order 42 for bob@shop.example.org", "order 42 for ***"),
    (
        "nothing personal here, order 12345",
        "nothing personal here, order 12345",
    ),
];

#[test]
fn pii_transform_redacts_stored_bodies_of_its_topic_only() {
    let dir = PluginDir::new();
    dir.add("pii-redact");
    let topic = unique_name("e2e_pii");
    dir.bindings(&format!(
        r#"
[[binding]]
plugin = "pii-redact"
hook = "transform"
topics = ["{topic}"]
[binding.config]
redact = "email,card"
"#
    ));
    let tb = broker_with(&dir);
    ONS.prepare_topic(&tb.namesrv_addr(), &topic);
    let other = new_topic(&tb, "e2e_pii_other");
    let s = scratch();
    let raw: Vec<&str> = PII_BODIES.iter().map(|(b, _)| *b).collect();
    let expected: BTreeMap<&str, &str> = PII_BODIES.iter().copied().collect();

    let mut p = Produce::new(&topic, 30, "pii");
    p.bodies = Some(&raw);
    let sent = p.run_ok(&tb, s.path());
    let got = consume_n(&tb, &unique_name("g_pii"), &topic, sent.len());
    // Exactly once with every field intact except the body, which must be the redacted one.
    let redacted: Vec<Sent> = sent
        .iter()
        .map(|m| Sent {
            body: expected[m.body.as_str()].to_string(),
            ..m.clone()
        })
        .collect();
    check::assert_exactly_once(&redacted, &got);
    for r in &got {
        assert!(
            !r.body.contains('@') && !r.body.contains("1111"),
            "unredacted body consumed: {:?}",
            r.body
        );
    }

    let mut p = Produce::new(&other, 30, "plain");
    p.bodies = Some(&raw);
    let sent = p.run_ok(&tb, s.path());
    let got = consume_n(&tb, &unique_name("g_pii_other"), &other, sent.len());
    check::assert_exactly_once(&sent, &got);
}

/// key-router's queue choice: 32-bit FNV-1a of the first key, mod the queue count.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[test]
fn router_routes_by_key_and_copies_each_message_to_the_audit_topic_once() {
    let dir = PluginDir::new();
    dir.add("key-router");
    let (topic, audit) = (unique_name("e2e_route"), unique_name("e2e_audit"));
    dir.bindings(&format!(
        r#"
[[binding]]
plugin = "key-router"
hook = "router"
topics = ["{topic}"]
[binding.config]
mode = "key-hash"
queues = 4
audit-topic = "{audit}"
"#
    ));
    let tb = broker_with(&dir);
    ONS.prepare_topic(&tb.namesrv_addr(), &topic);
    ONS.prepare_topic(&tb.namesrv_addr(), &audit);
    let s = scratch();
    let sent = Produce::new(&topic, 40, "route").run_ok(&tb, s.path());
    for m in &sent {
        let want = i64::from(fnv1a(m.key.as_bytes()) % 4);
        assert_eq!(
            m.queue_id, want,
            "send result of {}: queue {} but FNV-1a(key) % 4 = {want}",
            m.key, m.queue_id
        );
    }
    let got = consume_n(&tb, &unique_name("g_route"), &topic, sent.len());
    let copies = consume_n(&tb, &unique_name("g_audit"), &audit, sent.len());
    for (t, got) in [(&topic, &got), (&audit, &copies)] {
        let got = by_key(got);
        for m in &sent {
            let c = got.get(&m.key).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(c.len(), 1, "deliveries of {} from {t}: {c:?}", m.key);
            assert_eq!(
                (c[0].topic.as_str(), c[0].body.as_str()),
                (t.as_str(), m.body.as_str()),
                "delivery of {} from {t}",
                m.key
            );
        }
        assert_eq!(got.len(), sent.len(), "{t} holds extra messages");
    }
    // One send, one message: the answer names the stored original only, not its audit copy.
    for m in &sent {
        assert!(
            !m.msg_id.contains(','),
            "send result of {} carries several msgIds: {}",
            m.key,
            m.msg_id
        );
    }
    check::assert_exactly_once(&sent, &got);
}

#[test]
fn trapping_ingress_filter_refuses_or_passes_by_policy_and_the_broker_keeps_serving() {
    let dir = PluginDir::new();
    dir.add("fixture-trap");
    let (refuse, pass) = (unique_name("e2e_trap_refuse"), unique_name("e2e_trap_pass"));
    dir.bindings(&format!(
        r#"
[[binding]]
name = "trap-refuse"
plugin = "fixture-trap"
hook = "ingress-filter"
topics = ["{refuse}"]
on-failure = "refuse"

[[binding]]
name = "trap-pass"
plugin = "fixture-trap"
hook = "ingress-filter"
topics = ["{pass}"]
on-failure = "pass"
"#
    ));
    let mut tb = broker_with(&dir);
    ONS.prepare_topic(&tb.namesrv_addr(), &refuse);
    ONS.prepare_topic(&tb.namesrv_addr(), &pass);
    let s = scratch();

    // refuse: every `boom` send is answered 13 naming the plugin; the others are stored.
    let mut p = Produce::new(&refuse, 60, "refuse");
    p.tags = "TagA,TagB,boom";
    p.keep_going = true;
    let mut proc = p.spawn(&tb, s.path());
    proc.finish_ok(PRODUCE_TIMEOUT);
    let sent = check::sent(proc.events());
    let errors = proc.events_of("send_error");
    assert!(
        sent.iter()
            .all(|m| m.tag != "boom" && m.status == "SEND_OK"),
        "a boom send was stored or a normal one not SEND_OK: {:?}",
        sent.iter()
            .find(|m| m.tag == "boom" || m.status != "SEND_OK")
    );
    assert_eq!(sent.len(), 40, "normal sends acknowledged");
    assert_eq!(errors.len(), 20, "boom sends refused: {errors:?}");
    for e in &errors {
        assert_eq!(e["tag"], "boom", "refused send: {e}");
        assert_eq!(e["code"], 13, "refused send's code: {e}");
        let msg = e["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("fixture-trap") || msg.contains("trap-refuse"),
            "the refusal does not name the plugin: {e}"
        );
    }
    let got = consume_n(&tb, &unique_name("g_refuse"), &refuse, sent.len());
    check::assert_exactly_once(&sent, &got);

    // pass: the trap lets every message through.
    let mut p = Produce::new(&pass, 30, "pass");
    p.tags = "TagA,boom";
    let sent = p.run_ok(&tb, s.path());
    let got = consume_n(&tb, &unique_name("g_pass"), &pass, sent.len());
    check::assert_exactly_once(&sent, &got);

    assert!(tb.is_running(), "the broker died");
    let log = tb.log();
    for (what, binding) in [
        ("ingress plugin failed", "trap-refuse"),
        ("ingress plugin failed", "trap-pass"),
        ("plugin call failed", ""),
    ] {
        assert!(
            log.lines().any(|l| l.contains(what) && l.contains(binding)),
            "the broker log has no {what:?} line for {binding:?}"
        );
    }
    // Still serving plain sends afterwards.
    Produce::new(&refuse, 5, "after").run_ok(&tb, s.path());

    // The counters (WASMQ_PLUGIN_LIST, 9000), on brokers that have the plugin admin requests.
    let list = wire::call(&tb.broker_addr(), WASMQ_PLUGIN_LIST, &[], b"");
    if list.code() == 0 {
        let body = list.body_json();
        for (binding, booms) in [("trap-refuse", 20), ("trap-pass", 15)] {
            let row = body["bindings"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|b| b["binding"] == binding)
                .unwrap_or_else(|| panic!("no {binding} in the plugin list: {body}"));
            let traps = row["traps"].as_u64().unwrap_or(0);
            assert!(
                traps >= booms,
                "{binding}: {traps} traps counted for {booms} boom sends: {row}"
            );
        }
    } else {
        eprintln!(
            "[e2e] this broker has no WASMQ_PLUGIN_LIST ({}): counters not checked",
            list.code()
        );
    }
}

/// wasmq extension request: the bindings and their metrics as JSON.
const WASMQ_PLUGIN_LIST: i32 = 9000;

#[test]
fn hot_replaced_ingress_filter_loses_and_duplicates_nothing() {
    let dir = PluginDir::new();
    dir.install("gate", "tag-filter");
    let topic = unique_name("e2e_hot");
    dir.bindings(&format!(
        r#"
[[binding]]
plugin = "gate"
hook = "ingress-filter"
topics = ["{topic}"]
[binding.config]
tags = "A"
"#
    ));
    let tb = broker_with(&dir);
    ONS.prepare_topic(&tb.namesrv_addr(), &topic);
    let s = scratch();
    let mut consumer = ONS.consume(
        &tb.namesrv_addr(),
        &ConsumeArgs::new(&unique_name("g_hot"), &topic),
        &[],
    );
    let mut p = Produce::new(&topic, 500, "hot");
    p.tags = "A,B";
    p.interval_ms = 15;
    let mut producer = p.spawn(&tb, s.path());

    // Replace mid-stream: once 60 sends are acknowledged, `gate` becomes keep-all.
    let deadline = Instant::now() + PRODUCE_TIMEOUT;
    while check::sent(producer.events()).len() < 60 {
        assert!(
            Instant::now() < deadline,
            "producer stalled before the swap"
        );
        producer.next_event(Duration::from_millis(50));
        consumer.next_event(Duration::from_millis(1));
    }
    dir.install("gate", "fixture-keep-all");
    while !producer.events().iter().any(|e| e["event"] == "done") {
        assert!(Instant::now() < deadline, "producer did not finish");
        producer.next_event(Duration::from_millis(50));
        consumer.next_event(Duration::from_millis(1));
    }
    producer.finish_ok(PRODUCE_TIMEOUT);
    let sent = check::sent(producer.events());
    check::assert_all_send_ok(&sent, 500);
    let stored: Vec<Sent> = sent
        .iter()
        .filter(|m| m.queue_offset >= 0)
        .cloned()
        .collect();

    // Discarded sends are acknowledged with offset -1; each B is discarded until the swap and
    // stored after it, never the other way round.
    let b: Vec<&Sent> = sent.iter().filter(|m| m.tag == "B").collect();
    let first_stored = b.iter().position(|m| m.queue_offset >= 0);
    let Some(first_stored) = first_stored else {
        panic!("no B message was stored after the replacement (still filtered)");
    };
    assert!(first_stored > 0, "B messages were stored before the swap");
    assert!(
        b[first_stored..].iter().all(|m| m.queue_offset >= 0),
        "a B message was discarded after the replacement went live"
    );
    assert!(
        sent.iter()
            .filter(|m| m.tag == "A")
            .all(|m| m.queue_offset >= 0),
        "an A message was not stored"
    );

    let ids: std::collections::HashSet<&str> = stored.iter().map(|m| m.msg_id.as_str()).collect();
    let deadline = Instant::now() + CONSUME_TIMEOUT;
    loop {
        let got = check::received(consumer.events());
        let have: std::collections::HashSet<&str> = got.iter().map(|r| r.msg_id.as_str()).collect();
        if ids.iter().all(|i| have.contains(i)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "consumer has {} of {} stored messages",
            have.len(),
            ids.len()
        );
        consumer.next_event(Duration::from_millis(50));
    }
    let linger = Instant::now() + Duration::from_millis(LINGER_MS);
    while Instant::now() < linger {
        consumer.next_event(Duration::from_millis(50));
    }
    consumer.terminate(CONSUME_TIMEOUT);
    check::assert_exactly_once(&stored, &check::received(consumer.events()));
}

/// Broker names in the route ali-ons gets for `topic` from `namesrv`.
fn route_brokers(namesrv: &str, topic: &str) -> Vec<String> {
    let mut p = node::spawn("route.js", namesrv, &["--topic", topic]);
    let ev = p.wait_for(Duration::from_secs(20), "route", |e| {
        e["event"] == "route" || e["event"] == "route_error"
    });
    p.finish_ok(Duration::from_secs(20));
    assert_eq!(
        ev["event"], "route",
        "route of {topic} from {namesrv}: {ev}"
    );
    let mut names: Vec<String> = ev["route"]["brokerDatas"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["brokerName"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn route_policy_on_the_namesrv_shows_only_the_allowed_broker() {
    let dir = PluginDir::new();
    dir.add("route-policy");
    dir.bindings(
        r#"
[[binding]]
plugin = "route-policy"
hook = "route-policy"
[binding.config]
"allow.127.0.0.1:*" = "broker-a"
"#,
    );
    let shaped = TestBroker::start(BrokerOpts::namesrv().plugins_dir(dir.path()));
    let plain = TestBroker::start(BrokerOpts::namesrv());
    let both = format!("{};{}", shaped.namesrv_addr(), plain.namesrv_addr());
    let _a = TestBroker::start(roomy(BrokerOpts::broker(&both)).set("brokerName", "broker-a"));
    let _b = TestBroker::start(roomy(BrokerOpts::broker(&both)).set("brokerName", "broker-b"));
    let topic = unique_name("e2e_policy");
    // Created on every broker serving TBW102 (the unshaped nameserver lists both).
    ONS.prepare_topic(&plain.namesrv_addr(), &topic);
    let all = ["broker-a".to_string(), "broker-b".to_string()];
    assert_eq!(route_brokers(&plain.namesrv_addr(), &topic), all);
    assert_eq!(
        route_brokers(&shaped.namesrv_addr(), &topic),
        ["broker-a".to_string()]
    );
}

#[test]
fn failing_consumer_filter_holds_messages_back_and_never_skips_them() {
    let dir = PluginDir::new();
    dir.add("fixture-trap");
    let topic = unique_name("e2e_cftrap");
    let (held, free) = (unique_name("g_cf_held"), unique_name("g_cf_free"));
    dir.bindings(&format!(
        r#"
[[binding]]
name = "cf-trap"
plugin = "fixture-trap"
hook = "consumer-filter"
topics = ["{topic}"]
groups = ["{held}"]
on-failure = "refuse"
"#
    ));
    let tb = broker_with(&dir);
    ONS.prepare_topic(&tb.namesrv_addr(), &topic);
    let s = scratch();
    // Round robin over 4 queues with every third message `boom`: each queue holds one.
    let mut p = Produce::new(&topic, 12, "cf");
    p.tags = "TagA,TagA,boom";
    let sent = p.run_ok(&tb, s.path());
    assert!(
        (0..4).all(|q| sent.iter().any(|m| m.queue_id == q && m.tag == "boom")),
        "test data: a boom in every queue: {sent:?}"
    );

    let mut c = ONS.consume(&tb.namesrv_addr(), &ConsumeArgs::new(&held, &topic), &[]);
    // The unbound group gets everything at once (so pulls are being served).
    let got = consume_n(&tb, &free, &topic, sent.len());
    check::assert_exactly_once(&sent, &got);
    // The bound group's pulls trap in the plugin: nothing is delivered, nothing filtered out.
    let trapped = wasmq_e2e::wait_until(CONSUME_TIMEOUT, || {
        c.next_event(Duration::from_millis(10));
        tb.log()
            .lines()
            .any(|l| l.contains("plugin call failed") && l.contains("cf-trap"))
            .then_some(())
    });
    assert!(trapped.is_some(), "the consumer filter was never called");
    assert!(
        check::received(c.events()).is_empty(),
        "messages delivered although the consumer filter failed: {:?}",
        check::received(c.events())
    );
    // Unbind: the held messages, `boom` included, arrive exactly once; none was skipped.
    dir.bindings("");
    let want: std::collections::HashSet<&str> = sent.iter().map(|m| m.msg_id.as_str()).collect();
    let deadline = Instant::now() + CONSUME_TIMEOUT;
    loop {
        let got = check::received(c.events());
        if want.iter().all(|id| got.iter().any(|r| r.msg_id == *id)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after unbinding, {} of {} held messages arrived",
            got.len(),
            sent.len()
        );
        c.next_event(Duration::from_millis(50));
    }
    let linger = Instant::now() + Duration::from_millis(LINGER_MS);
    while Instant::now() < linger {
        c.next_event(Duration::from_millis(50));
    }
    c.terminate(CONSUME_TIMEOUT);
    check::assert_exactly_once(&sent, &check::received(c.events()));
}
