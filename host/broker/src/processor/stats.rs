//! Admin statistics: GET_ALL_DELAY_OFFSET (45), GET_TOPIC_STATS_INFO (202),
//! GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST (204), GET_CONSUME_STATS (208),
//! QUERY_TOPIC_CONSUME_BY_WHO (300), INVOKE_BROKER_TO_RESET_OFFSET (222).
//!
//! Java's fastjson writes maps keyed by `MessageQueue` objects with the object itself in key
//! position (`{{"brokerName":..,"queueId":0,"topic":..}:{..}}`), which is not standard JSON but
//! is what the Java admin tool parses; [`mq_map`] writes exactly that.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::json;
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{
    ConsumerGroupRequestHeader, GetConsumeStatsRequestHeader, ProducerGroupRequestHeader,
    ResetOffsetRequestHeader, TopicRequestHeader,
};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;
use crate::clients::ClientChannel;

/// Messages pulled per `topic@group` over the last minute (Java's `GROUP_GET_NUMS` stats item),
/// for GET_CONSUME_STATS's `consumeTps`: 60 one-second buckets per key, stamped with their second
/// so a stale bucket is reset on reuse. One short lock per pull that returns messages.
#[derive(Debug, Default)]
pub struct GroupGetNums {
    windows: parking_lot::Mutex<std::collections::HashMap<String, [(u64, u64); 60]>>,
}

impl GroupGetNums {
    /// Counts `n` messages pulled by `group` from `topic` at `now_sec` (seconds since the epoch).
    pub fn record(&self, topic: &str, group: &str, n: u64, now_sec: u64) {
        let mut w = self.windows.lock();
        let buckets = w.entry(format!("{topic}@{group}")).or_insert([(0, 0); 60]);
        if let Some(b) = buckets.get_mut((now_sec % 60) as usize) {
            if b.0 != now_sec {
                *b = (now_sec, 0);
            }
            b.1 += n;
        }
    }

    /// Messages per second over the minute before `now_sec`.
    pub fn tps(&self, topic: &str, group: &str, now_sec: u64) -> f64 {
        let w = self.windows.lock();
        let Some(buckets) = w.get(&format!("{topic}@{group}")) else {
            return 0.0;
        };
        let total: u64 = buckets
            .iter()
            .filter(|(sec, _)| *sec + 60 > now_sec && *sec <= now_sec)
            .map(|(_, n)| n)
            .sum();
        total as f64 / 60.0
    }
}

/// Seconds since the epoch.
pub fn now_sec() -> u64 {
    u64::try_from(crate::topics::now_ms() / 1000).unwrap_or(0)
}

/// `{MQ:value, ...}` with fastjson's object keys (keys in fastjson's sorted field order).
pub fn mq_map(broker_name: &str, entries: &[(String, i32, serde_json::Value)]) -> String {
    let mut out = String::from("{");
    for (i, (topic, queue_id, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let key = json!({"brokerName": broker_name, "queueId": queue_id, "topic": topic});
        let _ = write!(out, "{key}:{value}");
    }
    out.push('}');
    out
}

/// GET_ALL_DELAY_OFFSET (45).
pub fn all_delay_offsets(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    match serde_json::to_vec(&b.delay_offsets.snapshot()) {
        Ok(json) => RemotingCommand::success().with_body(json),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// GET_TOPIC_STATS_INFO (202): per queue min, max and last store time; 17 for unknown topics.
pub fn topic_stats(b: &Broker, req: Request<TopicRequestHeader>) -> RemotingCommand {
    let topic = req.header.topic;
    let Some(cfg) = b.topics.get(&topic) else {
        return RemotingCommand::error(
            ResponseCode::TopicNotExist,
            format!("topic[{topic}] not exist"),
        );
    };
    let entries: Vec<_> = (0..cfg.write_queue_nums)
        .map(|q| {
            let min = b.store.min_offset_in_queue(&topic, q).max(0);
            let max = b.store.max_offset_in_queue(&topic, q).max(0);
            let last = if max > 0 {
                b.store.message_store_time(&topic, q, max - 1).unwrap_or(0)
            } else {
                0
            };
            (
                topic.clone(),
                q,
                json!({"lastUpdateTimestamp": last, "maxOffset": max, "minOffset": min}),
            )
        })
        .collect();
    let body = format!(
        "{{\"offsetTable\":{}}}",
        mq_map(&b.config.load().broker_name, &entries)
    );
    RemotingCommand::success().with_body(body)
}

fn connection(c: &ClientChannel) -> serde_json::Value {
    json!({
        "clientAddr": c.conn.peer().to_string(),
        "clientId": c.client_id,
        "language": c.language.name(),
        "version": c.version,
    })
}

/// GET_CONSUMER_CONNECTION_LIST (203): 206 when the group has no live consumer.
pub fn consumer_connections(
    b: &Broker,
    req: Request<ConsumerGroupRequestHeader>,
) -> RemotingCommand {
    let group = req.header.consumer_group;
    let Some(g) = b.clients.consumer_group(&group) else {
        return RemotingCommand::error(
            ResponseCode::ConsumerNotOnline,
            format!("the consumer group[{group}] not online"),
        );
    };
    let body = json!({
        "connectionSet": g.channels.values().map(connection).collect::<Vec<_>>(),
        "subscriptionTable": g.subscriptions,
        "consumeType": g.consume_type,
        "messageModel": g.message_model,
        "consumeFromWhere": g.consume_from_where,
    });
    RemotingCommand::success().with_body(body.to_string())
}

/// GET_PRODUCER_CONNECTION_LIST (204): 1 when the group is unknown.
pub fn producer_connections(
    b: &Broker,
    req: Request<ProducerGroupRequestHeader>,
) -> RemotingCommand {
    let group = req.header.producer_group;
    let channels = b.clients.producer_channels(&group);
    if channels.is_empty() {
        return RemotingCommand::error(
            ResponseCode::SystemError,
            format!("the producer group[{group}] not exist"),
        );
    }
    let body = json!({"connectionSet": channels.iter().map(connection).collect::<Vec<_>>()});
    RemotingCommand::success().with_body(body.to_string())
}

/// GET_CONSUME_STATS (208): broker and consumer offsets per queue of the group's topics (those it
/// has offsets for, or the one asked). An unknown group gets an empty table, as from Java; the
/// admin tool turns that into "no such consumer group". `consumeTps`: messages per second the
/// group pulled over the last minute ([`GroupGetNums`]).
pub fn consume_stats(b: &Broker, req: Request<GetConsumeStatsRequestHeader>) -> RemotingCommand {
    let h = req.header;
    let topics: BTreeSet<String> = match h.topic.filter(|t| !t.is_empty()) {
        Some(t) => BTreeSet::from([t]),
        None => b
            .offsets
            .snapshot()
            .offset_table
            .keys()
            .filter_map(|k| k.rsplit_once('@'))
            .filter(|(_, g)| *g == h.consumer_group)
            .map(|(t, _)| t.to_owned())
            .collect(),
    };
    // Java skips a topic the group's online consumers do not subscribe to (an old offset left
    // behind), but keeps every topic while no consumer is online.
    let subscribed: Option<BTreeSet<String>> = b
        .clients
        .consumer_group(&h.consumer_group)
        .map(|g| g.subscriptions.into_keys().collect())
        .filter(|s: &BTreeSet<String>| !s.is_empty());
    let mut entries = Vec::new();
    let mut consume_tps = 0.0;
    let now = now_sec();
    for topic in topics {
        let Some(cfg) = b.topics.get(&topic) else {
            continue;
        };
        if subscribed.as_ref().is_some_and(|s| !s.contains(&topic)) {
            continue;
        }
        consume_tps += b.group_get_nums.tps(&topic, &h.consumer_group, now);
        for q in 0..cfg.read_queue_nums {
            let broker_offset = b.store.max_offset_in_queue(&topic, q).max(0);
            let consumer_offset = b
                .offsets
                .query(&h.consumer_group, &topic, q)
                .unwrap_or(0)
                .max(0);
            let last = if consumer_offset > 0 {
                b.store
                    .message_store_time(&topic, q, consumer_offset - 1)
                    .unwrap_or(0)
            } else {
                0
            };
            entries.push((
                topic.clone(),
                q,
                json!({"brokerOffset": broker_offset, "consumerOffset": consumer_offset, "lastTimestamp": last}),
            ));
        }
    }
    let body = format!(
        "{{\"consumeTps\":{},\"offsetTable\":{}}}",
        json!(consume_tps),
        mq_map(&b.config.load().broker_name, &entries)
    );
    RemotingCommand::success().with_body(body)
}

/// QUERY_TOPIC_CONSUME_BY_WHO (300): groups subscribed to the topic or holding offsets on it.
pub fn consumed_by(b: &Broker, req: Request<TopicRequestHeader>) -> RemotingCommand {
    let topic = req.header.topic;
    let mut groups: BTreeSet<String> = b.clients.groups_subscribed_to(&topic).into_iter().collect();
    let prefix = format!("{topic}@");
    groups.extend(
        b.offsets
            .snapshot()
            .offset_table
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned)),
    );
    RemotingCommand::success().with_body(json!({ "groupList": groups }).to_string())
}

/// INVOKE_BROKER_TO_RESET_OFFSET (222) (Java `Broker2Client.resetOffset`): computes each
/// queue's offset at `timestamp` (kept at the committed offset unless earlier or `isForce`),
/// tells every consumer of the group with RESET_CONSUMER_CLIENT_OFFSET (oneway), and answers the
/// table. The consumers move and commit the offsets themselves.
pub fn reset_offset(b: &Broker, req: Request<ResetOffsetRequestHeader>) -> RemotingCommand {
    let h = req.header;
    let Some(cfg) = b.topics.get(&h.topic) else {
        return RemotingCommand::error(
            ResponseCode::SystemError,
            format!(
                "[reset-offset] reset offset failed, no topic in this broker. topic={}",
                h.topic
            ),
        );
    };
    let mut entries = Vec::new();
    for q in 0..cfg.write_queue_nums {
        let Some(committed) = b.offsets.query(&h.group, &h.topic, q) else {
            return RemotingCommand::error(
                ResponseCode::SystemError,
                format!("THe consumer group <{}> not exist", h.group),
            );
        };
        let at = if h.timestamp == -1 {
            b.store.max_offset_in_queue(&h.topic, q)
        } else {
            b.store.offset_by_timestamp(&h.topic, q, h.timestamp)
        }
        .max(0);
        let offset = if h.is_force || at < committed {
            at
        } else {
            committed
        };
        entries.push((h.topic.clone(), q, json!(offset)));
    }
    let body = format!(
        "{{\"offsetTable\":{}}}",
        mq_map(&b.config.load().broker_name, &entries)
    );
    let Some(group) = b.clients.consumer_group(&h.group) else {
        return RemotingCommand::error(
            ResponseCode::ConsumerNotOnline,
            format!(
                "Consumer not online, so can not reset offset, Group: {} Topic: {} Timestamp: {}",
                h.group, h.topic, h.timestamp
            ),
        );
    };
    for c in group.channels.values() {
        let cmd =
            RemotingCommand::request_with_header(RequestCode::ResetConsumerClientOffset, 0, &h)
                .with_body(body.clone());
        if let Err(e) = c.conn.oneway(cmd) {
            tracing::warn!(client = %c.client_id, cause = %e, "cannot send RESET_CONSUMER_CLIENT_OFFSET");
        }
    }
    RemotingCommand::success().with_body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_get_nums_is_a_one_minute_rate() {
        let g = GroupGetNums::default();
        g.record("T", "G", 30, 1000);
        g.record("T", "G", 30, 1030);
        assert_eq!(g.tps("T", "G", 1030), 1.0);
        assert_eq!(g.tps("T", "other", 1030), 0.0);
        // The first bucket leaves the window after 60 s; a reused slot starts again from 0.
        assert_eq!(g.tps("T", "G", 1060), 0.5);
        g.record("T", "G", 6, 1060);
        assert_eq!(g.tps("T", "G", 1060), 0.6);
        assert_eq!(g.tps("T", "G", 2000), 0.0);
    }

    #[test]
    fn fastjson_object_keys() {
        let s = mq_map("b", &[("T".into(), 1, json!({"maxOffset": 2}))]);
        assert_eq!(
            s,
            r#"{{"brokerName":"b","queueId":1,"topic":"T"}:{"maxOffset":2}}"#
        );
        assert_eq!(mq_map("b", &[]), "{}");
    }
}
