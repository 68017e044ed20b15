//! `wasmq-admin` against a real `wasmq standalone` process: every call over real sockets.

use std::time::Duration;

use wasmq_admin::cluster::Target;
use wasmq_admin::topic::TopicSpec;
use wasmq_admin::{Admin, AdminError};
use wasmq_e2e::{BrokerOpts, TestBroker, unique_name, wait_until};
use wasmq_protocol::body::broker::SubscriptionGroupConfig;

const WAIT: Duration = Duration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn admin_calls_against_a_running_broker() {
    let tb = TestBroker::start(BrokerOpts::new());
    let rt = runtime();
    let admin = Admin::new(tb.namesrv_addr());

    // Cluster: one master at the address the broker reported.
    let rows = rt.block_on(admin.cluster_list()).expect("clusterList");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].addr, tb.broker_addr());
    assert_eq!(rows[0].broker_id, 0);
    assert!(!rows[0].runtime.is_empty(), "runtime figures: {rows:?}");
    let cluster = rows[0].cluster.clone();
    let broker_name = rows[0].broker_name.clone();

    // A topic on every master of the cluster, then visible in the route.
    let topic = unique_name("adm_lib");
    let mut spec = TopicSpec::new(&topic);
    spec.read_queue_nums = 2;
    spec.write_queue_nums = 2;
    let changed = rt
        .block_on(admin.update_topic(Target::Masters(&cluster), &spec))
        .expect("updateTopic");
    assert_eq!(changed, vec![tb.broker_addr()]);
    wait_until(WAIT, || rt.block_on(admin.topic_route(&topic)).ok())
        .expect("the new topic gets a route");
    assert!(rt.block_on(admin.topic_list()).unwrap().contains(&topic));

    // Three keyed messages; the status counts them and the index finds them.
    let mut sent = Vec::new();
    for i in 0..3 {
        let body = format!("hello {i}");
        let r = rt
            .block_on(admin.send_message(&topic, Some("TagA"), Some("k1 other"), body.as_bytes()))
            .expect("send");
        sent.push((r, body));
    }
    // The consume queues are written asynchronously after the send answer.
    let status = wait_until(WAIT, || {
        rt.block_on(admin.topic_status(&topic))
            .ok()
            .filter(|s| s.total_max_offset() == 3)
    })
    .unwrap_or_else(|| panic!("topicStatus: {:?}", rt.block_on(admin.topic_status(&topic))));
    assert_eq!(status.queues.len(), 2, "{status:?}");
    assert!(
        status
            .queues
            .iter()
            .all(|q| q.max_offset == 0 || q.last_update_timestamp > 0)
    );
    let by_key = wait_until(WAIT, || {
        rt.block_on(admin.query_msg_by_key(&topic, "k1"))
            .ok()
            .filter(|m| m.len() == 3)
    })
    .expect("queryMsgByKey finds the 3 messages");
    for (r, body) in &sent {
        let m = by_key
            .iter()
            .find(|m| m.msg_id == r.msg_id)
            .unwrap_or_else(|| panic!("{} not found by key: {by_key:?}", r.msg_id));
        assert_eq!(&m.body, body);
        assert_eq!(m.tags.as_deref(), Some("TagA"));
        assert_eq!(m.keys, ["k1", "other"]);
        assert_eq!(m.offset_msg_id, r.offset_msg_id);
        assert_eq!(m.broker_name, broker_name);
    }
    assert!(
        rt.block_on(admin.query_msg_by_key(&topic, "nope"))
            .unwrap()
            .is_empty()
    );

    // By offset id, by client id (needs the topic), and by queue offset.
    let (first, body) = &sent[0];
    let m = rt
        .block_on(admin.query_msg_by_id(&first.offset_msg_id, None))
        .expect("by offset msgId");
    assert_eq!((&m.body, &m.msg_id), (body, &first.msg_id));
    let m = rt
        .block_on(admin.query_msg_by_id(&first.msg_id, Some(&topic)))
        .expect("by UNIQ_KEY");
    assert_eq!(&m.body, body);
    let m = rt
        .block_on(admin.query_msg_by_offset(
            &topic,
            &broker_name,
            first.queue_id,
            first.queue_offset,
        ))
        .expect("by queue offset");
    assert_eq!(&m.body, body);
    let e = rt
        .block_on(admin.query_msg_by_offset(&topic, &broker_name, first.queue_id, 1000))
        .unwrap_err();
    assert!(matches!(e, AdminError::NotFound(_)), "{e}");

    // Subscription groups: created, listed, deleted.
    let group = unique_name("adm_lib_g");
    let cfg = SubscriptionGroupConfig {
        group_name: group.clone(),
        retry_max_times: 3,
        ..SubscriptionGroupConfig::default()
    };
    rt.block_on(admin.update_sub_group(Target::Broker(&tb.broker_addr()), &cfg))
        .expect("updateSubGroup");
    let groups = rt.block_on(admin.consumer_groups()).unwrap();
    let g = groups
        .iter()
        .find(|g| g.config.group_name == group)
        .expect("the new group is listed");
    assert_eq!(g.config.retry_max_times, 3);
    assert_eq!(g.brokers, vec![tb.broker_addr()]);
    rt.block_on(admin.delete_sub_group(Target::Broker(&tb.broker_addr()), &group))
        .expect("deleteSubGroup");
    let groups = rt.block_on(admin.consumer_groups()).unwrap();
    assert!(!groups.iter().any(|g| g.config.group_name == group));

    // Broker config and runtime.
    let conf = rt.block_on(admin.broker_config(&tb.broker_addr())).unwrap();
    assert_eq!(conf.get("brokerName"), Some(&broker_name));
    let runtime = rt
        .block_on(admin.broker_runtime(&tb.broker_addr()))
        .unwrap();
    assert!(runtime.contains_key("commitLogMaxOffset"), "{runtime:?}");

    // Errors name their cause.
    let e = rt
        .block_on(admin.topic_route("no_such_topic_adm"))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("no route for topic no_such_topic_adm"),
        "{e}"
    );
    let e = rt
        .block_on(admin.consumer_progress("no_such_group_adm", None))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("no such consumer group no_such_group_adm"),
        "{e}"
    );
    let e = rt
        .block_on(Admin::new("127.0.0.1:1").cluster_info())
        .unwrap_err();
    assert_eq!(e.to_string(), "connection refused to 127.0.0.1:1");
    let e = rt
        .block_on(admin.update_topic(Target::Masters("NoSuchCluster"), &spec))
        .unwrap_err();
    assert!(
        e.to_string().contains("no such cluster NoSuchCluster"),
        "{e}"
    );
}
