//! Consumer and producer groups: GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201),
//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), DELETE_SUBSCRIPTIONGROUP (207), GET_CONSUME_STATS
//! (208), GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST (204), and the offset
//! reset: INVOKE_BROKER_TO_RESET_OFFSET (222), or, when no consumer is online, UPDATE_CONSUMER_OFFSET
//! (15) per queue as mqadmin's `resetOffsetByTimestampOld` does.
//!
//! As mqadmin, a group's brokers are the route of its retry topic `%RETRY%<group>` (created when a
//! consumer of the group first heartbeats); a group without that route is [`AdminError::NoSuchGroup`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasmq_protocol::body::broker::{
    SubscriptionData, SubscriptionGroupConfig, SubscriptionGroupWrapper,
};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{
    ConsumerGroupRequestHeader, GetConsumeStatsRequestHeader, ProducerGroupRequestHeader,
    QueueRequestHeader, ResetOffsetRequestHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use wasmq_protocol::{RequestCode, ResponseCode};

use crate::cluster::Target;
use crate::fastjson::queue_key;
use crate::{Admin, AdminError, Result, json_body};

wasmq_protocol::command_header! {
    /// DELETE_SUBSCRIPTIONGROUP (207).
    pub struct DeleteSubscriptionGroupRequestHeader {
        /// Group name.
        group_name: String => "groupName",
        /// 4.9.x: also drop the group's consumer offsets.
        remove_offset: Option<bool> => "removeOffset",
    }
}

/// The retry topic of a consumer group.
pub fn retry_topic(group: &str) -> String {
    format!("%RETRY%{group}")
}

/// One subscription group, merged across the masters that hold it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubGroup {
    /// The settings (from the first master that has the group).
    #[serde(flatten)]
    pub config: SubscriptionGroupConfig,
    /// Addresses of the masters holding it.
    pub brokers: Vec<String>,
}

/// One queue of `consumerProgress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueProgress {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// The queue's max offset.
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// `brokerOffset - consumerOffset` (mqadmin's `#Diff`).
    pub lag: i64,
    /// Store time of the last consumed message, ms (0 when none).
    pub last_timestamp: i64,
}

/// `consumerProgress`: a group's offsets and lag per queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerProgress {
    /// The group.
    pub group: String,
    /// Queues, ordered by topic, broker name, queue id.
    pub queues: Vec<QueueProgress>,
    /// Sum of the lags (mqadmin's `Diff Total`).
    pub total_lag: i64,
    /// Messages per second pulled by the group, as the brokers report it.
    pub consume_tps: f64,
}

/// A client connection as a broker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
pub struct ClientConnection {
    /// Client id (`ip@instance`).
    pub client_id: String,
    /// The client's socket address as the broker sees it.
    pub client_addr: String,
    /// Client language (`JAVA`, `NODE`...).
    pub language: String,
    /// Client version ordinal.
    pub version: i32,
}

/// `consumerConnection`: the group's live consumers and what they subscribe to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
pub struct ConsumerConnection {
    /// Live connections.
    pub connection_set: Vec<ClientConnection>,
    /// Subscriptions by topic.
    pub subscription_table: BTreeMap<String, SubscriptionData>,
    /// CONSUME_ACTIVELY (pull) / CONSUME_PASSIVELY (push).
    pub consume_type: String,
    /// CLUSTERING / BROADCASTING.
    pub message_model: String,
    /// Where new consumers start.
    pub consume_from_where: String,
}

/// `producerConnection`: the group's live producers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
pub struct ProducerConnection {
    /// Live connections.
    pub connection_set: Vec<ClientConnection>,
}

/// One queue of `resetOffsetByTime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetRow {
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// The queue's max offset (offline reset only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_offset: Option<i64>,
    /// The committed offset before the reset (offline reset only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_offset: Option<i64>,
    /// The queue's offset at the timestamp (offline reset only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_offset: Option<i64>,
    /// The group's offset after the reset.
    pub offset: i64,
}

/// `resetOffsetByTime`'s outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetOffsets {
    /// The group.
    pub group: String,
    /// The topic.
    pub topic: String,
    /// The target time, ms (-1 = the end of each queue).
    pub timestamp: i64,
    /// `true`: the brokers told the online consumers (INVOKE_BROKER_TO_RESET_OFFSET); `false`:
    /// no consumer was online and the offsets were written with UPDATE_CONSUMER_OFFSET.
    pub online: bool,
    /// Queues, ordered by broker name then queue id.
    pub queues: Vec<ResetRow>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ConsumeStatsBody {
    consume_tps: f64,
    offset_table: BTreeMap<String, OffsetWrapper>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase", default)]
struct OffsetWrapper {
    broker_offset: i64,
    consumer_offset: i64,
    last_timestamp: i64,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ResetOffsetBody {
    offset_table: BTreeMap<String, i64>,
}

impl Admin {
    /// The masters of a consumer group: those of its retry topic's route.
    async fn group_masters(&self, group: &str) -> Result<Vec<(String, String)>> {
        match self.route_masters(&retry_topic(group)).await {
            Err(AdminError::NoRoute { .. }) => Err(AdminError::NoSuchGroup {
                group: group.to_owned(),
                detail: format!(
                    "no route for its retry topic {} (nameserver {}); no consumer of it ever connected",
                    retry_topic(group),
                    self.namesrv
                ),
            }),
            other => other,
        }
    }

    /// Every master of every cluster.
    async fn all_masters(&self) -> Result<Vec<String>> {
        let info = self.cluster_info().await?;
        Ok(info
            .broker_addr_table
            .values()
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect())
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG on each master, merged by group name.
    pub async fn consumer_groups(&self) -> Result<Vec<SubGroup>> {
        let code = RequestCode::GetAllSubscriptiongroupConfig;
        let mut groups: BTreeMap<String, SubGroup> = BTreeMap::new();
        for addr in self.all_masters().await? {
            let resp = self.call(&addr, code, &NoHeader, None).await?;
            let w: SubscriptionGroupWrapper = json_body(&addr, code, &resp)?;
            for (name, config) in w.subscription_group_table {
                groups
                    .entry(name)
                    .or_insert_with(|| SubGroup {
                        config,
                        brokers: Vec::new(),
                    })
                    .brokers
                    .push(addr.clone());
            }
        }
        Ok(groups.into_values().collect())
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on each broker of `target`.
    pub async fn update_sub_group(
        &self,
        target: Target<'_>,
        config: &SubscriptionGroupConfig,
    ) -> Result<Vec<String>> {
        let addrs = self.resolve(target).await?;
        let body = serde_json::to_vec(config).map_err(|e| AdminError::Invalid(e.to_string()))?;
        for addr in &addrs {
            self.call(
                addr,
                RequestCode::UpdateAndCreateSubscriptiongroup,
                &NoHeader,
                Some(body.clone()),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// DELETE_SUBSCRIPTIONGROUP on each broker of `target`; for a cluster also deletes the
    /// group's `%RETRY%` and `%DLQ%` topics from its masters and the nameservers (as mqadmin).
    pub async fn delete_sub_group(&self, target: Target<'_>, group: &str) -> Result<Vec<String>> {
        let addrs = self.resolve(target).await?;
        let h = DeleteSubscriptionGroupRequestHeader {
            group_name: group.to_owned(),
            remove_offset: Some(false),
        };
        for addr in &addrs {
            self.call(addr, RequestCode::DeleteSubscriptiongroup, &h, None)
                .await?;
        }
        if let Target::Masters(cluster) | Target::AllOf(cluster) = target {
            for topic in [retry_topic(group), format!("%DLQ%{group}")] {
                self.delete_topic(cluster, &topic).await?;
            }
        }
        Ok(addrs)
    }

    /// `consumerProgress`: GET_CONSUME_STATS on each master of the group (optionally for one
    /// topic), merged. A group no broker has offsets for is [`AdminError::NoSuchGroup`] (mqadmin:
    /// "Not found the consumer group consume stats").
    pub async fn consumer_progress(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumerProgress> {
        let mut queues = Vec::new();
        let mut consume_tps = 0.0;
        for (_, addr) in self.group_masters(group).await? {
            let stats = self.consume_stats(&addr, group, topic).await?;
            consume_tps += stats.consume_tps;
            for (key, o) in stats.offset_table {
                let Some(k) = queue_key(&key) else { continue };
                queues.push(QueueProgress {
                    topic: k.topic,
                    broker_name: k.broker_name,
                    queue_id: k.queue_id,
                    broker_offset: o.broker_offset,
                    consumer_offset: o.consumer_offset,
                    lag: o.broker_offset - o.consumer_offset,
                    last_timestamp: o.last_timestamp,
                });
            }
        }
        if queues.is_empty() {
            return Err(AdminError::NoSuchGroup {
                group: group.to_owned(),
                detail: "no broker has consume offsets for it (it never consumed a message)".into(),
            });
        }
        queues.sort_by(|a, b| {
            (&a.topic, &a.broker_name, a.queue_id).cmp(&(&b.topic, &b.broker_name, b.queue_id))
        });
        Ok(ConsumerProgress {
            group: group.to_owned(),
            total_lag: queues.iter().map(|q| q.lag).sum(),
            queues,
            consume_tps,
        })
    }

    async fn consume_stats(
        &self,
        addr: &str,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumeStatsBody> {
        let code = RequestCode::GetConsumeStats;
        let h = GetConsumeStatsRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.map(str::to_owned),
        };
        let resp = self.call(addr, code, &h, None).await?;
        json_body(addr, code, &resp)
    }

    /// `consumerConnection`: GET_CONSUMER_CONNECTION_LIST on the group's masters; the
    /// connections merged. A group with no consumer online is the broker's 206 answer.
    pub async fn consumer_connection(&self, group: &str) -> Result<ConsumerConnection> {
        let code = RequestCode::GetConsumerConnectionList;
        let h = ConsumerGroupRequestHeader {
            consumer_group: group.to_owned(),
        };
        let mut merged: Option<ConsumerConnection> = None;
        let mut last_err = None;
        for (_, addr) in self.group_masters(group).await? {
            match self.call(&addr, code, &h, None).await {
                Ok(resp) => {
                    let c: ConsumerConnection = json_body(&addr, code, &resp)?;
                    match merged.as_mut() {
                        None => merged = Some(c),
                        Some(m) => {
                            for conn in c.connection_set {
                                if !m
                                    .connection_set
                                    .iter()
                                    .any(|x| x.client_id == conn.client_id)
                                {
                                    m.connection_set.push(conn);
                                }
                            }
                            m.subscription_table.extend(c.subscription_table);
                        }
                    }
                }
                Err(e @ AdminError::Remote { .. }) => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        match (merged, last_err) {
            (Some(m), _) => Ok(m),
            (None, Some(e)) => Err(e),
            (None, None) => Err(AdminError::NoSuchGroup {
                group: group.to_owned(),
                detail: "its retry topic's route has no master".into(),
            }),
        }
    }

    /// `producerConnection`: GET_PRODUCER_CONNECTION_LIST on each master of `topic`'s route.
    pub async fn producer_connection(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<ProducerConnection> {
        let code = RequestCode::GetProducerConnectionList;
        let h = ProducerGroupRequestHeader {
            producer_group: group.to_owned(),
        };
        let mut merged = ProducerConnection::default();
        for (_, addr) in self.route_masters(topic).await? {
            let resp = self.call(&addr, code, &h, None).await?;
            let c: ProducerConnection = json_body(&addr, code, &resp)?;
            for conn in c.connection_set {
                if !merged
                    .connection_set
                    .iter()
                    .any(|x| x.client_id == conn.client_id)
                {
                    merged.connection_set.push(conn);
                }
            }
        }
        Ok(merged)
    }

    /// `resetOffsetByTime`: moves `group`'s offsets on `topic` to those at `timestamp` (ms; -1 =
    /// the end). With consumers online, each master computes the offsets and tells them
    /// (INVOKE_BROKER_TO_RESET_OFFSET); when none is online (206) the offsets are written
    /// directly, queue by queue, as mqadmin's fallback does. Without `force` an offset only moves
    /// back.
    pub async fn reset_offset_by_time(
        &self,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<ResetOffsets> {
        let masters = self.route_masters(topic).await?;
        let code = RequestCode::InvokeBrokerToResetOffset;
        let h = ResetOffsetRequestHeader {
            topic: topic.to_owned(),
            group: group.to_owned(),
            timestamp,
            is_force: force,
        };
        let mut queues = Vec::new();
        for (_, addr) in &masters {
            let resp = self.invoke(addr, code, &h, None).await?;
            if resp.code == ResponseCode::ConsumerNotOnline.as_i32() {
                return self
                    .reset_offline(group, topic, timestamp, force, &masters)
                    .await;
            }
            let resp = crate::check(addr, code, resp).map_err(|e| match e {
                AdminError::Remote { ref remark, .. } if remark.contains("not exist") => {
                    AdminError::NoSuchGroup {
                        group: group.to_owned(),
                        detail: format!("{addr} has no offsets of it on {topic}"),
                    }
                }
                e => e,
            })?;
            let body: ResetOffsetBody = json_body(addr, code, &resp)?;
            for (key, offset) in body.offset_table {
                let Some(k) = queue_key(&key) else { continue };
                queues.push(ResetRow {
                    broker_name: k.broker_name,
                    queue_id: k.queue_id,
                    broker_offset: None,
                    consumer_offset: None,
                    timestamp_offset: None,
                    offset,
                });
            }
        }
        queues.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
        Ok(ResetOffsets {
            group: group.to_owned(),
            topic: topic.to_owned(),
            timestamp,
            online: true,
            queues,
        })
    }

    /// mqadmin's `resetOffsetByTimestampOld`: per queue, the offset at the timestamp
    /// (SEARCH_OFFSET_BY_TIMESTAMP or GET_MAX_OFFSET), written with UPDATE_CONSUMER_OFFSET when
    /// `force` or when it is not ahead of the committed offset.
    async fn reset_offline(
        &self,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
        masters: &[(String, String)],
    ) -> Result<ResetOffsets> {
        let mut queues = Vec::new();
        for (broker_name, addr) in masters {
            let stats = self.consume_stats(addr, group, Some(topic)).await?;
            let mut offsets: Vec<(i32, OffsetWrapper)> = stats
                .offset_table
                .iter()
                .filter_map(|(k, o)| {
                    queue_key(k)
                        .filter(|k| k.topic == topic)
                        .map(|k| (k.queue_id, *o))
                })
                .collect();
            if offsets.is_empty() {
                // Never consumed here: start from the topic's min offsets.
                let status = self.topic_status(topic).await?;
                offsets = status
                    .queues
                    .iter()
                    .filter(|q| &q.broker_name == broker_name)
                    .map(|q| {
                        (
                            q.queue_id,
                            OffsetWrapper {
                                broker_offset: q.max_offset,
                                consumer_offset: q.min_offset,
                                last_timestamp: 0,
                            },
                        )
                    })
                    .collect();
            }
            for (queue_id, o) in offsets {
                let at = self.offset_at(addr, topic, queue_id, timestamp).await?;
                let mut offset = o.consumer_offset;
                if force || at <= o.consumer_offset {
                    offset = at;
                    let h = UpdateConsumerOffsetRequestHeader {
                        consumer_group: group.to_owned(),
                        topic: topic.to_owned(),
                        queue_id,
                        commit_offset: at,
                    };
                    self.call(addr, RequestCode::UpdateConsumerOffset, &h, None)
                        .await?;
                }
                queues.push(ResetRow {
                    broker_name: broker_name.clone(),
                    queue_id,
                    broker_offset: Some(o.broker_offset),
                    consumer_offset: Some(o.consumer_offset),
                    timestamp_offset: Some(at),
                    offset,
                });
            }
        }
        queues.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
        Ok(ResetOffsets {
            group: group.to_owned(),
            topic: topic.to_owned(),
            timestamp,
            online: false,
            queues,
        })
    }

    /// The queue's offset at `timestamp` (-1: its max offset).
    async fn offset_at(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
    ) -> Result<i64> {
        let resp = if timestamp == -1 {
            let h = QueueRequestHeader {
                topic: topic.to_owned(),
                queue_id,
            };
            self.call(addr, RequestCode::GetMaxOffset, &h, None).await?
        } else {
            let h = SearchOffsetRequestHeader {
                topic: topic.to_owned(),
                queue_id,
                timestamp,
            };
            self.call(addr, RequestCode::SearchOffsetByTimestamp, &h, None)
                .await?
        };
        resp.ext_fields
            .get("offset")
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| AdminError::BadAnswer {
                addr: addr.to_owned(),
                request: "SEARCH_OFFSET_BY_TIMESTAMP",
                detail: "no offset in the answer".into(),
            })
    }
}
