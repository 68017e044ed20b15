//! `NamesrvState`: everything the request handlers share.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use wasmq_remoting::Connection;

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigUpdateError, NamesrvConfig};
use crate::error::NamesrvError;
use crate::kv::KvConfig;
use crate::policy::{PassThrough, RoutePolicy};
use crate::route::RouteInfo;

/// The nameserver's shared state. It is owned by the nameserver alone: no lock here is shared
/// with a broker or anything else in the process.
pub struct NamesrvState {
    /// Read on every route request, written only by UPDATE_NAMESRV_CONFIG.
    config: RwLock<NamesrvConfig>,
    /// One `parking_lot::RwLock` over the five route tables, as Java's `RouteInfoManager`: a
    /// registration updates several tables at once and must be seen atomically by route reads.
    /// Reads (clients poll every topic's route every 30 s) share the lock; writes
    /// (registrations, every 30 s per broker; expiry scans) are short, in-memory, and never held
    /// across an await, so a blocking lock is cheaper than an async one.
    routes: RwLock<RouteInfo>,
    kv: KvConfig,
    /// Swapped rarely (plugin reload), read once per route request.
    policy: RwLock<Arc<dyn RoutePolicy>>,
    clock: Arc<dyn Clock>,
    /// Open connections by id, to close them at shutdown. Touched on connect/disconnect only.
    conns: Mutex<HashMap<u64, Connection>>,
}

impl std::fmt::Debug for NamesrvState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamesrvState")
            .field("config", &*self.config.read())
            .field("live_brokers", &self.routes.read().live_brokers())
            .field("kv", &self.kv.path())
            .finish_non_exhaustive()
    }
}

impl NamesrvState {
    /// State for `config`, loading the KV config from `kvConfigPath`.
    pub fn new(config: NamesrvConfig) -> Result<Self, NamesrvError> {
        let kv = KvConfig::load(config.kv_config_file())?;
        Ok(Self {
            config: RwLock::new(config),
            routes: RwLock::new(RouteInfo::default()),
            kv,
            policy: RwLock::new(Arc::new(PassThrough)),
            clock: Arc::new(SystemClock::default()),
            conns: Mutex::new(HashMap::new()),
        })
    }

    /// Uses `policy` to shape routes.
    pub fn with_route_policy(self, policy: Arc<dyn RoutePolicy>) -> Self {
        *self.policy.write() = policy;
        self
    }

    /// Uses `clock` for broker liveness.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Replaces the route policy of a running nameserver.
    pub fn set_route_policy(&self, policy: Arc<dyn RoutePolicy>) {
        *self.policy.write() = policy;
    }

    /// The current route policy.
    pub fn route_policy(&self) -> Arc<dyn RoutePolicy> {
        Arc::clone(&self.policy.read())
    }

    /// The settings (a read guard: do not hold it across an await).
    pub fn config(&self) -> RwLockReadGuard<'_, NamesrvConfig> {
        self.config.read()
    }

    /// Applies `key=value` updates (UPDATE_NAMESRV_CONFIG); see [`NamesrvConfig::updated`].
    pub fn update_config(&self, updates: &[(String, String)]) -> Result<(), ConfigUpdateError> {
        let mut config = self.config.write();
        let next = config.updated(updates)?;
        *config = next;
        Ok(())
    }

    /// The route tables.
    pub fn routes(&self) -> &RwLock<RouteInfo> {
        &self.routes
    }

    /// The KV config.
    pub fn kv(&self) -> &KvConfig {
        &self.kv
    }

    /// The liveness clock's reading.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Drops brokers not re-registered within `brokerChannelExpiredTime` and closes their
    /// connections; returns how many were dropped.
    pub fn scan_not_active_brokers(&self) -> usize {
        let expiry_ms = self.config.read().broker_channel_expired_time;
        let expired = self.routes.write().remove_expired(self.now_ms(), expiry_ms);
        for (addr, conn) in &expired {
            tracing::warn!(broker = %addr, expiry_ms, "broker expired");
            if let Some(c) = conn {
                c.close();
            }
        }
        expired.len()
    }

    /// Remembers an accepted connection.
    pub fn connection_opened(&self, conn: &Connection) {
        self.conns.lock().insert(conn.id(), conn.clone());
    }

    /// How many accepted connections are open.
    pub fn connection_count(&self) -> usize {
        self.conns.lock().len()
    }

    /// Closes every accepted connection (shutdown).
    pub fn close_connections(&self) {
        let conns: Vec<Connection> = self.conns.lock().drain().map(|(_, c)| c).collect();
        for c in conns {
            c.close();
        }
    }

    /// Drops the brokers that registered on `conn`, which has closed.
    pub fn connection_closed(&self, conn: &Connection) {
        self.conns.lock().remove(&conn.id());
        let mut routes = self.routes.write();
        for addr in routes.brokers_on_connection(conn.id()) {
            tracing::info!(broker = %addr, peer = %conn.peer(), "broker connection closed; dropping its routes");
            routes.remove_broker_addr(&addr);
        }
    }
}
