//! [`MetricsConfig`]: the exporter keys, named as Apache RocketMQ 5's broker names them
//! (`metricsExporterType`, `metricsPromExporterHost`, `metricsPromExporterPort`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

/// `metricsExporterType`. RocketMQ 5 also has `OTLP_GRPC` and `LOG`; wasmq serves Prometheus
/// only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExporterType {
    /// No exporter, no recording (the default, as in RocketMQ 5).
    #[default]
    #[serde(rename = "DISABLE")]
    Disable,
    /// Serve `GET /metrics` on `metricsPromExporterHost:metricsPromExporterPort`.
    #[serde(rename = "PROM")]
    Prom,
}

/// The exporter settings; field names are the configuration keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricsConfig {
    /// `metricsExporterType`: `DISABLE` (default) or `PROM`.
    pub metrics_exporter_type: ExporterType,
    /// `metricsPromExporterHost`: the address to bind; empty = every interface.
    pub metrics_prom_exporter_host: String,
    /// `metricsPromExporterPort` (5557, RocketMQ 5's default; 0 = any free port).
    pub metrics_prom_exporter_port: u16,
}

/// RocketMQ 5's `metricsPromExporterPort` default.
pub const DEFAULT_PORT: u16 = 5557;

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            metrics_exporter_type: ExporterType::Disable,
            metrics_prom_exporter_host: String::new(),
            metrics_prom_exporter_port: DEFAULT_PORT,
        }
    }
}

impl MetricsConfig {
    /// Whether `/metrics` is served (and traffic recorded).
    pub fn enabled(&self) -> bool {
        self.metrics_exporter_type == ExporterType::Prom
    }

    /// The address to bind, or an error naming the bad host.
    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        let host = self.metrics_prom_exporter_host.trim();
        let ip: IpAddr = if host.is_empty() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            host.parse().map_err(|_| {
                anyhow::anyhow!(
                    "bad value {host:?} for key `metricsPromExporterHost`: expected an IP address"
                )
            })?
        };
        Ok(SocketAddr::new(ip, self.metrics_prom_exporter_port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_defaults() {
        let c: MetricsConfig = serde_json::from_str("{}").unwrap();
        assert!(!c.enabled());
        assert_eq!(c.metrics_prom_exporter_port, 5557);
        assert_eq!(c.bind_addr().unwrap().to_string(), "0.0.0.0:5557");
        let c: MetricsConfig = serde_json::from_str(
            r#"{"metricsExporterType":"PROM","metricsPromExporterHost":"127.0.0.1","metricsPromExporterPort":0}"#,
        )
        .unwrap();
        assert!(c.enabled());
        assert_eq!(c.bind_addr().unwrap().to_string(), "127.0.0.1:0");
        let bad = MetricsConfig {
            metrics_prom_exporter_host: "nowhere".into(),
            ..c
        };
        let e = bad.bind_addr().unwrap_err().to_string();
        assert!(e.contains("metricsPromExporterHost"), "{e}");
        assert!(serde_json::from_str::<MetricsConfig>(r#"{"metricsExporterType":"LOG"}"#).is_err());
    }
}
