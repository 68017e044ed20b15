//! Plugins in the server roles: opening the plugins directory, and the nameserver's route policy
//! backed by the bound `route-policy` plugins.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use wasmq_namesrv::RoutePolicy;
use wasmq_plugin_host::{BrokerData, PluginHost, QueueData, RouteView};
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
