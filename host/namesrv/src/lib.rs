//! wasmq-namesrv: the RocketMQ 4.x nameserver — broker registration, topic routes, KV config.
//!
//! - [`config`]: [`NamesrvConfig`], RocketMQ's keys and defaults.
//! - [`route`]: the route tables and their rules (Java `RouteInfoManager` 4.9.x).
//! - [`kv`]: the namespaced KV config, persisted to `kvConfigPath`.
//! - [`state`]: [`NamesrvState`], what handlers share (route tables, KV, clock, route policy).
//! - [`processor`]: one handler per request code and [`router`], the code table.
//! - [`housekeeping`]: the expiry scan ([`spawn_expiry`]).
//! - [`policy`]: [`RoutePolicy`], the hook a plugin uses to reshape routes per client.
//! - [`clock`]: the liveness time source, injectable for tests.
//! - [`metrics`]: Prometheus metrics (requests by code, route lookups, brokers, topics,
//!   connections), served with [`serve_with_metrics`].
//!
//! Brokers are dropped when they have not re-registered for `brokerChannelExpiredTime` (120 s,
//! scanned every `scanNotActiveBrokerInterval`, 10 s) and at once when the connection they
//! registered on closes. Run it alone with [`start`], or serve [`router`] in-process (standalone
//! mode) together with [`spawn_expiry`].

pub mod clock;
pub mod config;
pub mod error;
pub mod housekeeping;
pub mod kv;
pub mod metrics;
pub mod policy;
pub mod processor;
pub mod route;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use wasmq_remoting::{Server, ServerHandle};

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::NamesrvConfig;
pub use error::NamesrvError;
pub use housekeeping::{ExpiryTask, spawn_expiry};
pub use policy::{PassThrough, RoutePolicy};
pub use processor::router;
pub use state::NamesrvState;

/// A running nameserver: its listener and its expiry scan. Dropping it stops both (without
/// persisting; use [`NamesrvHandle::shutdown`]).
#[derive(Debug)]
pub struct NamesrvHandle {
    state: Arc<NamesrvState>,
    server: ServerHandle,
    expiry: ExpiryTask,
}

impl NamesrvHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The shared state (route tables, KV config, route policy).
    pub fn state(&self) -> &Arc<NamesrvState> {
        &self.state
    }

    /// Stops accepting, closes open connections, stops the expiry scan and persists the KV
    /// config.
    pub async fn shutdown(self) -> Result<(), NamesrvError> {
        self.server.stop();
        self.state.close_connections();
        drop(self.expiry);
        let state = Arc::clone(&self.state);
        let persisted = tokio::task::spawn_blocking(move || state.kv().persist())
            .await
            .unwrap_or_else(|e| {
                Err(NamesrvError::Io {
                    what: "persist (task failed)",
                    path: self.state.kv().path().to_owned(),
                    cause: std::io::Error::other(e),
                })
            });
        tracing::info!(addr = %self.server.local_addr(), "nameserver stopped");
        persisted
    }
}

/// Starts a nameserver for `config` on `bind` (port 0 picks a free port; `config.listen_port`
/// is for callers that build `bind` from it).
pub async fn start(config: NamesrvConfig, bind: SocketAddr) -> Result<NamesrvHandle, NamesrvError> {
    serve(Arc::new(NamesrvState::new(config)?), bind).await
}

/// Serves an existing state on `bind` (to set a clock or route policy first).
pub async fn serve(
    state: Arc<NamesrvState>,
    bind: SocketAddr,
) -> Result<NamesrvHandle, NamesrvError> {
    serve_with_metrics(state, bind, None).await
}

/// [`serve`], counting requests into `metrics` when given (see [`metrics::install`]).
pub async fn serve_with_metrics(
    state: Arc<NamesrvState>,
    bind: SocketAddr,
    metrics: Option<Arc<wasmq_metrics::NamesrvMetrics>>,
) -> Result<NamesrvHandle, NamesrvError> {
    let bind_err = |cause| NamesrvError::Bind { addr: bind, cause };
    let server = Server::bind(bind).await.map_err(bind_err)?;
    let table = router(Arc::clone(&state));
    let service: Arc<dyn wasmq_remoting::Service> = match metrics {
        Some(metrics) => Arc::new(metrics::Metered::new(table, metrics)),
        None => Arc::new(table),
    };
    let server = server.start(service).map_err(bind_err)?;
    let expiry = spawn_expiry(&state);
    tracing::info!(addr = %server.local_addr(), kv = %state.kv().path().display(), "nameserver started");
    Ok(NamesrvHandle {
        state,
        server,
        expiry,
    })
}
