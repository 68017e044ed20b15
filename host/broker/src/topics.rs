//! The broker's topic table (`TopicConfigManager`): built-in topics, auto-creation from a template,
//! persistence in `config/topics.json`, and a change signal that triggers re-registration.
//!
//! wasmq extension: per-topic retention ([`RetentionSetting`]) is a topic attribute kept in
//! `topics.json` under `wasmqTopicRetention` (Java brokers ignore the key).

use std::collections::BTreeMap;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use wasmq_protocol::body::namesrv::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};
use wasmq_protocol::message::flags::{PERM_INHERIT, PERM_READ, PERM_WRITE};

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::persist;

/// Auto-create template topic.
pub const TBW102: &str = "TBW102";
/// Self-test topic.
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
/// Benchmark topic.
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// Offset-moved events.
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
/// Delayed messages.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Transaction half messages.
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Transaction op messages.
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Transactions checked too often.
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Prefix of retry topics.
pub const RETRY_PREFIX: &str = "%RETRY%";
/// Prefix of dead-letter topics.
pub const DLQ_PREFIX: &str = "%DLQ%";

/// Topics producers may not send to (`TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
pub const NOT_SENDABLE: &[&str] = &[
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// `%RETRY%group`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_PREFIX}{group}")
}

/// `%DLQ%group`.
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_PREFIX}{group}")
}

/// Why a topic name is refused; `None` when valid (`[%|a-zA-Z0-9_-]`, 1..=127 chars).
pub fn topic_name_problem(topic: &str) -> Option<String> {
    if topic.trim().is_empty() {
        return Some("the specified topic is blank".into());
    }
    if topic.len() > 127 {
        return Some(format!(
            "the specified topic is longer than topic max length 127: {topic}"
        ));
    }
    if !topic
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-'))
    {
        return Some(format!(
            "the specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        ));
    }
    None
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A topic's retention (wasmq extension); `None` = no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetentionSetting {
    /// Messages stored longer ago than this (ms) go out of reach of pulls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_ms: Option<u64>,
    /// At most this many bytes of the topic's newest records stay reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_bytes: Option<u64>,
}

impl RetentionSetting {
    /// From the wire: absent, zero or negative values mean no limit.
    pub fn from_wire(retention_ms: Option<i64>, retention_bytes: Option<i64>) -> Self {
        let positive = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0);
        Self {
            retention_ms: positive(retention_ms),
            retention_bytes: positive(retention_bytes),
        }
    }

    /// True when neither limit is set.
    pub fn is_unlimited(&self) -> bool {
        self.retention_ms.is_none() && self.retention_bytes.is_none()
    }
}

/// The content of `topics.json`: Java's wrapper plus the wasmq retention attributes.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopicsFile {
    #[serde(flatten)]
    wrapper: TopicConfigSerializeWrapper,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    wasmq_topic_retention: BTreeMap<String, RetentionSetting>,
}

/// The topic table. Reads take a shared lock; changes are rare (creation, admin).
#[derive(Debug)]
pub struct TopicTable {
    file: persist::JsonFile,
    inner: RwLock<TopicConfigSerializeWrapper>,
    retention: RwLock<BTreeMap<String, RetentionSetting>>,
    changed: Notify,
}

impl TopicTable {
    /// Built-in topics per `config`, overlaid with `config/topics.json`.
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = config.config_dir().join("topics.json");
        let mut table = BTreeMap::new();
        let mut add = |name: &str, queues: i32, perm: i32| {
            let mut t = TopicConfig::new(name, queues);
            t.perm = perm;
            table.insert(name.to_owned(), t);
        };
        add(SELF_TEST_TOPIC, 1, PERM_READ | PERM_WRITE);
        if config.auto_create_topic_enable {
            add(
                TBW102,
                config.default_topic_queue_nums,
                PERM_INHERIT | PERM_READ | PERM_WRITE,
            );
        }
        add(BENCHMARK_TOPIC, 1024, PERM_READ | PERM_WRITE);
        let rw = |on: bool| PERM_INHERIT | if on { PERM_READ | PERM_WRITE } else { 0 };
        add(
            &config.broker_cluster_name,
            16,
            rw(config.cluster_topic_enable),
        );
        add(&config.broker_name, 1, rw(config.broker_topic_enable));
        add(OFFSET_MOVED_EVENT, 1, PERM_READ | PERM_WRITE);
        add(SCHEDULE_TOPIC, 18, PERM_READ | PERM_WRITE);
        if config.trace_topic_enable {
            add(&config.msg_trace_topic_name, 1, PERM_READ | PERM_WRITE);
        }
        add(
            &format!("{}_REPLY_TOPIC", config.broker_cluster_name),
            1,
            PERM_READ | PERM_WRITE,
        );
        let mut wrapper = TopicConfigSerializeWrapper {
            topic_config_table: table,
            data_version: DataVersion::new(now_ms()),
        };
        let mut retention = BTreeMap::new();
        if let Some(saved) = persist::load::<TopicsFile>(&path)? {
            wrapper
                .topic_config_table
                .extend(saved.wrapper.topic_config_table);
            wrapper.data_version = saved.wrapper.data_version.next(now_ms());
            retention = saved.wasmq_topic_retention;
            retention
                .retain(|t, r| wrapper.topic_config_table.contains_key(t) && !r.is_unlimited());
        }
        Ok(Self {
            file: persist::JsonFile::new(path),
            inner: RwLock::new(wrapper),
            retention: RwLock::new(retention),
            changed: Notify::new(),
        })
    }

    /// One topic's configuration.
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.inner.read().topic_config_table.get(topic).cloned()
    }

    /// A snapshot of the whole table with its version.
    pub fn snapshot(&self) -> TopicConfigSerializeWrapper {
        self.inner.read().clone()
    }

    /// A broker setting the nameserver sees changed (e.g. `brokerPermission`): a new data
    /// version (the nameserver only rereads the topics of a newer one) and the registration loop
    /// woken, as Java's `updateBrokerConfig` does.
    pub fn signal_changed(&self) {
        {
            let mut w = self.inner.write();
            w.data_version = w.data_version.next(now_ms());
        }
        self.changed.notify_one();
    }

    /// Resolves once after each change (used by the registration loop).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Creates or replaces a topic, persists, and signals the change.
    pub fn upsert(&self, topic: TopicConfig) -> Result<(), BrokerError> {
        {
            let mut w = self.inner.write();
            if w.topic_config_table.get(&topic.topic_name) == Some(&topic) {
                return Ok(());
            }
            tracing::info!(topic = %topic.topic_name, read = topic.read_queue_nums,
                write = topic.write_queue_nums, perm = topic.perm, "topic created or updated");
            w.topic_config_table.insert(topic.topic_name.clone(), topic);
            w.data_version = w.data_version.next(now_ms());
        }
        self.after_change()
    }

    /// Every topic's retention that sets a limit.
    pub fn retentions(&self) -> Vec<(String, RetentionSetting)> {
        self.retention
            .read()
            .iter()
            .map(|(t, r)| (t.clone(), *r))
            .collect()
    }

    /// One topic's retention (unlimited when never set).
    pub fn retention(&self, topic: &str) -> RetentionSetting {
        self.retention
            .read()
            .get(topic)
            .copied()
            .unwrap_or_default()
    }

    /// Sets (or, unlimited, clears) an existing topic's retention and persists; returns whether
    /// it changed.
    pub fn set_retention(&self, topic: &str, r: RetentionSetting) -> Result<bool, BrokerError> {
        {
            let mut m = self.retention.write();
            if m.get(topic).copied().unwrap_or_default() == r {
                return Ok(false);
            }
            if r.is_unlimited() {
                m.remove(topic);
            } else {
                m.insert(topic.to_owned(), r);
            }
        }
        tracing::info!(topic, retention_ms = ?r.retention_ms, retention_bytes = ?r.retention_bytes,
            "topic retention changed");
        self.persist()?;
        Ok(true)
    }

    /// Deletes a topic; true if it existed.
    pub fn remove(&self, topic: &str) -> Result<bool, BrokerError> {
        {
            let mut w = self.inner.write();
            if w.topic_config_table.remove(topic).is_none() {
                return Ok(false);
            }
            w.data_version = w.data_version.next(now_ms());
            self.retention.write().remove(topic);
        }
        self.after_change()?;
        Ok(true)
    }

    /// The topic, created from `template` on first use when the template allows it
    /// (`createTopicInSendMessageMethod`): queues = min(requested, template write queues), perm =
    /// template perm without INHERIT. `None` when the topic is unknown and cannot be created.
    pub fn get_or_create_from_template(
        &self,
        topic: &str,
        template: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Result<Option<TopicConfig>, BrokerError> {
        if let Some(t) = self.get(topic) {
            return Ok(Some(t));
        }
        let Some(tpl) = self.get(template) else {
            return Ok(None);
        };
        if tpl.perm & PERM_INHERIT == 0 {
            return Ok(None);
        }
        let queues = queue_nums.clamp(1, tpl.write_queue_nums.max(1));
        let t = TopicConfig {
            topic_name: topic.to_owned(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: tpl.perm & !PERM_INHERIT,
            topic_filter_type: tpl.topic_filter_type,
            topic_sys_flag,
            order: false,
        };
        self.upsert(t.clone())?;
        Ok(Some(t))
    }

    /// The topic, created with `queues` queues and `perm` if absent (retry and DLQ topics).
    pub fn get_or_create(
        &self,
        topic: &str,
        queues: i32,
        perm: i32,
    ) -> Result<TopicConfig, BrokerError> {
        if let Some(t) = self.get(topic) {
            return Ok(t);
        }
        let mut t = TopicConfig::new(topic, queues.max(1));
        t.perm = perm;
        self.upsert(t.clone())?;
        Ok(t)
    }

    /// Writes `config/topics.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        self.file.save_with(|| TopicsFile {
            wrapper: self.snapshot(),
            wasmq_topic_retention: self.retention.read().clone(),
        })
    }

    fn after_change(&self) -> Result<(), BrokerError> {
        self.changed.notify_one();
        self.persist()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> BrokerConfig {
        BrokerConfig {
            store_path_root_dir: dir.to_owned(),
            broker_name: "broker-a".into(),
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn builtins_and_template_creation_persist() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        let t = TopicTable::load(&c).unwrap();
        assert_eq!(t.get(TBW102).unwrap().perm, 7);
        assert_eq!(t.get(SCHEDULE_TOPIC).unwrap().read_queue_nums, 18);
        assert_eq!(t.get("DefaultCluster").unwrap().read_queue_nums, 16);
        let created = t
            .get_or_create_from_template("NewTopic", TBW102, 4, 0)
            .unwrap()
            .unwrap();
        assert_eq!((created.write_queue_nums, created.perm), (4, 6));
        assert!(
            t.get_or_create_from_template("X", "NewTopic", 4, 0)
                .unwrap()
                .is_none()
        );
        let again = TopicTable::load(&c).unwrap();
        assert_eq!(again.get("NewTopic"), Some(created));
        assert!(again.snapshot().data_version.counter >= 1);
    }

    #[test]
    fn retention_persists_with_the_topic_and_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        let t = TopicTable::load(&c).unwrap();
        t.upsert(TopicConfig::new("Kept", 2)).unwrap();
        let r = RetentionSetting::from_wire(Some(60_000), Some(0));
        assert_eq!(
            r,
            RetentionSetting {
                retention_ms: Some(60_000),
                retention_bytes: None
            }
        );
        assert!(t.set_retention("Kept", r).unwrap());
        assert!(!t.set_retention("Kept", r).unwrap(), "unchanged");
        let json = std::fs::read_to_string(dir.path().join("config/topics.json")).unwrap();
        assert!(json.contains("\"wasmqTopicRetention\""), "{json}");
        assert!(json.contains("\"topicConfigTable\""), "{json}");
        let again = TopicTable::load(&c).unwrap();
        assert_eq!(again.retention("Kept"), r);
        assert_eq!(again.retentions(), vec![("Kept".to_string(), r)]);
        assert!(again.remove("Kept").unwrap());
        assert!(TopicTable::load(&c).unwrap().retentions().is_empty());
    }

    #[test]
    fn names() {
        assert!(topic_name_problem("%RETRY%g_1-x").is_none());
        assert!(topic_name_problem("a b").is_some());
        assert!(topic_name_problem("").is_some());
        assert!(topic_name_problem(&"x".repeat(128)).is_some());
    }
}
