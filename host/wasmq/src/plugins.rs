//! Plugins in the server roles: opening the plugins directory, and adapting the plugin host to
//! the hooks the broker (ingress, consumer filter, plugin admin), the store (retention) and the
//! nameserver (route policy) call.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use wasmq_broker::hooks::{
    ConsumedMessage, IngressMessage, IngressVerdict, MessageHooks, PluginAdmin,
};
use wasmq_namesrv::RoutePolicy;
use wasmq_plugin_host::{
    BindingMetrics, BrokerData, FileInfo, FileKind, MessageView, OwnedMessage, PluginHost,
    QueueData, RetentionDecision, RouteView, Verdict,
};
use wasmq_protocol::body::broker::{BindingRow, PluginList};
use wasmq_protocol::body::namesrv::{self as body, TopicRouteData};
use wasmq_store::{ExpiringFile, ExpiringFileKind, RetentionAdvisor, TopicRetention};

/// Opens `dir` (components + `plugins.toml`, or `bindings` when given) and starts watching it;
/// without a directory every hook is a no-op.
pub fn open(dir: Option<&Path>, bindings: Option<PathBuf>) -> anyhow::Result<PluginHost> {
    let Some(dir) = dir else {
        return Ok(PluginHost::disabled());
    };
    let host = PluginHost::open(dir, bindings.as_deref())
        .with_context(|| format!("opening the plugins directory {}", dir.display()))?;
    tracing::info!(
        dir = %dir.display(),
        plugins = host.plugins().len(),
        bindings = host.bindings().len(),
        "plugins ready"
    );
    Ok(host)
}

/// The broker's data-path hooks: the bound ingress filters / transforms / routers on sends, and
/// the bound consumer filters on pulls. One plugin call per send request or pull, not per message.
#[derive(Debug, Clone)]
pub struct PluginMessageHooks(pub PluginHost);

impl MessageHooks for PluginMessageHooks {
    fn has_ingress(&self, topic: &str) -> bool {
        self.0.has_ingress(topic)
    }

    fn ingress(&self, topic: &str, batch: &mut Vec<IngressMessage>) -> Vec<IngressVerdict> {
        // Moved, never copied: the strings change hands and the body (a `Bytes`) is shared, so a
        // plugin that does not read bodies costs no body copy either way.
        let mut owned: Vec<OwnedMessage> = std::mem::take(batch)
            .into_iter()
            .map(|m| OwnedMessage {
                topic: m.topic,
                queue_id: m.queue_id,
                tags: m.tags,
                keys: m.keys,
                properties: m.properties.into_bytes(),
                body: m.body,
                copy_of: m.copy_of,
            })
            .collect();
        let outcome = self.0.ingress(topic, &mut owned);
        *batch = owned
            .into_iter()
            .map(|o| IngressMessage {
                topic: o.topic,
                queue_id: o.queue_id,
                tags: o.tags,
                keys: o.keys,
                // Unchanged (or rewritten as UTF-8) properties convert without a copy.
                properties: String::from_utf8(o.properties)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                body: o.body,
                copy_of: o.copy_of,
            })
            .collect();
        outcome
            .verdicts
            .into_iter()
            .map(|v| match v {
                Verdict::Keep => IngressVerdict::Keep,
                Verdict::Discarded => IngressVerdict::Discarded,
                Verdict::Rejected { plugin, reason } => {
                    IngressVerdict::Rejected(format!("plugin {plugin}: {reason}"))
                }
            })
            .collect()
    }

    fn has_consumer_filter(&self, group: &str, topic: &str) -> bool {
        self.0.has_consumer_filter(group, topic)
    }

    fn consumer_filter(
        &self,
        group: &str,
        topic: &str,
        batch: &[ConsumedMessage<'_>],
    ) -> Result<Vec<bool>, String> {
        let views: Vec<MessageView<'_>> = batch
            .iter()
            .map(|m| MessageView {
                topic: m.topic,
                queue_id: m.queue_id,
                tags: m.tags,
                keys: m.keys,
                properties: m.properties.as_bytes(),
                body: m.body,
            })
            .collect();
        self.0
            .consumer_filter(group, topic, &views)
            .map_err(|e| e.to_string())
    }
}

/// How often the broker logs every binding's metrics.
pub const METRICS_LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

fn row(m: &BindingMetrics, topics: Vec<String>) -> BindingRow {
    BindingRow {
        binding: m.binding.clone(),
        plugin: m.plugin.clone(),
        version: m.plugin_version.clone(),
        hook: m.hook.as_str().to_owned(),
        topics,
        enabled: m.enabled,
        calls: m.calls,
        messages: m.messages,
        nanos: m.nanos,
        rejects: m.rejects,
        discards: m.discards,
        traps: m.traps,
        fuel: m.fuel_consumed,
        failures: m.failures(),
    }
}

/// The bindings of `host` with their metrics.
pub fn plugin_list(host: &PluginHost) -> PluginList {
    let specs = host.bindings();
    PluginList {
        generation: host.generation(),
        bindings: host
            .metrics()
            .iter()
            .map(|m| {
                let topics = specs
                    .iter()
                    .find(|s| s.name == m.binding)
                    .map(|s| s.topics.clone())
                    .unwrap_or_default();
                row(m, topics)
            })
            .collect(),
    }
}

/// The broker's plugin administration (WASMQ_PLUGIN_LIST / WASMQ_PLUGIN_SET_ENABLED).
#[derive(Debug, Clone)]
pub struct PluginAdminAdapter(pub PluginHost);

impl PluginAdmin for PluginAdminAdapter {
    fn list_json(&self) -> String {
        serde_json::to_string(&plugin_list(&self.0)).unwrap_or_else(|e| {
            tracing::error!(cause = %e, "cannot encode the plugin list");
            String::from("{}")
        })
    }

    fn set_enabled(&self, binding: &str, enabled: bool) -> bool {
        self.0.set_binding_enabled(binding, enabled)
    }
}

/// Logs every binding's metrics at info level every [`METRICS_LOG_INTERVAL`].
pub fn spawn_metrics_log(host: PluginHost) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(METRICS_LOG_INTERVAL);
        tick.tick().await;
        loop {
            tick.tick().await;
            for r in plugin_list(&host).bindings {
                tracing::info!(binding = %r.binding, plugin = %r.plugin, hook = %r.hook,
                    enabled = r.enabled, calls = r.calls, messages = r.messages, ns = r.nanos,
                    rejects = r.rejects, discards = r.discards, traps = r.traps, fuel = r.fuel,
                    failures = r.failures, "plugin binding metrics");
            }
        }
    })
}

/// The store's retention advisor: the bound `retention` plugins veto or allow commit-log file
/// deletions and set per-topic retention. A plugin that fails (or has no opinion) answers
/// `None`, so the native rule decides.
#[derive(Debug, Clone)]
pub struct PluginRetentionAdvisor(pub PluginHost);

impl RetentionAdvisor for PluginRetentionAdvisor {
    fn may_delete_file(&self, file: &ExpiringFile, now_ms: u64) -> Option<bool> {
        self.0.may_delete_file(&file_info(file), now_ms)
    }

    fn retention_for_topic(&self, topic: &str, now_ms: u64) -> Option<TopicRetention> {
        self.0
            .retention_for_topic(topic, now_ms)
            .map(topic_retention)
    }
}

/// The plugin host's view of a store file.
fn file_info(file: &ExpiringFile) -> FileInfo {
    FileInfo {
        name: file.name.clone(),
        kind: match file.kind {
            ExpiringFileKind::CommitLog => FileKind::CommitLog,
            ExpiringFileKind::ConsumeQueue => FileKind::ConsumeQueue,
            ExpiringFileKind::Index => FileKind::Index,
        },
        topic: file.topic.clone(),
        size_bytes: file.size_bytes,
        first_offset: file.first_offset,
        last_modified_ms: file.last_modified_ms,
    }
}

/// The store's retention from a plugin's decision (unset fields keep the configured value).
fn topic_retention(d: RetentionDecision) -> TopicRetention {
    TopicRetention {
        retention_ms: d.retention_ms,
        max_bytes: d.max_bytes,
    }
}

/// The nameserver's route policy: every `route-policy` binding for the topic shapes the route.
#[derive(Debug, Clone)]
pub struct PluginRoutePolicy(pub PluginHost);

impl RoutePolicy for PluginRoutePolicy {
    fn shape(&self, topic: &str, client: SocketAddr, route: TopicRouteData) -> TopicRouteData {
        let view = to_view(&route);
        let shaped = self
            .0
            .route_policy(topic, &client.to_string(), view.clone());
        if shaped == view {
            return route;
        }
        from_view(route, shaped)
    }
}

fn to_view(route: &TopicRouteData) -> RouteView {
    RouteView {
        queue_datas: route
            .queue_datas
            .iter()
            .map(|q| QueueData {
                broker_name: q.broker_name.clone(),
                read_queue_nums: q.read_queue_nums.max(0) as u32,
                write_queue_nums: q.write_queue_nums.max(0) as u32,
                perm: q.perm.max(0) as u32,
                topic_sys_flag: q.topic_sys_flag.max(0) as u32,
            })
            .collect(),
        broker_datas: route
            .broker_datas
            .iter()
            .map(|b| BrokerData {
                cluster: b.cluster.clone(),
                broker_name: b.broker_name.clone(),
                broker_addrs: b
                    .broker_addrs
                    .iter()
                    .map(|(id, a)| ((*id).max(0) as u64, a.clone()))
                    .collect(),
            })
            .collect(),
    }
}

/// Applies the shaped view to the original route (the host has already checked it only narrows).
fn from_view(mut route: TopicRouteData, view: RouteView) -> TopicRouteData {
    route.queue_datas = view
        .queue_datas
        .into_iter()
        .map(|q| body::QueueData {
            broker_name: q.broker_name,
            read_queue_nums: q.read_queue_nums as i32,
            write_queue_nums: q.write_queue_nums as i32,
            perm: q.perm as i32,
            topic_sys_flag: q.topic_sys_flag as i32,
        })
        .collect();
    route.broker_datas = view
        .broker_datas
        .into_iter()
        .map(|b| body::BrokerData {
            cluster: b.cluster,
            broker_name: b.broker_name,
            broker_addrs: b
                .broker_addrs
                .into_iter()
                .map(|(id, a)| (id as i64, a))
                .collect(),
            enable_acting_master: false,
        })
        .collect();
    route
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_types_map_field_by_field() {
        for (kind, want) in [
            (ExpiringFileKind::CommitLog, FileKind::CommitLog),
            (ExpiringFileKind::ConsumeQueue, FileKind::ConsumeQueue),
            (ExpiringFileKind::Index, FileKind::Index),
        ] {
            let file = ExpiringFile {
                name: "00000000001073741824".into(),
                kind,
                topic: "orders".into(),
                size_bytes: 1 << 30,
                first_offset: 1 << 30,
                last_modified_ms: 1_700_000_000_123,
                expired: true,
            };
            assert_eq!(
                file_info(&file),
                FileInfo {
                    name: "00000000001073741824".into(),
                    kind: want,
                    topic: "orders".into(),
                    size_bytes: 1 << 30,
                    first_offset: 1 << 30,
                    last_modified_ms: 1_700_000_000_123,
                }
            );
        }
        let r = topic_retention(RetentionDecision {
            retention_ms: Some(60_000),
            max_bytes: None,
        });
        assert_eq!(
            r,
            TopicRetention {
                retention_ms: Some(60_000),
                max_bytes: None
            }
        );
    }

    #[test]
    fn a_host_without_plugins_leaves_the_native_rule() {
        let advisor = PluginRetentionAdvisor(PluginHost::disabled());
        let file = ExpiringFile {
            name: "00000000000000000000".into(),
            kind: ExpiringFileKind::CommitLog,
            topic: String::new(),
            size_bytes: 4096,
            first_offset: 0,
            last_modified_ms: 0,
            expired: true,
        };
        assert_eq!(advisor.may_delete_file(&file, 1), None);
        assert_eq!(advisor.retention_for_topic("t", 1), None);
    }

    #[test]
    fn view_round_trip_keeps_the_route() {
        let route = TopicRouteData {
            queue_datas: vec![body::QueueData {
                broker_name: "a".into(),
                read_queue_nums: 4,
                write_queue_nums: 4,
                perm: 6,
                topic_sys_flag: 0,
            }],
            broker_datas: vec![body::BrokerData {
                cluster: "c".into(),
                broker_name: "a".into(),
                broker_addrs: [(0, "127.0.0.1:10911".to_string())].into_iter().collect(),
                enable_acting_master: false,
            }],
            ..TopicRouteData::default()
        };
        assert_eq!(from_view(route.clone(), to_view(&route)), route);
    }
}
