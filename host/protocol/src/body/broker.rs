//! JSON bodies of the broker's request codes: heartbeats, consumer lists, subscription groups,
//! consumer offsets, locks, runtime info (`common/protocol/{body,heartbeat}/*.java`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize};

use super::namesrv::DataVersion;

/// HEART_BEAT (34) body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeartbeatData {
    /// Client id (`ip@instance`); note the spelling.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Producer groups of this client.
    pub producer_data_set: Vec<ProducerData>,
    /// Consumer groups of this client.
    pub consumer_data_set: Vec<ConsumerData>,
}

/// One producer group in a heartbeat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    /// Group name.
    pub group_name: String,
}

/// One consumer group in a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    /// Group name.
    pub group_name: String,
    /// CONSUME_ACTIVELY (pull) / CONSUME_PASSIVELY (push).
    pub consume_type: String,
    /// CLUSTERING / BROADCASTING.
    pub message_model: String,
    /// CONSUME_FROM_LAST_OFFSET, ...
    pub consume_from_where: String,
    /// Subscriptions.
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    pub unit_mode: bool,
}

impl Default for ConsumerData {
    fn default() -> Self {
        Self {
            group_name: String::new(),
            consume_type: "CONSUME_PASSIVELY".into(),
            message_model: "CLUSTERING".into(),
            consume_from_where: "CONSUME_FROM_LAST_OFFSET".into(),
            subscription_data_set: Vec::new(),
            unit_mode: false,
        }
    }
}

/// A consumer's subscription to one topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    /// Class filter mode (unsupported, kept for round trips).
    pub class_filter_mode: bool,
    /// Topic.
    pub topic: String,
    /// Expression as written (`*`, `a || b`, SQL).
    pub sub_string: String,
    /// Tags (TAG expressions).
    pub tags_set: BTreeSet<String>,
    /// Tag hash codes; GO sends them as strings.
    #[serde(deserialize_with = "lenient_codes")]
    pub code_set: BTreeSet<i32>,
    /// Version (ms).
    pub sub_version: i64,
    /// TAG (default) / SQL92.
    pub expression_type: String,
}

impl Default for SubscriptionData {
    fn default() -> Self {
        Self {
            class_filter_mode: false,
            topic: String::new(),
            sub_string: "*".into(),
            tags_set: BTreeSet::new(),
            code_set: BTreeSet::new(),
            sub_version: 0,
            expression_type: "TAG".into(),
        }
    }
}

/// Accepts a code set of numbers or numeric strings (GO: `["97"]`); drops what is neither.
fn lenient_codes<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeSet<i32>, D::Error> {
    let raw: Option<Vec<serde_json::Value>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .iter()
        .filter_map(|v| match v {
            serde_json::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .collect())
}

/// GET_CONSUMER_LIST_BY_GROUP (38) response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetConsumerListByGroupResponseBody {
    /// Client ids of the group's live consumers.
    pub consumer_id_list: Vec<String>,
}

/// A subscription group's settings (`SubscriptionGroupConfig`), stored in
/// `config/subscriptionGroup.json` and sent by UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    /// Group name.
    pub group_name: String,
    /// Consumption allowed.
    pub consume_enable: bool,
    /// Start from the min offset.
    pub consume_from_min_enable: bool,
    /// Broadcasting allowed.
    pub consume_broadcast_enable: bool,
    /// Queues of `%RETRY%group`.
    pub retry_queue_nums: i32,
    /// Retries before the DLQ.
    pub retry_max_times: i32,
    /// Broker to read from (0 master).
    pub broker_id: i64,
    /// Broker to read from when consumption is slow.
    pub which_broker_when_consume_slowly: i64,
    /// Push NOTIFY_CONSUMER_IDS_CHANGED on membership changes.
    pub notify_consumer_ids_changed_enable: bool,
}

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        Self {
            group_name: String::new(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            retry_queue_nums: 1,
            retry_max_times: 16,
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
        }
    }
}

/// `config/subscriptionGroup.json` and GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupWrapper {
    /// Groups by name.
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
    /// Version.
    pub data_version: DataVersion,
}

/// `config/consumerOffset.json` and GET_ALL_CONSUMER_OFFSET (43): `topic@group -> queue -> offset`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerOffsetWrapper {
    /// Offsets.
    pub offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

/// `config/delayOffset.json` and GET_ALL_DELAY_OFFSET (45): delay level -> queue offset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DelayOffsetWrapper {
    /// Offsets.
    pub offset_table: BTreeMap<i32, i64>,
}

/// A message queue as JSON (lock bodies).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueueData {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
}

/// LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    /// Consumer group.
    pub consumer_group: String,
    /// Client id (note the spelling, unlike heartbeats).
    pub client_id: String,
    /// Only lock on this broker (ignored).
    pub only_this_broker: bool,
    /// Queues.
    pub mq_set: BTreeSet<MessageQueueData>,
}

/// LOCK_BATCH_MQ (41) response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchResponseBody {
    /// Queues now held by the requesting client.
    #[serde(rename = "lockOKMQSet")]
    pub lock_ok_mq_set: BTreeSet<MessageQueueData>,
}

/// CHECK_CLIENT_CONFIG (46) request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckClientRequestBody {
    /// Client id.
    pub client_id: String,
    /// Consumer group.
    pub group: String,
    /// The subscription to check.
    pub subscription_data: Option<SubscriptionData>,
}

// wasmq extensions (request codes 9000 / 9001).

/// One plugin binding as WASMQ_PLUGIN_LIST (9000) answers it: name, plugin, hook, topics,
/// state and the metrics `wasmq admin plugins` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BindingRow {
    /// Binding name.
    pub binding: String,
    /// Plugin file stem.
    pub plugin: String,
    /// Plugin version (from `describe`).
    pub version: String,
    /// Hook kind (`ingress-filter`, ...).
    pub hook: String,
    /// Topic globs.
    pub topics: Vec<String>,
    /// Whether the binding runs.
    pub enabled: bool,
    /// Calls made.
    pub calls: u64,
    /// Messages passed in.
    pub messages: u64,
    /// Time spent in the plugin, ns.
    pub nanos: u64,
    /// Messages rejected.
    pub rejects: u64,
    /// Messages discarded.
    pub discards: u64,
    /// Traps.
    pub traps: u64,
    /// Fuel consumed.
    pub fuel: u64,
    /// All failures (traps, fuel and memory exhaustion, plugin errors).
    pub failures: u64,
}

/// The body of WASMQ_PLUGIN_LIST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PluginList {
    /// Plugin set generation (increases on every reload).
    pub generation: u64,
    /// Active bindings, in bindings-file order.
    pub bindings: Vec<BindingRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_from_java_json() {
        let json = r#"{"clientID":"10.0.0.5@12345","producerDataSet":[{"groupName":"PG"}],
 "consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",
  "consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","unitMode":false,
  "subscriptionDataSet":[{"topic":"T","subString":"a || b","tagsSet":["a","b"],"codeSet":[97,98],
   "expressionType":"TAG","subVersion":1700000000123,"classFilterMode":false}]}]}"#;
        let hb: HeartbeatData = serde_json::from_str(json).unwrap();
        assert_eq!(hb.client_id, "10.0.0.5@12345");
        assert_eq!(hb.producer_data_set[0].group_name, "PG");
        let sub = &hb.consumer_data_set[0].subscription_data_set[0];
        assert_eq!(sub.code_set, BTreeSet::from([97, 98]));
        assert_eq!(sub.sub_version, 1_700_000_000_123);
    }

    #[test]
    fn go_code_set_as_strings() {
        let json = r#"{"topic":"T","subString":"a","tagsSet":["a"],"codeSet":["97"]}"#;
        let sub: SubscriptionData = serde_json::from_str(json).unwrap();
        assert_eq!(sub.code_set, BTreeSet::from([97]));
        assert_eq!(sub.expression_type, "TAG");
    }

    #[test]
    fn offsets_json_shape() {
        let mut w = ConsumerOffsetWrapper::default();
        w.offset_table
            .entry("T@G".into())
            .or_default()
            .insert(0, 12);
        let s = serde_json::to_string(&w).unwrap();
        assert_eq!(s, r#"{"offsetTable":{"T@G":{"0":12}}}"#);
        assert_eq!(
            serde_json::from_str::<ConsumerOffsetWrapper>(&s).unwrap(),
            w
        );
    }

    #[test]
    fn lock_body_round_trip() {
        let json = r#"{"consumerGroup":"CG","clientId":"c1","mqSet":[{"topic":"T","brokerName":"b","queueId":0}]}"#;
        let b: LockBatchRequestBody = serde_json::from_str(json).unwrap();
        assert_eq!(b.mq_set.len(), 1);
        let r = LockBatchResponseBody {
            lock_ok_mq_set: b.mq_set,
        };
        assert!(serde_json::to_string(&r).unwrap().contains("lockOKMQSet"));
    }
}
