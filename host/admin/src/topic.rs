//! Topics: GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206), GET_ROUTEINFO_BY_TOPIC (105),
//! GET_TOPIC_STATS_INFO (202) on each broker of the route, UPDATE_AND_CREATE_TOPIC (17),
//! DELETE_TOPIC_IN_BROKER (215) and DELETE_TOPIC_IN_NAMESRV (216).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use wasmq_protocol::body::namesrv::{TopicList, TopicRouteData};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{CreateTopicRequestHeader, TopicRequestHeader};
use wasmq_protocol::header::namesrv::{
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader,
};
use wasmq_protocol::{RequestCode, ResponseCode};

use crate::cluster::Target;
use crate::fastjson::queue_key;
use crate::{Admin, AdminError, Result, json_body};

/// One queue of `topicStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Smallest logical offset still stored.
    pub min_offset: i64,
    /// Next logical offset to be written (= messages ever written to the queue).
    pub max_offset: i64,
    /// Store time of the newest message, ms (0 when the queue is empty).
    pub last_update_timestamp: i64,
}

/// `topicStatus`: every queue of the topic on every broker of its route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicStatus {
    /// The topic.
    pub topic: String,
    /// Queues, ordered by broker name then queue id.
    pub queues: Vec<QueueStatus>,
}

impl TopicStatus {
    /// Sum of the max offsets: how many messages were ever written.
    pub fn total_max_offset(&self) -> i64 {
        self.queues.iter().map(|q| q.max_offset).sum()
    }
}

/// What `updateTopic` sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicSpec {
    /// Topic name.
    pub topic: String,
    /// Read queues.
    pub read_queue_nums: i32,
    /// Write queues.
    pub write_queue_nums: i32,
    /// Permission: 2 write, 4 read, 6 both.
    pub perm: i32,
    /// Ordered topic.
    pub order: bool,
    /// wasmq extension: retention by age, ms (0 = none); `None` leaves it unchanged.
    pub retention_ms: Option<i64>,
    /// wasmq extension: retention by size, bytes (0 = none); `None` leaves it unchanged.
    pub retention_bytes: Option<i64>,
}

impl TopicSpec {
    /// mqadmin's defaults: 8 read and 8 write queues, read-write.
    pub fn new(topic: impl Into<String>) -> Self {
        TopicSpec {
            topic: topic.into(),
            read_queue_nums: 8,
            write_queue_nums: 8,
            perm: 6,
            order: false,
            retention_ms: None,
            retention_bytes: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopicStatsTable {
    #[serde(default)]
    offset_table: BTreeMap<String, TopicOffset>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
struct TopicOffset {
    min_offset: i64,
    max_offset: i64,
    last_update_timestamp: i64,
}

impl Admin {
    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER: every topic the nameserver knows.
    pub async fn topic_list(&self) -> Result<BTreeSet<String>> {
        let code = RequestCode::GetAllTopicListFromNameserver;
        let resp = self.ask_namesrv(code, &NoHeader).await?;
        let list: TopicList = json_body("nameserver", code, &resp)?;
        Ok(list.topic_list)
    }

    /// GET_ROUTEINFO_BY_TOPIC; an unknown topic is [`AdminError::NoRoute`].
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData> {
        let code = RequestCode::GetRouteinfoByTopic;
        let h = GetRouteInfoRequestHeader {
            topic: topic.to_owned(),
            accept_standard_json_only: Some(true),
        };
        match self.ask_namesrv(code, &h).await {
            Ok(resp) => json_body("nameserver", code, &resp),
            Err(AdminError::Remote { code: c, .. })
                if c == ResponseCode::TopicNotExist.as_i32() =>
            {
                Err(AdminError::NoRoute {
                    topic: topic.to_owned(),
                    namesrv: self.namesrv.clone(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// `(broker name, master address)` of every broker group in `topic`'s route.
    pub async fn route_masters(&self, topic: &str) -> Result<Vec<(String, String)>> {
        let route = self.topic_route(topic).await?;
        Ok(route
            .broker_datas
            .iter()
            .filter_map(|b| Some((b.broker_name.clone(), b.master_addr()?.to_owned())))
            .collect())
    }

    /// `topicStatus`: GET_TOPIC_STATS_INFO on each master of the route, merged.
    pub async fn topic_status(&self, topic: &str) -> Result<TopicStatus> {
        let code = RequestCode::GetTopicStatsInfo;
        let h = TopicRequestHeader {
            topic: topic.to_owned(),
        };
        let mut queues = Vec::new();
        for (_, addr) in self.route_masters(topic).await? {
            let resp = self.call(&addr, code, &h, None).await?;
            let table: TopicStatsTable = json_body(&addr, code, &resp)?;
            for (key, o) in table.offset_table {
                let Some(k) = queue_key(&key) else { continue };
                queues.push(QueueStatus {
                    broker_name: k.broker_name,
                    queue_id: k.queue_id,
                    min_offset: o.min_offset,
                    max_offset: o.max_offset,
                    last_update_timestamp: o.last_update_timestamp,
                });
            }
        }
        queues.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
        Ok(TopicStatus {
            topic: topic.to_owned(),
            queues,
        })
    }

    /// UPDATE_AND_CREATE_TOPIC on each broker of `target`; returns the addresses changed.
    pub async fn update_topic(&self, target: Target<'_>, spec: &TopicSpec) -> Result<Vec<String>> {
        let addrs = self.resolve(target).await?;
        let h = CreateTopicRequestHeader {
            topic: spec.topic.clone(),
            default_topic: Some("TBW102".into()),
            read_queue_nums: spec.read_queue_nums,
            write_queue_nums: spec.write_queue_nums,
            perm: spec.perm,
            topic_filter_type: Some("SINGLE_TAG".into()),
            topic_sys_flag: Some(0),
            order: Some(spec.order),
            retention_ms: spec.retention_ms,
            retention_bytes: spec.retention_bytes,
        };
        for addr in &addrs {
            self.call(addr, RequestCode::UpdateAndCreateTopic, &h, None)
                .await?;
        }
        Ok(addrs)
    }

    /// `deleteTopic`: DELETE_TOPIC_IN_BROKER on every master of `cluster`, then
    /// DELETE_TOPIC_IN_NAMESRV on every nameserver (as `DefaultMQAdminExtImpl`).
    pub async fn delete_topic(&self, cluster: &str, topic: &str) -> Result<Vec<String>> {
        let addrs = self.masters(cluster).await?;
        let h = TopicRequestHeader {
            topic: topic.to_owned(),
        };
        for addr in &addrs {
            self.call(addr, RequestCode::DeleteTopicInBroker, &h, None)
                .await?;
        }
        let h = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_owned(),
            cluster_name: Some(cluster.to_owned()),
        };
        for ns in self.namesrv_addrs() {
            self.call(ns, RequestCode::DeleteTopicInNamesrv, &h, None)
                .await?;
        }
        Ok(addrs)
    }
}
