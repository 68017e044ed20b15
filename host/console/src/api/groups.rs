//! The consumer-group pages: every subscription group with its total lag, and one group's offsets
//! and lag per queue (`consumerProgress`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use wasmq_admin::AdminError;

use crate::AppState;
use crate::api::required;
use crate::error::{ApiError, ApiResult};

/// One group of the list.
#[derive(Debug, Serialize)]
pub struct GroupItem {
    /// Group name.
    pub group: String,
    /// Topics it has offsets in.
    pub topics: Vec<String>,
    /// Total lag; `None` when no broker has offsets for the group yet.
    pub lag: Option<i64>,
    /// Master addresses holding the group's settings.
    pub brokers: Vec<String>,
    /// Why the lag could not be read (other than "no offsets yet").
    pub error: Option<String>,
}

/// `GET /api/groups`.
#[derive(Debug, Serialize)]
pub struct GroupsPage {
    /// Groups with committed offsets first, then the others, each by name.
    pub groups: Vec<GroupItem>,
}

/// `GET /api/groups`: GET_ALL_SUBSCRIPTIONGROUP_CONFIG, then `consumerProgress` of each group
/// (concurrently).
pub async fn list(State(s): State<Arc<AppState>>) -> ApiResult<GroupsPage> {
    let groups = s
        .admin
        .consumer_groups()
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    let mut tasks = tokio::task::JoinSet::new();
    for (i, g) in groups.iter().enumerate() {
        let admin = s.admin.clone();
        let name = g.config.group_name.clone();
        tasks.spawn(async move { (i, admin.consumer_progress(&name, None).await) });
    }
    let mut items: Vec<GroupItem> = groups
        .into_iter()
        .map(|g| GroupItem {
            group: g.config.group_name,
            topics: Vec::new(),
            lag: None,
            brokers: g.brokers,
            error: None,
        })
        .collect();
    while let Some(joined) = tasks.join_next().await {
        let Ok((i, progress)) = joined else { continue };
        let item = &mut items[i];
        match progress {
            Ok(p) => {
                let topics: BTreeSet<String> = p.queues.iter().map(|q| q.topic.clone()).collect();
                item.topics = topics.into_iter().collect();
                item.lag = Some(p.total_lag);
            }
            Err(AdminError::NoSuchGroup { .. }) => {}
            Err(e) => {
                item.error = Some(
                    ApiError::from_admin(e, s.admin.namesrv())
                        .message()
                        .to_owned(),
                )
            }
        }
    }
    items.sort_by(|a, b| (a.lag.is_none(), &a.group).cmp(&(b.lag.is_none(), &b.group)));
    Ok(Json(GroupsPage { groups: items }))
}

/// `?group=`.
#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    group: Option<String>,
}

/// One queue of a group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LagRow {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker: String,
    /// Queue id.
    pub queue_id: i32,
    /// The queue's max offset.
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// `brokerOffset - consumerOffset`.
    pub lag: i64,
    /// Store time of the last consumed message, ms.
    pub last_timestamp: i64,
}

/// `GET /api/group?group=G`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupPage {
    /// The group.
    pub group: String,
    /// Total lag.
    pub lag: i64,
    /// Messages per second the group pulls, as the brokers report it.
    pub consume_tps: f64,
    /// Per queue.
    pub queues: Vec<LagRow>,
}

/// `GET /api/group?group=G`: `consumerProgress`.
pub async fn detail(
    State(s): State<Arc<AppState>>,
    Query(q): Query<GroupQuery>,
) -> ApiResult<GroupPage> {
    let group = required(q.group, "consumer group")?;
    let p = s
        .admin
        .consumer_progress(&group, None)
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    Ok(Json(GroupPage {
        group: p.group,
        lag: p.total_lag,
        consume_tps: p.consume_tps,
        queues: p
            .queues
            .into_iter()
            .map(|q| LagRow {
                topic: q.topic,
                broker: q.broker_name,
                queue_id: q.queue_id,
                broker_offset: q.broker_offset,
                consumer_offset: q.consumer_offset,
                lag: q.lag,
                last_timestamp: q.last_timestamp,
            })
            .collect(),
    }))
}
