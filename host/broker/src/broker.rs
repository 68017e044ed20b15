//! `Broker`: the state every processor shares, built bottom-up so each part is complete when
//! it exists. Each table has its own lock; the data path (append, dispatch, pull) never takes a
//! metadata write lock except to create a topic on first use.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use wasmq_store::MessageStore;

use crate::clients::ClientRegistry;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::groups::GroupTable;
use crate::hooks::{MessageHooks, PluginAdmin};
use crate::locks::QueueLocks;
use crate::long_polling::PullHolds;
use crate::offsets::OffsetTable;
use crate::schedule::DelayOffsets;
use crate::topics::TopicTable;
use crate::transactions::Transactions;

/// Shared broker state.
#[derive(Debug)]
pub struct Broker {
    /// Configuration; UPDATE_BROKER_CONFIG changes its run-time keys (reads deref to `BrokerConfig`).
    pub config: crate::config::LiveConfig,
    /// The message store.
    pub store: Arc<MessageStore>,
    /// `brokerIP1:port`, as advertised and written as STOREHOST.
    pub store_host: SocketAddr,
    /// The same as text, for registration.
    pub broker_addr: String,
    /// Topics.
    pub topics: TopicTable,
    /// Subscription groups.
    pub groups: GroupTable,
    /// Consumer offsets.
    pub offsets: OffsetTable,
    /// Live clients.
    pub clients: ClientRegistry,
    /// Held pulls.
    pub holds: PullHolds,
    /// Delayed-delivery progress.
    pub delay_offsets: DelayOffsets,
    /// Resolved transactional half messages.
    pub transactions: Transactions,
    /// Data-path policy hooks (plugins).
    pub hooks: Arc<dyn MessageHooks>,
    /// Ordered-consumption queue locks.
    pub locks: QueueLocks,
    /// Delay levels in ms (level n = index n - 1).
    pub delay_levels_ms: Vec<i64>,
    /// When the broker started.
    pub started: Instant,
    /// Start time, ms since the epoch.
    pub started_ms: i64,
    /// Plugin administration (WASMQ_PLUGIN_*), when the binary installs it.
    plugin_admin: RwLock<Option<Arc<dyn PluginAdmin>>>,
    /// Parsed SQL92 filters, by (group, topic, type, expression).
    pub filters: crate::filter::FilterCache,
    /// Messages pulled per topic and group over the last minute (GET_CONSUME_STATS's TPS).
    pub group_get_nums: crate::processor::stats::GroupGetNums,
    /// Broker-wide put and get rates (runtime info's putTps / getTransferedTps).
    pub throughput: crate::throughput::Throughput,
    /// Prometheus metrics, recorded only once the binary installs them (exporter on).
    metrics: OnceLock<Arc<wasmq_metrics::BrokerMetrics>>,
    /// Open client connections on every listener (see [`crate::metrics::CountConnections`]).
    pub open_connections: AtomicU64,
}

impl Broker {
    /// Loads the config files and assembles the state for a broker answering on `port`.
    pub fn new(
        config: BrokerConfig,
        store: Arc<MessageStore>,
        port: u16,
        hooks: Arc<dyn MessageHooks>,
    ) -> Result<Self, BrokerError> {
        let ip: IpAddr = config
            .broker_ip1
            .parse()
            .map_err(|_| BrokerError::BadConfig {
                key: "brokerIP1",
                value: config.broker_ip1.clone(),
                reason: "expected an IPv4 or IPv6 address".into(),
            })?;
        let ip = if ip.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            ip
        };
        let store_host = SocketAddr::new(ip, port);
        Ok(Self {
            topics: TopicTable::load(&config)?,
            groups: GroupTable::load(&config)?,
            offsets: OffsetTable::load(&config)?,
            clients: ClientRegistry::default(),
            holds: PullHolds::default(),
            locks: QueueLocks::default(),
            hooks,
            transactions: Transactions::load(&store),
            delay_offsets: DelayOffsets::load(&config)?,
            delay_levels_ms: config.delay_levels_ms(),
            broker_addr: store_host.to_string(),
            store_host,
            store,
            config: crate::config::LiveConfig::new(config),
            started: Instant::now(),
            started_ms: crate::topics::now_ms(),
            plugin_admin: RwLock::new(None),
            filters: crate::filter::FilterCache::default(),
            group_get_nums: crate::processor::stats::GroupGetNums::default(),
            throughput: crate::throughput::Throughput::default(),
            metrics: OnceLock::new(),
            open_connections: AtomicU64::new(0),
        })
    }

    /// Installs the plugin administration the WASMQ_PLUGIN_* requests use.
    pub fn set_plugin_admin(&self, admin: Arc<dyn PluginAdmin>) {
        *self.plugin_admin.write() = Some(admin);
    }

    /// The installed plugin administration, if any.
    pub fn plugin_admin(&self) -> Option<Arc<dyn PluginAdmin>> {
        self.plugin_admin.read().clone()
    }

    /// Starts recording into `metrics` (once; false if metrics were installed already).
    pub fn set_metrics(&self, metrics: Arc<wasmq_metrics::BrokerMetrics>) -> bool {
        self.metrics.set(metrics).is_ok()
    }

    /// The metrics to record into, when the exporter is on.
    pub fn metrics(&self) -> Option<&Arc<wasmq_metrics::BrokerMetrics>> {
        self.metrics.get()
    }

    /// Hands a topic's retention to the store (unlimited clears it).
    pub fn apply_topic_retention(&self, topic: &str, r: crate::topics::RetentionSetting) {
        self.store.set_topic_retention(
            topic,
            r.retention_ms.map(Duration::from_millis),
            r.retention_bytes,
        );
    }

    /// True for a slave.
    pub fn is_slave(&self) -> bool {
        self.config.load().broker_role == crate::config::BrokerRole::Slave
    }

    /// Persists topics, groups and offsets.
    pub fn persist_all(&self) {
        for (what, r) in [
            ("consumerOffset.json", self.offsets.persist()),
            ("topics.json", self.topics.persist()),
            ("subscriptionGroup.json", self.groups.persist()),
            ("delayOffset.json", self.delay_offsets.persist()),
        ] {
            if let Err(e) = r {
                tracing::error!(file = what, cause = %e, "cannot persist broker config");
            }
        }
    }
}
