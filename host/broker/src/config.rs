//! `BrokerConfig`: the broker's keys of a RocketMQ `broker.conf`, with RocketMQ 4.9.x defaults.
//!
//! Storage keys (commit-log size, flush mode, ...) live in `wasmq_store::StoreConfig`; the one
//! exception is `storePathRootDir`, which both read because the broker keeps its JSON config
//! files (`config/topics.json`, ...) under it as Java's `BrokerPathConfigHelper` does.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `brokerRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BrokerRole {
    /// Master answering before replication.
    #[default]
    #[serde(rename = "ASYNC_MASTER")]
    AsyncMaster,
    /// Master answering after replication.
    #[serde(rename = "SYNC_MASTER")]
    SyncMaster,
    /// Read-only replica.
    #[serde(rename = "SLAVE")]
    Slave,
}

impl BrokerRole {
    /// Java's name, as `broker.conf` and runtime info spell it.
    pub fn java_name(self) -> &'static str {
        match self {
            BrokerRole::AsyncMaster => "ASYNC_MASTER",
            BrokerRole::SyncMaster => "SYNC_MASTER",
            BrokerRole::Slave => "SLAVE",
        }
    }
}

/// Broker settings; field names are the `broker.conf` keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerConfig {
    /// `brokerClusterName`.
    pub broker_cluster_name: String,
    /// `brokerName` (default: the host name).
    pub broker_name: String,
    /// `brokerId`: 0 master, > 0 slave.
    pub broker_id: i64,
    /// `brokerRole`.
    pub broker_role: BrokerRole,
    /// `brokerIP1`: the address advertised to clients (default: first non-loopback IPv4).
    #[serde(rename = "brokerIP1")]
    pub broker_ip1: String,
    /// `brokerIP2`: the HA address (default: brokerIP1).
    #[serde(rename = "brokerIP2")]
    pub broker_ip2: Option<String>,
    /// `listenPort` (0 = any free port; the fast port is then not opened).
    pub listen_port: u16,
    /// `namesrvAddr`: `;`-separated `host:port` list.
    pub namesrv_addr: Option<String>,
    /// `storePathRootDir`: the broker's `config/` directory lives under it.
    pub store_path_root_dir: PathBuf,
    /// `autoCreateTopicEnable`: unknown topics are created from TBW102 on send.
    pub auto_create_topic_enable: bool,
    /// `autoCreateSubscriptionGroup`.
    pub auto_create_subscription_group: bool,
    /// `defaultTopicQueueNums`: queues of TBW102.
    pub default_topic_queue_nums: i32,
    /// `brokerPermission`: 6 = read + write.
    pub broker_permission: i32,
    /// `clusterTopicEnable`: the cluster-name topic is writeable.
    pub cluster_topic_enable: bool,
    /// `brokerTopicEnable`: the broker-name topic is writeable.
    pub broker_topic_enable: bool,
    /// `traceTopicEnable`: create `msgTraceTopicName`.
    pub trace_topic_enable: bool,
    /// `msgTraceTopicName`.
    pub msg_trace_topic_name: String,
    /// `messageDelayLevel`: delay levels 1..=N.
    pub message_delay_level: String,
    /// `longPollingEnable`: held pulls are re-checked every 5 s (else every shortPollingTimeMills);
    /// new messages wake them at once either way.
    pub long_polling_enable: bool,
    /// `shortPollingTimeMills`: hold time when long polling is disabled.
    pub short_polling_time_mills: u64,
    /// `registerNameServerPeriod` (ms, clamped 10 000..=60 000).
    pub register_name_server_period: u64,
    /// `registerBrokerTimeoutMills`.
    pub register_broker_timeout_mills: u64,
    /// `deleteWhen` (used by the store's clean-up; kept for GET_BROKER_CONFIG).
    pub delete_when: String,
    /// `fileReservedTime` hours (store clean-up).
    pub file_reserved_time: u32,
    /// `diskMaxUsedSpaceRatio` percent (store clean-up).
    pub disk_max_used_space_ratio: u32,
    /// `regionId`: sent as MSG_REGION in send responses.
    pub region_id: String,
    /// `traceOn`: sent as TRACE_ON in send responses.
    pub trace_on: bool,
    /// `enablePropertyFilter`: SQL92 subscriptions allowed.
    pub enable_property_filter: bool,
    /// `rejectTransactionMessage`.
    pub reject_transaction_message: bool,
    /// `maxReconsumeTimes`: retry budget of auto-created subscription groups.
    pub max_reconsume_times: i32,
    /// `slaveReadEnable`.
    pub slave_read_enable: bool,
    /// `notifyConsumerIdsChangedEnable`.
    pub notify_consumer_ids_changed_enable: bool,
    /// `channelExpiredTimeout` (ms): clients silent this long are dropped.
    pub channel_expired_timeout: u64,
    /// `persistConsumerOffsetInterval` (ms).
    pub persist_consumer_offset_interval: u64,
    /// `maxTransferCountOnMessageInMemory`: messages per pull.
    pub max_transfer_count_on_message_in_memory: i32,
    /// `transactionTimeOut` (ms): a half message younger than this is not checked yet.
    pub transaction_time_out: i64,
    /// `transactionCheckMax`: checks before a half message is given up.
    pub transaction_check_max: i32,
    /// `transactionCheckInterval` (ms).
    pub transaction_check_interval: u64,
    /// `aclEnable`: check requests against the plain ACL file.
    pub acl_enable: bool,
    /// The plain ACL file (Java: `-Drocketmq.acl.plain.file`, default
    /// `$ROCKETMQ_HOME/conf/plain_acl.yml`); default `conf/plain_acl.yml`.
    pub acl_plain_file: PathBuf,
    /// `startAcceptSendRequestTimeStamp`: sends before this time (ms) are refused.
    pub start_accept_send_request_time_stamp: i64,
}

/// The default `messageDelayLevel`.
pub const DEFAULT_DELAY_LEVELS: &str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

impl Default for BrokerConfig {
    fn default() -> Self {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        Self {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: host_name(),
            broker_id: 0,
            broker_role: BrokerRole::AsyncMaster,
            broker_ip1: first_non_loopback_ipv4().to_string(),
            broker_ip2: None,
            listen_port: 10911,
            namesrv_addr: std::env::var("NAMESRV_ADDR").ok().filter(|s| !s.is_empty()),
            store_path_root_dir: home.join("store"),
            auto_create_topic_enable: true,
            auto_create_subscription_group: true,
            default_topic_queue_nums: 8,
            broker_permission: 6,
            cluster_topic_enable: true,
            broker_topic_enable: true,
            trace_topic_enable: false,
            msg_trace_topic_name: "RMQ_SYS_TRACE_TOPIC".into(),
            message_delay_level: DEFAULT_DELAY_LEVELS.into(),
            long_polling_enable: true,
            short_polling_time_mills: 1000,
            register_name_server_period: 30_000,
            register_broker_timeout_mills: 6_000,
            delete_when: "04".into(),
            file_reserved_time: 72,
            disk_max_used_space_ratio: 75,
            region_id: "DefaultRegion".into(),
            trace_on: true,
            enable_property_filter: false,
            reject_transaction_message: false,
            max_reconsume_times: 16,
            slave_read_enable: false,
            notify_consumer_ids_changed_enable: true,
            channel_expired_timeout: 120_000,
            persist_consumer_offset_interval: 5_000,
            max_transfer_count_on_message_in_memory: 32,
            transaction_time_out: 6_000,
            transaction_check_max: 15,
            transaction_check_interval: 60_000,
            acl_enable: false,
            acl_plain_file: PathBuf::from("conf/plain_acl.yml"),
            start_accept_send_request_time_stamp: 0,
        }
    }
}

impl BrokerConfig {
    /// The name-server addresses, split on `;` (blank entries dropped).
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv_addr
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The HA address host (brokerIP2, else brokerIP1).
    pub fn ha_ip(&self) -> &str {
        self.broker_ip2
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.broker_ip1)
    }

    /// The registration period, clamped to 10..=60 s as Java does.
    pub fn register_period_ms(&self) -> u64 {
        self.register_name_server_period.clamp(10_000, 60_000)
    }

    /// Delay levels in milliseconds (level n = index n-1); bad entries are skipped.
    pub fn delay_levels_ms(&self) -> Vec<i64> {
        self.message_delay_level
            .split_whitespace()
            .filter_map(|s| {
                let unit = s.chars().last()?;
                let n: i64 = s.get(..s.len() - 1)?.parse().ok()?;
                let ms = match unit {
                    's' => 1_000,
                    'm' => 60_000,
                    'h' => 3_600_000,
                    'd' => 86_400_000,
                    _ => return None,
                };
                Some(n * ms)
            })
            .collect()
    }

    /// The `config/` directory under the store root.
    pub fn config_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("config")
    }
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "broker-a".into())
}

/// The address the default route would leave from (no packet is sent), else 127.0.0.1.
fn first_non_loopback_ipv4() -> Ipv4Addr {
    let probe = || -> std::io::Result<IpAddr> {
        let s = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        s.connect(SocketAddr::from(([10, 255, 255, 255], 1)))?;
        Ok(s.local_addr()?.ip())
    };
    match probe() {
        Ok(IpAddr::V4(ip)) if !ip.is_loopback() && !ip.is_unspecified() => ip,
        _ => Ipv4Addr::LOCALHOST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys_and_defaults() {
        let c: BrokerConfig = serde_json::from_str(
            r#"{"brokerName":"broker-a","brokerIP1":"10.0.0.1","brokerRole":"SYNC_MASTER",
                "namesrvAddr":"a:9876; b:9876","listenPort":10921,"unknownKey":1}"#,
        )
        .unwrap();
        assert_eq!(c.broker_name, "broker-a");
        assert_eq!(c.broker_ip1, "10.0.0.1");
        assert_eq!(c.broker_role, BrokerRole::SyncMaster);
        assert_eq!(c.namesrv_addrs(), vec!["a:9876", "b:9876"]);
        assert_eq!(c.listen_port, 10921);
        assert_eq!(c.default_topic_queue_nums, 8);
        assert_eq!(c.ha_ip(), "10.0.0.1");
        let v = serde_json::to_value(&c).unwrap();
        assert!(v.get("brokerIP1").is_some());
        assert!(v.get("autoCreateTopicEnable").is_some());
    }

    #[test]
    fn delay_levels() {
        let c = BrokerConfig::default();
        let l = c.delay_levels_ms();
        assert_eq!(l.len(), 18);
        assert_eq!(l[0], 1_000);
        assert_eq!(l[2], 10_000);
        assert_eq!(l[17], 7_200_000);
    }
}

/// The broker's settings as the processors read them (`b.config.load().x`), changeable at run time
/// by UPDATE_BROKER_CONFIG (25) for the keys in [`RUNTIME_KEYS`].
///
/// Reads take no lock: [`arc_swap::ArcSwap`] hands out the current `Arc<BrokerConfig>` (a guard
/// that costs a few atomic operations on a per-thread slot, no shared counter). An update builds a
/// whole new `BrokerConfig` and swaps it in; readers holding the old one keep a consistent view
/// until they drop it. Updates are serialized by their own mutex, never taken by readers.
#[derive(Debug)]
pub struct LiveConfig {
    current: arc_swap::ArcSwap<BrokerConfig>,
    updates: parking_lot::Mutex<()>,
}

/// Keys UPDATE_BROKER_CONFIG applies at once: each is read from `b.config` on every use.
pub const RUNTIME_KEYS: &[&str] = &[
    "brokerPermission",
    "autoCreateSubscriptionGroup",
    "enablePropertyFilter",
    "maxTransferCountOnMessageInMemory",
    "longPollingEnable",
    "shortPollingTimeMills",
    "rejectTransactionMessage",
    "traceOn",
    "regionId",
    "notifyConsumerIdsChangedEnable",
    "startAcceptSendRequestTimeStamp",
    "transactionTimeOut",
    "transactionCheckMax",
];

/// RocketMQ store keys (`MessageStoreConfig`) that wasmq reads once, when the store opens.
const STORE_KEYS: &[&str] = &[
    "maxMessageSize",
    "flushDiskType",
    "mapedFileSizeCommitLog",
    "mappedFileSizeCommitLog",
    "mapedFileSizeConsumeQueue",
    "mappedFileSizeConsumeQueue",
    "flushIntervalCommitLog",
    "flushCommitLogTimed",
    "storePathCommitLog",
    "deleteCommitLogFilesInterval",
    "cleanResourceInterval",
    "maxHashSlotNum",
    "maxIndexNum",
    "syncFlushTimeout",
    "transientStorePoolEnable",
];

/// Why UPDATE_BROKER_CONFIG refused a change; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigUpdateError {
    /// Not a setting of a RocketMQ broker that wasmq knows.
    #[error("unknown broker config key {0}")]
    Unknown(String),
    /// A real setting that is only read at start.
    #[error(
        "{0} cannot be changed at run time (it is read at start): set it in broker.conf and restart; changeable at run time: {keys}",
        keys = RUNTIME_KEYS.join(", ")
    )]
    NeedsRestart(String),
    /// The value does not parse as the key's type.
    #[error("bad value {value:?} for {key}: {cause}")]
    BadValue {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// Why it does not parse.
        cause: String,
    },
}

impl LiveConfig {
    /// Starts from `config`.
    pub fn new(config: BrokerConfig) -> Self {
        LiveConfig {
            current: arc_swap::ArcSwap::from_pointee(config),
            updates: parking_lot::Mutex::new(()),
        }
    }

    /// The settings now. Hold the guard for one request at most: it pins this version.
    pub fn load(&self) -> arc_swap::Guard<std::sync::Arc<BrokerConfig>> {
        self.current.load()
    }

    /// Applies `key=value` pairs all or nothing; returns the keys whose value changed.
    pub fn update(&self, changes: &[(String, String)]) -> Result<Vec<String>, ConfigUpdateError> {
        let _serialized = self.updates.lock();
        let serde_json::Value::Object(mut map) = serde_json::to_value(&**self.current.load())
            .map_err(|e| ConfigUpdateError::Unknown(e.to_string()))?
        else {
            return Err(ConfigUpdateError::Unknown("config is not a map".into()));
        };
        let mut changed = Vec::new();
        for (key, value) in changes {
            let Some(old) = map.get(key.as_str()) else {
                return Err(if STORE_KEYS.contains(&key.as_str()) {
                    ConfigUpdateError::NeedsRestart(key.clone())
                } else {
                    ConfigUpdateError::Unknown(key.clone())
                });
            };
            if !RUNTIME_KEYS.contains(&key.as_str()) {
                return Err(ConfigUpdateError::NeedsRestart(key.clone()));
            }
            let bad = |cause: &str| ConfigUpdateError::BadValue {
                key: key.clone(),
                value: value.clone(),
                cause: cause.to_owned(),
            };
            let v = value.trim();
            let new = match old {
                serde_json::Value::Bool(_) => match v {
                    "true" => serde_json::Value::Bool(true),
                    "false" => serde_json::Value::Bool(false),
                    _ => return Err(bad("expected true or false")),
                },
                serde_json::Value::Number(_) => serde_json::from_str::<serde_json::Number>(v)
                    .map(serde_json::Value::Number)
                    .map_err(|_| bad("expected a number"))?,
                _ => serde_json::Value::String(v.to_owned()),
            };
            if map.get(key.as_str()) != Some(&new) {
                changed.push(key.clone());
            }
            map.insert(key.clone(), new);
        }
        let next: BrokerConfig =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| {
                let (key, value) = changes.first().cloned().unwrap_or_default();
                ConfigUpdateError::BadValue {
                    key,
                    value,
                    cause: e.to_string(),
                }
            })?;
        self.current.store(std::sync::Arc::new(next));
        Ok(changed)
    }
}

impl Serialize for LiveConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.current.load().serialize(s)
    }
}

#[cfg(test)]
mod live_tests {
    use super::*;

    #[test]
    fn runtime_keys_change_and_others_are_refused_by_name() {
        let live = LiveConfig::new(BrokerConfig::default());
        let before = arc_swap::Guard::into_inner(live.load());
        let changed = live
            .update(&[
                ("enablePropertyFilter".into(), "true".into()),
                ("maxTransferCountOnMessageInMemory".into(), "7".into()),
                ("regionId".into(), "R".into()),
            ])
            .unwrap();
        assert_eq!(changed.len(), 3);
        assert!(live.load().enable_property_filter);
        assert_eq!(live.load().max_transfer_count_on_message_in_memory, 7);
        assert_eq!(live.load().region_id, "R");
        // A reference taken before the update still reads the old values.
        assert!(!before.enable_property_filter);

        let e = live
            .update(&[("brokerName".into(), "x".into())])
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("brokerName cannot be changed at run time"),
            "{e}"
        );
        let e = live
            .update(&[("flushDiskType".into(), "SYNC_FLUSH".into())])
            .unwrap_err();
        assert!(matches!(e, ConfigUpdateError::NeedsRestart(_)), "{e}");
        let e = live
            .update(&[("noSuchKey".into(), "1".into())])
            .unwrap_err();
        assert_eq!(e.to_string(), "unknown broker config key noSuchKey");
        let e = live
            .update(&[("traceOn".into(), "maybe".into())])
            .unwrap_err();
        assert!(e.to_string().contains("traceOn"), "{e}");
        // All or nothing: a bad pair leaves the good one unapplied.
        let e = live.update(&[
            ("traceOn".into(), "false".into()),
            ("shortPollingTimeMills".into(), "-1".into()),
        ]);
        assert!(e.is_err());
        assert!(live.load().trace_on);
    }
}
