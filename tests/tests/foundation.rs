//! Foundation: the real binary starts, becomes ready, registers, answers a real client's route and
//! cluster-info requests, survives malformed frames, and restarts on the same store and ports.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use wasmq_e2e::{BrokerOpts, TestBroker, node, wire};

const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
const TOPIC_NOT_EXIST: i64 = 17;
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `route.js` for `topic` and returns (route or route_error event, cluster event).
fn ons_route(namesrv: &str, topic: &str) -> (Value, Value) {
    let mut p = node::spawn("route.js", namesrv, &["--topic", topic]);
    p.finish_ok(CLIENT_TIMEOUT);
    let route = p
        .events()
        .iter()
        .find(|e| e["event"] == "route" || e["event"] == "route_error")
        .cloned()
        .expect("route.js printed a route or route_error event");
    let cluster = p
        .events()
        .iter()
        .find(|e| e["event"] == "cluster" || e["event"] == "cluster_error")
        .cloned()
        .expect("route.js printed a cluster event");
    (route, cluster)
}

fn broker_addrs_in(route: &Value) -> Vec<String> {
    route["brokerDatas"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|bd| {
            bd["brokerAddrs"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, a)| a.as_str().map(str::to_string))
        })
        .collect()
}

#[test]
fn ready_file_and_stdout_line_agree_and_ports_listen() {
    let tb = TestBroker::start(BrokerOpts::new());
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(tb.ready_path()).expect("ready file"))
            .expect("ready JSON");
    // The line may be printed just after the file is renamed into place: wait for it (deadline).
    let line = wasmq_e2e::wait_until(Duration::from_secs(5), || {
        let stdout = std::fs::read_to_string(tb.stdout_path()).ok()?;
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("wasmq ready ").map(str::to_string))
    })
    .unwrap_or_else(|| {
        panic!(
            "no `wasmq ready ` line on stdout: {:?}",
            std::fs::read_to_string(tb.stdout_path())
        )
    });
    let line: Value = serde_json::from_str(&line).expect("ready line JSON");
    assert_eq!(file, line, "ready file and ready line differ");
    for tmp in [
        tb.ready_path().with_extension("json.tmp"),
        tb.ready_path().with_extension("tmp"),
    ] {
        assert!(
            !tmp.exists(),
            "temporary ready file {} left behind",
            tmp.display()
        );
    }
    for addr in [tb.namesrv_addr(), tb.broker_addr()] {
        assert!(
            addr.starts_with("127.0.0.1:"),
            "address {addr} should use brokerIP1/loopback"
        );
        assert_ne!(
            addr, "127.0.0.1:0",
            "port 0 must be replaced by the bound port"
        );
        TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    }
}

#[test]
fn ali_ons_reads_default_topic_route_and_cluster_info() {
    let tb = TestBroker::start(BrokerOpts::new());
    let (route, cluster) = ons_route(&tb.namesrv_addr(), "TBW102");
    assert_eq!(route["event"], "route", "TBW102 route: {route}");
    let route = &route["route"];
    assert_eq!(
        broker_addrs_in(route),
        vec![tb.broker_addr()],
        "TBW102 route should list exactly our broker: {route}"
    );
    let qd = &route["queueDatas"][0];
    assert!(
        qd["writeQueueNums"].as_i64().unwrap_or(0) > 0,
        "queueDatas: {route}"
    );
    assert_eq!(
        qd["perm"].as_i64(),
        Some(7),
        "TBW102 is RW + inherit (perm 7): {route}"
    );
    assert_eq!(qd["brokerName"], route["brokerDatas"][0]["brokerName"]);

    assert_eq!(cluster["event"], "cluster", "cluster info: {cluster}");
    let info = &cluster["info"];
    let clusters = info["clusterAddrTable"]
        .as_object()
        .expect("clusterAddrTable object");
    assert_eq!(
        clusters.keys().collect::<Vec<_>>(),
        vec!["DefaultCluster"],
        "cluster info: {info}"
    );
    let broker_name = route["brokerDatas"][0]["brokerName"]
        .as_str()
        .expect("brokerName");
    assert_eq!(clusters["DefaultCluster"], serde_json::json!([broker_name]));
    assert_eq!(
        info["brokerAddrTable"][broker_name]["brokerAddrs"]["0"],
        Value::String(tb.broker_addr()),
        "cluster info: {info}"
    );
}

#[test]
fn ali_ons_route_for_unknown_topic_is_topic_not_exist() {
    let tb = TestBroker::start(BrokerOpts::new());
    let (route, _) = ons_route(&tb.namesrv_addr(), &wasmq_e2e::unique_name("e2e_absent"));
    assert_eq!(
        route["event"], "route_error",
        "unknown topic got a route: {route}"
    );
    assert_eq!(route["code"].as_i64(), Some(TOPIC_NOT_EXIST), "{route}");
}

/// Frames that no server may accept, each paired with a name for the failure message.
fn malformed_frames() -> Vec<(&'static str, Vec<u8>)> {
    let mut cases: Vec<(&'static str, Vec<u8>)> = vec![
        (
            "HTTP request (length prefix ~1.1 GiB)",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "2 GiB length prefix",
            [0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, b'{', b'}'].to_vec(),
        ),
        (
            "negative length prefix",
            [0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 2, b'{', b'}'].to_vec(),
        ),
        (
            "length smaller than the header mark",
            [0, 0, 0, 2, 0, 0].to_vec(),
        ),
        (
            "header length beyond the frame",
            [0, 0, 0, 8, 0, 0, 1, 0, b'{', b'"', b'a', b'"'].to_vec(),
        ),
        (
            "invalid JSON header",
            wire::raw_frame(b"{\"code\": 105, not json", b""),
        ),
        ("unknown serialize type 7", {
            let mut f = wire::raw_frame(b"{\"code\":105}", b"");
            f[4] = 7;
            f
        }),
        ("truncated ROCKETMQ binary header", {
            let mut f = wire::raw_frame(&[0, 105, 0, 0], b"");
            f[4] = 1;
            f
        }),
    ];
    cases.push((
        "random bytes",
        (0..64u32).map(|i| (i * 97 + 13) as u8).rev().collect(),
    ));
    cases
}

/// Sends each malformed frame on its own connection to `target` and checks that only that
/// connection is closed: a connection opened before keeps working and new ones are accepted.
fn check_malformed(target: &str, probe: impl Fn(&mut TcpStream, i32) -> i64, expect: i64) {
    let mut bystander = wire::connect(target);
    assert_eq!(probe(&mut bystander, 1), expect, "probe before any garbage");
    for (i, (name, bytes)) in malformed_frames().into_iter().enumerate() {
        let mut victim = wire::connect(target);
        victim
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("{name}: write: {e}"));
        if let Err(e) = wire::expect_closed(&mut victim, Duration::from_secs(5)) {
            panic!("{target}: after {name} the connection was not closed: {e}");
        }
        let opaque = 100 + i32::try_from(i).expect("few cases");
        assert_eq!(
            probe(&mut bystander, opaque),
            expect,
            "existing connection after {name}"
        );
        let mut fresh = wire::connect(target);
        assert_eq!(
            probe(&mut fresh, opaque),
            expect,
            "new connection after {name}"
        );
    }
}

#[test]
fn malformed_frames_close_only_their_connection() {
    let tb = TestBroker::start(BrokerOpts::new());
    // Nameserver: the probe is a real route request.
    check_malformed(
        &tb.namesrv_addr(),
        |s, opaque| {
            wire::call_on(
                s,
                GET_ROUTEINFO_BY_TOPIC,
                opaque,
                &[("topic", "TBW102")],
                b"",
            )
            .code()
        },
        0,
    );
    // Broker: the probe is an unknown request code, which must be answered with code 3.
    check_malformed(
        &tb.broker_addr(),
        |s, opaque| wire::call_on(s, 9999, opaque, &[], b"").code(),
        3,
    );
    // And a real client still works afterwards.
    let (route, _) = ons_route(&tb.namesrv_addr(), "TBW102");
    assert_eq!(route["event"], "route", "{route}");
}

#[test]
fn sigterm_is_clean_and_restart_keeps_store_and_addresses() {
    let mut tb = TestBroker::start(BrokerOpts::new());
    let before = (tb.namesrv_addr(), tb.broker_addr());
    tb.stop();
    assert!(
        tb.store_dir().is_dir(),
        "store dir {} was not created",
        tb.store_dir().display()
    );
    tb.restart();
    assert_eq!((tb.namesrv_addr(), tb.broker_addr()), before);
    let (route, _) = ons_route(&tb.namesrv_addr(), "TBW102");
    assert_eq!(
        broker_addrs_in(&route["route"]),
        vec![tb.broker_addr()],
        "{route}"
    );
}

#[test]
fn kill9_then_restart_recovers_and_serves_routes() {
    let mut tb = TestBroker::start(BrokerOpts::new().sync_flush());
    tb.kill9();
    tb.restart();
    let (route, _) = ons_route(&tb.namesrv_addr(), "TBW102");
    assert_eq!(
        broker_addrs_in(&route["route"]),
        vec![tb.broker_addr()],
        "{route}"
    );
}

#[test]
fn ali_ons_creates_a_topic_and_sends_through_its_route() {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = wasmq_e2e::unique_name("e2e_first");
    // UPDATE_AND_CREATE_TOPIC on the broker, which must re-register so the nameserver routes it.
    let mut c = node::spawn(
        "create_topic.js",
        &tb.namesrv_addr(),
        &["--topic", &topic, "--queues", "4"],
    );
    c.finish_ok(CLIENT_TIMEOUT);
    let (route, _) = ons_route(&tb.namesrv_addr(), &topic);
    assert_eq!(
        route["event"], "route",
        "created topic has no route: {route}"
    );
    assert_eq!(broker_addrs_in(&route["route"]), vec![tb.broker_addr()]);
    let qd = &route["route"]["queueDatas"][0];
    assert_eq!(
        (qd["readQueueNums"].as_i64(), qd["writeQueueNums"].as_i64()),
        (Some(4), Some(4)),
        "{route}"
    );
    // Producer start + send: route lookup, heartbeat, SEND_MESSAGE_V2.
    let mut p = node::spawn(
        "produce.js",
        &tb.namesrv_addr(),
        &["--topic", &topic, "--count", "3"],
    );
    p.finish_ok(CLIENT_TIMEOUT);
    let sent = wasmq_e2e::check::sent(p.events());
    wasmq_e2e::check::assert_all_send_ok(&sent, 3);
    for s in &sent {
        assert!(
            (0..4).contains(&s.queue_id),
            "queue id {} outside the 4 created",
            s.queue_id
        );
    }
}

#[test]
fn rust_client_send_auto_creates_topic_from_tbw102() {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = wasmq_e2e::unique_name("e2e_auto");
    let mut p =
        wasmq_e2e::Client::RustClient.produce(&tb.namesrv_addr(), &topic, 3, "TagA", "auto");
    p.finish_ok(CLIENT_TIMEOUT);
    wasmq_e2e::check::assert_all_send_ok(&wasmq_e2e::check::sent(p.events()), 3);
    // The broker created the topic from the TBW102 template and registered it with the nameserver.
    let (route, _) = ons_route(&tb.namesrv_addr(), &topic);
    assert_eq!(
        route["event"], "route",
        "auto-created topic has no route: {route}"
    );
    assert_eq!(broker_addrs_in(&route["route"]), vec![tb.broker_addr()]);
}
