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
    fn tilde_only_at_start() {
        assert_eq!(expand_home("/a/~b"), PathBuf::from("/a/~b"));
        assert_eq!(expand_home("~user/x"), PathBuf::from("~user/x"));
    }
}
