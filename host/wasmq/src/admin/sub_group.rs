//! `updateSubGroup`: create or update a subscription (consumer) group on a broker or cluster.

use clap::Args;
use wasmq_protocol::body::broker::SubscriptionGroupConfig;

use super::{Brokers, Common};

/// Options of `updateSubGroup` (mqadmin's letters; booleans take `true`/`false`).
#[derive(Debug, Args)]
pub struct UpdateSubGroupArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// `-b ADDR` or `-c CLUSTER`.
    #[command(flatten)]
    pub brokers: Brokers,
    /// The group.
    #[arg(short = 'g', long = "groupName")]
    pub group: String,
    /// Consumption allowed.
    #[arg(short = 's', long = "consumeEnable", action = clap::ArgAction::Set)]
    pub consume_enable: Option<bool>,
    /// Start from the min offset.
    #[arg(short = 'm', long = "consumeFromMinEnable", action = clap::ArgAction::Set)]
    pub consume_from_min: Option<bool>,
    /// Broadcasting allowed.
    #[arg(short = 'd', long = "consumeBroadcastEnable", action = clap::ArgAction::Set)]
    pub broadcast: Option<bool>,
    /// Queues of `%RETRY%group`.
    #[arg(short = 'q', long = "retryQueueNums")]
    pub retry_queues: Option<i32>,
    /// Retries before the DLQ.
    #[arg(short = 'r', long = "retryMaxTimes")]
    pub retry_max_times: Option<i32>,
    /// Broker to read from (0 master).
    #[arg(short = 'i', long = "brokerId")]
    pub broker_id: Option<i64>,
    /// Broker to read from when consumption is slow.
    #[arg(short = 'w', long = "whichBrokerWhenConsumeSlowly")]
    pub slow_broker: Option<i64>,
    /// Tell consumers when the group's membership changes.
    #[arg(short = 'a', long = "notifyConsumerIdsChanged", action = clap::ArgAction::Set)]
    pub notify: Option<bool>,
}

/// Runs the verb: mqadmin's defaults for what is not given.
pub async fn run(a: UpdateSubGroupArgs) -> anyhow::Result<()> {
    let d = SubscriptionGroupConfig::default();
    let config = SubscriptionGroupConfig {
        group_name: a.group.clone(),
        consume_enable: a.consume_enable.unwrap_or(d.consume_enable),
        consume_from_min_enable: a.consume_from_min.unwrap_or(d.consume_from_min_enable),
        consume_broadcast_enable: a.broadcast.unwrap_or(d.consume_broadcast_enable),
        retry_queue_nums: a.retry_queues.unwrap_or(d.retry_queue_nums),
        retry_max_times: a.retry_max_times.unwrap_or(d.retry_max_times),
        broker_id: a.broker_id.unwrap_or(d.broker_id),
        which_broker_when_consume_slowly: a
            .slow_broker
            .unwrap_or(d.which_broker_when_consume_slowly),
        notify_consumer_ids_changed_enable: a
            .notify
            .unwrap_or(d.notify_consumer_ids_changed_enable),
    };
    let addrs = a
        .common
        .admin()
        .update_sub_group(a.brokers.target()?, &config)
        .await?;
    let result = serde_json::json!({"brokers": addrs, "subscriptionGroupConfig": config});
    a.common.print(&result, |_| {
        let mut out = String::new();
        for addr in &addrs {
            out.push_str(&format!("create subscription group to {addr} success.\n"));
        }
        let c = &config;
        out.push_str(&format!(
            "SubscriptionGroupConfig [groupName={}, consumeEnable={}, consumeFromMinEnable={}, consumeBroadcastEnable={}, retryQueueNums={}, retryMaxTimes={}, brokerId={}, whichBrokerWhenConsumeSlowly={}, notifyConsumerIdsChangedEnable={}]\n",
            c.group_name,
            c.consume_enable,
            c.consume_from_min_enable,
            c.consume_broadcast_enable,
            c.retry_queue_nums,
            c.retry_max_times,
            c.broker_id,
            c.which_broker_when_consume_slowly,
            c.notify_consumer_ids_changed_enable
        ));
        out
    })
}
