//! Assembling the effective configuration: file (`-c`), then `--set` pairs, then flags.

use anyhow::Context;
use wasmq_config::{ConfigSource, Origin};

use crate::cli::ServerArgs;

/// Reads `-c FILE` and applies `--set` pairs.
pub fn source(args: &ServerArgs) -> anyhow::Result<ConfigSource> {
    let mut source = ConfigSource::new();
    if let Some(path) = &args.config {
        source
            .load_file(path)
            .with_context(|| format!("reading the configuration file {}", path.display()))?;
    }
    for s in &args.set {
        source.set_arg(s)?;
    }
    Ok(source)
}

/// Applies the nameserver address from `-n`, else keeps namesrvAddr, else `NAMESRV_ADDR`.
pub fn apply_namesrv_addr(source: &mut ConfigSource, flag: Option<&str>) {
    if let Some(addr) = flag {
        source.set("namesrvAddr", addr, Origin::CommandLine);
    } else if let (None, Ok(addr)) = (source.get("namesrvAddr"), std::env::var("NAMESRV_ADDR")) {
        source.set("namesrvAddr", &addr, Origin::Env("NAMESRV_ADDR"));
    }
}

/// Logs every key no component knows, naming the nearest known key.
pub fn warn_unknown(source: &ConfigSource) {
    for u in source.unknown_keys() {
        tracing::warn!("{u}");
    }
}

/// Prints one component's effective configuration as `key=value` lines.
pub fn print<T: serde::Serialize>(title: &str, value: &T) -> anyhow::Result<()> {
    println!("# {title}");
    print!("{}", wasmq_config::render_properties(value)?);
    Ok(())
}
