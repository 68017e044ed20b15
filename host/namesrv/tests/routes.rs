//! Registration, routes, cluster info and topic lists over real sockets.

mod common;

use common::*;
use wasmq_protocol::body::namesrv::{ClusterInfo, DataVersion, KvTable, TopicList};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::namesrv::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteTopicFromNamesrvRequestHeader, GetTopicsByClusterRequestHeader,
    QueryDataVersionRequestHeader, QueryDataVersionResponseHeader, RegisterBrokerResponseHeader,
    UnregisterBrokerRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::RemotingClient;

const A: &str = "10.0.0.1:10911";
const A_SLAVE: &str = "10.0.0.2:10911";
const B: &str = "10.0.0.3:10911";

#[tokio::test]
async fn register_then_route_with_java_body() {
    let ns = start().await;
    let resp = ns
        .call(register_cmd(
            "broker-a",
            A,
            0,
            &[("TopicTest", 4), ("Other", 8)],
            1,
        ))
        .await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    assert_eq!(resp.version, wasmq_protocol::code::CURRENT_VERSION);
    let h: RegisterBrokerResponseHeader = resp.decode_header().unwrap();
    assert_eq!(
        h,
        RegisterBrokerResponseHeader::default(),
        "a master has no master"
    );
    assert!(resp.body.is_empty(), "no order-topic config yet");

    let raw = ns
        .call_header(
            RequestCode::GetRouteinfoByTopic,
            &wasmq_protocol::header::namesrv::GetRouteInfoRequestHeader {
                topic: "TopicTest".into(),
                accept_standard_json_only: None,
            },
        )
        .await;
    assert_eq!(raw.code, 0);
    // Compact JSON, quoted numeric keys, both flag spellings (what Go's hand parser needs).
    assert_eq!(
        std::str::from_utf8(&raw.body).unwrap(),
        r#"{"queueDatas":[{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0,"topicSynFlag":0}],"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911"},"enableActingMaster":false}],"filterServerTable":{}}"#
    );
    let other = ns.route("Other").await.unwrap();
    assert_eq!(other.queue_datas[0].write_queue_nums, 8);
}

#[tokio::test]
async fn unknown_topic_is_17_with_javas_remark() {
    let ns = start().await;
    let err = ns.route("Nope").await.unwrap_err();
    assert_eq!(err.response_code(), Some(ResponseCode::TopicNotExist));
    let remark = err.remark.unwrap();
    assert!(
        remark.starts_with("No topic route info in name server for the topic: Nope"),
        "{remark}"
    );
    assert!(
        remark.contains("http://rocketmq.apache.org/docs/faq/"),
        "{remark}"
    );
}

#[tokio::test]
async fn route_lists_only_hosting_brokers() {
    let ns = start().await;
    ns.call(register_cmd(
        "broker-a",
        A,
        0,
        &[("Shared", 4), ("OnlyA", 4)],
        1,
    ))
    .await;
    ns.call(register_cmd("broker-b", B, 0, &[("Shared", 2)], 1))
        .await;
    let shared = ns.route("Shared").await.unwrap();
    let names: Vec<_> = shared
        .broker_datas
        .iter()
        .map(|b| b.broker_name.as_str())
        .collect();
    assert_eq!(names, ["broker-a", "broker-b"]);
    let only_a = ns.route("OnlyA").await.unwrap();
    assert_eq!(only_a.broker_datas.len(), 1);
    assert_eq!(only_a.broker_datas[0].broker_name, "broker-a");
    assert_eq!(only_a.queue_datas.len(), 1);
}

#[tokio::test]
async fn master_and_slave() {
    let ns = start().await;
    // A slave registering before its master learns nothing, and its topics make no route.
    let resp = ns
        .call(register_cmd("broker-a", A_SLAVE, 1, &[("TopicTest", 4)], 1))
        .await;
    let h: RegisterBrokerResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.master_addr, None);
    assert!(ns.route("TopicTest").await.is_err());

    ns.call(register_cmd("broker-a", A, 0, &[("TopicTest", 4)], 1))
        .await;
    let resp = ns
        .call(register_cmd("broker-a", A_SLAVE, 1, &[("TopicTest", 4)], 1))
        .await;
    let h: RegisterBrokerResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.master_addr.as_deref(), Some(A));
    assert_eq!(h.ha_server_addr.as_deref(), Some("10.0.0.1:10912"));

    let r = ns.route("TopicTest").await.unwrap();
    let addrs = &r.broker_datas[0].broker_addrs;
    assert_eq!(addrs.get(&0).map(String::as_str), Some(A));
    assert_eq!(addrs.get(&1).map(String::as_str), Some(A_SLAVE));
    let raw = serde_json::to_string(&r).unwrap();
    assert!(
        raw.contains(r#""brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}"#),
        "{raw}"
    );

    // The slave is promoted: the same address re-registers as id 0 and replaces its id-1 entry.
    ns.call(register_cmd("broker-a", A_SLAVE, 0, &[("TopicTest", 4)], 2))
        .await;
    let r = ns.route("TopicTest").await.unwrap();
    let addrs = &r.broker_datas[0].broker_addrs;
    assert_eq!(addrs.len(), 1, "{addrs:?}");
    assert_eq!(addrs.get(&0).map(String::as_str), Some(A_SLAVE));
}

#[tokio::test]
async fn queue_data_rebuilt_only_when_version_changes() {
    let ns = start().await;
    ns.call(register_cmd("broker-a", A, 0, &[("T", 4)], 1))
        .await;
    // Same version, different content: ignored (Java trusts the version).
    ns.call(register_cmd("broker-a", A, 0, &[("T", 16)], 1))
        .await;
    assert_eq!(
        ns.route("T").await.unwrap().queue_datas[0].read_queue_nums,
        4
    );
    // New version: rebuilt.
    ns.call(register_cmd("broker-a", A, 0, &[("T", 16)], 2))
        .await;
    assert_eq!(
        ns.route("T").await.unwrap().queue_datas[0].read_queue_nums,
        16
    );
}

#[tokio::test]
async fn cluster_info_and_topic_lists() {
    let ns = start().await;
    ns.call(register_cmd("broker-a", A, 0, &[("T1", 4)], 1))
        .await;
    let mut other = register_cmd("broker-b", B, 0, &[("T2", 4)], 1);
    other.ext_fields.insert("clusterName", "OtherCluster");
    ns.call(other).await;

    let resp = ns
        .call_header(RequestCode::GetBrokerClusterInfo, &NoHeader)
        .await;
    let info: ClusterInfo = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(info.broker_addr_table["broker-a"].broker_addrs[&0], A);
    assert!(info.cluster_addr_table["DefaultCluster"].contains("broker-a"));
    assert!(info.cluster_addr_table["OtherCluster"].contains("broker-b"));

    let resp = ns
        .call_header(RequestCode::GetAllTopicListFromNameserver, &NoHeader)
        .await;
    let all: TopicList = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(all.topic_list.iter().collect::<Vec<_>>(), ["T1", "T2"]);

    let by = |cluster: &str| GetTopicsByClusterRequestHeader {
        cluster: cluster.into(),
    };
    let resp = ns
        .call_header(RequestCode::GetTopicsByCluster, &by("OtherCluster"))
        .await;
    let list: TopicList = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(list.topic_list.iter().collect::<Vec<_>>(), ["T2"]);
    let resp = ns
        .call_header(RequestCode::GetTopicsByCluster, &by("Unknown"))
        .await;
    assert_eq!(resp.code, 0);
    let list: TopicList = serde_json::from_slice(&resp.body).unwrap();
    assert!(list.topic_list.is_empty());

    let resp = ns
        .call_header(RequestCode::GetSystemTopicListFromNs, &NoHeader)
        .await;
    let sys: TopicList = serde_json::from_slice(&resp.body).unwrap();
    assert!(sys.topic_list.contains("DefaultCluster") && sys.topic_list.contains("broker-b"));
    assert!(sys.broker_addr.is_some());
}

#[tokio::test]
async fn delete_topic_everywhere_and_per_cluster() {
    let ns = start().await;
    ns.call(register_cmd("broker-a", A, 0, &[("T", 4), ("U", 4)], 1))
        .await;
    let mut other = register_cmd("broker-b", B, 0, &[("U", 4)], 1);
    other.ext_fields.insert("clusterName", "OtherCluster");
    ns.call(other).await;

    let del = |topic: &str, cluster: Option<&str>| DeleteTopicFromNamesrvRequestHeader {
        topic: topic.into(),
        cluster_name: cluster.map(Into::into),
    };
    let resp = ns
        .call_header(RequestCode::DeleteTopicInNamesrv, &del("T", None))
        .await;
    assert_eq!(resp.code, 0);
    assert!(ns.route("T").await.is_err());

    ns.call_header(
        RequestCode::DeleteTopicInNamesrv,
        &del("U", Some("OtherCluster")),
    )
    .await;
    let u = ns.route("U").await.unwrap();
    assert_eq!(u.broker_datas.len(), 1);
    assert_eq!(u.broker_datas[0].broker_name, "broker-a");
}

#[tokio::test]
async fn query_data_version_changed_and_unchanged() {
    let ns = start().await;
    let q = |v: DataVersion| {
        RemotingCommand::request_with_header(
            RequestCode::QueryDataVersion,
            0,
            &QueryDataVersionRequestHeader {
                broker_name: "broker-a".into(),
                broker_addr: A.into(),
                cluster_name: "DefaultCluster".into(),
                broker_id: 0,
            },
        )
        .with_body(serde_json::to_vec(&v).unwrap())
    };
    let v1 = DataVersion {
        timestamp: 1_700_000_000_000,
        counter: 1,
    };
    // Unknown broker: changed, no stored version.
    let resp = ns.call(q(v1)).await;
    assert!(
        resp.decode_header::<QueryDataVersionResponseHeader>()
            .unwrap()
            .changed
    );
    assert!(resp.body.is_empty());

    ns.call(register_cmd("broker-a", A, 0, &[("T", 4)], 1))
        .await;
    let resp = ns.call(q(v1)).await;
    assert!(
        !resp
            .decode_header::<QueryDataVersionResponseHeader>()
            .unwrap()
            .changed
    );
    assert_eq!(
        serde_json::from_slice::<DataVersion>(&resp.body).unwrap(),
        v1
    );

    let resp = ns.call(q(v1.next(1_700_000_000_001))).await;
    assert!(
        resp.decode_header::<QueryDataVersionResponseHeader>()
            .unwrap()
            .changed
    );
    assert_eq!(
        serde_json::from_slice::<DataVersion>(&resp.body).unwrap(),
        v1
    );

    // A garbage body is an error naming the problem, not a crash.
    let mut bad = q(v1);
    bad.body = bytes::Bytes::from_static(b"not json");
    let resp = ns.call(bad).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
}

#[tokio::test]
async fn unregister_removes_broker_and_its_topics() {
    let ns = start().await;
    ns.call(register_cmd("broker-a", A, 0, &[("T", 4)], 1))
        .await;
    ns.call(register_cmd("broker-a", A_SLAVE, 1, &[("T", 4)], 1))
        .await;
    let unreg = |addr: &str, id: i64| UnregisterBrokerRequestHeader {
        broker_name: "broker-a".into(),
        broker_addr: addr.into(),
        cluster_name: "DefaultCluster".into(),
        broker_id: id,
    };
    ns.call_header(RequestCode::UnregisterBroker, &unreg(A_SLAVE, 1))
        .await;
    let r = ns.route("T").await.unwrap();
    assert_eq!(r.broker_datas[0].broker_addrs.len(), 1);

    let resp = ns
        .call_header(RequestCode::UnregisterBroker, &unreg(A, 0))
        .await;
    assert_eq!(resp.code, 0);
    assert!(ns.route("T").await.is_err());
    let resp = ns
        .call_header(RequestCode::GetBrokerClusterInfo, &NoHeader)
        .await;
    let info: ClusterInfo = serde_json::from_slice(&resp.body).unwrap();
    assert!(info.broker_addr_table.is_empty() && info.cluster_addr_table.is_empty());
}

#[tokio::test]
async fn wipe_and_add_write_perm() {
    let ns = start().await;
    ns.call(register_cmd("broker-a", A, 0, &[("T", 4), ("U", 4)], 1))
        .await;
    let resp = ns
        .call_header(
            RequestCode::WipeWritePermOfBroker,
            &WipeWritePermOfBrokerRequestHeader {
                broker_name: "broker-a".into(),
            },
        )
        .await;
    let h: WipeWritePermOfBrokerResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.wipe_topic_count, 2);
    assert_eq!(ns.route("T").await.unwrap().queue_datas[0].perm, 4);

    let resp = ns
        .call_header(
            RequestCode::AddWritePermOfBroker,
            &AddWritePermOfBrokerRequestHeader {
                broker_name: "broker-a".into(),
            },
        )
        .await;
    let h: AddWritePermOfBrokerResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.add_topic_count, 2);
    assert_eq!(ns.route("U").await.unwrap().queue_datas[0].perm, 6);
}

#[tokio::test]
async fn crc_mismatch_and_bad_body_are_refused() {
    let ns = start().await;
    let mut cmd = register_cmd("broker-a", A, 0, &[("T", 4)], 1);
    cmd.ext_fields.insert("bodyCrc32", "12345");
    let resp = ns.call(cmd).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
    assert_eq!(resp.remark.as_deref(), Some("crc32 not match"));

    let mut cmd = register_cmd("broker-a", A, 0, &[("T", 4)], 1);
    cmd.ext_fields.remove("bodyCrc32");
    cmd.body = bytes::Bytes::from_static(b"{not json");
    let resp = ns.call(cmd).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
    assert!(resp.remark.unwrap().contains("RegisterBrokerBody"));
    assert!(ns.route("T").await.is_err());
}

#[tokio::test]
async fn compressed_register_body() {
    use std::io::Write;
    let ns = start().await;
    let body: wasmq_protocol::body::namesrv::RegisterBrokerBody =
        serde_json::from_slice(&java_register_body(&[("Zipped", 3)], 1)).unwrap();
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&body.encode_inflated()).unwrap();
    let deflated = enc.finish().unwrap();
    let mut h = register_header("broker-a", A, 0);
    h.compressed = Some(true);
    h.body_crc32 = Some((crc32fast::hash(&deflated) & 0x7FFF_FFFF) as i32);
    let cmd = RemotingCommand::request_with_header(RequestCode::RegisterBroker, 0, &h)
        .with_body(deflated);
    let resp = ns.call(cmd).await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    assert_eq!(
        ns.route("Zipped").await.unwrap().queue_datas[0].read_queue_nums,
        3
    );
}

#[tokio::test]
async fn order_topic_conf_in_routes_and_register_answers() {
    let dir = tempfile::tempdir().unwrap();
    let config = wasmq_namesrv::NamesrvConfig {
        order_message_enable: true,
        ..config_in(dir.path())
    };
    let ns = start_with(config, |s| s).await;
    let addr = ns.local_addr().to_string();
    let c = RemotingClient::new();
    call_header(
        &c,
        &addr,
        RequestCode::PutKvConfig,
        &wasmq_protocol::header::namesrv::PutKvConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "T".into(),
            value: "broker-a:4".into(),
        },
    )
    .await;
    let resp = call(&c, &addr, register_cmd("broker-a", A, 0, &[("T", 4)], 1)).await;
    let kv: KvTable = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(kv.table["T"], "broker-a:4");
    let r = route(&c, &addr, "T").await.unwrap();
    assert_eq!(r.order_topic_conf.as_deref(), Some("broker-a:4"));
}

#[tokio::test]
async fn route_policy_shapes_routes() {
    struct HideSlaves;
    impl wasmq_namesrv::RoutePolicy for HideSlaves {
        fn shape(
            &self,
            topic: &str,
            client: std::net::SocketAddr,
            mut route: wasmq_protocol::body::namesrv::TopicRouteData,
        ) -> wasmq_protocol::body::namesrv::TopicRouteData {
            assert_eq!(topic, "T");
            assert!(client.ip().is_loopback());
            for b in &mut route.broker_datas {
                b.broker_addrs.retain(|id, _| *id == 0);
            }
            route
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let ns = start_with(config_in(dir.path()), |s| {
        s.with_route_policy(std::sync::Arc::new(HideSlaves))
    })
    .await;
    let addr = ns.local_addr().to_string();
    let c = RemotingClient::new();
    call(&c, &addr, register_cmd("broker-a", A, 0, &[("T", 4)], 1)).await;
    call(
        &c,
        &addr,
        register_cmd("broker-a", A_SLAVE, 1, &[("T", 4)], 1),
    )
    .await;
    let r = route(&c, &addr, "T").await.unwrap();
    assert_eq!(r.broker_datas[0].broker_addrs.len(), 1);
    // Swapping the policy back at run time.
    ns.state()
        .set_route_policy(std::sync::Arc::new(wasmq_namesrv::PassThrough));
    let r = route(&c, &addr, "T").await.unwrap();
    assert_eq!(r.broker_datas[0].broker_addrs.len(), 2);
}

/// Go (version 317) and other pre-4.9.4 clients get fastjson's unquoted `brokerAddrs` keys;
/// 4.9.4+ clients and `acceptStandardJsonOnly=true` get standard JSON.
#[tokio::test]
async fn route_json_form_follows_client_version() {
    let ns = start().await;
    ns.call(register_cmd("broker-a", A, 0, &[("T", 4)], 1))
        .await;
    ns.call(register_cmd("broker-a", A_SLAVE, 1, &[("T", 4)], 1))
        .await;
    let req = |version: i32, standard: Option<bool>| {
        let mut r = RemotingCommand::request_with_header(
            RequestCode::GetRouteinfoByTopic,
            0,
            &wasmq_protocol::header::namesrv::GetRouteInfoRequestHeader {
                topic: "T".into(),
                accept_standard_json_only: standard,
            },
        );
        r.version = version;
        r
    };
    let go = ns.call(req(317, None)).await;
    let body = std::str::from_utf8(&go.body).unwrap();
    assert!(
        body.contains(r#""brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}"#),
        "{body}"
    );
    let parsed: wasmq_protocol::body::namesrv::TopicRouteData =
        serde_json::from_slice(&wasmq_protocol::body::namesrv::fastjson_to_json(&go.body)).unwrap();
    assert_eq!(parsed.broker_datas[0].broker_addrs.len(), 2);

    for (version, standard) in [(401, None), (121, Some(true))] {
        let resp = ns.call(req(version, standard)).await;
        let body = std::str::from_utf8(&resp.body).unwrap();
        assert!(
            body.contains(r#"{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}"#),
            "{body}"
        );
    }

    let mut info = RemotingCommand::request(RequestCode::GetBrokerClusterInfo, 0);
    info.version = 317;
    let resp = ns.call(info).await;
    let body = std::str::from_utf8(&resp.body).unwrap();
    assert!(
        body.contains(r#"{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}"#),
        "{body}"
    );
}
