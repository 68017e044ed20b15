//! The wasmtime engine and linker shared by all plugins, the per-store state, and the host imports.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use anyhow::Context;
use parking_lot::Mutex;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{self, AnyPlugin};
use crate::metrics::BindingCells;
use crate::wasi_sync::{SyncIo, SyncTable};
use wasmtime_wasi::p2::bindings::sync::io::{poll, streams};

/// Converts wasmtime's error type into `anyhow` so `.context(...)` can be used.
pub(crate) trait WasmtimeResultExt<T> {
    fn ah(self) -> anyhow::Result<T>;
}

impl<T> WasmtimeResultExt<T> for wasmtime::Result<T> {
    fn ah(self) -> anyhow::Result<T> {
        self.map_err(anyhow::Error::from)
    }
}

/// Engine + linker: one per process (or per `PluginHost`), cheap to share.
pub(crate) struct Runtime {
    pub engine: Engine,
    pub linker: Linker<StoreState>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine (fuel metering, no component-model concurrency) and links the host imports
    /// plus a closed WASI p2 for components that import it.
    pub fn new() -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.concurrency_support(false);
        config.wasm_component_model(true);
        config.consume_fuel(true);
        config.cranelift_opt_level(OptLevel::Speed);
        let engine = Engine::new(&config)
            .ah()
            .context("creating the wasmtime engine")?;
        let mut linker = Linker::new(&engine);
        AnyPlugin::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)
            .ah()
            .context("linking wasmq host imports")?;
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .ah()
            .context("linking WASI")?;
        // Replace WASI's stream and poll bindings with ones that never enter tokio (wasi_sync.rs).
        linker.allow_shadowing(true);
        streams::add_to_linker::<StoreState, SyncIo>(&mut linker, |s| SyncTable(&mut s.table))
            .ah()
            .context("linking wasi:io/streams")?;
        poll::add_to_linker::<StoreState, SyncIo>(&mut linker, |s| SyncTable(&mut s.table))
            .ah()
            .context("linking wasi:io/poll")?;
        linker.allow_shadowing(false);
        Ok(Runtime { engine, linker })
    }
}

/// Per-store state: the plugin's identity, configuration, limits and a closed WASI.
pub(crate) struct StoreState {
    pub label: Arc<str>,
    pub config: Arc<Vec<(String, String)>>,
    pub cells: Arc<BindingCells>,
    pub limits: Limiter,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl StoreState {
    /// `label` names the plugin and binding in logs; `memory_bytes` caps linear memory.
    pub fn new(
        label: Arc<str>,
        config: Arc<Vec<(String, String)>>,
        cells: Arc<BindingCells>,
        memory_bytes: usize,
    ) -> StoreState {
        // WasiCtx::builder() is closed by default: no preopened directories, no environment,
        // no arguments, stdin closed. Sockets are refused explicitly as well.
        let wasi = WasiCtx::builder()
            .stdout(LogPipe::new(label.clone(), "stdout", cells.clone()))
            .stderr(LogPipe::new(label.clone(), "stderr", cells.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        StoreState {
            label,
            config,
            cells,
            limits: Limiter {
                inner: StoreLimitsBuilder::new()
                    .memory_size(memory_bytes)
                    .trap_on_grow_failure(true)
                    .build(),
                largest_memory: 0,
            },
            wasi,
            table: ResourceTable::new(),
        }
    }
}

/// `StoreLimits` (memory cap, trap on failed growth) that also records the largest linear memory,
/// so that an instance whose memory grew (it never shrinks) can be recycled.
pub(crate) struct Limiter {
    inner: StoreLimits,
    pub largest_memory: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if allowed {
            self.largest_memory = self.largest_memory.max(desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::types::Host for StoreState {}

impl bindings::wasmq::plugin::log::Host for StoreState {
    fn log(&mut self, level: bindings::wasmq::plugin::log::Level, message: String) {
        use bindings::wasmq::plugin::log::Level;
        BindingCells::add(&self.cells.log_lines, 1);
        let plugin = &*self.label;
        match level {
            Level::Trace => tracing::trace!(target: "wasmq::plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "wasmq::plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "wasmq::plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "wasmq::plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "wasmq::plugin", plugin, "{message}"),
        }
    }
}

impl bindings::wasmq::plugin::metrics::Host for StoreState {
    fn counter_add(&mut self, name: String, delta: u64) {
        let mut custom = self.cells.custom.lock();
        *custom.0.entry(name).or_default() += delta;
    }

    fn gauge_set(&mut self, name: String, value: i64) {
        self.cells.custom.lock().1.insert(name, value);
    }
}

impl bindings::wasmq::plugin::config::Host for StoreState {
    fn get(&mut self, key: String) -> Option<String> {
        self.config
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn entries(&mut self) -> Vec<(String, String)> {
        self.config.as_ref().clone()
    }
}

/// A WASI output stream that turns a plugin's stdout/stderr into `tracing` lines.
#[derive(Clone)]
struct LogPipe {
    label: Arc<str>,
    stream: &'static str,
    cells: Arc<BindingCells>,
    pending: Arc<Mutex<Vec<u8>>>,
}

/// Longest line kept before it is logged anyway.
const MAX_LINE: usize = 4096;

impl LogPipe {
    fn new(label: Arc<str>, stream: &'static str, cells: Arc<BindingCells>) -> LogPipe {
        LogPipe {
            label,
            stream,
            cells,
            pending: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut pending = self.pending.lock();
        pending.extend_from_slice(bytes);
        while let Some(pos) = pending
            .iter()
            .position(|b| *b == b'\n')
            .or((pending.len() > MAX_LINE).then_some(MAX_LINE))
        {
            let end = pos.min(pending.len() - 1);
            let line: Vec<u8> = pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            BindingCells::add(&self.cells.log_lines, 1);
            tracing::info!(target: "wasmq::plugin", plugin = &*self.label, stream = self.stream, "{}", text.trim_end());
        }
    }
}

impl IsTerminal for LogPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogPipe {
    async fn ready(&mut self) {}
}

impl OutputStream for LogPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for LogPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
