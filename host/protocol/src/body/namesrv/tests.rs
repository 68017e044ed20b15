//! Tests of the nameserver bodies against JSON as Java, Go and fastjson write it.

use super::*;

/// What a Java 4.9.x broker writes (fastjson sorts keys).
const JAVA_WRAPPER: &str = r#"{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},"SELF_TEST_TOPIC":{"order":false,"perm":6,"readQueueNums":1,"topicFilterType":"MULTI_TAG","topicName":"SELF_TEST_TOPIC","topicSysFlag":0,"writeQueueNums":1}}}"#;

#[test]
fn decodes_java_topic_config_wrapper() {
    let w: TopicConfigSerializeWrapper = serde_json::from_str(JAVA_WRAPPER).unwrap();
    assert_eq!(
        w.data_version,
        DataVersion {
            timestamp: 1_700_000_000_000,
            counter: 3
        }
    );
    let t = &w.topic_config_table["TopicTest"];
    assert_eq!((t.read_queue_nums, t.write_queue_nums, t.perm), (4, 4, 6));
    assert_eq!(
        w.topic_config_table["SELF_TEST_TOPIC"].topic_filter_type,
        TopicFilterType::MultiTag
    );
    let again: TopicConfigSerializeWrapper =
        serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
    assert_eq!(again, w);
}

#[test]
fn topic_config_defaults_are_javas() {
    let t: TopicConfig = serde_json::from_str(r#"{"topicName":"T"}"#).unwrap();
    assert_eq!(
        t,
        TopicConfig {
            topic_name: "T".into(),
            ..TopicConfig::default()
        }
    );
    assert_eq!((t.read_queue_nums, t.perm), (16, 6));
    let json = serde_json::to_string(&TopicConfig::new("T", 8)).unwrap();
    assert_eq!(
        json,
        r#"{"topicName":"T","readQueueNums":8,"writeQueueNums":8,"perm":6,"topicFilterType":"SINGLE_TAG","topicSysFlag":0,"order":false}"#
    );
}

#[test]
fn data_version_next() {
    let v = DataVersion::new(5).next(9);
    assert_eq!(
        v,
        DataVersion {
            timestamp: 9,
            counter: 1
        }
    );
}

/// A Java 4.9.x broker's REGISTER_BROKER body (a 5.x broker adds `stateVersion` and
/// `attributes`, ignored).
const JAVA_REGISTER_BODY: &str = r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"stateVersion":0,"timestamp":1700000000123},"topicConfigTable":{"TopicTest":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}"#;

#[test]
fn decodes_java_register_body() {
    let b: RegisterBrokerBody = serde_json::from_str(JAVA_REGISTER_BODY).unwrap();
    let w = &b.topic_config_serialize_wrapper;
    assert_eq!(w.data_version.counter, 2);
    assert_eq!(w.topic_config_table["TopicTest"].write_queue_nums, 4);
    assert!(b.filter_server_list.is_empty());
    let again: RegisterBrokerBody = serde_json::from_slice(&to_json(&b)).unwrap();
    assert_eq!(again, b);
}

#[test]
fn compressed_body_round_trips_and_rejects_truncation() {
    let mut b: RegisterBrokerBody = serde_json::from_str(JAVA_REGISTER_BODY).unwrap();
    b.topic_config_serialize_wrapper
        .topic_config_table
        .insert("Other".into(), TopicConfig::new("Other", 2));
    b.filter_server_list = vec!["10.0.0.1:30000".into()];
    let raw = b.encode_inflated();
    assert_eq!(RegisterBrokerBody::decode_inflated(&raw).unwrap(), b);
    for cut in 0..raw.len() {
        assert!(
            RegisterBrokerBody::decode_inflated(raw.get(..cut).unwrap()).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
    // Java's layout, byte for byte: length-prefixed DataVersion JSON first.
    let dv = br#"{"timestamp":1700000000123,"counter":2}"#;
    assert_eq!(raw.get(..4).unwrap(), &(dv.len() as i32).to_be_bytes());
    assert_eq!(raw.get(4..4 + dv.len()).unwrap(), dv);
    assert_eq!(
        raw.get(4 + dv.len()..8 + dv.len()).unwrap(),
        &2i32.to_be_bytes()
    );
}

#[test]
fn topic_config_line_like_java() {
    let tc = TopicConfig::new("T", 8);
    assert_eq!(tc.encode_line(), "T 8 8 6 SINGLE_TAG");
    assert_eq!(TopicConfig::decode_line(b"T 8 8 6 SINGLE_TAG").unwrap(), tc);
    // 5.x appends attributes JSON.
    assert_eq!(
        TopicConfig::decode_line(br#"T 8 8 6 SINGLE_TAG {"+a":"b"}"#).unwrap(),
        tc
    );
    assert!(TopicConfig::decode_line(b"T 8 x 6 SINGLE_TAG").is_err());
    assert!(TopicConfig::decode_line(b"T 8 8").is_err());
}

#[test]
fn route_data_is_compact_with_both_sys_flag_spellings() {
    let route = TopicRouteData {
        order_topic_conf: None,
        queue_datas: vec![QueueData {
            broker_name: "broker-a".into(),
            read_queue_nums: 4,
            write_queue_nums: 4,
            perm: 6,
            topic_sys_flag: 0,
        }],
        broker_datas: vec![BrokerData {
            cluster: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_addrs: [(0, "10.0.0.1:10911".into()), (1, "10.0.0.2:10911".into())]
                .into_iter()
                .collect(),
            enable_acting_master: false,
        }],
        filter_server_table: BTreeMap::new(),
    };
    let json = String::from_utf8(to_json(&route)).unwrap();
    assert_eq!(
        json,
        r#"{"queueDatas":[{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0,"topicSynFlag":0}],"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"enableActingMaster":false}],"filterServerTable":{}}"#
    );
    let again: TopicRouteData = serde_json::from_str(&json).unwrap();
    assert_eq!(again, route);
    assert_eq!(again.broker_datas[0].master_addr(), Some("10.0.0.1:10911"));
}

#[test]
fn decodes_java_route_data_old_and_standard() {
    // Java <= 4.9.3 (fastjson default): unquoted numeric keys.
    let old = r#"{"brokerDatas":[{"brokerAddrs":{0:"192.168.0.1:10911",1:"192.168.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":0,"writeQueueNums":4}]}"#;
    assert!(serde_json::from_str::<TopicRouteData>(old).is_err());
    let r: TopicRouteData = serde_json::from_slice(&fastjson_to_json(old.as_bytes())).unwrap();
    assert_eq!(r.broker_datas[0].broker_addrs[&1], "192.168.0.2:10911");
    assert_eq!(r.order_topic_conf.as_deref(), Some("broker-a:4"));
    // Java >= 4.9.4 standard JSON, with the 4.9.x spelling topicSysFlag.
    let std = r#"{"brokerDatas":[{"brokerAddrs":{"0":"192.168.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":3,"writeQueueNums":4}]}"#;
    let r: TopicRouteData = serde_json::from_str(std).unwrap();
    assert_eq!(r.queue_datas[0].topic_sys_flag, 3);
    // fastjson_to_json leaves standard JSON and strings with digits alone.
    assert_eq!(fastjson_to_json(std.as_bytes()), std.as_bytes());
    let tricky = r#"{"a":"{0:x}","b":[1,2,{3:"c"}]}"#;
    assert_eq!(
        String::from_utf8(fastjson_to_json(tricky.as_bytes())).unwrap(),
        r#"{"a":"{0:x}","b":[1,2,{"3":"c"}]}"#
    );
}

#[test]
fn cluster_info_topic_list_kv_table() {
    let java = r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;
    let c: ClusterInfo = serde_json::from_str(java).unwrap();
    assert!(c.cluster_addr_table["DefaultCluster"].contains("broker-a"));
    assert_eq!(
        serde_json::from_slice::<ClusterInfo>(&to_json(&c)).unwrap(),
        c
    );

    let t: TopicList = serde_json::from_str(r#"{"topicList":["A","B"]}"#).unwrap();
    assert_eq!(t.topic_list.len(), 2);
    assert_eq!(to_json(&t), br#"{"topicList":["A","B"]}"#);

    let kv: KvTable = serde_json::from_str(r#"{"table":{"T":"broker-a:4"}}"#).unwrap();
    assert_eq!(kv.table["T"], "broker-a:4");
    assert_eq!(to_json(&kv), br#"{"table":{"T":"broker-a:4"}}"#);
}

/// What Go's `route.go` does with `brokerAddrs` (split on ',' then ':', `ParseInt` on the
/// key, errors ignored), to show which form it needs.
fn go_broker_addrs(addrs: &str) -> BTreeMap<i64, String> {
    let inner = &addrs[1..addrs.len() - 1];
    let mut out = BTreeMap::new();
    for part in inner.split(',') {
        let Some(i) = part.find(':') else { continue };
        let id = part[..i].parse::<i64>().unwrap_or(0);
        out.insert(id, part[i + 1..].replace('"', ""));
    }
    out
}

#[test]
fn fastjson_form_for_go_and_old_java() {
    let bd = BrokerData {
        cluster: "C".into(),
        broker_name: "b".into(),
        broker_addrs: [(0, "10.0.0.1:10911".into()), (1, "10.0.0.2:10911".into())]
            .into_iter()
            .collect(),
        enable_acting_master: false,
    };
    let info = ClusterInfo {
        broker_addr_table: [("1".to_owned(), bd.clone())].into_iter().collect(),
        cluster_addr_table: [("C".to_owned(), ["1".to_owned()].into_iter().collect())]
            .into_iter()
            .collect(),
    };
    let fj = String::from_utf8(to_fastjson(&info)).unwrap();
    // Only brokerAddrs keys are bare; a broker *named* "1" stays quoted. (Substrings: field
    // order follows serde_json's map order.)
    for part in [
        r#""brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}"#,
        r#""brokerAddrTable":{"1":{"#,
        r#""clusterAddrTable":{"C":["1"]}"#,
    ] {
        assert!(fj.contains(part), "{fj} lacks {part}");
    }
    assert!(!fj.contains(' '), "compact: {fj}");
    let back: ClusterInfo = serde_json::from_slice(&fastjson_to_json(fj.as_bytes())).unwrap();
    assert_eq!(back, info);

    // Go reads the bare form right, and the quoted form wrong once there is a slave.
    assert_eq!(
        go_broker_addrs(r#"{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}"#),
        bd.broker_addrs
    );
    let quoted = go_broker_addrs(r#"{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}"#);
    assert_eq!(quoted.len(), 1);
    assert_eq!(quoted[&0], "10.0.0.2:10911");
}
