//! The `wasmq` binary: one executable for the nameserver, the broker, both at once, the admin
//! tool, the plugin author's tools and the benchmarks.

mod admin;
mod bench;
mod cli;
mod console;
mod metrics;
mod plugins;
mod ready;
mod serve;
mod settings;
mod store_settings;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// mimalloc instead of glibc's malloc: a profile of the send path put glibc malloc/free at about
/// 17 % of the broker's CPU (per-request headers, property strings, response frames).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Namesrv(args) => serve::namesrv(args),
        Command::Broker(args) => serve::broker(args, false),
        Command::Standalone(args) => serve::broker(args, true),
        Command::Admin(args) => admin::run(args),
        Command::Console(args) => console::run(args),
        Command::Plugin(cmd) => wasmq_plugin_host::cli::run(cmd),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasmq: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` chooses the level (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
