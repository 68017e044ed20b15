//! The topics pages: the topic list (with its kind), and one topic's route and per-queue status.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::required;
use crate::error::{ApiError, ApiResult};

/// One topic of the list.
#[derive(Debug, Serialize)]
pub struct TopicItem {
    /// Topic name.
    pub name: String,
    /// `normal`, `retry` (`%RETRY%group`), `dlq` (`%DLQ%group`) or `system`.
    pub kind: &'static str,
}

/// `GET /api/topics`.
#[derive(Debug, Serialize)]
pub struct TopicsPage {
    /// Every topic the nameserver knows, by name.
    pub topics: Vec<TopicItem>,
}

/// Java's system topics (`TopicValidator`, `MixAll`), beside cluster and broker names, which
/// brokers also register as topics.
const SYSTEM_TOPICS: [&str; 6] = [
    "TBW102",
    "SCHEDULE_TOPIC_XXXX",
    "OFFSET_MOVED_EVENT",
    "SELF_TEST_TOPIC",
    "BenchmarkTest",
    "TRANS_CHECK_MAX_TIME_TOPIC",
];

fn kind(topic: &str, names: &BTreeSet<String>) -> &'static str {
    if topic.starts_with("%RETRY%") {
        "retry"
    } else if topic.starts_with("%DLQ%") {
        "dlq"
    } else if SYSTEM_TOPICS.contains(&topic)
        || topic.starts_with("RMQ_SYS_")
        || topic.starts_with("rmq_sys_")
        || topic.ends_with("_REPLY_TOPIC")
        || names.contains(topic)
    {
        "system"
    } else {
        "normal"
    }
}

/// `GET /api/topics`: GET_ALL_TOPIC_LIST_FROM_NAMESERVER, classified.
pub async fn list(State(s): State<Arc<AppState>>) -> ApiResult<TopicsPage> {
    let err = |e| ApiError::from_admin(e, s.admin.namesrv());
    let (topics, info) = tokio::join!(s.admin.topic_list(), s.admin.cluster_info());
    let topics = topics.map_err(err)?;
    let info = info.map_err(err)?;
    let names: BTreeSet<String> = info
        .cluster_addr_table
        .keys()
        .chain(info.broker_addr_table.keys())
        .cloned()
        .collect();
    Ok(Json(TopicsPage {
        topics: topics
            .into_iter()
            .map(|t| TopicItem {
                kind: kind(&t, &names),
                name: t,
            })
            .collect(),
    }))
}

/// `?topic=`.
#[derive(Debug, Deserialize)]
pub struct TopicQuery {
    topic: Option<String>,
}

/// One broker group of the route.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteQueues {
    /// Broker name.
    pub broker: String,
    /// Its master's address, if registered.
    pub addr: Option<String>,
    /// Read queues.
    pub read_queue_nums: i32,
    /// Write queues.
    pub write_queue_nums: i32,
    /// 2 write, 4 read.
    pub perm: i32,
}

/// The route, as the page shows it.
#[derive(Debug, Serialize)]
pub struct Route {
    /// One entry per broker group.
    pub queues: Vec<RouteQueues>,
}

/// One queue's offsets.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    /// Broker name.
    pub broker: String,
    /// Queue id.
    pub queue_id: i32,
    /// Smallest offset still stored.
    pub min_offset: i64,
    /// Next offset to be written.
    pub max_offset: i64,
    /// Store time of the newest message, ms.
    pub last_update_timestamp: i64,
}

/// `GET /api/topic?topic=T`.
#[derive(Debug, Serialize)]
pub struct TopicPage {
    /// The topic.
    pub topic: String,
    /// Its route.
    pub route: Route,
    /// Its queues' offsets.
    pub status: Vec<QueueRow>,
}

/// `GET /api/topic?topic=T`: GET_ROUTEINFO_BY_TOPIC and GET_TOPIC_STATS_INFO.
pub async fn detail(
    State(s): State<Arc<AppState>>,
    Query(q): Query<TopicQuery>,
) -> ApiResult<TopicPage> {
    let topic = required(q.topic, "topic")?;
    let err = |e| ApiError::from_admin(e, s.admin.namesrv());
    let route = s.admin.topic_route(&topic).await.map_err(err)?;
    let status = s.admin.topic_status(&topic).await.map_err(err)?;
    let queues = route
        .queue_datas
        .iter()
        .map(|q| RouteQueues {
            broker: q.broker_name.clone(),
            addr: route
                .broker_datas
                .iter()
                .find(|b| b.broker_name == q.broker_name)
                .and_then(|b| b.master_addr())
                .map(str::to_owned),
            read_queue_nums: q.read_queue_nums,
            write_queue_nums: q.write_queue_nums,
            perm: q.perm,
        })
        .collect();
    Ok(Json(TopicPage {
        topic,
        route: Route { queues },
        status: status
            .queues
            .into_iter()
            .map(|q| QueueRow {
                broker: q.broker_name,
                queue_id: q.queue_id,
                min_offset: q.min_offset,
                max_offset: q.max_offset,
                last_update_timestamp: q.last_update_timestamp,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let names = BTreeSet::from(["DefaultCluster".to_owned(), "broker-a".to_owned()]);
        assert_eq!(kind("orders", &names), "normal");
        assert_eq!(kind("%RETRY%g", &names), "retry");
        assert_eq!(kind("%DLQ%g", &names), "dlq");
        assert_eq!(kind("TBW102", &names), "system");
        assert_eq!(kind("DefaultCluster", &names), "system");
        assert_eq!(kind("RMQ_SYS_TRACE_TOPIC", &names), "system");
    }
}
