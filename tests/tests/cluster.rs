//! Separate processes: `wasmq namesrv` plus `wasmq broker -n ADDR`. The broker registers, a real
//! client produces and consumes through the pair, and the nameserver forgets a crashed broker when
//! its connection closes and learns it again when it restarts.

use std::time::Duration;

use serde_json::Value;
use wasmq_e2e::{
    BrokerOpts, Client, ConsumeArgs, TestBroker, check, unique_name, wait_until, wire,
};

const GET_ROUTEINFO_BY_TOPIC: i32 = 105;

/// Broker addresses the nameserver lists for TBW102 (empty when it has no route).
fn tbw102_brokers(namesrv: &str) -> Vec<String> {
    let f = wire::call(namesrv, GET_ROUTEINFO_BY_TOPIC, &[("topic", "TBW102")], b"");
    if f.code() != 0 {
        return Vec::new();
    }
    let route: Value = f.body_json();
    route["brokerDatas"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|bd| bd["brokerAddrs"].as_object().into_iter().flatten())
        .filter_map(|(_, a)| a.as_str().map(str::to_string))
        .collect()
}

#[test]
fn broker_registers_with_a_separate_namesrv_and_serves_ali_ons() {
    let ns = TestBroker::start(BrokerOpts::namesrv());
    let mut broker = TestBroker::start(BrokerOpts::broker(&ns.namesrv_addr()));
    // Ready means registered: the route is there without waiting.
    assert_eq!(
        tbw102_brokers(&ns.namesrv_addr()),
        vec![broker.broker_addr()]
    );

    let c = Client::AliOns;
    let topic = unique_name("e2e_split");
    c.prepare_topic(&ns.namesrv_addr(), &topic);
    let mut p = c.produce(&ns.namesrv_addr(), &topic, 50, "TagA", "split");
    p.finish_ok(Duration::from_secs(60));
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, 50);
    let args = ConsumeArgs::new(&unique_name("g_split"), &topic).count(50, 1000);
    let mut q = c.consume(&ns.namesrv_addr(), &args, &[]);
    q.finish_ok(Duration::from_secs(90));
    check::assert_exactly_once(&sent, &check::received(q.events()));

    // A crashed broker's connection closes; the nameserver must drop it then, not after 120 s.
    broker.kill9();
    let gone = wait_until(Duration::from_secs(15), || {
        tbw102_brokers(&ns.namesrv_addr()).is_empty().then_some(())
    });
    assert!(
        gone.is_some(),
        "namesrv still routes to the killed broker: {:?}",
        tbw102_brokers(&ns.namesrv_addr())
    );

    broker.restart();
    assert_eq!(
        tbw102_brokers(&ns.namesrv_addr()),
        vec![broker.broker_addr()],
        "re-registration"
    );
    // The topic created before the crash is routed again (its config survived on disk).
    let f = wire::call(
        &ns.namesrv_addr(),
        GET_ROUTEINFO_BY_TOPIC,
        &[("topic", &topic)],
        b"",
    );
    assert_eq!(
        f.code(),
        0,
        "route for {topic} after the broker restart: {:?}",
        f.header
    );
}
