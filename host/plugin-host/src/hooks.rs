//! The hook calls the broker and nameserver make, and how each binding's failure policy answers a failed call.

use serde::{Deserialize, Serialize};

use crate::PluginHost;
use crate::bindings::types;
use crate::message::{MessageView, OwnedMessage, encode_batch};
use crate::metrics::BindingCells;
use crate::plugin::{BindingRuntime, CallError, FailureKind};
use crate::spec::{FailurePolicy, HookKind, any_match};

/// The fate of one message on the send path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Store it (possibly rewritten / rerouted).
    Keep,
    /// Refuse it; `reason` goes back to the producer.
    Rejected { plugin: String, reason: String },
    /// Drop it silently (acknowledged, not stored).
    Discarded,
}

/// Result of [`PluginHost::ingress`]: `verdicts[i]` is the fate of `batch[i]`. Extra copies added
/// by routers are appended to the batch (with `copy_of` set) and have their own verdict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressOutcome {
    pub verdicts: Vec<Verdict>,
}

impl IngressOutcome {
    /// True when every message is kept.
    pub fn all_kept(&self) -> bool {
        self.verdicts.iter().all(|v| *v == Verdict::Keep)
    }
}

/// A consumer-side filter could not decide (policy `refuse`). Callers must NOT treat the
/// messages as filtered out: answer the pull with a retryable status instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin `{plugin}` (binding `{binding}`) failed ({kind:?}): {reason}")]
pub struct PluginFailure {
    pub binding: String,
    pub plugin: String,
    pub kind: FailureKind,
    pub reason: String,
}

/// One broker's queues for a topic (RocketMQ `QueueData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueData {
    pub broker_name: String,
    pub read_queue_nums: u32,
    pub write_queue_nums: u32,
    /// RocketMQ permission bits (2 = write, 4 = read, 1 = inherit).
    pub perm: u32,
    pub topic_sys_flag: u32,
}

/// One broker set (RocketMQ `BrokerData`); broker id 0 is the master.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BrokerData {
    pub cluster: String,
    pub broker_name: String,
    pub broker_addrs: Vec<(u64, String)>,
}

/// The route a client receives for a topic (RocketMQ `TopicRouteData`, minus what plugins do not shape).
/// A route policy may only narrow it: the host discards results that add brokers, addresses,
/// queues or permissions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RouteView {
    pub queue_datas: Vec<QueueData>,
    pub broker_datas: Vec<BrokerData>,
}

/// Kind of a store file offered for deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    CommitLog,
    ConsumeQueue,
    Index,
}

/// A store file the clean-up service is about to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// File name only (never a path a plugin could use).
    pub name: String,
    pub kind: FileKind,
    /// The topic for consume-queue files; empty otherwise.
    pub topic: String,
    pub size_bytes: u64,
    /// Physical offset of the file's first byte.
    pub first_offset: u64,
    pub last_modified_ms: u64,
}

/// Retention a plugin wants for a topic; `None` fields mean the broker default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RetentionDecision {
    pub retention_ms: Option<u64>,
    pub max_bytes: Option<u64>,
}

fn applies(b: &BindingRuntime, hook: HookKind, topic: &str) -> bool {
    b.spec.hook == hook && b.is_enabled() && any_match(&b.spec.topics, topic)
}

fn failure(b: &BindingRuntime, e: CallError) -> PluginFailure {
    PluginFailure {
        binding: b.spec.name.clone(),
        plugin: b.plugin.name.clone(),
        kind: e.kind,
        reason: e.message,
    }
}

/// Applies a failed ingress call's policy to the candidate messages.
fn ingress_failure(
    b: &BindingRuntime,
    e: CallError,
    candidates: &[usize],
    verdicts: &mut [Verdict],
) {
    let policy = b.spec.on_failure;
    tracing::warn!(binding = %b.spec.name, ?policy, messages = candidates.len(), "ingress plugin failed; applying failure policy");
    for &i in candidates {
        match policy {
            FailurePolicy::Pass => {}
            FailurePolicy::Drop => verdicts[i] = Verdict::Discarded,
            FailurePolicy::Refuse => {
                verdicts[i] = Verdict::Rejected {
                    plugin: b.plugin.name.clone(),
                    reason: format!(
                        "plugin {} unavailable ({:?}); retry later",
                        b.plugin.name, e.kind
                    ),
                }
            }
        }
    }
}

fn wit_route(r: &RouteView) -> types::RouteTable {
    types::RouteTable {
        queue_datas: r
            .queue_datas
            .iter()
            .map(|q| types::QueueData {
                broker_name: q.broker_name.clone(),
                read_queue_nums: q.read_queue_nums,
                write_queue_nums: q.write_queue_nums,
                perm: q.perm,
                topic_sys_flag: q.topic_sys_flag,
            })
            .collect(),
        broker_datas: r
            .broker_datas
            .iter()
            .map(|b| types::BrokerData {
                cluster: b.cluster.clone(),
                broker_name: b.broker_name.clone(),
                broker_addrs: b.broker_addrs.clone(),
            })
            .collect(),
    }
}

fn host_route(r: types::RouteTable) -> RouteView {
    RouteView {
        queue_datas: r
            .queue_datas
            .into_iter()
            .map(|q| QueueData {
                broker_name: q.broker_name,
                read_queue_nums: q.read_queue_nums,
                write_queue_nums: q.write_queue_nums,
                perm: q.perm,
                topic_sys_flag: q.topic_sys_flag,
            })
            .collect(),
        broker_datas: r
            .broker_datas
            .into_iter()
            .map(|b| BrokerData {
                cluster: b.cluster,
                broker_name: b.broker_name,
                broker_addrs: b.broker_addrs,
            })
            .collect(),
    }
}

/// Whether `out` only narrows `input` (no new broker, address, queue or permission).
fn narrows(input: &RouteView, out: &RouteView) -> Result<(), String> {
    for b in &out.broker_datas {
        let Some(orig) = input
            .broker_datas
            .iter()
            .find(|o| o.broker_name == b.broker_name && o.cluster == b.cluster)
        else {
            return Err(format!("route adds broker `{}`", b.broker_name));
        };
        if let Some(a) = b
            .broker_addrs
            .iter()
            .find(|a| !orig.broker_addrs.contains(a))
        {
            return Err(format!(
                "route adds address {} {} to `{}`",
                a.0, a.1, b.broker_name
            ));
        }
    }
    for q in &out.queue_datas {
        let Some(orig) = input
            .queue_datas
            .iter()
            .find(|o| o.broker_name == q.broker_name)
        else {
            return Err(format!("route adds queues on `{}`", q.broker_name));
        };
        if q.read_queue_nums > orig.read_queue_nums
            || q.write_queue_nums > orig.write_queue_nums
            || q.perm & !orig.perm != 0
        {
            return Err(format!(
                "route widens queues or permissions on `{}`",
                q.broker_name
            ));
        }
    }
    Ok(())
}

fn apply_update(m: &mut OwnedMessage, u: types::MessageUpdate) {
    if let Some(t) = u.tags {
        m.tags = t;
    }
    if let Some(k) = u.keys {
        m.keys = k;
    }
    if let Some(p) = u.properties {
        m.properties = p;
    }
    if let Some(b) = u.body {
        m.body = b.into();
    }
}

impl PluginHost {
    /// Cheap check: is any enabled ingress binding (filter, transform, router) bound to `topic`?
    pub fn has_ingress(&self, topic: &str) -> bool {
        self.registry().is_some_and(|r| {
            r.ingress
                .iter()
                .any(|b| b.is_enabled() && any_match(&b.spec.topics, topic))
        })
    }

    /// Runs the ingress bindings of `topic` over a send batch: filters, then transforms (which
    /// rewrite messages in place), then routers (which may change topic / queue, reject, or append
    /// copies to `batch`). Messages rejected or discarded by one stage are not shown to later ones.
    pub fn ingress(&self, topic: &str, batch: &mut Vec<OwnedMessage>) -> IngressOutcome {
        let mut verdicts = vec![Verdict::Keep; batch.len()];
        let Some(reg) = self.registry() else {
            return IngressOutcome { verdicts };
        };
        for b in reg
            .ingress
            .iter()
            .filter(|b| b.is_enabled() && any_match(&b.spec.topics, topic))
        {
            let only = &b.plugin.description.only_tags;
            let prefilter = b.spec.hook != HookKind::Transform && !only.is_empty();
            let candidates: Vec<usize> = (0..batch.len())
                .filter(|&i| verdicts[i] == Verdict::Keep && batch[i].copy_of.is_none())
                .filter(|&i| !prefilter || only.iter().any(|t| *t == batch[i].tags))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let n = candidates.len();
            let msgs = &batch;
            let result = match b.spec.hook {
                HookKind::IngressFilter => b
                    .call(n, |inst| {
                        encode_batch(
                            &mut inst.batch,
                            candidates.iter().map(|&i| msgs[i].view()),
                            &b.encode,
                        );
                        let f = inst
                            .filter
                            .as_ref()
                            .expect("filter binding has a filter export");
                        f.call_filter(&mut inst.store, &types::FilterStage::Ingress, &inst.batch)
                    })
                    .and_then(|out| {
                        if out.len() == n {
                            Ok(Staged::Filter(out))
                        } else {
                            Err(b.bad_output(format!("{} verdicts for {n} messages", out.len())))
                        }
                    }),
                HookKind::Transform => b
                    .call(n, |inst| {
                        encode_batch(
                            &mut inst.batch,
                            candidates.iter().map(|&i| msgs[i].view()),
                            &b.encode,
                        );
                        let f = inst
                            .transform
                            .as_ref()
                            .expect("transform binding has a transform export");
                        f.call_transform(&mut inst.store, &inst.batch)
                    })
                    .and_then(|out| {
                        if out.len() == n {
                            Ok(Staged::Transform(out))
                        } else {
                            Err(b.bad_output(format!("{} updates for {n} messages", out.len())))
                        }
                    }),
                HookKind::Router => b
                    .call(n, |inst| {
                        encode_batch(
                            &mut inst.batch,
                            candidates.iter().map(|&i| msgs[i].view()),
                            &b.encode,
                        );
                        let f = inst
                            .router
                            .as_ref()
                            .expect("router binding has a router export");
                        f.call_route(&mut inst.store, &inst.batch)
                    })
                    .and_then(|out| {
                        if out.len() == n {
                            Ok(Staged::Route(out))
                        } else {
                            Err(b.bad_output(format!("{} decisions for {n} messages", out.len())))
                        }
                    }),
                _ => continue,
            };
            match result {
                Err(e) => ingress_failure(b, e, &candidates, &mut verdicts),
                Ok(Staged::Filter(out)) => {
                    for (&i, v) in candidates.iter().zip(out) {
                        match v {
                            types::Verdict::Keep => {}
                            types::Verdict::Discard => {
                                BindingCells::add(&b.cells.discards, 1);
                                verdicts[i] = Verdict::Discarded;
                            }
                            types::Verdict::Reject(reason) => {
                                BindingCells::add(&b.cells.rejects, 1);
                                verdicts[i] = Verdict::Rejected {
                                    plugin: b.plugin.name.clone(),
                                    reason,
                                };
                            }
                        }
                    }
                }
                Ok(Staged::Transform(out)) => {
                    for (&i, u) in candidates.iter().zip(out) {
                        if let Some(u) = u {
                            apply_update(&mut batch[i], u);
                        }
                    }
                }
                Ok(Staged::Route(out)) => {
                    for (&i, d) in candidates.iter().zip(out) {
                        match d {
                            types::RouteDecision::Keep => {}
                            types::RouteDecision::Reject(reason) => {
                                BindingCells::add(&b.cells.rejects, 1);
                                verdicts[i] = Verdict::Rejected {
                                    plugin: b.plugin.name.clone(),
                                    reason,
                                };
                            }
                            types::RouteDecision::Reroute(r) => {
                                if let Some(t) = r.topic {
                                    batch[i].topic = t;
                                    batch[i].queue_id = -1;
                                }
                                if let Some(q) = r.queue_id {
                                    batch[i].queue_id = q;
                                }
                                for c in r.copies {
                                    let mut copy = batch[i].clone();
                                    copy.topic = c.topic;
                                    copy.queue_id = c.queue_id.unwrap_or(-1);
                                    copy.copy_of = Some(i);
                                    batch.push(copy);
                                    verdicts.push(Verdict::Keep);
                                }
                            }
                        }
                    }
                }
            }
        }
        IngressOutcome { verdicts }
    }

    /// Cheap check: is a consumer filter bound to this group and topic?
    pub fn has_consumer_filter(&self, group: &str, topic: &str) -> bool {
        self.registry().is_some_and(|r| {
            r.bindings.iter().any(|b| {
                applies(b, HookKind::ConsumerFilter, topic) && any_match(&b.spec.groups, group)
            })
        })
    }

    /// Runs the consumer filters of `group` on `topic` over a pulled batch: `true` = deliver.
    /// Several bindings combine with AND. A failed call is answered by the binding's policy:
    /// `pass` delivers, `drop` filters out, `refuse` returns `Err` — which callers must answer with a
    /// retryable pull status, never by skipping the messages.
    pub fn consumer_filter(
        &self,
        group: &str,
        topic: &str,
        batch: &[MessageView<'_>],
    ) -> Result<Vec<bool>, PluginFailure> {
        let mut keep = vec![true; batch.len()];
        let Some(reg) = self.registry() else {
            return Ok(keep);
        };
        let stage = types::FilterStage::Consumer(group.to_string());
        for b in reg.bindings.iter().filter(|b| {
            applies(b, HookKind::ConsumerFilter, topic) && any_match(&b.spec.groups, group)
        }) {
            let only = &b.plugin.description.only_tags;
            let candidates: Vec<usize> = (0..batch.len())
                .filter(|&i| {
                    keep[i] && (only.is_empty() || only.iter().any(|t| t == batch[i].tags))
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let n = candidates.len();
            let result = b
                .call(n, |inst| {
                    encode_batch(
                        &mut inst.batch,
                        candidates.iter().map(|&i| batch[i]),
                        &b.encode,
                    );
                    let f = inst
                        .filter
                        .as_ref()
                        .expect("filter binding has a filter export");
                    f.call_filter(&mut inst.store, &stage, &inst.batch)
                })
                .and_then(|out| {
                    if out.len() == n {
                        Ok(out)
                    } else {
                        Err(b.bad_output(format!("{} verdicts for {n} messages", out.len())))
                    }
                });
            match result {
                Ok(out) => {
                    for (&i, v) in candidates.iter().zip(out) {
                        if v != types::Verdict::Keep {
                            BindingCells::add(&b.cells.discards, 1);
                            keep[i] = false;
                        }
                    }
                }
                Err(e) => match b.spec.on_failure {
                    FailurePolicy::Pass => {}
                    FailurePolicy::Drop => candidates.iter().for_each(|&i| keep[i] = false),
                    FailurePolicy::Refuse => return Err(failure(b, e)),
                },
            }
        }
        Ok(keep)
    }

    /// Shapes the route `client_addr` receives for `topic` with the bound route policies, in order.
    /// On any failure, or a result that is not a narrowing of its input, the input is returned.
    pub fn route_policy(&self, topic: &str, client_addr: &str, route: RouteView) -> RouteView {
        let Some(reg) = self.registry() else {
            return route;
        };
        let mut route = route;
        for b in reg
            .bindings
            .iter()
            .filter(|b| applies(b, HookKind::RoutePolicy, topic))
        {
            let input = wit_route(&route);
            let out = b.call(1, |inst| {
                let f = inst
                    .route_policy
                    .as_ref()
                    .expect("route-policy binding has its export");
                f.call_shape(&mut inst.store, topic, client_addr, &input)
            });
            if let Ok(out) = out {
                let shaped = host_route(out);
                match narrows(&route, &shaped) {
                    Ok(()) => route = shaped,
                    Err(why) => {
                        b.bad_output(why);
                    }
                }
            }
        }
        route
    }

    /// Per-topic retention from the first bound retention plugin that has an opinion.
    pub fn retention_for_topic(&self, topic: &str, now_ms: u64) -> Option<RetentionDecision> {
        let reg = self.registry()?;
        reg.bindings
            .iter()
            .filter(|b| applies(b, HookKind::Retention, topic))
            .find_map(|b| {
                let out = b.call(1, |inst| {
                    let f = inst
                        .retention
                        .as_ref()
                        .expect("retention binding has its export");
                    f.call_topic_retention(&mut inst.store, topic, now_ms)
                });
                out.ok().flatten().map(|d| RetentionDecision {
                    retention_ms: d.retention_ms,
                    max_bytes: d.max_bytes,
                })
            })
    }

    /// Asks the bound retention plugins whether an expiring file may be deleted: `Some(false)` if any
    /// wants to keep it, `Some(true)` if one allows it and none objects, `None` for the broker default
    /// (also on failure). Files without a topic are offered to every retention binding.
    pub fn may_delete_file(&self, file: &FileInfo, now_ms: u64) -> Option<bool> {
        let reg = self.registry()?;
        let wit = types::FileInfo {
            name: file.name.clone(),
            kind: match file.kind {
                FileKind::CommitLog => "commitlog",
                FileKind::ConsumeQueue => "consumequeue",
                FileKind::Index => "index",
            }
            .into(),
            topic: file.topic.clone(),
            size_bytes: file.size_bytes,
            first_offset: file.first_offset,
            last_modified_ms: file.last_modified_ms,
        };
        let mut answer = None;
        for b in reg.bindings.iter().filter(|b| {
            b.spec.hook == HookKind::Retention
                && b.is_enabled()
                && (file.topic.is_empty() || any_match(&b.spec.topics, &file.topic))
        }) {
            let out = b.call(1, |inst| {
                let f = inst
                    .retention
                    .as_ref()
                    .expect("retention binding has its export");
                f.call_may_delete_file(&mut inst.store, &wit, now_ms)
            });
            match out {
                Ok(Some(false)) => return Some(false),
                Ok(Some(true)) => answer = Some(true),
                Ok(None) | Err(_) => {}
            }
        }
        answer
    }
}

enum Staged {
    Filter(Vec<types::Verdict>),
    Transform(Vec<Option<types::MessageUpdate>>),
    Route(Vec<types::RouteDecision>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> RouteView {
        RouteView {
            queue_datas: vec![QueueData {
                broker_name: "a".into(),
                read_queue_nums: 4,
                write_queue_nums: 4,
                perm: 6,
                topic_sys_flag: 0,
            }],
            broker_datas: vec![BrokerData {
                cluster: "c".into(),
                broker_name: "a".into(),
                broker_addrs: vec![(0, "1.2.3.4:10911".into())],
            }],
        }
    }

    #[test]
    fn narrowing_is_checked() {
        let input = route();
        assert!(narrows(&input, &RouteView::default()).is_ok());
        let mut wider = route();
        wider.queue_datas[0].read_queue_nums = 8;
        assert!(narrows(&input, &wider).is_err());
        let mut other = route();
        other.broker_datas[0].broker_addrs[0].1 = "6.6.6.6:1".into();
        assert!(narrows(&input, &other).is_err());
        let mut perm = route();
        perm.queue_datas[0].perm = 7;
        assert!(narrows(&input, &perm).is_err());
    }

    #[test]
    fn disabled_host_passes_everything() {
        let host = PluginHost::disabled();
        let mut batch = vec![OwnedMessage::new("t", "A", b"x")];
        assert!(!host.has_ingress("t"));
        assert!(host.ingress("t", &mut batch).all_kept());
        assert_eq!(
            host.consumer_filter("g", "t", &[batch[0].view()]),
            Ok(vec![true])
        );
        assert_eq!(host.route_policy("t", "c", route()), route());
        assert_eq!(host.retention_for_topic("t", 0), None);
    }
}
