//! `wasmq console`: the web console (default port 9999, as the seed's rocketmq-dashboard), served by
//! `wasmq-console` against the nameserver given with `-n` / `NAMESRV_ADDR`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// `wasmq console` options.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Nameserver address list, `host:port;host:port` (else NAMESRV_ADDR).
    #[arg(
        short = 'n',
        long = "namesrv-addr",
        env = "NAMESRV_ADDR",
        value_name = "ADDRS"
    )]
    pub namesrv_addr: String,
    /// HTTP port (0 picks a free one; see --ready-file).
    #[arg(long, default_value_t = 9999)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0", value_name = "IP")]
    pub bind: IpAddr,
    /// When ready, write `{"console":"ip:port"}` to this file (atomically).
    #[arg(long = "ready-file", value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
}

/// Runs the console until SIGTERM or Ctrl-C.
pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("wasmq-console")
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let addr = SocketAddr::new(args.bind, args.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr} for the web console"))?;
        let local = crate::serve::loopback_if_unspecified(listener.local_addr()?);
        let line = serde_json::json!({ "console": local.to_string() }).to_string();
        if let Some(path) = &args.ready_file {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &line).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("renaming to {}", path.display()))?;
        }
        println!("wasmq console ready {line}: open http://{local}/");
        wasmq_console::serve(
            listener,
            &args.namesrv_addr,
            crate::serve::shutdown_signal(),
        )
        .await
    })
}
