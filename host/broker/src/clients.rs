//! Live producer and consumer channels (`ConsumerManager`, `ProducerManager`): registered by
//! heartbeats, dropped by UNREGISTER_CLIENT, connection close, or 120 s of silence.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use wasmq_protocol::body::broker::{ConsumerData, SubscriptionData};
use wasmq_protocol::header::broker::ConsumerGroupRequestHeader;
use wasmq_protocol::{LanguageCode, RemotingCommand, RequestCode};
use wasmq_remoting::Connection;

/// One client connection registered in a group.
#[derive(Debug, Clone)]
pub struct ClientChannel {
    /// The connection.
    pub conn: Connection,
    /// The client's id (`ip@instance`).
    pub client_id: String,
    /// Client language.
    pub language: LanguageCode,
    /// Client version ordinal.
    pub version: i32,
    /// Last heartbeat.
    pub last_update: Instant,
}

/// A consumer group's members and subscriptions (`ConsumerGroupInfo`).
#[derive(Debug, Clone, Default)]
pub struct ConsumerGroup {
    /// Channels by connection id.
    pub channels: BTreeMap<u64, ClientChannel>,
    /// Subscriptions by topic.
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    /// CONSUME_ACTIVELY / CONSUME_PASSIVELY.
    pub consume_type: String,
    /// CLUSTERING / BROADCASTING.
    pub message_model: String,
    /// Where new consumers start.
    pub consume_from_where: String,
}

/// What a registration changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Changes {
    /// A channel joined.
    pub channels: bool,
    /// Subscriptions differ.
    pub subscriptions: bool,
}

/// All registered clients.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    consumers: Mutex<HashMap<String, ConsumerGroup>>,
    producers: Mutex<HashMap<String, BTreeMap<u64, ClientChannel>>>,
}

impl ClientRegistry {
    /// Registers (or refreshes) a consumer channel and its subscriptions.
    pub fn register_consumer(&self, data: &ConsumerData, channel: ClientChannel) -> Changes {
        let mut groups = self.consumers.lock();
        let g = groups.entry(data.group_name.clone()).or_default();
        g.consume_type.clone_from(&data.consume_type);
        g.message_model.clone_from(&data.message_model);
        g.consume_from_where.clone_from(&data.consume_from_where);
        let id = channel.conn.id();
        let channels = match g.channels.get_mut(&id) {
            Some(c) if c.client_id == channel.client_id => {
                c.last_update = channel.last_update;
                false
            }
            _ => {
                g.channels.insert(id, channel);
                true
            }
        };
        let mut subscriptions = false;
        for sub in &data.subscription_data_set {
            let newer = g
                .subscriptions
                .get(&sub.topic)
                .is_none_or(|old| old.sub_version < sub.sub_version);
            if newer {
                subscriptions |= g.subscriptions.get(&sub.topic) != Some(sub);
                g.subscriptions.insert(sub.topic.clone(), sub.clone());
            }
        }
        let before = g.subscriptions.len();
        g.subscriptions
            .retain(|topic, _| data.subscription_data_set.iter().any(|s| &s.topic == topic));
        subscriptions |= before != g.subscriptions.len();
        Changes {
            channels,
            subscriptions,
        }
    }

    /// Registers (or refreshes) a producer channel.
    pub fn register_producer(&self, group: &str, channel: ClientChannel) {
        self.producers
            .lock()
            .entry(group.to_owned())
            .or_default()
            .insert(channel.conn.id(), channel);
    }

    /// Removes a consumer channel from a group; true if it was there.
    pub fn unregister_consumer(&self, group: &str, conn_id: u64) -> bool {
        let mut groups = self.consumers.lock();
        let Some(g) = groups.get_mut(group) else {
            return false;
        };
        let removed = g.channels.remove(&conn_id).is_some();
        if g.channels.is_empty() {
            groups.remove(group);
        }
        removed
    }

    /// Removes a producer channel from a group.
    pub fn unregister_producer(&self, group: &str, conn_id: u64) {
        let mut producers = self.producers.lock();
        if let Some(p) = producers.get_mut(group) {
            p.remove(&conn_id);
            if p.is_empty() {
                producers.remove(group);
            }
        }
    }

    /// Removes every registration of a connection; returns the consumer groups that lost it.
    pub fn remove_connection(&self, conn_id: u64) -> Vec<String> {
        self.remove_where(|id, _| id == conn_id)
    }

    /// Removes channels silent longer than `timeout` (or closed); returns the groups affected.
    pub fn remove_expired(&self, timeout: Duration) -> Vec<String> {
        let now = Instant::now();
        self.remove_where(|_, c| {
            let expired = c.conn.is_closed() || now.duration_since(c.last_update) > timeout;
            if expired {
                tracing::info!(client = %c.client_id, peer = %c.conn.peer(), "client channel expired");
                c.conn.close();
            }
            expired
        })
    }

    fn remove_where(&self, pred: impl Fn(u64, &ClientChannel) -> bool) -> Vec<String> {
        let mut affected = Vec::new();
        let mut groups = self.consumers.lock();
        groups.retain(|name, g| {
            let before = g.channels.len();
            g.channels.retain(|id, c| !pred(*id, c));
            if g.channels.len() != before {
                affected.push(name.clone());
            }
            !g.channels.is_empty()
        });
        drop(groups);
        self.producers.lock().retain(|_, p| {
            p.retain(|id, c| !pred(*id, c));
            !p.is_empty()
        });
        affected
    }

    /// Client ids of a consumer group, sorted and de-duplicated.
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        let groups = self.consumers.lock();
        let mut ids: Vec<String> = groups
            .get(group)
            .map(|g| g.channels.values().map(|c| c.client_id.clone()).collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// A consumer group's state.
    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroup> {
        self.consumers.lock().get(group).cloned()
    }

    /// The group's subscription to `topic`, from heartbeats.
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        self.consumers
            .lock()
            .get(group)
            .and_then(|g| g.subscriptions.get(topic).cloned())
    }

    /// What a pull without its own subscription needs: whether the group broadcasts, and its
    /// subscription to `topic`; `None` when the group has no live consumer.
    pub fn pull_subscription(
        &self,
        group: &str,
        topic: &str,
    ) -> Option<(bool, Option<SubscriptionData>)> {
        let groups = self.consumers.lock();
        let g = groups.get(group)?;
        Some((
            g.message_model == "BROADCASTING",
            g.subscriptions.get(topic).cloned(),
        ))
    }

    /// True if `client_id` has a live channel in the group.
    pub fn is_consumer_alive(&self, group: &str, client_id: &str) -> bool {
        self.consumers
            .lock()
            .get(group)
            .is_some_and(|g| g.channels.values().any(|c| c.client_id == client_id))
    }

    /// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every channel of the group.
    pub fn notify_ids_changed(&self, group: &str) {
        let channels: Vec<Connection> = self
            .consumers
            .lock()
            .get(group)
            .map(|g| g.channels.values().map(|c| c.conn.clone()).collect())
            .unwrap_or_default();
        for conn in channels {
            let header = ConsumerGroupRequestHeader {
                consumer_group: group.to_owned(),
            };
            let cmd = RemotingCommand::request_with_header(
                RequestCode::NotifyConsumerIdsChanged,
                0,
                &header,
            );
            if let Err(e) = conn.oneway(cmd) {
                tracing::debug!(group, peer = %conn.peer(), cause = %e, "notify consumer ids changed failed");
            }
        }
    }

    /// Consumer groups with a live member subscribed to `topic`.
    pub fn groups_subscribed_to(&self, topic: &str) -> Vec<String> {
        self.consumers
            .lock()
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// A live producer channel of the client with this id, in any group.
    pub fn producer_by_client_id(&self, client_id: &str) -> Option<ClientChannel> {
        self.producers
            .lock()
            .values()
            .flat_map(|g| g.values())
            .find(|c| c.client_id == client_id && !c.conn.is_closed())
            .cloned()
    }

    /// The live channels of a producer group.
    pub fn producer_channels(&self, group: &str) -> Vec<ClientChannel> {
        self.producers
            .lock()
            .get(group)
            .map(|p| p.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Number of consumer and producer groups.
    pub fn counts(&self) -> (usize, usize) {
        (self.consumers.lock().len(), self.producers.lock().len())
    }
}
