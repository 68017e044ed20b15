//! `wasmq admin` end to end: the real binary with `--json` against a real `wasmq standalone`,
//! each verb checked against what real ali-ons clients sent, received and are.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use wasmq_e2e::check::{self, Sent};
use wasmq_e2e::plugins::PluginDir;
use wasmq_e2e::{BrokerOpts, ScriptProc, TestBroker, node, unique_name, wait_until, wire};

const TIMEOUT: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(20);

/// A standalone broker with 64 MiB commit-log files (the machine's disk is shared).
fn start() -> TestBroker {
    TestBroker::start(BrokerOpts::new().set("mappedFileSizeCommitLog", "67108864"))
}

/// Runs `wasmq admin <args>`: (success, stdout, stderr).
fn admin(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(wasmq_e2e::binary::wasmq_bin())
        .arg("admin")
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .output()
        .expect("run wasmq admin");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `wasmq admin <args> --json`, which must succeed.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let (ok, out, err) = admin(&all);
    assert!(ok, "wasmq admin {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
}

/// `wasmq admin <args> --json` when it succeeds.
fn try_json(args: &[&str]) -> Option<Value> {
    let mut all = args.to_vec();
    all.push("--json");
    let (ok, out, _) = admin(&all);
    if ok {
        serde_json::from_str(&out).ok()
    } else {
        None
    }
}

/// `wasmq admin <args>`, which must fail; its stderr.
fn fails(args: &[&str]) -> String {
    let (ok, out, err) = admin(args);
    assert!(!ok, "wasmq admin {args:?} should fail; printed {out}");
    err
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// The cluster's one broker: (cluster name, broker name).
fn cluster_of(tb: &TestBroker) -> (String, String) {
    let ns = tb.namesrv_addr();
    let rows = json(&["clusterList", "-n", &ns]);
    let rows = rows.as_array().expect("clusterList is an array");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["addr"], tb.broker_addr().as_str());
    assert_eq!(rows[0]["brokerId"], 0);
    (
        rows[0]["cluster"].as_str().unwrap().to_owned(),
        rows[0]["brokerName"].as_str().unwrap().to_owned(),
    )
}

/// Creates `topic` with 4 queues through `updateTopic -c` and waits until clients can route it.
fn create_topic(tb: &TestBroker, cluster: &str, topic: &str) {
    let ns = tb.namesrv_addr();
    let r = json(&[
        "updateTopic",
        "-n",
        &ns,
        "-c",
        cluster,
        "-t",
        topic,
        "-r",
        "4",
        "-w",
        "4",
    ]);
    assert_eq!(r["brokers"][0], tb.broker_addr().as_str(), "{r}");
    wait_until(WAIT, || try_json(&["topicRoute", "-n", &ns, "-t", topic]))
        .unwrap_or_else(|| panic!("no route for {topic} after updateTopic"));
    let list = json(&["topicList", "-n", &ns]);
    assert!(
        list.as_array().unwrap().iter().any(|t| t == topic),
        "{list}"
    );
}

fn produce(tb: &TestBroker, topic: &str, n: usize, prefix: &str) -> Vec<Sent> {
    let count = n.to_string();
    let mut p = node::spawn(
        "produce.js",
        &tb.namesrv_addr(),
        &["--topic", topic, "--count", &count, "--prefix", prefix],
    );
    p.finish_ok(TIMEOUT);
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, n);
    sent
}

fn consume_all(tb: &TestBroker, group: &str, topic: &str, n: usize) -> Vec<String> {
    let count = n.to_string();
    let mut c = node::spawn(
        "consume.js",
        &tb.namesrv_addr(),
        &[
            "--group",
            group,
            "--topic",
            topic,
            "--count",
            &count,
            "--linger-ms",
            "300",
        ],
    );
    c.finish_ok(TIMEOUT);
    let mut bodies: Vec<String> = check::received(c.events())
        .into_iter()
        .map(|r| r.body)
        .collect();
    bodies.sort();
    bodies
}

#[test]
fn topic_message_and_broker_verbs_show_what_ali_ons_sent() {
    let tb = start();
    let ns = tb.namesrv_addr();
    let addr = tb.broker_addr();
    let (cluster, broker_name) = cluster_of(&tb);
    let topic = unique_name("adm_msgs");
    create_topic(&tb, &cluster, &topic);

    let n = 8;
    let sent = produce(&tb, &topic, n, "adm");

    // topicStatus: per queue, max offset = the sends ali-ons saw land in that queue.
    let mut per_queue: BTreeMap<i64, i64> = BTreeMap::new();
    for s in &sent {
        *per_queue.entry(s.queue_id).or_default() += 1;
    }
    let status = wait_until(WAIT, || {
        let s = json(&["topicStatus", "-n", &ns, "-t", &topic]);
        let total: i64 = s["queues"]
            .as_array()?
            .iter()
            .map(|q| i(&q["maxOffset"]))
            .sum();
        (total == n as i64).then_some(s)
    })
    .expect("topicStatus max offsets sum to the messages sent");
    for q in status["queues"].as_array().unwrap() {
        assert_eq!(q["brokerName"], broker_name.as_str());
        let expected = per_queue.get(&i(&q["queueId"])).copied().unwrap_or(0);
        assert_eq!(i(&q["maxOffset"]), expected, "queue {q}");
        assert_eq!(i(&q["minOffset"]), 0);
        if expected > 0 {
            assert!(i(&q["lastUpdateTimestamp"]) > 0, "{q}");
        }
    }

    // queryMsgByKey: the one message with that key, as ali-ons sent it (msgId, queue, offset).
    let s3 = &sent[3];
    let found = wait_until(WAIT, || {
        let f = json(&["queryMsgByKey", "-n", &ns, "-t", &topic, "-k", &s3.key]);
        (f.as_array()?.len() == 1).then_some(f)
    })
    .expect("queryMsgByKey finds the keyed message");
    let m = &found[0];
    assert_eq!(m["body"], s3.body.as_str());
    assert_eq!(m["msgId"], s3.msg_id.as_str());
    assert_eq!(i(&m["queueId"]), s3.queue_id);
    assert_eq!(i(&m["queueOffset"]), s3.queue_offset);
    assert_eq!(m["tags"], s3.tag.as_str());
    assert_eq!(m["keys"][0], s3.key.as_str());
    assert_eq!(m["properties"]["e2e_index"], "3");
    assert_eq!(m["bodyEncoding"], "utf8");
    let none = json(&[
        "queryMsgByKey",
        "-n",
        &ns,
        "-t",
        &topic,
        "-k",
        "no-such-key",
    ]);
    assert_eq!(none.as_array().map(Vec::len), Some(0));

    // queryMsgById with the msgId ali-ons got back from the send.
    let s0 = &sent[0];
    let m = json(&["queryMsgById", "-n", &ns, "-i", &s0.msg_id]);
    assert_eq!(m["body"], s0.body.as_str());
    assert_eq!(m["offsetMsgId"], s0.msg_id.as_str());
    assert_eq!(m["topic"], topic.as_str());
    assert_eq!(m["storeHost"], addr.as_str());
    let (ok, table, _) = admin(&["queryMsgById", "-n", &ns, "-i", &s0.msg_id]);
    assert!(
        ok && table.contains(&s0.body) && table.contains("OffsetID:"),
        "{table}"
    );

    // queryMsgByOffset: broker name, queue and offset as ali-ons reported them.
    let s1 = &sent[1];
    let (q, o) = (s1.queue_id.to_string(), s1.queue_offset.to_string());
    let m = json(&[
        "queryMsgByOffset",
        "-n",
        &ns,
        "-t",
        &topic,
        "-b",
        &broker_name,
        "-i",
        &q,
        "-o",
        &o,
    ]);
    assert_eq!(m["body"], s1.body.as_str());
    assert_eq!(m["msgId"], s1.msg_id.as_str());
    let err = fails(&[
        "queryMsgByOffset",
        "-n",
        &ns,
        "-t",
        &topic,
        "-b",
        &broker_name,
        "-q",
        &q,
        "-o",
        "9999",
    ]);
    assert!(err.contains("no message at offset 9999"), "{err}");

    // sendMessage to one queue: an ali-ons consumer receives it as sent, with both ids.
    let r = json(&[
        "sendMessage",
        "-n",
        &ns,
        "-t",
        &topic,
        "-p",
        "hello from admin",
        "-k",
        "admin-key",
        "-c",
        "TagZ",
        "-b",
        &broker_name,
        "-i",
        "2",
    ]);
    assert_eq!(
        (i(&r["queueId"]), &r["brokerName"]),
        (2, &Value::from(broker_name.as_str())),
        "{r}"
    );
    let group = unique_name("adm_msgs_g");
    let mut c = node::spawn(
        "consume.js",
        &ns,
        &[
            "--group",
            &group,
            "--topic",
            &topic,
            "--count",
            &(n + 1).to_string(),
            "--linger-ms",
            "300",
        ],
    );
    c.finish_ok(TIMEOUT);
    let got = check::received(c.events());
    assert_eq!(got.len(), n + 1, "{got:?}");
    let m = got
        .iter()
        .find(|m| m.body == "hello from admin")
        .unwrap_or_else(|| panic!("the admin's message was not received: {got:?}"));
    assert_eq!(m.msg_id, r["offsetMsgId"].as_str().unwrap());
    assert_eq!(
        m.properties.get("UNIQ_KEY").map(String::as_str),
        r["msgId"].as_str()
    );
    assert_eq!((m.queue_id, m.queue_offset), (2, i(&r["queueOffset"])));
    assert_eq!(m.tags.as_deref(), Some("TagZ"));
    assert_eq!(m.keys.as_deref(), Some("admin-key"));

    // brokerStatus and getBrokerConfig of the broker the messages went to.
    let st = json(&["brokerStatus", "-n", &ns, "-b", &addr]);
    let puts: i64 = st["msgPutTotalTodayNow"].as_str().unwrap().parse().unwrap();
    assert!(puts > n as i64, "{st}");
    let conf = json(&["getBrokerConfig", "-n", &ns, "-b", &addr]);
    assert_eq!(conf[addr.as_str()]["brokerName"], broker_name.as_str());
    assert_eq!(conf[addr.as_str()]["brokerClusterName"], cluster.as_str());

    // deleteTopic: gone from the nameserver for clients.
    let r = json(&["deleteTopic", "-n", &ns, "-c", &cluster, "-t", &topic]);
    assert_eq!(r["brokers"][0], addr.as_str());
    let err = wait_until(WAIT, || {
        let (ok, _, err) = admin(&["topicRoute", "-n", &ns, "-t", &topic]);
        (!ok).then_some(err)
    })
    .expect("the deleted topic loses its route");
    assert!(
        err.contains(&format!("no route for topic {topic}")),
        "{err}"
    );
}

#[test]
fn consumer_verbs_follow_real_ali_ons_clients() {
    let tb = start();
    let ns = tb.namesrv_addr();
    let addr = tb.broker_addr();
    let (cluster, _) = cluster_of(&tb);
    let topic = unique_name("adm_cons");
    create_topic(&tb, &cluster, &topic);
    let n = 6;
    let sent = produce(&tb, &topic, n, "cons");
    let mut bodies: Vec<String> = sent.iter().map(|s| s.body.clone()).collect();
    bodies.sort();

    // A live producer and consumer: both listed with the client ids ali-ons has.
    let (pg, live_group) = (unique_name("adm_pg"), unique_name("adm_live"));
    let mut live: ScriptProc = node::spawn(
        "admin_live.js",
        &ns,
        &[
            "--producer-group",
            &pg,
            "--group",
            &live_group,
            "--topic",
            &topic,
        ],
    );
    let started = live.wait_for(TIMEOUT, "started", |e| e["event"] == "started");
    let producer_id = started["producerClientId"].as_str().unwrap().to_owned();
    let consumer_id = started["consumerClientId"].as_str().unwrap().to_owned();
    let conns = wait_until(WAIT, || {
        try_json(&["producerConnection", "-n", &ns, "-g", &pg, "-t", &topic])
    })
    .expect("producerConnection lists the live producer");
    let ids: Vec<&str> = conns["connectionSet"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["clientId"].as_str())
        .collect();
    assert_eq!(ids, [producer_id.as_str()], "{conns}");
    let cc = wait_until(WAIT, || {
        try_json(&["consumerConnection", "-n", &ns, "-g", &live_group])
    })
    .expect("consumerConnection lists the live consumer");
    assert_eq!(
        cc["connectionSet"][0]["clientId"],
        consumer_id.as_str(),
        "{cc}"
    );
    assert_eq!(cc["connectionSet"].as_array().unwrap().len(), 1, "{cc}");
    assert_eq!(
        cc["subscriptionTable"][topic.as_str()]["subString"],
        "*",
        "{cc}"
    );
    assert_eq!(cc["messageModel"], "CLUSTERING");
    assert_eq!(cc["consumeType"], "CONSUME_PASSIVELY");
    // The live consumer takes all n; its progress shows no lag once it committed.
    wait_until(TIMEOUT, || {
        live.next_event(Duration::from_millis(200));
        (live.events_of("msg").len() >= n).then_some(())
    })
    .unwrap_or_else(|| panic!("the live consumer got {:?}", live.events()));
    let p = wait_until(WAIT, || {
        let p = try_json(&[
            "consumerProgress",
            "-n",
            &ns,
            "-g",
            &live_group,
            "-t",
            &topic,
        ])?;
        (i(&p["totalLag"]) == 0).then_some(p)
    })
    .expect("the live consumer's lag reaches 0");
    let broker_total: i64 = p["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| i(&q["brokerOffset"]))
        .sum();
    assert_eq!(broker_total, n as i64, "{p}");
    // It pulled n messages within the last minute: Java's one-minute consume TPS is above 0.
    assert!(p["consumeTps"].as_f64().unwrap() > 0.0, "{p}");
    // Online: the broker computes the reset and tells the consumer (ali-ons ignores it).
    let r = json(&[
        "resetOffsetByTime",
        "-n",
        &ns,
        "-g",
        &live_group,
        "-t",
        &topic,
        "-s",
        "0",
    ]);
    assert_eq!(r["online"], true, "{r}");
    assert!(
        r["queues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| i(&q["offset"]) == 0),
        "{r}"
    );
    live.terminate(TIMEOUT);

    // A group that consumed everything, then is reset while offline: lag n, and a restarted
    // consumer receives the n messages again.
    let group = unique_name("adm_reset");
    assert_eq!(consume_all(&tb, &group, &topic, n), bodies);
    wait_until(WAIT, || {
        let p = try_json(&["consumerProgress", "-n", &ns, "-g", &group, "-t", &topic])?;
        (i(&p["totalLag"]) == 0).then_some(())
    })
    .expect("lag 0 after consuming everything");
    let (ok, table, err) = admin(&["consumerProgress", "-n", &ns, "-g", &group]);
    assert!(
        ok && table.contains("Diff Total: 0") && table.contains(&topic),
        "{table}{err}"
    );
    let before = sent.iter().map(|s| s.sent_at).min().unwrap() - 60_000;
    let r = json(&[
        "resetOffsetByTime",
        "-n",
        &ns,
        "-g",
        &group,
        "-t",
        &topic,
        "-s",
        &before.to_string(),
    ]);
    assert_eq!(r["online"], false, "no consumer is online: {r}");
    assert_eq!(r["queues"].as_array().unwrap().len(), 4, "{r}");
    let p = json(&["consumerProgress", "-n", &ns, "-g", &group, "-t", &topic]);
    assert_eq!(
        i(&p["totalLag"]),
        n as i64,
        "lag before consuming again: {p}"
    );
    assert_eq!(
        consume_all(&tb, &group, &topic, n),
        bodies,
        "re-received after the reset"
    );
    let p = wait_until(WAIT, || {
        let p = try_json(&["consumerProgress", "-n", &ns, "-g", &group, "-t", &topic])?;
        (i(&p["totalLag"]) == 0).then_some(p)
    });
    assert!(p.is_some(), "lag back to 0 after consuming again");

    // Without -g: every subscription group with its total lag.
    let all = json(&["consumerProgress", "-n", &ns]);
    let line = all
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["group"] == group.as_str())
        .unwrap_or_else(|| panic!("{group} not listed: {all}"));
    assert_eq!(line["totalLag"], 0);

    // Unknown groups are named as such.
    for verb in ["consumerProgress", "consumerConnection"] {
        let err = fails(&[verb, "-n", &ns, "-g", "adm_no_such_group"]);
        assert!(
            err.contains("no such consumer group adm_no_such_group"),
            "{verb}: {err}"
        );
    }
    let err = fails(&[
        "producerConnection",
        "-n",
        &ns,
        "-g",
        "adm_no_such_pg",
        "-t",
        &topic,
    ]);
    assert!(
        err.contains("adm_no_such_pg") && err.contains(&addr),
        "{err}"
    );
}

#[test]
fn group_and_broker_config_changes_are_visible_and_effective() {
    let tb = start();
    let ns = tb.namesrv_addr();
    let addr = tb.broker_addr();
    let (cluster, _) = cluster_of(&tb);

    // updateSubGroup / deleteSubGroup, checked with a raw GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
    let group = unique_name("adm_sub");
    let groups = || wire::call(&addr, 201, &[], b"").body_json()["subscriptionGroupTable"].clone();
    json(&[
        "updateSubGroup",
        "-n",
        &ns,
        "-b",
        &addr,
        "-g",
        &group,
        "-r",
        "5",
        "-s",
        "false",
    ]);
    let g = groups()[group.as_str()].clone();
    assert_eq!(g["retryMaxTimes"], 5, "{g}");
    assert_eq!(g["consumeEnable"], false, "{g}");
    json(&["deleteSubGroup", "-n", &ns, "-c", &cluster, "-g", &group]);
    assert!(groups().get(group.as_str()).is_none());

    // updateBrokerConfig: visible in getBrokerConfig, and brokerPermission=4 (read only) reaches
    // clients through the route: ali-ons can no longer send, then can again at 6.
    let topic = unique_name("adm_perm");
    create_topic(&tb, &cluster, &topic);
    let r = json(&[
        "updateBrokerConfig",
        "-n",
        &ns,
        "-b",
        &addr,
        "-k",
        "brokerPermission",
        "-v",
        "4",
    ]);
    assert_eq!(r["brokers"][0], addr.as_str());
    let conf = json(&["getBrokerConfig", "-n", &ns, "-c", &cluster]);
    assert_eq!(conf[addr.as_str()]["brokerPermission"], "4", "{conf}");
    wait_until(WAIT, || {
        let route = try_json(&["topicRoute", "-n", &ns, "-t", &topic])?;
        (route["queueDatas"][0]["perm"] == 4).then_some(())
    })
    .expect("the route turns read-only");
    let mut p = node::spawn(
        "produce.js",
        &ns,
        &["--topic", &topic, "--count", "1", "--keep-going"],
    );
    p.finish_ok(TIMEOUT);
    assert_eq!(
        p.events_of("send_error").len(),
        1,
        "a read-only broker takes no send: {:?}",
        p.events()
    );
    json(&[
        "updateBrokerConfig",
        "-n",
        &ns,
        "-c",
        &cluster,
        "-k",
        "brokerPermission",
        "-v",
        "6",
    ]);
    wait_until(WAIT, || {
        let route = try_json(&["topicRoute", "-n", &ns, "-t", &topic])?;
        (route["queueDatas"][0]["perm"] == 6).then_some(())
    })
    .expect("the route is writable again");
    produce(&tb, &topic, 1, "perm");

    // Keys that cannot change live, or do not exist, are refused by name.
    let err = fails(&[
        "updateBrokerConfig",
        "-n",
        &ns,
        "-b",
        &addr,
        "-k",
        "brokerName",
        "-v",
        "x",
    ]);
    assert!(
        err.contains("brokerName cannot be changed at run time"),
        "{err}"
    );
    let err = fails(&[
        "updateBrokerConfig",
        "-n",
        &ns,
        "-b",
        &addr,
        "-k",
        "noSuchKey",
        "-v",
        "1",
    ]);
    assert!(err.contains("unknown broker config key noSuchKey"), "{err}");

    // Errors name their cause.
    let err = fails(&["clusterList", "-n", "127.0.0.1:1"]);
    assert!(err.contains("connection refused to 127.0.0.1:1"), "{err}");
    let err = fails(&["topicStatus", "-n", &ns, "-t", "adm_no_such_topic"]);
    assert!(
        err.contains("no route for topic adm_no_such_topic"),
        "{err}"
    );
    let err = fails(&["updateTopic", "-n", &ns, "-c", "NoSuchCluster", "-t", "x"]);
    assert!(err.contains("no such cluster NoSuchCluster"), "{err}");
    let err = fails(&["plugins", "-b", "127.0.0.1:1"]);
    assert!(err.contains("connection refused to 127.0.0.1:1"), "{err}");
}

#[test]
fn plugins_verb_lists_and_switches_a_binding_ali_ons_traffic_goes_through() {
    let dir = PluginDir::new();
    dir.add("pii-redact");
    let topic = unique_name("adm_pii");
    dir.bindings(&format!(
        "[[binding]]\nplugin = \"pii-redact\"\nhook = \"transform\"\ntopics = [\"{topic}\"]\n\
         [binding.config]\nredact = \"email\"\n"
    ));
    let tb = TestBroker::start(
        BrokerOpts::new()
            .set("mappedFileSizeCommitLog", "67108864")
            .plugins_dir(dir.path()),
    );
    let (ns, addr) = (tb.namesrv_addr(), tb.broker_addr());
    let (cluster, _) = cluster_of(&tb);
    create_topic(&tb, &cluster, &topic);
    let bodies = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(bodies.path(), r#"["write to alice@example.com"]"#).unwrap();
    let send = |prefix: &str| {
        let mut p = node::spawn(
            "produce.js",
            &ns,
            &[
                "--topic",
                &topic,
                "--count",
                "1",
                "--prefix",
                prefix,
                "--bodies",
                bodies.path().to_str().unwrap(),
            ],
        );
        p.finish_ok(TIMEOUT);
        let sent = check::sent(p.events());
        check::assert_all_send_ok(&sent, 1);
        sent[0].clone()
    };
    let stored = |s: &Sent| {
        let found = wait_until(WAIT, || {
            let f = try_json(&["queryMsgByKey", "-n", &ns, "-t", &topic, "-k", &s.key])?;
            (f.as_array()?.len() == 1).then_some(f)
        })
        .unwrap_or_else(|| panic!("{} not found by key", s.key));
        found[0]["body"].as_str().unwrap().to_owned()
    };

    // Enabled: ali-ons's message is stored redacted, and the binding counts it.
    let first = send("on");
    assert_eq!(stored(&first), "write to ***");
    let list = json(&["plugins", "-b", &addr]);
    let row = &list["bindings"][0];
    assert_eq!(row["binding"], "pii-redact/transform", "{list}");
    assert_eq!(row["enabled"], true);
    assert!(i(&row["calls"]) >= 1 && i(&row["messages"]) >= 1, "{row}");
    let (ok, table, _) = admin(&["plugins", "-b", &addr]);
    assert!(ok && table.contains("pii-redact/transform"), "{table}");

    // Disabled on the running broker: the next message is stored as sent.
    let list = json(&["plugins", "-b", &addr, "--disable", "pii-redact/transform"]);
    assert_eq!(list["bindings"][0]["enabled"], false, "{list}");
    let second = send("off");
    assert_eq!(stored(&second), "write to alice@example.com");
    let err = fails(&["plugins", "-b", &addr, "--enable", "no-such-binding"]);
    assert!(err.contains("no-such-binding"), "{err}");
}

#[test]
fn two_brokers_are_asked_and_merged() {
    let ns_proc = TestBroker::start(BrokerOpts::namesrv());
    let ns = ns_proc.namesrv_addr();
    let broker = |name: &str| {
        TestBroker::start(
            BrokerOpts::broker(&ns)
                .set("brokerName", name)
                .set("mappedFileSizeCommitLog", "67108864"),
        )
    };
    let (a, b) = (broker("adm-a"), broker("adm-b"));
    let rows = wait_until(WAIT, || {
        let rows = try_json(&["clusterList", "-n", &ns])?;
        (rows.as_array()?.len() == 2).then_some(rows)
    })
    .expect("clusterList shows both brokers");
    let addrs: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["addr"].as_str())
        .collect();
    assert_eq!(addrs, [a.broker_addr().as_str(), b.broker_addr().as_str()]);
    let cluster = rows[0]["cluster"].as_str().unwrap().to_owned();

    // -c reaches every master; the route then has both broker names.
    let topic = unique_name("adm_two");
    let r = json(&[
        "updateTopic",
        "-n",
        &ns,
        "-c",
        &cluster,
        "-t",
        &topic,
        "-r",
        "2",
        "-w",
        "2",
    ]);
    assert_eq!(r["brokers"].as_array().unwrap().len(), 2, "{r}");
    wait_until(WAIT, || {
        let route = try_json(&["topicRoute", "-n", &ns, "-t", &topic])?;
        (route["brokerDatas"].as_array()?.len() == 2).then_some(())
    })
    .expect("the route names both brokers");

    let n = 12;
    let mut p = node::spawn(
        "produce.js",
        &ns,
        &[
            "--topic",
            &topic,
            "--count",
            &n.to_string(),
            "--prefix",
            "two",
        ],
    );
    p.finish_ok(TIMEOUT);
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, n);
    // Where ali-ons says each message went.
    let mut per_broker: BTreeMap<String, i64> = BTreeMap::new();
    for e in p.events_of("sent") {
        *per_broker
            .entry(e["brokerName"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
    }
    let status = wait_until(WAIT, || {
        let s = try_json(&["topicStatus", "-n", &ns, "-t", &topic])?;
        let total: i64 = s["queues"]
            .as_array()?
            .iter()
            .map(|q| i(&q["maxOffset"]))
            .sum();
        (total == n as i64).then_some(s)
    })
    .expect("topicStatus sums both brokers' queues to the messages sent");
    let names: std::collections::BTreeSet<&str> = status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["brokerName"].as_str())
        .collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["adm-a", "adm-b"]);
    let mut stored: BTreeMap<String, i64> = BTreeMap::new();
    for q in status["queues"].as_array().unwrap() {
        *stored
            .entry(q["brokerName"].as_str().unwrap().to_owned())
            .or_default() += i(&q["maxOffset"]);
    }
    stored.retain(|_, v| *v > 0);
    assert_eq!(
        stored, per_broker,
        "per broker: topicStatus vs ali-ons's send results"
    );

    // Every message is found by its key, whichever broker holds it.
    for s in &sent {
        let found = wait_until(WAIT, || {
            let f = try_json(&["queryMsgByKey", "-n", &ns, "-t", &topic, "-k", &s.key])?;
            (f.as_array()?.len() == 1).then_some(f)
        })
        .unwrap_or_else(|| panic!("{} not found by key", s.key));
        assert_eq!(found[0]["body"], s.body.as_str());
        assert_eq!(found[0]["msgId"], s.msg_id.as_str());
    }

    // A consumer group spans both brokers: its progress merges them.
    let group = unique_name("adm_two_g");
    let mut c = node::spawn(
        "consume.js",
        &ns,
        &[
            "--group",
            &group,
            "--topic",
            &topic,
            "--count",
            &n.to_string(),
            "--linger-ms",
            "300",
        ],
    );
    c.finish_ok(TIMEOUT);
    assert_eq!(check::received(c.events()).len(), n);
    let p = wait_until(WAIT, || {
        let p = try_json(&["consumerProgress", "-n", &ns, "-g", &group, "-t", &topic])?;
        (i(&p["totalLag"]) == 0).then_some(p)
    })
    .expect("lag 0 on both brokers");
    let brokers: std::collections::BTreeSet<&str> = p["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["brokerName"].as_str())
        .collect();
    assert_eq!(brokers.len(), 2, "{p}");
    let total: i64 = p["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| i(&q["brokerOffset"]))
        .sum();
    assert_eq!(total, n as i64);
}
