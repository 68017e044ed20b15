//! Client management: HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
//! CHECK_CLIENT_CONFIG (46) (Java `ClientManageProcessor`, `ConsumerManageProcessor`).

use std::time::Instant;

use wasmq_protocol::body::broker::{
    CheckClientRequestBody, GetConsumerListByGroupResponseBody, HeartbeatData,
};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{ConsumerGroupRequestHeader, UnregisterClientRequestHeader};
use wasmq_protocol::message::flags::{PERM_READ, PERM_WRITE};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;
use crate::clients::ClientChannel;
use crate::topics::retry_topic;

/// HEART_BEAT (34): registers producer and consumer channels; creates the consumer groups and
/// their `%RETRY%` topics; tells a group's members when its membership or subscriptions change.
pub fn heartbeat(b: &Broker, req: Request<NoHeader>) -> RemotingCommand {
    let hb: HeartbeatData = match serde_json::from_slice(&req.body) {
        Ok(hb) => hb,
        Err(e) => {
            tracing::debug!(peer = %req.conn.peer(), cause = %e, "malformed heartbeat body");
            return RemotingCommand::error(
                ResponseCode::SystemError,
                format!("malformed heartbeat body: {e}"),
            );
        }
    };
    let channel = ClientChannel {
        conn: req.conn.clone(),
        client_id: hb.client_id.clone(),
        language: req.language,
        version: req.version,
        last_update: Instant::now(),
    };
    for c in &hb.consumer_data_set {
        let group = match b.groups.find_or_create(&c.group_name) {
            Ok(g) => g,
            Err(e) => return RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
        };
        let notify = group
            .as_ref()
            .is_none_or(|g| g.notify_consumer_ids_changed_enable)
            && b.config.load().notify_consumer_ids_changed_enable;
        if let Some(g) = &group {
            let retry = retry_topic(&c.group_name);
            if let Err(e) =
                b.topics
                    .get_or_create(&retry, g.retry_queue_nums, PERM_READ | PERM_WRITE)
            {
                return RemotingCommand::error(ResponseCode::SystemError, e.to_string());
            }
        }
        let changes = b.clients.register_consumer(c, channel.clone());
        if changes.channels || changes.subscriptions {
            tracing::info!(group = %c.group_name, client = %hb.client_id, ?changes, "consumer group changed");
            if notify {
                b.clients.notify_ids_changed(&c.group_name);
            }
        }
    }
    for p in &hb.producer_data_set {
        b.clients.register_producer(&p.group_name, channel.clone());
    }
    RemotingCommand::success()
}

/// UNREGISTER_CLIENT (35).
pub fn unregister(b: &Broker, req: Request<UnregisterClientRequestHeader>) -> RemotingCommand {
    let h = req.header;
    let id = req.conn.id();
    if let Some(g) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        b.clients.unregister_producer(g, id);
    }
    let group = h.consumer_group.as_deref().filter(|g| !g.is_empty());
    if let Some(g) = group.filter(|g| b.clients.unregister_consumer(g, id)) {
        {
            tracing::info!(group = g, client = %h.client_id, "consumer unregistered");
            let notify = b
                .groups
                .get(g)
                .is_none_or(|c| c.notify_consumer_ids_changed_enable);
            if notify && b.config.load().notify_consumer_ids_changed_enable {
                b.clients.notify_ids_changed(g);
            }
        }
    }
    RemotingCommand::success()
}

/// GET_CONSUMER_LIST_BY_GROUP (38).
pub fn consumer_list(b: &Broker, req: Request<ConsumerGroupRequestHeader>) -> RemotingCommand {
    let group = req.header.consumer_group;
    let ids = b.clients.consumer_ids(&group);
    if ids.is_empty() {
        return RemotingCommand::error(
            ResponseCode::SystemError,
            format!("no consumer for this group, {group}"),
        );
    }
    let body = GetConsumerListByGroupResponseBody {
        consumer_id_list: ids,
    };
    match serde_json::to_vec(&body) {
        Ok(json) => RemotingCommand::success().with_body(json),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// CHECK_CLIENT_CONFIG (46): TAG subscriptions are fine; SQL92 needs a filter engine.
pub fn check_client_config(b: &Broker, req: Request<NoHeader>) -> RemotingCommand {
    let body: CheckClientRequestBody = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return RemotingCommand::error(
                ResponseCode::SystemError,
                format!("malformed check client config body: {e}"),
            );
        }
    };
    let Some(sub) = body.subscription_data else {
        return RemotingCommand::success();
    };
    let expression_type = Some(sub.expression_type.as_str()).filter(|t| !t.is_empty());
    if wasmq_filter::is_tag_type(expression_type) {
        return RemotingCommand::success();
    }
    if !b.config.load().enable_property_filter {
        return RemotingCommand::error(
            ResponseCode::SystemError,
            "The broker does not support consumer to filter message by SQL92",
        );
    }
    match wasmq_filter::MessageFilter::new(expression_type, Some(&sub.sub_string)) {
        Ok(_) => RemotingCommand::success(),
        Err(e) => RemotingCommand::error(
            ResponseCode::SubscriptionParseFailed,
            format!(
                "parse the consumer's subscription[{}] failed: {e}",
                sub.sub_string
            ),
        ),
    }
}
