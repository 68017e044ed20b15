//! Topic, group and broker administration: UPDATE_AND_CREATE_TOPIC (17), GET_ALL_TOPIC_CONFIG (21),
//! GET_BROKER_CONFIG (26), GET_BROKER_RUNTIME_INFO (28), GET_ALL_CONSUMER_OFFSET (43),
//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201),
//! DELETE_SUBSCRIPTIONGROUP (207), DELETE_TOPIC_IN_BROKER (215), DELETE_EXPIRED_COMMITLOG (329)
//! (Java `AdminBrokerProcessor`). UPDATE_AND_CREATE_TOPIC also takes the wasmq extension fields
//! `retentionMs` / `retentionBytes` (per-topic retention, kept in topics.json).

use wasmq_protocol::body::broker::SubscriptionGroupConfig;
use wasmq_protocol::body::namesrv::{KvTable, TopicConfig, TopicFilterType};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{CreateTopicRequestHeader, TopicRequestHeader};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;
use crate::topics::{NOT_SENDABLE, RetentionSetting, TBW102, topic_name_problem};

fn json_body<T: serde::Serialize>(v: &T) -> RemotingCommand {
    match serde_json::to_vec(v) {
        Ok(json) => RemotingCommand::success().with_body(json),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// UPDATE_AND_CREATE_TOPIC (17); the change triggers an immediate re-registration.
pub fn create_topic(b: &Broker, req: Request<CreateTopicRequestHeader>) -> RemotingCommand {
    let h = req.header;
    if b.is_slave() {
        return RemotingCommand::error(
            ResponseCode::SystemError,
            "can not create topic on a slave broker",
        );
    }
    if let Some(problem) = topic_name_problem(&h.topic) {
        return RemotingCommand::error(ResponseCode::SystemError, problem);
    }
    if h.topic == b.config.load().broker_cluster_name
        || h.topic == TBW102
        || NOT_SENDABLE.contains(&h.topic.as_str())
    {
        return RemotingCommand::error(
            ResponseCode::SystemError,
            format!("The topic[{}] is conflict with system topic.", h.topic),
        );
    }
    let retention = (h.retention_ms.is_some() || h.retention_bytes.is_some())
        .then(|| RetentionSetting::from_wire(h.retention_ms, h.retention_bytes));
    let t = TopicConfig {
        topic_name: h.topic.clone(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: h
            .topic_filter_type
            .as_deref()
            .and_then(TopicFilterType::parse)
            .unwrap_or_default(),
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order.unwrap_or(false),
    };
    if let Err(e) = b.topics.upsert(t) {
        return RemotingCommand::error(ResponseCode::SystemError, e.to_string());
    }
    // Absent fields leave the topic's retention as it was (mqadmin's updateTopic sends none).
    if let Some(r) = retention {
        match b.topics.set_retention(&h.topic, r) {
            Ok(true) => b.apply_topic_retention(&h.topic, r),
            Ok(false) => {}
            Err(e) => return RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
        }
    }
    RemotingCommand::success()
}

/// DELETE_EXPIRED_COMMITLOG (329): expired commit-log files are deleted whatever the hour
/// (Java `executeDeleteFilesManually`); answers at once, the clean-up thread does the work.
pub fn delete_expired_commit_log(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    b.store.delete_expired_files_now();
    RemotingCommand::success()
}

/// DELETE_TOPIC_IN_BROKER (215): the topic, its consume queues and its offsets.
pub fn delete_topic(b: &Broker, req: Request<TopicRequestHeader>) -> RemotingCommand {
    let topic = req.header.topic;
    match b.topics.remove(&topic) {
        Ok(existed) => {
            if existed {
                // The store forgets the retention with the topic's queues.
                b.apply_topic_retention(&topic, RetentionSetting::default());
            }
            b.offsets.remove_topic(&topic);
            b.store.delete_topics(std::slice::from_ref(&topic));
            RemotingCommand::success()
        }
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// GET_ALL_TOPIC_CONFIG (21).
pub fn all_topics(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    json_body(&b.topics.snapshot())
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): body = SubscriptionGroupConfig.
pub fn create_group(b: &Broker, req: Request<NoHeader>) -> RemotingCommand {
    let g: SubscriptionGroupConfig = match serde_json::from_slice(&req.body) {
        Ok(g) => g,
        Err(e) => {
            return RemotingCommand::error(
                ResponseCode::SystemError,
                format!("malformed subscription group body: {e}"),
            );
        }
    };
    if g.group_name.trim().is_empty() {
        return RemotingCommand::error(ResponseCode::SystemError, "groupName is blank");
    }
    match b.groups.upsert(g) {
        Ok(()) => RemotingCommand::success(),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

wasmq_protocol::command_header! {
    /// DELETE_SUBSCRIPTIONGROUP (207).
    pub struct DeleteGroupHeader {
        /// Group name.
        group_name: String => "groupName",
    }

    /// GET_BROKER_CONFIG (26) response.
    pub struct BrokerConfigResponseHeader {
        /// DataVersion JSON of the config.
        version: String => "version",
    }
}

/// DELETE_SUBSCRIPTIONGROUP (207).
pub fn delete_group(b: &Broker, req: Request<DeleteGroupHeader>) -> RemotingCommand {
    match b.groups.remove(&req.header.group_name) {
        Ok(_) => RemotingCommand::success(),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
pub fn all_groups(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    json_body(&b.groups.snapshot())
}

/// GET_ALL_CONSUMER_OFFSET (43).
pub fn all_offsets(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    json_body(&b.offsets.snapshot())
}

/// GET_BROKER_CONFIG (26): body = `key=value` lines, as Java's `MixAll.properties2String`.
pub fn broker_config(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    let value = match serde_json::to_value(&b.config) {
        Ok(v) => v,
        Err(e) => return RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    };
    let mut text = String::new();
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            text.push_str(&format!("{k}={v}\n"));
        }
    }
    let version = serde_json::to_string(&b.topics.snapshot().data_version).unwrap_or_default();
    RemotingCommand::success()
        .with_header(&BrokerConfigResponseHeader { version })
        .with_body(text)
}

/// GET_BROKER_RUNTIME_INFO (28): string values, as Java's `KVTable`.
pub fn runtime_info(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    let s = b.store.runtime_stats();
    let (consumers, producers) = b.clients.counts();
    let mut t = KvTable::default();
    let mut put = |k: &str, v: String| {
        t.table.insert(k.to_owned(), v);
    };
    put("brokerVersionDesc", "V4_9_8".into());
    put(
        "brokerVersion",
        wasmq_protocol::code::CURRENT_VERSION.to_string(),
    );
    put("bootTimestamp", b.started_ms.to_string());
    put("runtime", format!("{} s", b.started.elapsed().as_secs()));
    put("msgPutTotalTodayNow", s.put_message_times_total.to_string());
    put("msgGetTotalTodayNow", b.throughput.got_total().to_string());
    let (put_tps, get_tps) = b.throughput.java_tps();
    put("putTps", put_tps);
    put("getTransferedTps", get_tps);
    put("putMessageSizeTotal", s.put_message_size_total.to_string());
    put(
        "putMessageFailedTimes",
        s.put_message_failed_times.to_string(),
    );
    put("commitLogMinOffset", s.commit_log_min_offset.to_string());
    put("commitLogMaxOffset", s.commit_log_max_offset.to_string());
    put(
        "commitLogFlushedOffset",
        s.commit_log_flushed_offset.to_string(),
    );
    put(
        "dispatchBehindBytes",
        (s.commit_log_max_offset - s.dispatch_offset).to_string(),
    );
    put("commitLogDiskBytes", s.commit_log_disk_bytes.to_string());
    put("consumeQueueCount", s.consume_queue_count.to_string());
    put("indexFileCount", s.index_file_count.to_string());
    put("storePoisoned", s.poisoned.to_string());
    put("pullHeldCount", b.holds.held().to_string());
    put("consumerGroupCount", consumers.to_string());
    put("producerGroupCount", producers.to_string());
    put("brokerRole", b.config.load().broker_role.java_name().into());
    // Java's key: the commit-log partition's used fraction; -1 when it cannot be measured.
    put(
        "commitLogDiskRatio",
        s.disk_used_ratio
            .map_or_else(|| "-1".into(), |r| r.to_string()),
    );
    put("diskFull", s.disk_full.to_string());
    put("commitLogFileCount", s.commit_log_file_count.to_string());
    put(
        "earliestMessageTimeStamp",
        s.oldest_message_store_time.unwrap_or(-1).to_string(),
    );
    put(
        "commitLogFilesDeletedTotal",
        s.commit_log_files_deleted_total.to_string(),
    );
    json_body(&t)
}
