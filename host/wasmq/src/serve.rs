//! Running the server roles: `namesrv`, `broker`, and both at once (`standalone`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use wasmq_broker::BrokerConfig;
use wasmq_metrics::MetricsConfig;
use wasmq_namesrv::NamesrvConfig;

use crate::cli::{BrokerArgs, ServerArgs};
use crate::store_settings::StoreSettings;
use crate::{metrics, plugins, ready, settings};

/// Keys only `wasmq standalone` and the plugin host read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ProcessSettings {
    /// The in-process nameserver's port in `standalone` (its `listenPort` is the broker's).
    namesrv_listen_port: u16,
    /// Plugins directory (`--plugins` wins).
    plugins_dir: Option<PathBuf>,
    /// Bindings file; default `<pluginsDir>/plugins.toml`.
    plugins_bindings: Option<PathBuf>,
    /// `broker`/`standalone`: also serve the web console on this port (0 = any free port), for the
    /// nameservers the broker registers with; off when unset.
    console_port: Option<u16>,
}

impl Default for ProcessSettings {
    fn default() -> Self {
        Self {
            namesrv_listen_port: 9876,
            plugins_dir: None,
            plugins_bindings: None,
            console_port: None,
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wasmq")
        .build()
        .context("starting the async runtime")
}

fn any_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
}

/// `wasmq namesrv`.
pub fn namesrv(args: ServerArgs) -> anyhow::Result<()> {
    let mut source = settings::source(&args)?;
    let config: NamesrvConfig = source.extract()?;
    let process: ProcessSettings = source.extract()?;
    let metrics_config: MetricsConfig = source.extract()?;
    settings::warn_unknown(&source);
    if args.print_config {
        settings::print("namesrv", &config)?;
        return settings::print("metrics", &metrics_config);
    }
    let plugins_dir = args.plugins.clone().or(process.plugins_dir.clone());
    runtime()?.block_on(async move {
        let plugins = plugins::open(plugins_dir.as_deref(), process.plugins_bindings.clone())?;
        let port = config.listen_port;
        let mut exporter = metrics::bind(&metrics_config).await?;
        let registry = exporter.as_mut().map(|e| &mut e.registry);
        let handle = start_namesrv(config, port, &plugins, registry).await?;
        let addr = loopback_if_unspecified(handle.local_addr());
        let exported = metrics::start(exporter)?;
        tracing::info!(%addr, "nameserver ready");
        let metrics_addr = exported
            .as_ref()
            .map(|m| loopback_if_unspecified(m.local_addr()));
        ready::announce(args.ready_file.as_deref(), Some(addr), None, metrics_addr)?;
        shutdown_signal().await;
        drop(exported);
        handle.shutdown().await?;
        Ok(())
    })
}

/// `wasmq broker` and, with `standalone`, `wasmq standalone`.
pub fn broker(args: BrokerArgs, standalone: bool) -> anyhow::Result<()> {
    let mut source = settings::source(&args.server)?;
    if !standalone {
        settings::apply_namesrv_addr(&mut source, args.namesrv_addr.as_deref());
    }
    let mut broker: BrokerConfig = source.extract()?;
    let store: StoreSettings = source.extract()?;
    let process: ProcessSettings = source.extract()?;
    let metrics_config: MetricsConfig = source.extract()?;
    let namesrv: Option<NamesrvConfig> = if standalone {
        let mut n: NamesrvConfig = source.extract()?;
        n.listen_port = process.namesrv_listen_port;
        if source.get("kvConfigPath").is_none() {
            // Standalone keeps everything it writes under the one store directory.
            let root = crate::store_settings::expand_home(&store.store_path_root_dir);
            n.kv_config_path = root
                .join("namesrv")
                .join("kvConfig.json")
                .display()
                .to_string();
        }
        Some(n)
    } else {
        None
    };
    settings::warn_unknown(&source);
    if args.server.print_config {
        settings::print("broker", &broker)?;
        settings::print("store", &store)?;
        if let Some(n) = &namesrv {
            settings::print("namesrv", n)?;
        }
        settings::print("metrics", &metrics_config)?;
        return Ok(());
    }
    let plugins_dir = args.server.plugins.clone().or(process.plugins_dir.clone());
    runtime()?.block_on(async move {
        let plugins = plugins::open(plugins_dir.as_deref(), process.plugins_bindings.clone())?;
        // Standalone: one endpoint serves both roles' families.
        let mut exporter = metrics::bind(&metrics_config).await?;
        let namesrv_handle = match namesrv {
            Some(n) => {
                let port = n.listen_port;
                let registry = exporter.as_mut().map(|e| &mut e.registry);
                let h = start_namesrv(n, port, &plugins, registry).await?;
                let addr = loopback_if_unspecified(h.local_addr());
                broker.namesrv_addr = Some(addr.to_string());
                Some((h, addr))
            }
            None => None,
        };
        let console = match (process.console_port, broker.namesrv_addr.clone()) {
            (Some(port), Some(namesrv)) => Some(start_console(port, namesrv).await?),
            (Some(_), None) => {
                anyhow::bail!("consolePort is set but the broker has no namesrvAddr")
            }
            (None, _) => None,
        };
        let store_config = store.to_config();
        let root = store_config.store_path_root_dir.display().to_string();
        let message_store =
            tokio::task::spawn_blocking(move || wasmq_store::MessageStore::open(store_config))
                .await?
                .with_context(|| format!("opening the store at {root}"))?;
        let plugins_loaded = plugins_dir.is_some();
        if plugins_loaded {
            message_store.set_retention_advisor(std::sync::Arc::new(
                plugins::PluginRetentionAdvisor(plugins.clone()),
            ));
        }
        let hooks = std::sync::Arc::new(plugins::PluginMessageHooks(plugins.clone()));
        let handle = wasmq_broker::start_with_hooks(broker, message_store, hooks)
            .await
            .context("starting the broker")?;
        handle
            .broker()
            .set_plugin_admin(std::sync::Arc::new(plugins::PluginAdminAdapter(
                plugins.clone(),
            )));
        let metrics_log = plugins_loaded.then(|| plugins::spawn_metrics_log(plugins.clone()));
        if let Some(e) = exporter.as_mut() {
            metrics::add_broker(&mut e.registry, handle.broker(), &plugins);
        }
        let exported = metrics::start(exporter)?;
        ready::announce(
            args.server.ready_file.as_deref(),
            namesrv_handle.as_ref().map(|(_, a)| *a),
            Some(loopback_if_unspecified(handle.local_addr())),
            exported
                .as_ref()
                .map(|m| loopback_if_unspecified(m.local_addr())),
        )?;
        shutdown_signal().await;
        tracing::info!("shutting down");
        drop(exported);
        if let Some(task) = metrics_log {
            task.abort();
        }
        if let Some(task) = console {
            task.abort();
        }
        handle.shutdown().await;
        if let Some((h, _)) = namesrv_handle {
            h.shutdown().await?;
        }
        Ok(())
    })
}

/// Starts the web console on `port` for the nameservers `namesrv`; abort the task to stop it.
async fn start_console(port: u16, namesrv: String) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(any_addr(port))
        .await
        .with_context(|| format!("listening on port {port} for the web console (consolePort)"))?;
    let addr = loopback_if_unspecified(listener.local_addr()?);
    tracing::info!("web console on http://{addr}/");
    Ok(tokio::spawn(async move {
        if let Err(e) = wasmq_console::serve(listener, &namesrv, std::future::pending::<()>()).await
        {
            tracing::error!("web console stopped: {e:#}");
        }
    }))
}

/// Starts a nameserver whose routes pass through the bound route-policy plugins, its families
/// added to `registry` when the exporter is on.
async fn start_namesrv(
    config: NamesrvConfig,
    port: u16,
    plugins: &wasmq_plugin_host::PluginHost,
    registry: Option<&mut wasmq_metrics::Registry>,
) -> anyhow::Result<wasmq_namesrv::NamesrvHandle> {
    let state = wasmq_namesrv::NamesrvState::new(config)
        .context("loading the nameserver's KV config")?
        .with_route_policy(std::sync::Arc::new(plugins::PluginRoutePolicy(
            plugins.clone(),
        )));
    let state = std::sync::Arc::new(state);
    let counters = registry.map(|r| metrics::add_namesrv(r, &state));
    wasmq_namesrv::serve_with_metrics(state, any_addr(port), counters)
        .await
        .with_context(|| format!("starting the nameserver on port {port}"))
}

/// An address clients on this machine can dial.
pub(crate) fn loopback_if_unspecified(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    }
}

/// Waits for SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(cause = %e, "cannot listen for SIGTERM; only Ctrl-C stops wasmq");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
