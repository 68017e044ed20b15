//! The `/metrics` endpoint: an axum server answering `GET /metrics` from one [`Registry`].
//!
//! The Prometheus text format (0.0.4) is the default; a scraper whose `Accept` names
//! `application/openmetrics-text` gets OpenMetrics text instead (Prometheus asks for it first).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

/// `Content-Type` of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = prometheus_text::CONTENT_TYPE;
/// `Content-Type` of OpenMetrics text.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A running `/metrics` server; stops when shut down or dropped.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl MetricsServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving (open scrapes are cut off; a scrape is a one-shot read).
    pub fn shutdown(self) {
        self.task.abort();
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (port 0 picks a free port) and serves `registry` at `GET /metrics`.
pub async fn serve(addr: SocketAddr, registry: Arc<Registry>) -> anyhow::Result<MetricsServer> {
    serve_on(bind(addr).await?, registry)
}

/// Binds the endpoint's address without serving yet (a process binds first, so a taken port
/// fails it before anything else starts).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics endpoint on {addr}"))
}

/// Serves `registry` at `GET /metrics` on a bound `listener`.
pub fn serve_on(
    listener: tokio::net::TcpListener,
    registry: Arc<Registry>,
) -> anyhow::Result<MetricsServer> {
    let addr = listener
        .local_addr()
        .context("the metrics endpoint's bound address")?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(registry);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(%addr, cause = %e, "metrics endpoint stopped");
        }
    });
    tracing::info!(%addr, "metrics endpoint listening (GET /metrics)");
    Ok(MetricsServer { addr, task })
}

/// Whether the scraper accepts OpenMetrics text.
fn wants_openmetrics(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"))
}

/// Encodes `registry` in the Prometheus text format (0.0.4).
pub fn encode_prometheus(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut out = String::with_capacity(8 * 1024);
    prometheus_text::encode(&mut out, registry)?;
    Ok(out)
}

/// Encodes `registry` as OpenMetrics text (ending with `# EOF`).
pub fn encode_openmetrics(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut out = String::with_capacity(8 * 1024);
    text::encode(&mut out, registry)?;
    Ok(out)
}

async fn metrics(State(registry): State<Arc<Registry>>, headers: HeaderMap) -> Response {
    let (body, content_type) = if wants_openmetrics(&headers) {
        (encode_openmetrics(&registry), OPENMETRICS_TEXT)
    } else {
        (encode_prometheus(&registry), PROMETHEUS_TEXT)
    };
    match body {
        Ok(body) => ([(CONTENT_TYPE, content_type)], body).into_response(),
        Err(e) => {
            tracing::error!(cause = %e, "cannot encode metrics");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics\n").into_response()
        }
    }
}
