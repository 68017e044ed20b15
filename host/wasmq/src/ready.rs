//! The readiness signal: a JSON line on stdout and, if asked, a file written atomically.
//!
//! Keys: `namesrv` and `broker` (the roles this process runs) and `metrics` (the Prometheus
//! exporter, when `metricsExporterType=PROM`), each `host:port`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;

/// Announces the listening addresses once every role in this process is ready.
pub fn announce(
    file: Option<&Path>,
    namesrv: Option<SocketAddr>,
    broker: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let mut map = serde_json::Map::new();
    for (key, addr) in [
        ("namesrv", namesrv),
        ("broker", broker),
        ("metrics", metrics),
    ] {
        if let Some(a) = addr {
            map.insert(key.into(), a.to_string().into());
        }
    }
    let line = serde_json::Value::Object(map).to_string();
    if let Some(path) = file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &line).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "wasmq ready {line}")?;
    out.flush()?;
    Ok(())
}
