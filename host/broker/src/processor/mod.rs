//! The request table: every code the broker serves, in one place. Codes not listed are answered
//! by the router with 3 `request type N not supported`.
//!
//! The fast (VIP) port, listenPort - 2, serves the same table without PULL_MESSAGE, as Java does.

pub mod admin;
pub mod broker_config;
pub mod clients;
pub mod ingress;
pub mod locks;
pub mod offsets;
pub mod plugins;
pub mod pull;
pub mod query;
pub mod reply;
pub mod send;
pub mod send_back;
pub mod stats;
pub mod transaction;

use std::sync::Arc;

use wasmq_protocol::RequestCode as C;
use wasmq_remoting::Router;

use crate::broker::Broker;

/// Which listener a router is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// listenPort: everything.
    Main,
    /// listenPort - 2: everything but PULL_MESSAGE.
    Fast,
}

/// Builds the router for one listener.
pub fn router(broker: Arc<Broker>, port: Port) -> Router<Broker> {
    let r = Router::new(broker)
        // send
        .asynchronous(C::SendMessage, send::send_v1)
        .asynchronous(C::SendMessageV2, send::send_v2)
        .asynchronous(C::SendBatchMessage, send::send_batch)
        .asynchronous(C::SendReplyMessage, reply::reply_v1)
        .asynchronous(C::SendReplyMessageV2, reply::reply_v2)
        .asynchronous(C::ConsumerSendMsgBack, send_back::send_back)
        .asynchronous(C::EndTransaction, transaction::end_transaction)
        // offsets
        .sync(C::QueryConsumerOffset, offsets::query)
        .sync(C::UpdateConsumerOffset, offsets::update)
        .sync(C::GetMaxOffset, offsets::max)
        .sync(C::GetMinOffset, offsets::min)
        .sync(C::SearchOffsetByTimestamp, offsets::search)
        .sync(C::GetEarliestMsgStoretime, offsets::earliest)
        // clients
        .sync(C::HeartBeat, clients::heartbeat)
        .sync(C::UnregisterClient, clients::unregister)
        .sync(C::GetConsumerListByGroup, clients::consumer_list)
        .sync(C::CheckClientConfig, clients::check_client_config)
        .sync(C::LockBatchMq, locks::lock)
        .sync(C::UnlockBatchMq, locks::unlock)
        // query
        .sync(C::QueryMessage, query::query_message)
        .sync(C::ViewMessageById, query::view_message)
        // admin
        .sync(C::UpdateAndCreateTopic, admin::create_topic)
        .sync(C::DeleteTopicInBroker, admin::delete_topic)
        .sync(C::GetAllTopicConfig, admin::all_topics)
        .sync(C::UpdateAndCreateSubscriptiongroup, admin::create_group)
        .sync(C::DeleteSubscriptiongroup, admin::delete_group)
        .sync(C::GetAllSubscriptiongroupConfig, admin::all_groups)
        .sync(C::GetAllConsumerOffset, admin::all_offsets)
        .sync(C::GetBrokerConfig, admin::broker_config)
        .sync(C::UpdateBrokerConfig, broker_config::update)
        .sync(C::GetBrokerRuntimeInfo, admin::runtime_info)
        .sync(C::GetAllDelayOffset, stats::all_delay_offsets)
        .sync(C::GetTopicStatsInfo, stats::topic_stats)
        .sync(C::GetConsumerConnectionList, stats::consumer_connections)
        .sync(C::GetProducerConnectionList, stats::producer_connections)
        .sync(C::GetConsumeStats, stats::consume_stats)
        .sync(C::QueryTopicConsumeByWho, stats::consumed_by)
        .sync(C::InvokeBrokerToResetOffset, stats::reset_offset)
        .sync(C::DeleteExpiredCommitlog, admin::delete_expired_commit_log)
        // wasmq extensions
        .sync(C::WasmqPluginList, plugins::list)
        .sync(C::WasmqPluginSetEnabled, plugins::set_enabled)
        .on_disconnect(|b: &Arc<Broker>, conn| {
            for group in b.clients.remove_connection(conn.id()) {
                tracing::info!(group = %group, peer = %conn.peer(), "consumer channel closed");
                b.clients.notify_ids_changed(&group);
            }
        });
    match port {
        Port::Main => r.asynchronous(C::PullMessage, pull::pull),
        Port::Fast => r,
    }
}
