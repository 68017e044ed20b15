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

/// One online consumer of a group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consumer {
    /// Client id (`ip@instance`).
    pub client_id: String,
    /// The client's address as the broker sees it.
    pub client_addr: String,
    /// Client language.
    pub language: String,
    /// Client version ordinal.
    pub version: i32,
}

/// One subscription of a group's online consumers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Topic.
    pub topic: String,
    /// Expression as written (`*`, `a || b`, SQL).
    pub expression: String,
    /// `TAG` or `SQL92`.
    pub expression_type: String,
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
    /// Online consumers (`consumerConnection`); empty when none is connected.
    pub consumers: Vec<Consumer>,
    /// What the online consumers subscribe to.
    pub subscriptions: Vec<Subscription>,
    /// CLUSTERING / BROADCASTING, when a consumer is online.
    pub message_model: Option<String>,
    /// Why the online consumers could not be listed (not "none online").
    pub consumers_error: Option<String>,
}

/// The broker's answer when no consumer of the group is connected (CONSUMER_NOT_ONLINE).
const CONSUMER_NOT_ONLINE: i32 = 206;

/// `GET /api/group?group=G`: `consumerProgress`.
pub async fn detail(
    State(s): State<Arc<AppState>>,
    Query(q): Query<GroupQuery>,
) -> ApiResult<GroupPage> {
    let group = required(q.group, "consumer group")?;
    let namesrv = s.admin.namesrv();
    let (progress, online) = tokio::join!(
        s.admin.consumer_progress(&group, None),
        s.admin.consumer_connection(&group)
    );
    let p = progress.map_err(|e| ApiError::from_admin(e, namesrv))?;
    let (mut consumers, mut subscriptions, mut message_model, mut consumers_error) =
        (Vec::new(), Vec::new(), None, None);
    match online {
        Ok(c) => {
            consumers = c
                .connection_set
                .into_iter()
                .map(|c| Consumer {
                    client_id: c.client_id,
                    client_addr: c.client_addr,
                    language: c.language,
                    version: c.version,
                })
                .collect();
            subscriptions = c
                .subscription_table
                .into_values()
                .map(|d| Subscription {
                    topic: d.topic,
                    expression: d.sub_string,
                    expression_type: d.expression_type,
                })
                .collect();
            message_model = Some(c.message_model).filter(|m| !m.is_empty());
        }
        Err(e) if e.remote_code() == Some(CONSUMER_NOT_ONLINE) => {}
        Err(e) => consumers_error = Some(ApiError::from_admin(e, namesrv).message().to_owned()),
    }
    Ok(Json(GroupPage {
        consumers,
        subscriptions,
        message_model,
        consumers_error,
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
