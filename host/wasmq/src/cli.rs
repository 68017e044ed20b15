//! The command line: `wasmq namesrv | broker | standalone | admin | console | plugin | bench`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// wasmq: an Apache RocketMQ 4.x compatible broker and nameserver whose filtering, routing and
/// retention are WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "wasmq", version, propagate_version = true)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a nameserver (default port 9876).
    Namesrv(ServerArgs),
    /// Run a broker (default port 10911) that registers with the nameservers in -n / NAMESRV_ADDR.
    Broker(BrokerArgs),
    /// Run a nameserver and a broker in one process, with a local store: the quick way to start.
    Standalone(BrokerArgs),
    /// Inspect and change a running cluster, with mqadmin's verbs (clusterList, topicRoute, ...).
    Admin(crate::admin::AdminArgs),
    /// Serve the web console (default port 9999) for the cluster behind -n / NAMESRV_ADDR.
    Console(crate::console::ConsoleArgs),
    /// Write, build, check and test plugins offline (new, build, check, test, list).
    #[command(subcommand)]
    Plugin(wasmq_plugin_host::cli::PluginCommand),
    /// Benchmarks against a baseline measured in the same run (produce, consume, e2e, plugin).
    Bench(crate::bench::BenchArgs),
}

/// Options every server role takes.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Configuration file: RocketMQ `.properties` (broker.conf) or `.toml`.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one configuration key, e.g. `--set listenPort=10911` (repeatable; wins over -c).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the effective configuration (given values and defaults for the rest) and exit.
    #[arg(short = 'p', long = "print-config")]
    pub print_config: bool,
    /// Plugins directory (components and plugins.toml), watched for changes; also `pluginsDir`.
    #[arg(long = "plugins", value_name = "DIR")]
    pub plugins: Option<PathBuf>,
    /// When ready, write `{"namesrv":"ip:port","broker":"ip:port"}` to this file (atomically).
    #[arg(long = "ready-file", value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
}

/// Options of `broker` and `standalone`.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Common server options.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Nameserver address list, `host:port;host:port` (else namesrvAddr, else NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrv-addr", value_name = "ADDRS")]
    pub namesrv_addr: Option<String>,
}
