//! `NamesrvConfig`: the nameserver's settings, with Apache RocketMQ's defaults.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The nameserver's settings (Java `NamesrvConfig` plus the listen port and liveness timings).
///
/// Keys are Java's (camelCase); every key is optional and defaults to RocketMQ's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamesrvConfig {
    /// TCP port clients and brokers connect to (9876).
    pub listen_port: u16,
    /// `ROCKETMQ_HOME` (informational).
    pub rocketmq_home: Option<String>,
    /// Where the KV config is persisted (`~/namesrv/kvConfig.json`; a leading `~` is `$HOME`).
    pub kv_config_path: String,
    /// Where Java keeps its runtime-updated properties (`~/namesrv/namesrv.properties`; unused).
    pub config_store_path: String,
    /// Java's product environment name ("center"; informational).
    pub product_env_name: String,
    /// Java's cluster-test mode (routes of unknown topics looked up in a product environment).
    /// Accepted for compatibility; not implemented.
    pub cluster_test: bool,
    /// Put `orderTopicConf` (KV namespace `ORDER_TOPIC_CONFIG`) into routes.
    pub order_message_enable: bool,
    /// How often expired brokers are looked for, in milliseconds (10 000).
    pub scan_not_active_broker_interval: u64,
    /// A broker not re-registered for this long, in milliseconds, is dropped (120 000).
    pub broker_channel_expired_time: u64,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        Self {
            listen_port: 9876,
            rocketmq_home: std::env::var("ROCKETMQ_HOME").ok(),
            kv_config_path: "~/namesrv/kvConfig.json".to_owned(),
            config_store_path: "~/namesrv/namesrv.properties".to_owned(),
            product_env_name: "center".to_owned(),
            cluster_test: false,
            order_message_enable: false,
            scan_not_active_broker_interval: 10_000,
            broker_channel_expired_time: 120_000,
        }
    }
}

impl NamesrvConfig {
    /// `kvConfigPath` with a leading `~` replaced by `$HOME`.
    pub fn kv_config_file(&self) -> PathBuf {
        expand_home(&self.kv_config_path)
    }

    /// The scan period.
    pub fn scan_interval(&self) -> Duration {
        Duration::from_millis(self.scan_not_active_broker_interval.max(1))
    }

    /// The broker expiry time.
    pub fn broker_expiry(&self) -> Duration {
        Duration::from_millis(self.broker_channel_expired_time)
    }
}

/// Keys UPDATE_NAMESRV_CONFIG may not change (Java's `configBlackList` defaults plus
/// `rocketmqHome`).
pub const UPDATE_BLACKLIST: &[&str] = &[
    "configBlackList",
    "configStorePath",
    "kvConfigPath",
    "rocketmqHome",
];

/// Why UPDATE_NAMESRV_CONFIG was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigUpdateError {
    /// The key may not be changed at run time.
    #[error("Can not update config in black list.")]
    Blacklisted {
        /// The key.
        key: String,
    },
    /// The value does not fit the key's type.
    #[error("cannot set {key} to {value:?}: {cause}")]
    BadValue {
        /// The key.
        key: String,
        /// The value sent.
        value: String,
        /// What is expected.
        cause: String,
    },
}

impl NamesrvConfig {
    /// This config with `updates` applied. Values are converted to each key's type; unknown
    /// keys are ignored (as Java), blacklisted ones refuse the whole update.
    pub fn updated(&self, updates: &[(String, String)]) -> Result<Self, ConfigUpdateError> {
        use serde_json::Value;
        let mut map = match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        for (key, value) in updates {
            if UPDATE_BLACKLIST.contains(&key.as_str()) {
                return Err(ConfigUpdateError::Blacklisted { key: key.clone() });
            }
            let bad = |cause: &str| ConfigUpdateError::BadValue {
                key: key.clone(),
                value: value.clone(),
                cause: cause.to_owned(),
            };
            let Some(slot) = map.get_mut(key) else {
                tracing::warn!(key, "unknown nameserver config key ignored");
                continue;
            };
            *slot = match slot {
                Value::Bool(_) => Value::Bool(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| bad("expected true or false"))?,
                ),
                Value::Number(_) => Value::Number(
                    value
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| bad("expected a non-negative integer"))?
                        .into(),
                ),
                _ => Value::String(value.clone()),
            };
        }
        serde_json::from_value(Value::Object(map)).map_err(|e| ConfigUpdateError::BadValue {
            key: String::new(),
            value: String::new(),
            cause: e.to_string(),
        })
    }
}

pub use wasmq_protocol::body::parse_properties;

/// Replaces a leading `~` (alone or followed by `/`) with `$HOME`.
pub fn expand_home(path: &str) -> PathBuf {
    let rest = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return PathBuf::from(path),
    };
    match std::env::var_os("HOME") {
        Some(home) => {
            let mut p = PathBuf::from(home);
            p.push(rest.trim_start_matches('/'));
            p
        }
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_rocketmqs() {
        let c = NamesrvConfig::default();
        assert_eq!(c.listen_port, 9876);
        assert_eq!(c.broker_expiry(), Duration::from_secs(120));
        assert_eq!(c.scan_interval(), Duration::from_secs(10));
        assert!(!c.order_message_enable);
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(home) = home {
            assert_eq!(c.kv_config_file(), home.join("namesrv/kvConfig.json"));
        }
    }

    #[test]
    fn partial_json_takes_defaults() {
        let c: NamesrvConfig =
            serde_json::from_str(r#"{"listenPort":9877,"orderMessageEnable":true}"#).unwrap();
        assert_eq!(c.listen_port, 9877);
        assert!(c.order_message_enable);
        assert_eq!(c.broker_channel_expired_time, 120_000);
    }

    #[test]
    fn updates_are_typed_and_blacklist_enforced() {
        let c = NamesrvConfig::default();
        let p = parse_properties(
            "# c\norderMessageEnable = true\nbrokerChannelExpiredTime:5000\nnope=1\n",
        );
        let u = c.updated(&p).unwrap();
        assert!(u.order_message_enable);
        assert_eq!(u.broker_channel_expired_time, 5000);
        let bad = c.updated(&[("orderMessageEnable".into(), "yes".into())]);
        assert!(matches!(bad, Err(ConfigUpdateError::BadValue { .. })));
        let black = c.updated(&[("kvConfigPath".into(), "/tmp/x".into())]);
        assert!(matches!(black, Err(ConfigUpdateError::Blacklisted { .. })));
    }

    #[test]
    fn tilde_only_at_start() {
        assert_eq!(expand_home("/a/~b"), PathBuf::from("/a/~b"));
        assert_eq!(expand_home("~user/x"), PathBuf::from("~user/x"));
    }
}
