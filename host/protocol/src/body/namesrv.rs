//! Bodies of nameserver requests and responses (RegisterBrokerBody, TopicRouteData, ClusterInfo, ...).
//!
//! Field names and shapes follow Apache RocketMQ 4.9.x (`common/.../protocol/body/*`,
//! `protocol/route/*`, `common/TopicConfig.java`, `common/DataVersion.java`). Input is tolerant
//! (missing fields take Java's defaults, unknown fields are ignored); output is compact JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Java's `PermName`: bits of a topic's or broker's `perm`.
pub mod perm {
    /// `PERM_PRIORITY`.
    pub const PRIORITY: i32 = 1 << 3;
    /// `PERM_READ`.
    pub const READ: i32 = 1 << 2;
    /// `PERM_WRITE`.
    pub const WRITE: i32 = 1 << 1;
    /// `PERM_INHERIT`.
    pub const INHERIT: i32 = 1;
}

/// A version stamp of a broker's topic configuration (`DataVersion`).
///
/// Java compares versions by `timestamp` and `counter` only; so does [`PartialEq`] here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    /// Milliseconds since the epoch when the version was created.
    pub timestamp: i64,
    /// Incremented on every change.
    pub counter: i64,
}

impl DataVersion {
    /// A fresh version at `timestamp_ms` with counter 0 (what a Java broker starts with).
    pub fn new(timestamp_ms: i64) -> Self {
        Self {
            timestamp: timestamp_ms,
            counter: 0,
        }
    }

    /// The next version: counter + 1, stamped `timestamp_ms` (Java's `nextVersion`).
    pub fn next(&self, timestamp_ms: i64) -> Self {
        Self {
            timestamp: timestamp_ms,
            counter: self.counter.saturating_add(1),
        }
    }
}

/// How tags are matched (`TopicFilterType`); informational in 4.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "&'static str")]
pub enum TopicFilterType {
    /// `SINGLE_TAG`, the default.
    #[default]
    SingleTag,
    /// `MULTI_TAG`.
    MultiTag,
}

impl TopicFilterType {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicFilterType::SingleTag => "SINGLE_TAG",
            TopicFilterType::MultiTag => "MULTI_TAG",
        }
    }

    /// Parses the Java enum name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

impl From<String> for TopicFilterType {
    /// Unknown names fall back to `SINGLE_TAG` (input is tolerant).
    fn from(s: String) -> Self {
        Self::parse(&s).unwrap_or_default()
    }
}

impl From<TopicFilterType> for &'static str {
    fn from(t: TopicFilterType) -> Self {
        t.as_str()
    }
}

/// One topic's configuration as a broker holds it (`TopicConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// The topic.
    pub topic_name: String,
    /// Queues consumers read (Java default 16).
    pub read_queue_nums: i32,
    /// Queues producers write (Java default 16).
    pub write_queue_nums: i32,
    /// [`perm`] bits (default read | write = 6).
    pub perm: i32,
    /// Tag filter type.
    pub topic_filter_type: TopicFilterType,
    /// `TopicSysFlag` bits (unit / unit-sub).
    pub topic_sys_flag: i32,
    /// Ordered topic.
    pub order: bool,
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            topic_name: String::new(),
            read_queue_nums: 16,
            write_queue_nums: 16,
            perm: perm::READ | perm::WRITE,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_sys_flag: 0,
            order: false,
        }
    }
}

impl TopicConfig {
    /// A topic with `queues` read and write queues and read-write permission.
    pub fn new(topic_name: impl Into<String>, queues: i32) -> Self {
        Self {
            topic_name: topic_name.into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            ..Self::default()
        }
    }
}

/// A broker's topic table with its version (`TopicConfigSerializeWrapper`); also the body of
/// `GET_ALL_TOPIC_CONFIG` and the content of the broker's `topics.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    /// Topic name -> configuration.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// Version of the table.
    pub data_version: DataVersion,
}

#[cfg(test)]
mod tests {
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
}
