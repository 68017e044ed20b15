//! Plugins in the server roles: opening the plugins directory, and adapting the plugin host to
//! the hooks the broker (ingress, consumer filter) and the nameserver (route policy) call.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use wasmq_broker::hooks::{ConsumedMessage, IngressMessage, IngressVerdict, MessageHooks};
use wasmq_namesrv::RoutePolicy;
use wasmq_plugin_host::{
    BrokerData, MessageView, OwnedMessage, PluginHost, QueueData, RouteView, Verdict,
};
use wasmq_protocol::body::namesrv::{self as body, TopicRouteData};

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
        let mut owned: Vec<OwnedMessage> = batch
            .iter()
            .map(|m| OwnedMessage {
                topic: m.topic.clone(),
                queue_id: m.queue_id,
                tags: m.tags.clone(),
                keys: m.keys.clone(),
                properties: m.properties.as_bytes().to_vec(),
                body: m.body.to_vec(),
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
                properties: String::from_utf8_lossy(&o.properties).into_owned(),
                body: Bytes::from(o.body),
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
