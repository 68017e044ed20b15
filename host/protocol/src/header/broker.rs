//! Custom headers of the broker's request codes (send, pull, offsets, clients, admin), as the Java
//! client writes them (`common/protocol/header/*.java`).
//!
//! Fields Java marks `@CFNotNull` are mandatory here unless a real client (ali-ons, GO, CPP) is
//! known to omit them; those are `Option` so the request is still served.

crate::command_header! {
    /// SEND_MESSAGE (10) with the long field names (GO single sends).
    pub struct SendMessageRequestHeader {
        /// Producer group.
        producer_group: String => "producerGroup",
        /// Topic.
        topic: String => "topic",
        /// Auto-create template (TBW102).
        default_topic: Option<String> => "defaultTopic",
        /// Queues for auto-creation.
        default_topic_queue_nums: Option<i32> => "defaultTopicQueueNums",
        /// Queue id; < 0 means any.
        queue_id: i32 => "queueId",
        /// Message sysFlag.
        sys_flag: i32 => "sysFlag",
        /// Born timestamp, ms.
        born_timestamp: i64 => "bornTimestamp",
        /// User flag.
        flag: i32 => "flag",
        /// Properties string.
        properties: Option<String> => "properties",
        /// Reconsume times.
        reconsume_times: Option<i32> => "reconsumeTimes",
        /// Unit mode.
        unit_mode: Option<bool> => "unitMode",
        /// Max reconsume times.
        max_reconsume_times: Option<i32> => "maxReconsumeTimes",
        /// The body is a batch.
        batch: Option<bool> => "batch",
    }

    /// SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320): the same fields with one-letter names.
    pub struct SendMessageRequestHeaderV2 {
        /// producerGroup.
        a: String => "a",
        /// topic.
        b: String => "b",
        /// defaultTopic.
        c: Option<String> => "c",
        /// defaultTopicQueueNums.
        d: Option<i32> => "d",
        /// queueId.
        e: i32 => "e",
        /// sysFlag.
        f: i32 => "f",
        /// bornTimestamp.
        g: i64 => "g",
        /// flag.
        h: i32 => "h",
        /// properties.
        i: Option<String> => "i",
        /// reconsumeTimes.
        j: Option<i32> => "j",
        /// unitMode.
        k: Option<bool> => "k",
        /// maxReconsumeTimes.
        l: Option<i32> => "l",
        /// batch.
        m: Option<bool> => "m",
    }

    /// Response to the send codes.
    pub struct SendMessageResponseHeader {
        /// Offset msgId (batch: comma-joined).
        msg_id: String => "msgId",
        /// Queue id.
        queue_id: i32 => "queueId",
        /// Queue offset (batch: first).
        queue_offset: i64 => "queueOffset",
        /// Transaction id (unset).
        transaction_id: Option<String> => "transactionId",
    }

    /// PULL_MESSAGE (11).
    pub struct PullMessageRequestHeader {
        /// Consumer group.
        consumer_group: String => "consumerGroup",
        /// Topic.
        topic: String => "topic",
        /// Queue id.
        queue_id: i32 => "queueId",
        /// Logical offset to read from.
        queue_offset: i64 => "queueOffset",
        /// Batch size.
        max_msg_nums: i32 => "maxMsgNums",
        /// PullSysFlag bits.
        sys_flag: i32 => "sysFlag",
        /// Offset to commit when sysFlag bit0.
        commit_offset: Option<i64> => "commitOffset",
        /// Long-poll hold, ms.
        suspend_timeout_millis: Option<i64> => "suspendTimeoutMillis",
        /// Subscription expression (used with sysFlag bit2).
        subscription: Option<String> => "subscription",
        /// Subscription version.
        sub_version: Option<i64> => "subVersion",
        /// TAG or SQL92.
        expression_type: Option<String> => "expressionType",
    }

    /// Response to PULL_MESSAGE; every field is sent on every outcome.
    pub struct PullMessageResponseHeader {
        /// 0 = master.
        suggest_which_broker_id: i64 => "suggestWhichBrokerId",
        /// Where to pull next.
        next_begin_offset: i64 => "nextBeginOffset",
        /// Queue min offset.
        min_offset: i64 => "minOffset",
        /// Queue max offset.
        max_offset: i64 => "maxOffset",
    }

    /// QUERY_CONSUMER_OFFSET (14).
    pub struct QueryConsumerOffsetRequestHeader {
        /// Consumer group.
        consumer_group: String => "consumerGroup",
        /// Topic.
        topic: String => "topic",
        /// Queue id.
        queue_id: i32 => "queueId",
    }

    /// UPDATE_CONSUMER_OFFSET (15).
    pub struct UpdateConsumerOffsetRequestHeader {
        /// Consumer group.
        consumer_group: String => "consumerGroup",
        /// Topic.
        topic: String => "topic",
        /// Queue id.
        queue_id: i32 => "queueId",
        /// Offset to store.
        commit_offset: i64 => "commitOffset",
    }

    /// Requests naming one queue: GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
    /// GET_EARLIEST_MSG_STORETIME (32).
    pub struct QueueRequestHeader {
        /// Topic.
        topic: String => "topic",
        /// Queue id.
        queue_id: i32 => "queueId",
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP (29).
    pub struct SearchOffsetRequestHeader {
        /// Topic.
        topic: String => "topic",
        /// Queue id.
        queue_id: i32 => "queueId",
        /// Timestamp, ms.
        timestamp: i64 => "timestamp",
    }

    /// Responses carrying one offset (14, 29, 30, 31).
    pub struct OffsetResponseHeader {
        /// The offset.
        offset: i64 => "offset",
    }

    /// Response to GET_EARLIEST_MSG_STORETIME (32).
    pub struct EarliestMsgStoretimeResponseHeader {
        /// Store time, ms.
        timestamp: i64 => "timestamp",
    }

    /// UNREGISTER_CLIENT (35).
    pub struct UnregisterClientRequestHeader {
        /// Client id (note the spelling).
        client_id: String => "clientID",
        /// Producer group.
        producer_group: Option<String> => "producerGroup",
        /// Consumer group.
        consumer_group: Option<String> => "consumerGroup",
    }

    /// GET_CONSUMER_LIST_BY_GROUP (38), NOTIFY_CONSUMER_IDS_CHANGED (40),
    /// GET_CONSUMER_CONNECTION_LIST (203).
    pub struct ConsumerGroupRequestHeader {
        /// Consumer group.
        consumer_group: String => "consumerGroup",
    }

    /// CONSUMER_SEND_MSG_BACK (36).
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit-log offset of the failed message.
        offset: i64 => "offset",
        /// Consumer group.
        group: String => "group",
        /// 0 = broker decides, < 0 = DLQ.
        delay_level: i32 => "delayLevel",
        /// First message id.
        origin_msg_id: Option<String> => "originMsgId",
        /// Original topic.
        origin_topic: Option<String> => "originTopic",
        /// Unit mode.
        unit_mode: Option<bool> => "unitMode",
        /// Max reconsume times (honoured from version 121).
        max_reconsume_times: Option<i32> => "maxReconsumeTimes",
    }

    /// UPDATE_AND_CREATE_TOPIC (17).
    pub struct CreateTopicRequestHeader {
        /// Topic.
        topic: String => "topic",
        /// Template topic.
        default_topic: Option<String> => "defaultTopic",
        /// Read queues.
        read_queue_nums: i32 => "readQueueNums",
        /// Write queues.
        write_queue_nums: i32 => "writeQueueNums",
        /// Permission bits.
        perm: i32 => "perm",
        /// SINGLE_TAG / MULTI_TAG.
        topic_filter_type: Option<String> => "topicFilterType",
        /// Topic sysFlag.
        topic_sys_flag: Option<i32> => "topicSysFlag",
        /// Ordered topic.
        order: Option<bool> => "order",
        /// wasmq extension: per-topic retention, ms (messages stored longer ago go out of reach
        /// of pulls); `0` or absent = no limit. Java brokers ignore it.
        retention_ms: Option<i64> => "retentionMs",
        /// wasmq extension: at most this many bytes of the topic's newest records stay
        /// reachable; `0` or absent = no limit. Java brokers ignore it.
        retention_bytes: Option<i64> => "retentionBytes",
    }

    /// DELETE_TOPIC_IN_BROKER (215), GET_TOPIC_STATS_INFO (202).
    pub struct TopicRequestHeader {
        /// Topic.
        topic: String => "topic",
    }

    /// QUERY_MESSAGE (12).
    pub struct QueryMessageRequestHeader {
        /// Topic.
        topic: String => "topic",
        /// Key (or UNIQ_KEY with `_UNIQUE_KEY_QUERY`).
        key: String => "key",
        /// Max records.
        max_num: i32 => "maxNum",
        /// Earliest store time, ms.
        begin_timestamp: i64 => "beginTimestamp",
        /// Latest store time, ms.
        end_timestamp: i64 => "endTimestamp",
        /// `true` => key is a UNIQ_KEY.
        unique_key_query: Option<bool> => "_UNIQUE_KEY_QUERY",
    }

    /// Response to QUERY_MESSAGE.
    pub struct QueryMessageResponseHeader {
        /// End time of the newest index file.
        index_last_update_timestamp: i64 => "indexLastUpdateTimestamp",
        /// End offset of the newest index file.
        index_last_update_phyoffset: i64 => "indexLastUpdatePhyoffset",
    }

    /// VIEW_MESSAGE_BY_ID (33).
    pub struct ViewMessageRequestHeader {
        /// Commit-log offset.
        offset: i64 => "offset",
    }

    /// GET_CONSUME_STATS (208).
    pub struct GetConsumeStatsRequestHeader {
        /// Consumer group.
        consumer_group: String => "consumerGroup",
        /// One topic, or all the group consumes when absent/empty.
        topic: Option<String> => "topic",
    }

    /// GET_PRODUCER_CONNECTION_LIST (204).
    pub struct ProducerGroupRequestHeader {
        /// Producer group.
        producer_group: String => "producerGroup",
    }

    /// END_TRANSACTION (37), usually oneway.
    pub struct EndTransactionRequestHeader {
        /// Producer group.
        producer_group: String => "producerGroup",
        /// Half message queue offset (= the send response's queueOffset).
        tran_state_table_offset: i64 => "tranStateTableOffset",
        /// Half message commit-log offset.
        commit_log_offset: i64 => "commitLogOffset",
        /// 8 commit, 12 rollback, 0 unknown.
        commit_or_rollback: i32 => "commitOrRollback",
        /// Answer to a CHECK_TRANSACTION_STATE.
        from_transaction_check: Option<bool> => "fromTransactionCheck",
        /// UNIQ_KEY of the message.
        msg_id: Option<String> => "msgId",
        /// Transaction id.
        transaction_id: Option<String> => "transactionId",
    }

    /// CHECK_TRANSACTION_STATE (39), broker -> producer, oneway.
    pub struct CheckTransactionStateRequestHeader {
        /// Half message queue offset.
        tran_state_table_offset: i64 => "tranStateTableOffset",
        /// Half message commit-log offset.
        commit_log_offset: i64 => "commitLogOffset",
        /// UNIQ_KEY.
        msg_id: Option<String> => "msgId",
        /// Transaction id (= UNIQ_KEY).
        transaction_id: Option<String> => "transactionId",
        /// Offset message id of the half message.
        offset_msg_id: Option<String> => "offsetMsgId",
    }

    /// INVOKE_BROKER_TO_RESET_OFFSET (222) from admin tools, and RESET_CONSUMER_CLIENT_OFFSET
    /// (220) from the broker to consumers.
    pub struct ResetOffsetRequestHeader {
        /// Topic.
        topic: String => "topic",
        /// Consumer group.
        group: String => "group",
        /// Target time, ms (-1 = the end of each queue).
        timestamp: i64 => "timestamp",
        /// Also move offsets forward.
        is_force: bool => "isForce",
    }

    /// PUSH_REPLY_MESSAGE_TO_CLIENT (326), broker -> requesting producer.
    pub struct ReplyMessageRequestHeader {
        /// Producer group of the replier.
        producer_group: String => "producerGroup",
        /// Reply topic.
        topic: String => "topic",
        /// Auto-create template.
        default_topic: String => "defaultTopic",
        /// Queues for auto-creation.
        default_topic_queue_nums: i32 => "defaultTopicQueueNums",
        /// Queue id.
        queue_id: i32 => "queueId",
        /// Message sysFlag.
        sys_flag: i32 => "sysFlag",
        /// Born timestamp.
        born_timestamp: i64 => "bornTimestamp",
        /// User flag.
        flag: i32 => "flag",
        /// Properties.
        properties: Option<String> => "properties",
        /// Reconsume times.
        reconsume_times: Option<i32> => "reconsumeTimes",
        /// Unit mode.
        unit_mode: Option<bool> => "unitMode",
        /// Replier address `ip:port`.
        born_host: String => "bornHost",
        /// Broker address `ip:port`.
        store_host: String => "storeHost",
        /// When the broker received it, ms.
        store_timestamp: i64 => "storeTimestamp",
    }
}

crate::command_header! {
    /// WASMQ_PLUGIN_SET_ENABLED (9001).
    pub struct PluginSetEnabledRequestHeader {
        /// The binding's name (as in plugins.toml, default `<plugin>/<hook>`).
        binding: String => "binding",
        /// On (true) or off (false).
        enabled: bool => "enabled",
    }
}
