//! Typed headers of the requests the nameserver serves (register, route, KV config, ...).
//!
//! Names and optionality follow Apache RocketMQ 4.9.x
//! `common/.../protocol/header/namesrv/*.java`: `@CFNotNull` fields are plain types, the rest
//! `Option`. Requests without a header (cluster info, all topics) use [`NoHeader`](super::NoHeader).

crate::command_header! {
    /// REGISTER_BROKER (103) request.
    pub struct RegisterBrokerRequestHeader {
        /// The broker group name.
        broker_name: String => "brokerName",
        /// `brokerIP1:listenPort`.
        broker_addr: String => "brokerAddr",
        /// The cluster.
        cluster_name: String => "clusterName",
        /// `brokerIP2:haListenPort`.
        ha_server_addr: String => "haServerAddr",
        /// 0 for the master, > 0 for slaves.
        broker_id: i64 => "brokerId",
        /// The body is the deflated binary form (see `RegisterBrokerBody::decode_compressed`).
        compressed: Option<bool> => "compressed",
        /// CRC32 of the body masked with 0x7FFFFFFF; 0 or absent = unchecked.
        body_crc32: Option<i32> => "bodyCrc32",
    }

    /// REGISTER_BROKER (103) response.
    pub struct RegisterBrokerResponseHeader {
        /// The master's HA address, for a slave whose master is live.
        ha_server_addr: Option<String> => "haServerAddr",
        /// The master's address, for a slave whose master is live.
        master_addr: Option<String> => "masterAddr",
    }

    /// UNREGISTER_BROKER (104) request.
    pub struct UnregisterBrokerRequestHeader {
        /// The broker group name.
        broker_name: String => "brokerName",
        /// `brokerIP1:listenPort`.
        broker_addr: String => "brokerAddr",
        /// The cluster.
        cluster_name: String => "clusterName",
        /// 0 for the master.
        broker_id: i64 => "brokerId",
    }

    /// QUERY_DATA_VERSION (322) request; the body is the broker's `DataVersion`.
    pub struct QueryDataVersionRequestHeader {
        /// The broker group name.
        broker_name: String => "brokerName",
        /// `brokerIP1:listenPort`.
        broker_addr: String => "brokerAddr",
        /// The cluster.
        cluster_name: String => "clusterName",
        /// 0 for the master.
        broker_id: i64 => "brokerId",
    }

    /// QUERY_DATA_VERSION (322) response.
    pub struct QueryDataVersionResponseHeader {
        /// The nameserver's version for this broker differs from the one sent (or is unknown).
        changed: bool => "changed",
    }

    /// GET_ROUTEINFO_BY_TOPIC (105) request.
    pub struct GetRouteInfoRequestHeader {
        /// The topic.
        topic: String => "topic",
        /// Java >= 4.9.4 clients ask for standard JSON (wasmq always writes standard JSON).
        accept_standard_json_only: Option<bool> => "acceptStandardJsonOnly",
    }

    /// PUT_KV_CONFIG (100) request.
    pub struct PutKvConfigRequestHeader {
        /// The namespace, e.g. `ORDER_TOPIC_CONFIG`.
        namespace: String => "namespace",
        /// The key.
        key: String => "key",
        /// The value.
        value: String => "value",
    }

    /// GET_KV_CONFIG (101) request.
    pub struct GetKvConfigRequestHeader {
        /// The namespace.
        namespace: String => "namespace",
        /// The key.
        key: String => "key",
    }

    /// GET_KV_CONFIG (101) response.
    pub struct GetKvConfigResponseHeader {
        /// The value (absent when not found; the code is then 22 QUERY_NOT_FOUND).
        value: Option<String> => "value",
    }

    /// DELETE_KV_CONFIG (102) request.
    pub struct DeleteKvConfigRequestHeader {
        /// The namespace.
        namespace: String => "namespace",
        /// The key.
        key: String => "key",
    }

    /// GET_KVLIST_BY_NAMESPACE (219) request.
    pub struct GetKvListByNamespaceRequestHeader {
        /// The namespace.
        namespace: String => "namespace",
    }

    /// WIPE_WRITE_PERM_OF_BROKER (205) request.
    pub struct WipeWritePermOfBrokerRequestHeader {
        /// The broker group name.
        broker_name: String => "brokerName",
    }

    /// WIPE_WRITE_PERM_OF_BROKER (205) response.
    pub struct WipeWritePermOfBrokerResponseHeader {
        /// How many topics lost write permission.
        wipe_topic_count: i32 => "wipeTopicCount",
    }

    /// ADD_WRITE_PERM_OF_BROKER (327) request.
    pub struct AddWritePermOfBrokerRequestHeader {
        /// The broker group name.
        broker_name: String => "brokerName",
    }

    /// ADD_WRITE_PERM_OF_BROKER (327) response.
    pub struct AddWritePermOfBrokerResponseHeader {
        /// How many topics got read-write permission back.
        add_topic_count: i32 => "addTopicCount",
    }

    /// DELETE_TOPIC_IN_NAMESRV (216) request.
    pub struct DeleteTopicFromNamesrvRequestHeader {
        /// The topic.
        topic: String => "topic",
        /// Only remove the topic from this cluster's brokers (absent or empty = everywhere).
        cluster_name: Option<String> => "clusterName",
    }

    /// GET_TOPICS_BY_CLUSTER (224) request.
    pub struct GetTopicsByClusterRequestHeader {
        /// The cluster.
        cluster: String => "cluster",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{ExtFields, RemotingCommand};
    use crate::header::{CommandHeader, HeaderError};
    use crate::{RequestCode, SerializeType};

    fn round_trip<H: CommandHeader + PartialEq + std::fmt::Debug>(h: H) {
        let mut ext = ExtFields::new();
        h.encode(&mut ext);
        assert_eq!(H::decode(&ext).unwrap(), h);
        // And through both header serializations of a whole frame.
        for ty in [SerializeType::Json, SerializeType::RocketMq] {
            let mut cmd = RemotingCommand::request_with_header(RequestCode::RegisterBroker, 7, &h);
            cmd.serialize_type = ty;
            let mut buf = bytes::BytesMut::new();
            crate::frame::encode(&cmd, &mut buf).unwrap();
            let decoded = crate::frame::decode(&mut buf).unwrap().unwrap();
            assert_eq!(decoded.decode_header::<H>().unwrap(), h, "{ty:?}");
        }
    }

    #[test]
    fn every_header_round_trips() {
        round_trip(RegisterBrokerRequestHeader {
            broker_name: "broker-a".into(),
            broker_addr: "10.0.0.1:10911".into(),
            cluster_name: "DefaultCluster".into(),
            ha_server_addr: "10.0.0.1:10912".into(),
            broker_id: 0,
            compressed: Some(false),
            body_crc32: Some(12345),
        });
        round_trip(RegisterBrokerResponseHeader {
            ha_server_addr: Some("10.0.0.1:10912".into()),
            master_addr: Some("10.0.0.1:10911".into()),
        });
        round_trip(RegisterBrokerResponseHeader::default());
        round_trip(UnregisterBrokerRequestHeader {
            broker_name: "b".into(),
            broker_addr: "a:1".into(),
            cluster_name: "c".into(),
            broker_id: 1,
        });
        round_trip(QueryDataVersionRequestHeader {
            broker_name: "b".into(),
            broker_addr: "a:1".into(),
            cluster_name: "c".into(),
            broker_id: 0,
        });
        round_trip(QueryDataVersionResponseHeader { changed: true });
        round_trip(GetRouteInfoRequestHeader {
            topic: "T".into(),
            accept_standard_json_only: Some(true),
        });
        round_trip(PutKvConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "T".into(),
            value: "broker-a:4".into(),
        });
        round_trip(GetKvConfigRequestHeader {
            namespace: "n".into(),
            key: "k".into(),
        });
        round_trip(GetKvConfigResponseHeader {
            value: Some("v".into()),
        });
        round_trip(DeleteKvConfigRequestHeader {
            namespace: "n".into(),
            key: "k".into(),
        });
        round_trip(GetKvListByNamespaceRequestHeader {
            namespace: "n".into(),
        });
        round_trip(WipeWritePermOfBrokerRequestHeader {
            broker_name: "b".into(),
        });
        round_trip(WipeWritePermOfBrokerResponseHeader {
            wipe_topic_count: 3,
        });
        round_trip(AddWritePermOfBrokerRequestHeader {
            broker_name: "b".into(),
        });
        round_trip(AddWritePermOfBrokerResponseHeader { add_topic_count: 2 });
        round_trip(DeleteTopicFromNamesrvRequestHeader {
            topic: "T".into(),
            cluster_name: None,
        });
        round_trip(GetTopicsByClusterRequestHeader {
            cluster: "DefaultCluster".into(),
        });
    }

    /// A Java 4.9.x broker's REGISTER_BROKER header as it appears on the wire.
    #[test]
    fn decodes_java_register_broker_frame() {
        let json = r#"{"code":103,"extFields":{"brokerId":"0","bodyCrc32":"1013727432","clusterName":"DefaultCluster","brokerAddr":"192.168.1.7:10911","haServerAddr":"192.168.1.7:10912","compressed":"false","brokerName":"broker-a"},"flag":0,"language":"JAVA","opaque":2,"serializeTypeCurrentRPC":"JSON","version":409}"#;
        let cmd = crate::codec::decode_header(SerializeType::Json, json.as_bytes()).unwrap();
        let h: RegisterBrokerRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(h.broker_name, "broker-a");
        assert_eq!(h.broker_id, 0);
        assert_eq!(h.compressed, Some(false));
        assert_eq!(h.body_crc32, Some(1_013_727_432));
    }

    /// ali-ons sends numbers and booleans as JSON scalars in extFields.
    #[test]
    fn decodes_scalar_ext_fields() {
        let json = r#"{"code":105,"language":"JAVA","version":121,"opaque":1,"flag":0,"extFields":{"topic":"T","acceptStandardJsonOnly":true}}"#;
        let cmd = crate::codec::decode_header(SerializeType::Json, json.as_bytes()).unwrap();
        let h: GetRouteInfoRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(h.accept_standard_json_only, Some(true));
        let json = r#"{"code":104,"language":"JAVA","version":121,"opaque":1,"flag":0,"extFields":{"brokerName":"b","brokerAddr":"a:1","clusterName":"c","brokerId":1}}"#;
        let cmd = crate::codec::decode_header(SerializeType::Json, json.as_bytes()).unwrap();
        let h: UnregisterBrokerRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(h.broker_id, 1);
    }

    #[test]
    fn missing_mandatory_field_is_named() {
        let ext: ExtFields = [("namespace", "n")].into_iter().collect();
        assert_eq!(
            PutKvConfigRequestHeader::decode(&ext),
            Err(HeaderError::Missing { field: "key" })
        );
    }
}
