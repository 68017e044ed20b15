//! Web console (default port 9999): cluster, topics, consumer groups, message search, plugins, throughput.
//!
//! An axum server with a JSON API under `/api/` and a single page (`assets/`, embedded in the
//! binary: plain HTML, CSS and JavaScript, no build step and nothing fetched from elsewhere). It
//! reaches the cluster only through the nameserver address it is given, with the
//! [`wasmq_admin::Admin`] client, so the figures are the ones `wasmq admin` prints. When that address
//! cannot be reached, every API answer says so in plain words (`cannot reach the nameserver at
//! 127.0.0.1:1: connection refused`) and the page shows it in a banner.
//!
//! Map of the crate:
//! - [`api`]: one module per page's endpoints (cluster, topics, groups, messages, send, plugins).
//! - [`error`]: [`error::ApiError`], an admin failure as an HTTP status and a sentence.
//! - [`throughput`]: the background sampler behind the throughput chart.
//! - [`assets`]: the embedded page.

pub mod api;
pub mod assets;
pub mod error;
pub mod throughput;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use wasmq_admin::Admin;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The admin client, on the nameserver list given.
    pub admin: Admin,
    /// Recent put/get rates per broker.
    pub throughput: throughput::History,
}

impl AppState {
    /// State for a console on the nameserver list `namesrv` (`host:port;host:port`).
    pub fn new(namesrv: &str) -> Arc<Self> {
        Arc::new(AppState {
            admin: Admin::new(namesrv.trim()),
            throughput: throughput::History::default(),
        })
    }
}

/// The whole application: the page, its assets and the API.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(assets::routes())
        .nest("/api", api::routes())
        .with_state(state)
}

/// Serves the console on `listener` until `shutdown` completes, sampling the brokers' throughput
/// in the background meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    namesrv: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::new(namesrv);
    let sampler = tokio::spawn(throughput::sample_forever(Arc::clone(&state)));
    let addr = listener
        .local_addr()
        .context("the console's listening address")?;
    tracing::info!(%addr, namesrv = state.admin.namesrv(), "web console ready");
    let result = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving the web console");
    sampler.abort();
    result
}
