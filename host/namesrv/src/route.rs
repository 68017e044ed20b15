//! The route tables (Java `RouteInfoManager` 4.9.x): which broker groups host which topics,
//! their addresses, clusters, and which brokers are alive.
//!
//! Semantics kept from Java:
//! - queue data of a broker name come only from master (id 0) registrations, and are rebuilt
//!   (upserted, as Java) on the first registration of that address or when its `dataVersion`
//!   differs from the one last registered;
//! - a route lists only the broker groups hosting the topic, and exists only if at least one of
//!   them is still registered;
//! - an address re-registering with another broker id replaces its old entry (slave promotion);
//! - a slave's registration learns the master's address and HA address while the master is live;
//! - removing the last address of a broker name removes the name from its cluster and its queue
//!   data from every topic.
//!
//! This type is plain data with no locking; [`crate::NamesrvState`] wraps it in one `RwLock`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use wasmq_protocol::body::namesrv::{
    BrokerData, ClusterInfo, DataVersion, QueueData, TopicConfigSerializeWrapper, TopicList,
    TopicRouteData, perm,
};

/// The master's broker id (`MixAll.MASTER_ID`).
pub const MASTER_ID: i64 = 0;

/// What the nameserver knows about a live broker address (`BrokerLiveInfo`).
#[derive(Debug, Clone)]
pub struct BrokerLive {
    /// Clock reading (ms) of the last registration or unchanged data-version query.
    pub last_update_ms: u64,
    /// The topic-config version of the last registration.
    pub data_version: DataVersion,
    /// The connection it last registered on, closed when the broker expires.
    pub conn: Option<wasmq_remoting::Connection>,
    /// Its HA address.
    pub ha_server_addr: String,
}

/// A REGISTER_BROKER request, decoded.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The cluster.
    pub cluster_name: String,
    /// `ip:port`.
    pub broker_addr: String,
    /// The broker group.
    pub broker_name: String,
    /// 0 = master.
    pub broker_id: i64,
    /// HA `ip:port`.
    pub ha_server_addr: String,
    /// Its topics and their version.
    pub topics: TopicConfigSerializeWrapper,
    /// Filter servers (`None` leaves the table alone, as Java's pre-3.0.11 path).
    pub filter_servers: Option<Vec<String>>,
}

/// The answer to a registration: for a slave, its live master.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterResult {
    /// The master's HA address.
    pub ha_server_addr: Option<String>,
    /// The master's address.
    pub master_addr: Option<String>,
}

/// The five route tables.
#[derive(Debug, Default)]
pub struct RouteInfo {
    /// topic -> broker name -> queue data.
    topic_queue_table: HashMap<String, BTreeMap<String, QueueData>>,
    /// broker name -> addresses.
    broker_addr_table: BTreeMap<String, BrokerData>,
    /// cluster -> broker names.
    cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
    /// broker address -> liveness.
    broker_live_table: HashMap<String, BrokerLive>,
    /// broker address -> filter servers.
    filter_server_table: HashMap<String, Vec<String>>,
}

impl RouteInfo {
    /// Records a registration at clock reading `now_ms` (Java `registerBroker`).
    pub fn register(
        &mut self,
        reg: Registration,
        conn: Option<wasmq_remoting::Connection>,
        now_ms: u64,
    ) -> RegisterResult {
        self.cluster_addr_table
            .entry(reg.cluster_name.clone())
            .or_default()
            .insert(reg.broker_name.clone());

        let mut register_first = false;
        let broker_data = self
            .broker_addr_table
            .entry(reg.broker_name.clone())
            .or_insert_with(|| {
                register_first = true;
                BrokerData {
                    cluster: reg.cluster_name.clone(),
                    broker_name: reg.broker_name.clone(),
                    broker_addrs: BTreeMap::new(),
                    enable_acting_master: false,
                }
            });
        // The same ip:port has one entry only: a slave promoted to master drops its old id.
        broker_data
            .broker_addrs
            .retain(|id, addr| *addr != reg.broker_addr || *id == reg.broker_id);
        let old_addr = broker_data
            .broker_addrs
            .insert(reg.broker_id, reg.broker_addr.clone());
        if reg.broker_id == MASTER_ID && old_addr.as_deref() != Some(reg.broker_addr.as_str()) {
            tracing::info!(
                cluster = %reg.cluster_name, broker = %reg.broker_name,
                old = ?old_addr, new = %reg.broker_addr, "master address changed"
            );
        }
        register_first = register_first || old_addr.is_none();

        if reg.broker_id == MASTER_ID
            && (register_first
                || self.is_topic_config_changed(&reg.broker_addr, &reg.topics.data_version))
        {
            for tc in reg.topics.topic_config_table.values() {
                let qd = QueueData {
                    broker_name: reg.broker_name.clone(),
                    read_queue_nums: tc.read_queue_nums,
                    write_queue_nums: tc.write_queue_nums,
                    perm: tc.perm,
                    topic_sys_flag: tc.topic_sys_flag,
                };
                let queues = self
                    .topic_queue_table
                    .entry(tc.topic_name.clone())
                    .or_default();
                if queues.insert(reg.broker_name.clone(), qd).is_none() {
                    tracing::debug!(topic = %tc.topic_name, broker = %reg.broker_name, "topic registered");
                }
            }
        }

        let prev = self.broker_live_table.insert(
            reg.broker_addr.clone(),
            BrokerLive {
                last_update_ms: now_ms,
                data_version: reg.topics.data_version,
                conn,
                ha_server_addr: reg.ha_server_addr.clone(),
            },
        );
        if prev.is_none() {
            tracing::info!(addr = %reg.broker_addr, ha = %reg.ha_server_addr, name = %reg.broker_name, id = reg.broker_id, "new broker registered");
        }

        if let Some(list) = reg.filter_servers {
            if list.is_empty() {
                self.filter_server_table.remove(&reg.broker_addr);
            } else {
                self.filter_server_table
                    .insert(reg.broker_addr.clone(), list);
            }
        }

        let mut result = RegisterResult::default();
        if reg.broker_id != MASTER_ID
            && let Some(master) = self
                .broker_addr_table
                .get(&reg.broker_name)
                .and_then(BrokerData::master_addr)
            && let Some(live) = self.broker_live_table.get(master)
        {
            result.master_addr = Some(master.to_owned());
            result.ha_server_addr = Some(live.ha_server_addr.clone());
        }
        result
    }

    /// True when `addr` is unknown or last registered another version.
    pub fn is_topic_config_changed(&self, addr: &str, version: &DataVersion) -> bool {
        self.broker_live_table
            .get(addr)
            .is_none_or(|live| live.data_version != *version)
    }

    /// The version `addr` last registered.
    pub fn data_version(&self, addr: &str) -> Option<DataVersion> {
        self.broker_live_table.get(addr).map(|l| l.data_version)
    }

    /// Refreshes `addr`'s liveness (an unchanged QUERY_DATA_VERSION counts as a heartbeat).
    pub fn touch(&mut self, addr: &str, now_ms: u64) {
        if let Some(live) = self.broker_live_table.get_mut(addr) {
            live.last_update_ms = now_ms;
        }
    }

    /// UNREGISTER_BROKER (Java `unregisterBroker`).
    pub fn unregister(
        &mut self,
        cluster_name: &str,
        broker_addr: &str,
        broker_name: &str,
        broker_id: i64,
    ) {
        self.broker_live_table.remove(broker_addr);
        self.filter_server_table.remove(broker_addr);
        let mut name_gone = false;
        if let Some(bd) = self.broker_addr_table.get_mut(broker_name) {
            bd.broker_addrs.remove(&broker_id);
            if bd.broker_addrs.is_empty() {
                self.broker_addr_table.remove(broker_name);
                name_gone = true;
            }
        }
        if name_gone {
            if let Some(names) = self.cluster_addr_table.get_mut(cluster_name) {
                names.remove(broker_name);
                if names.is_empty() {
                    self.cluster_addr_table.remove(cluster_name);
                }
            }
            self.remove_topics_of(broker_name);
        }
        tracing::info!(addr = %broker_addr, name = %broker_name, id = broker_id, "broker unregistered");
    }

    /// Forgets the broker at `addr` (connection closed or expired; Java `onChannelDestroy`).
    pub fn remove_broker_addr(&mut self, addr: &str) {
        self.broker_live_table.remove(addr);
        self.filter_server_table.remove(addr);
        let mut gone_name = None;
        for (name, bd) in &mut self.broker_addr_table {
            let before = bd.broker_addrs.len();
            bd.broker_addrs.retain(|_, a| a != addr);
            if bd.broker_addrs.len() != before {
                if bd.broker_addrs.is_empty() {
                    gone_name = Some(name.clone());
                }
                break;
            }
        }
        let Some(name) = gone_name else { return };
        self.broker_addr_table.remove(&name);
        self.cluster_addr_table.retain(|_, names| {
            names.remove(&name);
            !names.is_empty()
        });
        self.remove_topics_of(&name);
    }

    fn remove_topics_of(&mut self, broker_name: &str) {
        self.topic_queue_table.retain(|_, queues| {
            queues.remove(broker_name);
            !queues.is_empty()
        });
    }

    /// Addresses of brokers that registered on connection `conn_id`.
    pub fn brokers_on_connection(&self, conn_id: u64) -> Vec<String> {
        self.broker_live_table
            .iter()
            .filter(|(_, l)| l.conn.as_ref().is_some_and(|c| c.id() == conn_id))
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// Removes brokers whose last update is more than `expiry_ms` before `now_ms`, returning
    /// their addresses and connections (to close) (Java `scanNotActiveBroker`).
    pub fn remove_expired(
        &mut self,
        now_ms: u64,
        expiry_ms: u64,
    ) -> Vec<(String, Option<wasmq_remoting::Connection>)> {
        let expired: Vec<String> = self
            .broker_live_table
            .iter()
            .filter(|(_, l)| l.last_update_ms.saturating_add(expiry_ms) < now_ms)
            .map(|(a, _)| a.clone())
            .collect();
        let mut out = Vec::with_capacity(expired.len());
        for addr in expired {
            let conn = self
                .broker_live_table
                .get(&addr)
                .and_then(|l| l.conn.clone());
            self.remove_broker_addr(&addr);
            out.push((addr, conn));
        }
        out
    }

    /// The route of `topic`, or `None` when no live broker group hosts it
    /// (Java `pickupTopicRouteData`).
    pub fn topic_route(&self, topic: &str) -> Option<TopicRouteData> {
        let queues = self.topic_queue_table.get(topic)?;
        let mut route = TopicRouteData {
            queue_datas: queues.values().cloned().collect(),
            ..TopicRouteData::default()
        };
        for name in queues.keys() {
            let Some(bd) = self.broker_addr_table.get(name) else {
                continue;
            };
            for addr in bd.broker_addrs.values() {
                if let Some(fs) = self.filter_server_table.get(addr) {
                    route.filter_server_table.insert(addr.clone(), fs.clone());
                }
            }
            route.broker_datas.push(bd.clone());
        }
        (!route.broker_datas.is_empty()).then_some(route)
    }

    /// Every broker group and cluster.
    pub fn cluster_info(&self) -> ClusterInfo {
        ClusterInfo {
            broker_addr_table: self.broker_addr_table.clone(),
            cluster_addr_table: self.cluster_addr_table.clone(),
        }
    }

    /// Every topic with queue data.
    pub fn all_topics(&self) -> TopicList {
        TopicList {
            topic_list: self.topic_queue_table.keys().cloned().collect(),
            broker_addr: None,
        }
    }

    /// Topics hosted by any broker group of `cluster` (empty for an unknown cluster).
    pub fn topics_by_cluster(&self, cluster: &str) -> TopicList {
        let mut list = TopicList::default();
        if let Some(names) = self.cluster_addr_table.get(cluster) {
            for (topic, queues) in &self.topic_queue_table {
                if names.iter().any(|n| queues.contains_key(n)) {
                    list.topic_list.insert(topic.clone());
                }
            }
        }
        list
    }

    /// Cluster and broker names, plus one broker address (Java `getSystemTopicList`: those names
    /// are the built-in per-cluster and per-broker topics).
    pub fn system_topics(&self) -> TopicList {
        let mut list = TopicList::default();
        for (cluster, names) in &self.cluster_addr_table {
            list.topic_list.insert(cluster.clone());
            list.topic_list.extend(names.iter().cloned());
        }
        list.broker_addr = self
            .broker_addr_table
            .values()
            .find_map(|bd| bd.broker_addrs.values().next().cloned());
        list
    }

    /// Topics whose first queue data satisfies `pick` (unit-topic lists).
    pub fn topics_where(&self, pick: impl Fn(&QueueData) -> bool) -> TopicList {
        TopicList {
            topic_list: self
                .topic_queue_table
                .iter()
                .filter(|(_, q)| q.values().next().is_some_and(&pick))
                .map(|(t, _)| t.clone())
                .collect(),
            broker_addr: None,
        }
    }

    /// Removes `topic` everywhere, or only from the broker groups of `cluster`.
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        let Some(cluster) = cluster else {
            self.topic_queue_table.remove(topic);
            return;
        };
        let (Some(names), Some(queues)) = (
            self.cluster_addr_table.get(cluster),
            self.topic_queue_table.get_mut(topic),
        ) else {
            return;
        };
        for n in names {
            queues.remove(n);
        }
        if queues.is_empty() {
            self.topic_queue_table.remove(topic);
        }
    }

    /// Removes write permission from every topic of `broker_name`; returns how many topics.
    pub fn wipe_write_perm(&mut self, broker_name: &str) -> i32 {
        self.update_perm(broker_name, |p| p & !perm::WRITE)
    }

    /// Restores read-write permission on every topic of `broker_name`; returns how many topics.
    pub fn add_write_perm(&mut self, broker_name: &str) -> i32 {
        self.update_perm(broker_name, |_| perm::READ | perm::WRITE)
    }

    fn update_perm(&mut self, broker_name: &str, f: impl Fn(i32) -> i32) -> i32 {
        let mut count = 0;
        for queues in self.topic_queue_table.values_mut() {
            if let Some(qd) = queues.get_mut(broker_name) {
                qd.perm = f(qd.perm);
                count += 1;
            }
        }
        count
    }

    /// Number of live broker addresses.
    pub fn live_brokers(&self) -> usize {
        self.broker_live_table.len()
    }
}

#[cfg(test)]
mod tests;
