//! Nameserver route policy: limits which brokers, and how many queues, a client is shown for a topic.
//!
//! Configuration:
//! - `allow.<client-address-glob>` — comma-separated broker names that clients whose address
//!   (`ip:port`) matches the glob may see; the longest matching glob wins; clients matching no
//!   glob see the full route;
//! - `topics` — comma-separated topic globs the policy applies to (default `*`);
//! - `max-queues` — cap on read and write queue numbers per broker.

wit_bindgen::generate!({ world: "route-policy-plugin", path: "../../wit", additional_derives: [PartialEq] });

use exports::wasmq::plugin::{plugin, route_policy};
use wasmq::plugin::types::{Hook, PluginError, PluginInfo, RouteTable};
use wasmq_plugin_sdk::glob_match;

/// Parsed configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// (client glob, allowed broker names), longest glob first.
    pub allow: Vec<(String, Vec<String>)>,
    pub topics: Vec<String>,
    pub max_queues: Option<u32>,
}

impl Policy {
    /// Parses the binding configuration.
    pub fn from_config(entries: &[(String, String)]) -> Result<Policy, String> {
        let mut p = Policy {
            topics: vec!["*".into()],
            ..Default::default()
        };
        for (k, v) in entries {
            let list = || {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            };
            match k.as_str() {
                "topics" => p.topics = list(),
                "max-queues" => {
                    p.max_queues = Some(
                        v.parse()
                            .map_err(|_| format!("max-queues = `{v}` is not a number"))?,
                    )
                }
                _ => match k.strip_prefix("allow.") {
                    Some(glob) => p.allow.push((glob.to_string(), list())),
                    None => {
                        return Err(format!(
                            "unknown configuration key `{k}` (expected allow.<glob>, topics, max-queues)"
                        ));
                    }
                },
            }
        }
        p.allow
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Ok(p)
    }

    /// The route `client` should see.
    pub fn shape(&self, topic: &str, client: &str, mut route: RouteTable) -> RouteTable {
        if !self.topics.iter().any(|g| glob_match(g, topic)) {
            return route;
        }
        if let Some((_, brokers)) = self.allow.iter().find(|(g, _)| glob_match(g, client)) {
            route
                .broker_datas
                .retain(|b| brokers.contains(&b.broker_name));
            route
                .queue_datas
                .retain(|q| brokers.contains(&q.broker_name));
        }
        if let Some(max) = self.max_queues {
            for q in &mut route.queue_datas {
                q.read_queue_nums = q.read_queue_nums.min(max);
                q.write_queue_nums = q.write_queue_nums.min(max);
            }
        }
        route
    }
}

struct RoutePolicy;

thread_local! {
    static POLICY: std::cell::RefCell<Policy> = std::cell::RefCell::new(Policy::default());
}

impl plugin::Guest for RoutePolicy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "route-policy".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            hooks: vec![Hook::RoutePolicy],
            needs_body: false,
            reads_tags: false,
            reads_keys: false,
            reads_properties: Some(Vec::new()),
            only_tags: Vec::new(),
        }
    }

    fn init() -> Result<(), PluginError> {
        let p = Policy::from_config(&wasmq::plugin::config::entries())
            .map_err(|message| PluginError { message })?;
        POLICY.with(|s| *s.borrow_mut() = p);
        Ok(())
    }
}

impl route_policy::Guest for RoutePolicy {
    fn shape(
        topic: String,
        client_addr: String,
        route: RouteTable,
    ) -> Result<RouteTable, PluginError> {
        Ok(POLICY.with(|p| p.borrow().shape(&topic, &client_addr, route)))
    }
}

// Exported only for wasm: the native build (unit tests) cannot carry component symbol names.
#[cfg(target_arch = "wasm32")]
export!(RoutePolicy);

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq::plugin::types::{BrokerData, QueueData};

    fn table() -> RouteTable {
        let q = |b: &str| QueueData {
            broker_name: b.into(),
            read_queue_nums: 8,
            write_queue_nums: 8,
            perm: 6,
            topic_sys_flag: 0,
        };
        let b = |n: &str, a: &str| BrokerData {
            cluster: "c".into(),
            broker_name: n.into(),
            broker_addrs: vec![(0, a.into())],
        };
        RouteTable {
            queue_datas: vec![q("broker-a"), q("broker-b")],
            broker_datas: vec![
                b("broker-a", "10.0.0.1:10911"),
                b("broker-b", "10.1.0.1:10911"),
            ],
        }
    }

    fn policy(pairs: &[(&str, &str)]) -> Policy {
        Policy::from_config(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn clients_see_only_their_brokers_longest_glob_wins() {
        let p = policy(&[
            ("allow.10.*", "broker-a,broker-b"),
            ("allow.10.1.*", "broker-b"),
        ]);
        let r = p.shape("orders", "10.1.2.3:5555", table());
        assert_eq!(
            r.broker_datas
                .iter()
                .map(|b| b.broker_name.as_str())
                .collect::<Vec<_>>(),
            ["broker-b"]
        );
        assert_eq!(r.queue_datas.len(), 1);
        assert_eq!(
            p.shape("orders", "10.9.9.9:1", table()).broker_datas.len(),
            2
        );
        assert_eq!(
            p.shape("orders", "192.168.0.1:1", table())
                .broker_datas
                .len(),
            2
        );
    }

    #[test]
    fn queues_capped_only_for_listed_topics() {
        let p = policy(&[("max-queues", "2"), ("topics", "orders*")]);
        assert!(
            p.shape("orders-eu", "x", table())
                .queue_datas
                .iter()
                .all(|q| q.read_queue_nums == 2 && q.write_queue_nums == 2)
        );
        assert!(
            p.shape("billing", "x", table())
                .queue_datas
                .iter()
                .all(|q| q.read_queue_nums == 8)
        );
        assert!(Policy::from_config(&[("deny.x".into(), "a".into())]).is_err());
    }
}
