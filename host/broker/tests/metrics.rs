//! Broker metrics through real sockets: nothing is recorded until installed; then sends and
//! pulls move the per-topic counters by what they stored and returned, and the probe reads
//! consumer lag and open connections.

mod common;

use common::*;
use wasmq_metrics::BrokerProbe;

#[tokio::test]
async fn sends_and_pulls_move_the_counters_once_installed() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let broker = b.handle.broker();
    let resp = b
        .call(send_v2("Metered", 0, &[("TAGS", "A")], "before"))
        .await;
    assert_eq!(resp.code, 0, "{resp:?}");
    assert!(
        broker.metrics().is_none(),
        "nothing recorded until installed"
    );

    let _collector = wasmq_broker::metrics::install(broker);
    let m = std::sync::Arc::clone(broker.metrics().expect("installed"));
    for body in ["one", "two", "three"] {
        let resp = b.call(send_v2("Metered", 0, &[("TAGS", "A")], body)).await;
        assert_eq!(resp.code, 0, "{resp:?}");
    }
    let traffic = m.traffic();
    let (topic, [msgs_in, bytes_in, msgs_out, bytes_out]) = &traffic[0];
    assert_eq!(topic, "Metered");
    assert_eq!((*msgs_in, *msgs_out, *bytes_out), (3, 0, 0));
    let stats = broker.store.runtime_stats();
    // The store holds 4 records; the 3 counted are part of it.
    assert!(*bytes_in > 0 && *bytes_in < stats.put_message_size_total);

    wait_dispatched(&b, "Metered", 0, 4).await;
    let p = b.call(pull("CG", "Metered", 0, 1, Some("*"), None)).await;
    assert_eq!(p.code, 0, "{p:?}");
    assert_eq!(records(&p).len(), 3);
    let (_, [_, _, msgs_out, bytes_out]) = m.traffic()[0].clone();
    assert_eq!(msgs_out, 3);
    assert_eq!(bytes_out, *bytes_in, "the same records went out as came in");

    // Lag: the queue holds 4, the group committed 1.
    broker.offsets.commit("CG", "Metered", 0, 1);
    let probe = wasmq_broker::metrics::Probe(std::sync::Arc::clone(broker));
    let s = probe.sample();
    let lag = s
        .lags
        .iter()
        .find(|l| l.group == "CG" && l.topic == "Metered")
        .expect("a lag series for CG");
    // 3 from queue 0; the other queues of the auto-created topic are empty.
    assert_eq!(lag.lag, 3);
    assert!(s.connections >= 1, "our client's connection is open");
    assert!(s.commit_log_data_bytes >= stats.put_message_size_total);
    b.stop().await;
}
