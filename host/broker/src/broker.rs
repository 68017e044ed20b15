//! `Broker`: the state every processor shares, built bottom-up so each part is complete when
//! it exists. Each table has its own lock; the data path (append, dispatch, pull) never takes a
//! metadata write lock except to create a topic on first use.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use wasmq_store::MessageStore;

use crate::clients::ClientRegistry;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::groups::GroupTable;
use crate::hooks::MessageHooks;
use crate::locks::QueueLocks;
use crate::long_polling::PullHolds;
use crate::offsets::OffsetTable;
use crate::schedule::DelayOffsets;
use crate::topics::TopicTable;
use crate::transactions::Transactions;

/// Shared broker state.
#[derive(Debug)]
pub struct Broker {
    /// Configuration.
    pub config: BrokerConfig,
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
            config,
            started: Instant::now(),
            started_ms: crate::topics::now_ms(),
        })
    }

    /// True for a slave.
    pub fn is_slave(&self) -> bool {
        self.config.broker_role == crate::config::BrokerRole::Slave
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
