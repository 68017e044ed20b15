//! Templates for `wasmq plugin new`: a crate per plugin kind that builds as it is.

use clap::ValueEnum;

/// The WIT contract, embedded so a new crate builds without this repository.
pub(crate) const WIT: &str = include_str!("../../../../wit/plugin.wit");
/// The guest SDK (one file), embedded as `src/sdk.rs` of a new crate.
pub(crate) const SDK: &str = include_str!("../../../../plugins/sdk/src/lib.rs");

/// What kind of plugin `new` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateKind {
    /// Message filter (ingress and/or consumer side).
    Filter,
    /// Ingress transform (rewrite body, properties, tags, keys).
    Transform,
    /// Broker router (target topic / queue, copies, reject).
    Router,
    /// Nameserver route policy.
    RoutePolicy,
    /// Retention policy.
    Retention,
}

impl TemplateKind {
    fn world(self) -> &'static str {
        match self {
            TemplateKind::Filter => "filter-plugin",
            TemplateKind::Transform => "transform-plugin",
            TemplateKind::Router => "router-plugin",
            TemplateKind::RoutePolicy => "route-policy-plugin",
            TemplateKind::Retention => "retention-plugin",
        }
    }
}

/// `Cargo.toml` of a new plugin crate.
pub(crate) fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
wit-bindgen = "0.61"

# A standalone workspace, so the crate also builds inside another project's tree.
[workspace]

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
# Keep the name section: wasm backtraces in the broker log stay readable.
strip = "debuginfo"
"#
    )
}

const PRELUDE: &str = r#"// The wasmq guest SDK: typed views over the flat batch buffer (copied from wasmq's plugins/sdk).
#[allow(dead_code)]
mod sdk;

wit_bindgen::generate!({ world: "WORLD", path: "wit", additional_derives: [PartialEq] });

use std::cell::RefCell;

use wasmq::plugin::types::{Hook, PluginError, PluginInfo};

thread_local! {
    /// Configuration read once in `init` (the binding's `config` table in plugins.toml).
    static CONFIG: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

fn config(key: &str) -> Option<String> {
    CONFIG.with(|c| c.borrow().iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
}

struct Plugin;

fn info(hooks: Vec<Hook>, needs_body: bool) -> PluginInfo {
    PluginInfo {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        hooks,
        needs_body,
        reads_tags: true,
        reads_keys: true,
        reads_properties: None,
        only_tags: Vec::new(),
    }
}

fn init_config() -> Result<(), PluginError> {
    let entries = wasmq::plugin::config::entries();
    CONFIG.with(|c| *c.borrow_mut() = entries);
    Ok(())
}

#[allow(dead_code)] // unused by the route-policy and retention templates
fn batch(b: &wasmq::plugin::types::MessageBatch) -> Result<sdk::Batch<'_>, PluginError> {
    sdk::Batch::new(&b.data, &b.fields, b.bodies_included, &b.body_sizes).map_err(|e| PluginError { message: e.to_string() })
}

// Exported only for wasm: a native build (unit tests) cannot carry component symbol names.
#[cfg(target_arch = "wasm32")]
export!(Plugin);
"#;

const FILTER: &str = r#"
use exports::wasmq::plugin::{filter, plugin};
use wasmq::plugin::types::{FilterStage, MessageBatch, Verdict};

/// The decision for one message: keep it when its tag is one of `tags` (config `tags`,
/// `||`-separated), or when `tags` is not configured.
pub fn verdict(m: &sdk::MessageRef<'_>, tags: Option<&str>) -> Verdict {
    match tags {
        Some(list) if !list.split("||").any(|t| t.trim() == m.tags) => Verdict::Discard,
        _ => Verdict::Keep,
    }
}

impl plugin::Guest for Plugin {
    fn describe() -> PluginInfo {
        info(vec![Hook::IngressFilter, Hook::ConsumerFilter], false)
    }

    fn init() -> Result<(), PluginError> {
        init_config()
    }
}

impl filter::Guest for Plugin {
    fn filter(_stage: FilterStage, b: MessageBatch) -> Result<Vec<Verdict>, PluginError> {
        let tags = config("tags");
        Ok(batch(&b)?.iter().map(|m| verdict(&m, tags.as_deref())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_configured_tags() {
        let mut b = sdk::BatchBuilder::new(false);
        b.push(&sdk::TestMessage::new("t", "A", b"")).push(&sdk::TestMessage::new("t", "B", b""));
        let got: Vec<_> = b.batch().iter().map(|m| verdict(&m, Some("A || C"))).collect();
        assert_eq!(got, vec![Verdict::Keep, Verdict::Discard]);
    }
}
"#;

const TRANSFORM: &str = r#"
use exports::wasmq::plugin::{plugin, transform};
use wasmq::plugin::types::{MessageBatch, MessageUpdate};

/// Adds the property `processed-by` (value: config `by`, default the crate name).
pub fn update(m: &sdk::MessageRef<'_>, by: &str) -> Option<MessageUpdate> {
    let mut props = m.properties.raw().to_vec();
    props.extend(sdk::encode_properties([("processed-by", by)]));
    Some(MessageUpdate { tags: None, keys: None, properties: Some(props), body: None })
}

impl plugin::Guest for Plugin {
    fn describe() -> PluginInfo {
        info(vec![Hook::Transform], false)
    }

    fn init() -> Result<(), PluginError> {
        init_config()
    }
}

impl transform::Guest for Plugin {
    fn transform(b: MessageBatch) -> Result<Vec<Option<MessageUpdate>>, PluginError> {
        let by = config("by").unwrap_or_else(|| env!("CARGO_PKG_NAME").into());
        Ok(batch(&b)?.iter().map(|m| update(&m, &by)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_property() {
        let mut b = sdk::BatchBuilder::new(false);
        b.push(&sdk::TestMessage::new("t", "A", b"").property("x", "1"));
        let u = update(&b.batch().get(0), "me").unwrap();
        let props = u.properties.unwrap();
        assert_eq!(sdk::Properties::new(&props).get("processed-by"), Some("me"));
        assert_eq!(sdk::Properties::new(&props).get("x"), Some("1"));
    }
}
"#;

const ROUTER: &str = r#"
use exports::wasmq::plugin::{plugin, router};
use wasmq::plugin::types::{MessageBatch, Reroute, RouteDecision};

/// Sends a message to `target` (the topic configured as `tag.<its tag>`), else leaves it.
pub fn decide(target: Option<String>) -> RouteDecision {
    match target {
        Some(topic) => RouteDecision::Reroute(Reroute { topic: Some(topic), queue_id: None, copies: Vec::new() }),
        None => RouteDecision::Keep,
    }
}

impl plugin::Guest for Plugin {
    fn describe() -> PluginInfo {
        info(vec![Hook::Router], false)
    }

    fn init() -> Result<(), PluginError> {
        init_config()
    }
}

impl router::Guest for Plugin {
    fn route(b: MessageBatch) -> Result<Vec<RouteDecision>, PluginError> {
        Ok(batch(&b)?.iter().map(|m| decide(config(&format!("tag.{}", m.tags)))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_tag() {
        assert_eq!(decide(None), RouteDecision::Keep);
        assert!(matches!(decide(Some("x".into())), RouteDecision::Reroute(_)));
    }
}
"#;

const ROUTE_POLICY: &str = r#"
use exports::wasmq::plugin::{plugin, route_policy};
use wasmq::plugin::types::RouteTable;

/// Caps every broker's queue numbers at `max` (config `max-queues`).
pub fn cap(mut route: RouteTable, max: Option<u32>) -> RouteTable {
    if let Some(max) = max {
        for q in &mut route.queue_datas {
            q.read_queue_nums = q.read_queue_nums.min(max);
            q.write_queue_nums = q.write_queue_nums.min(max);
        }
    }
    route
}

impl plugin::Guest for Plugin {
    fn describe() -> PluginInfo {
        info(vec![Hook::RoutePolicy], false)
    }

    fn init() -> Result<(), PluginError> {
        init_config()
    }
}

impl route_policy::Guest for Plugin {
    fn shape(_topic: String, _client_addr: String, route: RouteTable) -> Result<RouteTable, PluginError> {
        Ok(cap(route, config("max-queues").and_then(|v| v.parse().ok())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq::plugin::types::QueueData;

    #[test]
    fn caps_queues() {
        let q = QueueData { broker_name: "b".into(), read_queue_nums: 8, write_queue_nums: 8, perm: 6, topic_sys_flag: 0 };
        let r = cap(RouteTable { queue_datas: vec![q], broker_datas: vec![] }, Some(2));
        assert_eq!(r.queue_datas[0].read_queue_nums, 2);
    }
}
"#;

const RETENTION: &str = r#"
use exports::wasmq::plugin::{plugin, retention};
use wasmq::plugin::types::{FileInfo, RetentionDecision};

/// Retention for every topic from config `retention` (`48h`, `7d`, milliseconds...).
pub fn decide(retention: Option<String>) -> Option<RetentionDecision> {
    let ms = sdk::parse_duration_ms(&retention?)?;
    Some(RetentionDecision { retention_ms: Some(ms), max_bytes: None })
}

impl plugin::Guest for Plugin {
    fn describe() -> PluginInfo {
        info(vec![Hook::Retention], false)
    }

    fn init() -> Result<(), PluginError> {
        init_config()
    }
}

impl retention::Guest for Plugin {
    fn topic_retention(_topic: String, _now_ms: u64) -> Result<Option<RetentionDecision>, PluginError> {
        Ok(decide(config("retention")))
    }

    fn may_delete_file(_file: FileInfo, _now_ms: u64) -> Result<Option<bool>, PluginError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_retention() {
        assert_eq!(decide(Some("2h".into())).unwrap().retention_ms, Some(7_200_000));
        assert_eq!(decide(None), None);
    }
}
"#;

/// `src/lib.rs` of a new plugin crate.
pub(crate) fn lib_rs(name: &str, kind: TemplateKind) -> String {
    let body = match kind {
        TemplateKind::Filter => FILTER,
        TemplateKind::Transform => TRANSFORM,
        TemplateKind::Router => ROUTER,
        TemplateKind::RoutePolicy => ROUTE_POLICY,
        TemplateKind::Retention => RETENTION,
    };
    format!(
        "//! {name}: a wasmq {kind:?} plugin (see README.md).\n\n{}{body}",
        PRELUDE.replace("WORLD", kind.world())
    )
}

/// `README.md` of a new plugin crate.
pub(crate) fn readme(name: &str, kind: TemplateKind) -> String {
    format!(
        "# {name}\n\nA wasmq {kind:?} plugin (world `{world}` of `wit/plugin.wit`).\n\n\
         - Unit tests: `cargo test`\n\
         - Build: `wasmq plugin build` (or `cargo build --release --target wasm32-wasip2`)\n\
         - Try it: `wasmq plugin test target/wasm32-wasip2/release/{file}.wasm --input messages.jsonl`\n\
         - Check: `wasmq plugin check target/wasm32-wasip2/release/{file}.wasm`\n\
         - Deploy: copy the `.wasm` into the broker's plugins directory and add a `[[binding]]` to `plugins.toml`.\n",
        world = kind.world(),
        file = name.replace('-', "_"),
    )
}

/// Sample input for `wasmq plugin test`.
pub(crate) const SAMPLE_MESSAGES: &str = r#"{"topic":"orders","tags":"A","keys":"order-1","properties":{"region":"eu"},"body":"{\"amount\":12}"}
{"topic":"orders","tags":"B","keys":"order-2","properties":{"region":"us"},"body":"{\"amount\":250}"}
"#;
