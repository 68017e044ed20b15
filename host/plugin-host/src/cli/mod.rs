//! Plugin author tools behind `wasmq plugin ...`: new, build, check, test, list.

mod templates;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

pub use templates::TemplateKind;

use crate::engine::{Runtime, WasmtimeResultExt};
use crate::plugin::{LoadedPlugin, sha256_hex};
use crate::{
    FileInfo, HookKind, HostOptions, MessageView, OwnedMessage, PluginHost, RouteView, Verdict,
};

/// `wasmq plugin ...` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate from a template (builds as it is).
    New {
        /// Crate name; also the directory created.
        name: String,
        #[arg(long, value_enum, default_value = "filter")]
        kind: TemplateKind,
        /// Parent directory (default: the current one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build a plugin crate into a component: `cargo component build --release`, else
    /// `cargo build --release --target wasm32-wasip2`, else Debian rustc-web with build-std.
    Build {
        /// The crate directory (default: the current one).
        dir: Option<PathBuf>,
        /// Cargo target directory (default: cargo's own choice).
        #[arg(long)]
        target_dir: Option<PathBuf>,
    },
    /// Inspect a component against the host's WIT: world, imports, exports, size, describe.
    Check { file: PathBuf },
    /// Run a plugin offline over sample messages (JSON lines) and print each verdict or output.
    Test {
        file: PathBuf,
        /// JSON lines: {"topic","tags","keys","queue_id","properties":{..},"body"} for message hooks;
        /// {"topic","client","route":{..}} for route-policy; {"topic"} or {"file":{..}} for retention.
        #[arg(long)]
        input: PathBuf,
        /// Plugin configuration, repeatable: --config key=value
        #[arg(long = "config", value_parser = parse_key_value)]
        config: Vec<(String, String)>,
        /// The hook to run (default: the first one the plugin describes).
        #[arg(long, value_enum)]
        hook: Option<HookKind>,
        /// Consumer group for consumer-filter.
        #[arg(long, default_value = "test-group")]
        group: String,
        /// Fuel per call (default: the hook's default).
        #[arg(long)]
        fuel: Option<u64>,
        /// Memory cap per instance in MiB (default: the hook's default).
        #[arg(long)]
        memory_mib: Option<u64>,
    },
    /// List the plugins and bindings a plugins directory would load, and its problems.
    List {
        #[arg(long)]
        plugins: PathBuf,
        /// Bindings file (default: <plugins>/plugins.toml).
        #[arg(long)]
        bindings: Option<PathBuf>,
    },
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

/// Runs one subcommand, printing to stdout.
pub fn run(cmd: PluginCommand) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cmd {
        PluginCommand::New { name, kind, dir } => {
            let path = new_plugin(&name, kind, dir.as_deref().unwrap_or(Path::new(".")))?;
            writeln!(
                out,
                "created {} ({kind:?}); next: cd {} && wasmq plugin build",
                path.display(),
                path.display()
            )?;
        }
        PluginCommand::Build { dir, target_dir } => {
            let wasm = build_plugin(
                dir.as_deref().unwrap_or(Path::new(".")),
                target_dir.as_deref(),
            )?;
            writeln!(out, "built {}", wasm.display())?;
        }
        PluginCommand::Check { file } => check(&file, &mut out)?,
        PluginCommand::Test {
            file,
            input,
            config,
            hook,
            group,
            fuel,
            memory_mib,
        } => {
            let opts = TestOptions {
                config,
                hook,
                group,
                fuel,
                memory_mib,
            };
            test_plugin(&file, &input, &opts, &mut out)?;
        }
        PluginCommand::List { plugins, bindings } => list(&plugins, bindings.as_deref(), &mut out)?,
    }
    Ok(())
}

/// Creates a plugin crate `parent/name`; returns its path.
pub fn new_plugin(name: &str, kind: TemplateKind, parent: &Path) -> anyhow::Result<PathBuf> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        bail!(
            "plugin name `{name}` must start with a lowercase letter and use only a-z, 0-9, '-' and '_'"
        );
    }
    let root = parent.join(name);
    if root.exists() {
        bail!(
            "{} already exists; choose another name or remove it",
            root.display()
        );
    }
    let files = [
        ("Cargo.toml", templates::cargo_toml(name)),
        ("src/lib.rs", templates::lib_rs(name, kind)),
        ("src/sdk.rs", templates::SDK.to_string()),
        ("wit/plugin.wit", templates::WIT.to_string()),
        ("README.md", templates::readme(name, kind)),
        ("messages.jsonl", templates::SAMPLE_MESSAGES.to_string()),
        (".gitignore", "/target/\n".to_string()),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(root)
}

#[derive(Deserialize)]
struct Metadata {
    target_directory: PathBuf,
    packages: Vec<MetaPackage>,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    manifest_path: PathBuf,
}

fn run_cmd(cmd: &mut Command) -> anyhow::Result<bool> {
    tracing::info!(command = ?cmd, "running");
    match cmd.status() {
        Ok(s) => Ok(s.success()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("running {cmd:?}")),
    }
}

/// Builds the crate in `dir` into a component (into `target_dir` if given); returns the `.wasm` path.
pub fn build_plugin(dir: &Path, target_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let cargo = |program: &str| {
        let mut c = Command::new(program);
        c.current_dir(dir);
        if let Some(t) = target_dir {
            c.env("CARGO_TARGET_DIR", t);
        }
        c
    };
    let manifest = dir.join("Cargo.toml");
    if !manifest.exists() {
        bail!(
            "{} has no Cargo.toml; run `wasmq plugin build` in a plugin crate",
            dir.display()
        );
    }
    let meta = cargo("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("running cargo metadata")?;
    if !meta.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&meta.stderr)
        );
    }
    let meta: Metadata = serde_json::from_slice(&meta.stdout).context("parsing cargo metadata")?;
    let manifest = std::fs::canonicalize(&manifest)?;
    let package = meta
        .packages
        .iter()
        .find(|p| std::fs::canonicalize(&p.manifest_path).is_ok_and(|m| m == manifest))
        .or(meta.packages.first())
        .context("no package in this crate")?;
    let file = format!("{}.wasm", package.name.replace('-', "_"));
    let target = &meta.target_directory;

    let has_cargo_component = cargo("cargo")
        .args(["component", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_cargo_component && run_cmd(cargo("cargo").args(["component", "build", "--release"]))? {
        return found(target.join("wasm32-wasip1/release").join(&file));
    }
    if run_cmd(cargo("cargo").args(["build", "--release", "--target", "wasm32-wasip2"]))? {
        return found(target.join("wasm32-wasip2/release").join(&file));
    }
    let linker = Path::new("/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/wasm-component-ld");
    if Path::new("/usr/bin/cargo").exists() && linker.exists() {
        tracing::warn!("wasm32-wasip2 build failed; trying Debian rustc-web with -Zbuild-std");
        let ok = run_cmd(
            cargo("/usr/bin/cargo")
                .args([
                    "build",
                    "--release",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-Zbuild-std=std,panic_abort",
                ])
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker),
        )?;
        if ok {
            return found(target.join("wasm32-unknown-unknown/release").join(&file));
        }
    }
    bail!(
        "could not build {}: install the target with `rustup target add wasm32-wasip2` (or cargo-component, \
         or Debian's rustc-web; see docs/plugins.md)",
        dir.display()
    )
}

fn found(path: PathBuf) -> anyhow::Result<PathBuf> {
    if path.exists() {
        Ok(path)
    } else {
        bail!("the build succeeded but {} is missing", path.display())
    }
}

/// Interfaces the host provides to plugins.
const HOST_IMPORTS: [&str; 4] = [
    "wasmq:plugin/types@0.1.0",
    "wasmq:plugin/log@0.1.0",
    "wasmq:plugin/metrics@0.1.0",
    "wasmq:plugin/config@0.1.0",
];

/// Prints what a component imports and exports and whether the host can run it.
pub fn check(file: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let runtime = Runtime::new()?;
    writeln!(out, "file:    {}", file.display())?;
    writeln!(out, "size:    {} bytes", bytes.len())?;
    writeln!(out, "sha256:  {}", sha256_hex(&bytes))?;
    let component = wasmtime::component::Component::new(&runtime.engine, &bytes)
        .ah()
        .context("not a loadable component")?;
    let ty = component.component_type();
    let mut problems = Vec::new();
    writeln!(out, "imports:")?;
    for (name, _) in ty.imports(&runtime.engine) {
        let note = if HOST_IMPORTS.contains(&name) {
            "wasmq host"
        } else if name.starts_with("wasi:") {
            "WASI (closed: no files, no sockets, stdio to the log)"
        } else if name.starts_with("wasmq:plugin/") {
            problems.push(format!(
                "imports {name}: another version of the wasmq:plugin package (host has 0.1.0)"
            ));
            "NOT PROVIDED (version mismatch)"
        } else {
            problems.push(format!("imports {name}, which the host does not provide"));
            "NOT PROVIDED"
        };
        writeln!(out, "  {name:<45} {note}")?;
    }
    writeln!(out, "exports:")?;
    let exports: Vec<String> = ty
        .exports(&runtime.engine)
        .map(|(n, _)| n.to_string())
        .collect();
    for name in &exports {
        writeln!(out, "  {name}")?;
    }
    let world = match ["filter", "transform", "router", "route-policy", "retention"]
        .iter()
        .filter(|i| {
            exports
                .iter()
                .any(|e| *e == format!("wasmq:plugin/{i}@0.1.0"))
        })
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => "none (no hook interface exported)".to_string(),
        [one] => format!("{one}-plugin"),
        _ => "any-plugin (several hooks)".to_string(),
    };
    writeln!(out, "world:   {world}")?;
    let name = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("plugin")
        .to_string();
    match LoadedPlugin::from_bytes(&runtime, name, file.to_path_buf(), &bytes, None) {
        Ok(p) => {
            let d = &p.description;
            writeln!(
                out,
                "describe: {} {} hooks={:?} needs-body={} reads-tags={} reads-keys={} reads-properties={:?} only-tags={:?}",
                d.name,
                d.version,
                d.hooks.iter().map(|h| h.as_str()).collect::<Vec<_>>(),
                d.needs_body,
                d.reads_tags,
                d.reads_keys,
                d.reads_properties,
                d.only_tags
            )?;
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    if problems.is_empty() {
        writeln!(out, "ok: the host can load this plugin")?;
        Ok(())
    } else {
        for p in &problems {
            writeln!(out, "problem: {p}")?;
        }
        bail!(
            "{} cannot be loaded: {}",
            file.display(),
            problems.join("; ")
        )
    }
}

/// Options of `plugin test`.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    pub config: Vec<(String, String)>,
    pub hook: Option<HookKind>,
    pub group: String,
    pub fuel: Option<u64>,
    pub memory_mib: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputMessage {
    #[serde(default = "default_topic")]
    topic: String,
    #[serde(default)]
    queue_id: i32,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    keys: String,
    #[serde(default)]
    properties: BTreeMap<String, String>,
    #[serde(default)]
    body: String,
    /// Route-policy input.
    client: Option<String>,
    route: Option<RouteView>,
    /// Retention input.
    file: Option<FileInfo>,
    now_ms: Option<u64>,
}

fn default_topic() -> String {
    "test-topic".into()
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Runs a plugin over JSON-lines input with the real host code and prints the results.
pub fn test_plugin(
    file: &Path,
    input: &Path,
    opts: &TestOptions,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    std::fs::copy(file, dir.join("plugin.wasm"))
        .with_context(|| format!("copying {}", file.display()))?;
    let options = HostOptions {
        cache_dir: None,
        poll_interval: None,
    };
    let host = PluginHost::open_with(&dir, None, options.clone())?;
    if let Some(e) = host.load_errors().first() {
        bail!("{}: {}", file.display(), e.error);
    }
    let described = host
        .plugins()
        .first()
        .map(|p| p.description.clone())
        .context("the plugin did not load")?;
    let hook = opts
        .hook
        .or(described.hooks.first().copied())
        .context("the plugin describes no hook; pass --hook")?;
    let mut toml = format!(
        "[[binding]]\nname = \"test\"\nplugin = \"plugin\"\nhook = \"{hook}\"\non-failure = \"refuse\"\n"
    );
    if let Some(f) = opts.fuel {
        toml += &format!("fuel = {f}\n");
    }
    if let Some(m) = opts.memory_mib {
        toml += &format!("memory-mib = {m}\n");
    }
    toml += "[binding.config]\n";
    for (k, v) in &opts.config {
        toml += &format!("{} = {}\n", toml_str(k), toml_str(v));
    }
    std::fs::write(dir.join("plugins.toml"), toml)?;
    let host = PluginHost::open_with(&dir, None, options)?;
    if let Some(e) = host.load_errors().first() {
        bail!("{}: {}", e.subject, e.error);
    }
    writeln!(
        out,
        "# {} {} on hook {hook}",
        described.name, described.version
    )?;
    let reader = std::io::BufReader::new(
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?,
    );
    let mut lines = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let m: InputMessage = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a message", input.display(), n + 1))?;
        lines.push(m);
    }
    let owned: Vec<OwnedMessage> = lines
        .iter()
        .map(|m| {
            let mut o = OwnedMessage::new(&m.topic, &m.tags, m.body.as_bytes()).with_keys(&m.keys);
            o.queue_id = m.queue_id;
            for (k, v) in &m.properties {
                crate::push_property(&mut o.properties, k, v);
            }
            o
        })
        .collect();
    match hook {
        HookKind::IngressFilter | HookKind::Transform | HookKind::Router => {
            for (i, m) in owned.into_iter().enumerate() {
                let topic = m.topic.clone();
                let mut batch = vec![m];
                let outcome = host.ingress(&topic, &mut batch);
                for (j, (msg, verdict)) in batch.iter().zip(&outcome.verdicts).enumerate() {
                    let verdict = match verdict {
                        Verdict::Keep => serde_json::json!("keep"),
                        Verdict::Discarded => serde_json::json!("discard"),
                        Verdict::Rejected { reason, .. } => serde_json::json!({ "reject": reason }),
                    };
                    let props: BTreeMap<&str, &str> = crate::properties(&msg.properties).collect();
                    let line = serde_json::json!({
                        "input": i, "copy": j > 0, "verdict": verdict, "topic": msg.topic, "queue_id": msg.queue_id,
                        "tags": msg.tags, "keys": msg.keys, "properties": props, "body": String::from_utf8_lossy(&msg.body),
                    });
                    writeln!(out, "{line}")?;
                }
            }
        }
        HookKind::ConsumerFilter => {
            let views: Vec<MessageView<'_>> = owned.iter().map(|m| m.view()).collect();
            for (i, v) in views.iter().enumerate() {
                let r = host.consumer_filter(&opts.group, v.topic, std::slice::from_ref(v));
                let line = match r {
                    Ok(d) => serde_json::json!({ "input": i, "deliver": d[0] }),
                    Err(e) => serde_json::json!({ "input": i, "failure": e.to_string() }),
                };
                writeln!(out, "{line}")?;
            }
        }
        HookKind::RoutePolicy => {
            for (i, m) in lines.iter().enumerate() {
                let route = m
                    .route
                    .clone()
                    .with_context(|| format!("input {i}: route-policy input needs a \"route\""))?;
                let shaped = host.route_policy(
                    &m.topic,
                    m.client.as_deref().unwrap_or("127.0.0.1:0"),
                    route,
                );
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "input": i, "route": shaped })
                )?;
            }
        }
        HookKind::Retention => {
            for (i, m) in lines.iter().enumerate() {
                let now = m.now_ms.unwrap_or(0);
                let line = match &m.file {
                    Some(f) => {
                        serde_json::json!({ "input": i, "may_delete": host.may_delete_file(f, now) })
                    }
                    None => {
                        serde_json::json!({ "input": i, "retention": host.retention_for_topic(&m.topic, now) })
                    }
                };
                writeln!(out, "{line}")?;
            }
        }
    }
    for m in host.metrics() {
        writeln!(
            out,
            "# calls={} messages={} fuel={} failures={} (traps={} fuel-exhausted={} memory-exhausted={} errors={}) log-lines={} counters={:?} gauges={:?}",
            m.calls,
            m.messages,
            m.fuel_consumed,
            m.failures(),
            m.traps,
            m.fuel_exhausted,
            m.memory_exhausted,
            m.plugin_errors,
            m.log_lines,
            m.counters,
            m.gauges
        )?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("wasmq-plugin-test-{}-{seq}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Prints the plugins and bindings a directory would load.
pub fn list(dir: &Path, bindings: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<()> {
    let host = PluginHost::open_with(
        dir,
        bindings,
        HostOptions {
            poll_interval: None,
            ..HostOptions::for_dir(dir)
        },
    )?;
    writeln!(out, "plugins in {}:", dir.display())?;
    for p in host.plugins() {
        let d = &p.description;
        let hooks: Vec<_> = d.hooks.iter().map(|h| h.as_str()).collect();
        writeln!(
            out,
            "  {:<20} {:<20} {:<8} {:>8} B  sha256 {}  hooks {}",
            p.name,
            d.name,
            d.version,
            p.size,
            &p.sha256[..12],
            hooks.join(",")
        )?;
    }
    writeln!(out, "bindings:")?;
    for b in host.bindings() {
        writeln!(
            out,
            "  {:<28} {:<16} plugin {:<16} topics {:?} groups {:?} on-failure {:?} fuel {} memory {} MiB{}",
            b.name,
            b.hook.as_str(),
            b.plugin,
            b.topics,
            b.groups,
            b.on_failure,
            b.fuel,
            b.memory_mib,
            if b.enabled { "" } else { " (disabled)" }
        )?;
    }
    let errors = host.load_errors();
    if !errors.is_empty() {
        writeln!(out, "problems:")?;
        for e in &errors {
            writeln!(out, "  {}: {}", e.subject, e.error)?;
        }
    }
    Ok(())
}
