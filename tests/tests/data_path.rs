//! Data path through real clients: exactly-once delivery with intact fields, tag filtering, offset
//! resume across clean and SIGKILL restarts, and a consumer group shared by two connections.
//! Each scenario is a function run once per client ([`Client::AliOns`], [`Client::RustClient`]).

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use wasmq_e2e::check::{self, Received, Sent};
use wasmq_e2e::{BrokerOpts, Client, ConsumeArgs, ScriptProc, TestBroker, unique_name};

const PRODUCE_TIMEOUT: Duration = Duration::from_secs(90);
const CONSUME_TIMEOUT: Duration = Duration::from_secs(100);
/// How long a consumer keeps listening after its count to catch duplicate or extra deliveries.
const LINGER_MS: u64 = 1500;

fn produce(
    c: Client,
    tb: &TestBroker,
    topic: &str,
    n: usize,
    tags: &str,
    prefix: &str,
) -> Vec<Sent> {
    let mut p = c.produce(&tb.namesrv_addr(), topic, n, tags, prefix);
    p.finish_ok(PRODUCE_TIMEOUT);
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, n);
    sent
}

fn consume_n(c: Client, tb: &TestBroker, args: ConsumeArgs) -> (Vec<Received>, ScriptProc) {
    let mut p = c.consume(&tb.namesrv_addr(), &args, &[]);
    p.finish_ok(CONSUME_TIMEOUT);
    (check::received(p.events()), p)
}

/// Reads events from `procs` (round robin) until `done` holds for all `msg` events seen so far.
fn pump_until(
    procs: &mut [&mut ScriptProc],
    timeout: Duration,
    what: &str,
    done: impl Fn(&[Received]) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        let all: Vec<Received> = procs
            .iter()
            .flat_map(|p| check::received(p.events()))
            .collect();
        if done(&all) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not reached within {timeout:?} ({} deliveries)",
            all.len()
        );
        for p in procs.iter_mut() {
            p.next_event(Duration::from_millis(50));
        }
    }
}

/// A fresh topic name, made sendable for `c`.
fn new_topic(c: Client, tb: &TestBroker, prefix: &str) -> String {
    let topic = unique_name(prefix);
    c.prepare_topic(&tb.namesrv_addr(), &topic);
    topic
}

fn msg_ids(sent: &[Sent]) -> HashSet<String> {
    sent.iter().map(|s| s.msg_id.clone()).collect()
}

fn exactly_once_1000_intact(c: Client) {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = new_topic(c, &tb, "e2e_once");
    let sent = produce(c, &tb, &topic, 1000, "TagA,TagB,TagC", "once");
    let (got, _p) = consume_n(
        c,
        &tb,
        ConsumeArgs::new(&unique_name("g_once"), &topic).count(1000, LINGER_MS),
    );
    check::assert_exactly_once(&sent, &got);
}

#[test]
fn ons_1000_sync_sends_delivered_exactly_once_intact() {
    exactly_once_1000_intact(Client::AliOns);
}

#[test]
fn rust_client_1000_sync_sends_delivered_exactly_once_intact() {
    exactly_once_1000_intact(Client::RustClient);
}

fn tag_subscription(c: Client) {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = new_topic(c, &tb, "e2e_tags");
    let sent = produce(c, &tb, &topic, 300, "TagA,TagB,TagC", "tags");
    let wanted: Vec<Sent> = sent.iter().filter(|s| s.tag != "TagB").cloned().collect();
    let args = ConsumeArgs::new(&unique_name("g_tags"), &topic)
        .subscription("TagA || TagC")
        .count(wanted.len(), LINGER_MS);
    let (got, p) = consume_n(c, &tb, args);
    check::assert_exactly_once(&wanted, &got);
    // ali-ons re-checks tags itself and reports what it dropped: the broker must have filtered.
    let dropped = p.events_of("client_filtered");
    assert!(
        dropped.is_empty(),
        "broker delivered {} non-matching messages, e.g. {}",
        dropped.len(),
        dropped[0]
    );
}

#[test]
fn ons_tag_subscription_receives_only_matching() {
    tag_subscription(Client::AliOns);
}

#[test]
fn rust_client_tag_subscription_receives_only_matching() {
    tag_subscription(Client::RustClient);
}

fn resume_after_clean_restart(c: Client) {
    let mut tb = TestBroker::start(BrokerOpts::new());
    let (topic, group) = (new_topic(c, &tb, "e2e_resume"), unique_name("g_resume"));
    let first = produce(c, &tb, &topic, 100, "TagA", "first");
    let (got, _p) = consume_n(c, &tb, ConsumeArgs::new(&group, &topic).count(100, 300));
    check::assert_exactly_once(&first, &got);
    tb.stop();
    tb.restart();
    let second = produce(c, &tb, &topic, 100, "TagA", "second");
    // The group must resume at its committed offsets: exactly the second batch, nothing replayed.
    let (got, _p) = consume_n(
        c,
        &tb,
        ConsumeArgs::new(&group, &topic).count(100, LINGER_MS),
    );
    check::assert_exactly_once(&second, &got);
}

#[test]
fn ons_group_resumes_from_committed_offset_after_clean_restart() {
    resume_after_clean_restart(Client::AliOns);
}

#[test]
fn rust_client_group_resumes_from_committed_offset_after_clean_restart() {
    resume_after_clean_restart(Client::RustClient);
}

fn kill9_sync_flush(c: Client) {
    let mut tb = TestBroker::start(BrokerOpts::new().sync_flush());
    let (topic, group) = (new_topic(c, &tb, "e2e_crash"), unique_name("g_crash"));
    let first = produce(c, &tb, &topic, 100, "TagA", "first");
    let (got, _p) = consume_n(c, &tb, ConsumeArgs::new(&group, &topic).count(100, 300));
    check::assert_exactly_once(&first, &got);
    let second = produce(c, &tb, &topic, 100, "TagA", "second");
    // Crash right after the last SEND_OK: under SYNC_FLUSH every acknowledged message is on disk.
    tb.kill9();
    tb.restart();

    // Nothing skipped: the group gets every message of the second batch (redelivery of the first
    // batch is allowed, since offsets committed just before a crash may be lost).
    let mut p = c.consume(&tb.namesrv_addr(), &ConsumeArgs::new(&group, &topic), &[]);
    let want = msg_ids(&second);
    pump_until(
        &mut [&mut p],
        CONSUME_TIMEOUT,
        "second batch after kill -9",
        |got| want.is_subset(&got.iter().map(|r| r.msg_id.clone()).collect()),
    );
    p.terminate(CONSUME_TIMEOUT);
    let known: HashSet<String> = msg_ids(&first).union(&want).cloned().collect();
    let got = check::received(p.events());
    let strange: Vec<_> = got.iter().filter(|r| !known.contains(&r.msg_id)).collect();
    assert!(
        strange.is_empty(),
        "unknown deliveries after the crash: {strange:?}"
    );

    // Nothing acknowledged lost: a new group reads both batches, each exactly once and intact.
    let all: Vec<Sent> = first.iter().chain(&second).cloned().collect();
    let (got, _p) = consume_n(
        c,
        &tb,
        ConsumeArgs::new(&unique_name("g_audit"), &topic).count(200, LINGER_MS),
    );
    check::assert_exactly_once(&all, &got);
}

#[test]
fn ons_kill9_under_sync_flush_loses_and_skips_nothing() {
    kill9_sync_flush(Client::AliOns);
}

#[test]
fn rust_client_kill9_under_sync_flush_loses_and_skips_nothing() {
    kill9_sync_flush(Client::RustClient);
}

/// The queue ids of a consumer's latest `allocated` event.
fn allocation(p: &ScriptProc) -> Option<BTreeSet<i64>> {
    let last = p.events_of("allocated").pop()?;
    Some(
        last["queues"]
            .as_array()?
            .iter()
            .filter_map(|q| q.as_i64())
            .collect(),
    )
}

fn two_consumers_share_a_group(c: Client) {
    let tb = TestBroker::start(BrokerOpts::new());
    let (topic, group) = (new_topic(c, &tb, "e2e_share"), unique_name("g_share"));
    // Makes the topic exist for clients that create topics on first send; never delivered ("data" only).
    produce(c, &tb, &topic, 1, "warmup", "warmup");
    let args = ConsumeArgs::new(&group, &topic).subscription("data");
    // ali-ons ignores NOTIFY_CONSUMER_IDS_CHANGED and rebalances on a timer: make it 1 s. Java-style
    // clients (rocketmq-client-rust) rebalance when the broker notifies them.
    let extra: &[&str] = if c == Client::AliOns {
        &["--rebalance-ms", "1000"]
    } else {
        &[]
    };
    let mut a = c.consume(&tb.namesrv_addr(), &args, extra);
    let mut b = c.consume(&tb.namesrv_addr(), &args, extra);

    // Produce only once the two allocations are disjoint and cover the topic, so no queue is read twice.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let (Some(x), Some(y)) = (allocation(&a), allocation(&b))
            && x.is_disjoint(&y)
            && x.union(&y).count() == 4
            && !x.is_empty()
            && !y.is_empty()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "allocations never converged: {:?} / {:?}",
            allocation(&a),
            allocation(&b)
        );
        a.next_event(Duration::from_millis(50));
        b.next_event(Duration::from_millis(50));
    }

    let sent = produce(c, &tb, &topic, 200, "data", "share");
    let want = msg_ids(&sent);
    pump_until(
        &mut [&mut a, &mut b],
        CONSUME_TIMEOUT,
        "200 messages across two consumers",
        |got| want.is_subset(&got.iter().map(|r| r.msg_id.clone()).collect()),
    );
    // Observation window for duplicates, then stop both (which commits their offsets).
    let until = Instant::now() + Duration::from_millis(LINGER_MS);
    while Instant::now() < until {
        a.next_event(Duration::from_millis(50));
        b.next_event(Duration::from_millis(50));
    }
    a.terminate(CONSUME_TIMEOUT);
    b.terminate(CONSUME_TIMEOUT);
    let (got_a, got_b) = (check::received(a.events()), check::received(b.events()));
    assert!(
        !got_a.is_empty() && !got_b.is_empty(),
        "one consumer got nothing: {} / {}",
        got_a.len(),
        got_b.len()
    );
    let all: Vec<Received> = got_a.into_iter().chain(got_b).collect();
    check::assert_exactly_once(&sent, &all);
}

#[test]
fn ons_two_consumers_in_one_group_share_the_queues() {
    two_consumers_share_a_group(Client::AliOns);
}

#[test]
fn rust_client_two_consumers_in_one_group_share_the_queues() {
    two_consumers_share_a_group(Client::RustClient);
}
