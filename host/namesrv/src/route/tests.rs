//! Unit tests of the route tables.

use super::*;
use wasmq_protocol::body::namesrv::TopicConfig;

fn reg(name: &str, addr: &str, id: i64, topics: &[&str], counter: i64) -> Registration {
    Registration {
        cluster_name: "C".into(),
        broker_addr: addr.into(),
        broker_name: name.into(),
        broker_id: id,
        ha_server_addr: format!("{addr}-ha"),
        topics: TopicConfigSerializeWrapper {
            topic_config_table: topics
                .iter()
                .map(|t| ((*t).to_owned(), TopicConfig::new(*t, 4)))
                .collect(),
            data_version: DataVersion {
                timestamp: 1,
                counter,
            },
        },
        filter_servers: Some(Vec::new()),
    }
}

#[test]
fn slave_registration_makes_no_queue_data() {
    let mut r = RouteInfo::default();
    r.register(reg("a", "h1", 1, &["T"], 1), None, 0);
    assert!(r.topic_route("T").is_none());
    assert!(r.all_topics().topic_list.is_empty());
    assert_eq!(
        r.cluster_info().broker_addr_table["a"].broker_addrs.len(),
        1
    );
}

#[test]
fn expiry_uses_last_update_and_is_strict() {
    let mut r = RouteInfo::default();
    r.register(reg("a", "h1", 0, &["T"], 1), None, 1_000);
    assert!(
        r.remove_expired(121_000, 120_000).is_empty(),
        "exactly 120 s is not expired"
    );
    r.touch("h1", 100_000);
    assert!(r.remove_expired(220_000, 120_000).is_empty());
    let gone = r.remove_expired(220_001, 120_000);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].0, "h1");
    assert!(r.topic_route("T").is_none());
    assert_eq!(r.live_brokers(), 0);
}

#[test]
fn filter_servers_appear_in_routes() {
    let mut r = RouteInfo::default();
    let mut g = reg("a", "h1", 0, &["T"], 1);
    g.filter_servers = Some(vec!["fs:1".into()]);
    r.register(g, None, 0);
    let route = r.topic_route("T").unwrap();
    assert_eq!(route.filter_server_table["h1"], vec!["fs:1".to_owned()]);
    // An empty list removes them.
    r.register(reg("a", "h1", 0, &["T"], 1), None, 0);
    assert!(r.topic_route("T").unwrap().filter_server_table.is_empty());
}

#[test]
fn new_master_address_rebuilds_even_with_same_version() {
    let mut r = RouteInfo::default();
    r.register(reg("a", "h1", 0, &["T"], 1), None, 0);
    // A different address for the master is a first registration of that address.
    r.register(reg("a", "h2", 0, &["T", "U"], 1), None, 0);
    assert!(r.topic_route("U").is_some());
    assert_eq!(
        r.topic_route("T").unwrap().broker_datas[0].master_addr(),
        Some("h2")
    );
}

#[test]
fn unit_topic_filter() {
    let mut r = RouteInfo::default();
    let mut g = reg("a", "h1", 0, &["T", "U"], 1);
    if let Some(tc) = g.topics.topic_config_table.get_mut("U") {
        tc.topic_sys_flag = 1;
    }
    r.register(g, None, 0);
    let units = r.topics_where(|q| q.topic_sys_flag & 1 != 0);
    assert_eq!(units.topic_list.into_iter().collect::<Vec<_>>(), ["U"]);
}
