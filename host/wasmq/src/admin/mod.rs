//! `wasmq admin`: mqadmin's verbs against a running cluster, tables for people, `--json` for scripts.
//!
//! One file per verb; each is a thin layer over the [`wasmq_admin`] library, which sends the same
//! requests Apache RocketMQ's mqadmin sends and names the cause of a failure (no route, no such
//! group, connection refused to the address given, the broker's code and remark). Flags keep
//! mqadmin's letters (`-n`, `-t`, `-g`, `-b`, `-c`, `-i`, `-k`, `-s`, ...); tables resemble
//! mqadmin's; `--json` prints the library's typed result instead.

mod broker_config;
mod broker_status;
mod cluster_list;
mod consumer_connection;
mod consumer_progress;
mod delete_sub_group;
mod delete_topic;
mod plugins;
mod producer_connection;
mod query_msg;
mod reset_offset;
mod send_message;
mod sub_group;
mod time;
mod topic_list;
mod topic_route;
mod topic_status;
mod update_broker_config;
mod update_topic;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use wasmq_admin::Admin;
use wasmq_admin::cluster::Target;

/// `wasmq admin` options.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The verb.
    #[command(subcommand)]
    pub verb: Verb,
}

/// Options every verb takes: the nameserver to ask, and the output form.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Nameserver address list, `host:port;host:port` (else NAMESRV_ADDR).
    #[arg(
        short = 'n',
        long = "namesrvAddr",
        env = "NAMESRV_ADDR",
        default_value = ""
    )]
    pub namesrv_addr: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `-b ADDR` or `-c CLUSTER`: the brokers a verb changes or reads.
#[derive(Debug, Args, Clone)]
pub struct Brokers {
    /// One broker's address.
    #[arg(short = 'b', long = "brokerAddr", conflicts_with = "cluster")]
    pub broker_addr: Option<String>,
    /// Every master of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
}

impl Brokers {
    /// The library's [`Target`] (masters only for a cluster).
    pub fn target(&self) -> anyhow::Result<Target<'_>> {
        match (&self.broker_addr, &self.cluster) {
            (Some(b), _) => Ok(Target::Broker(b)),
            (None, Some(c)) => Ok(Target::Masters(c)),
            (None, None) => bail!("name a broker with -b ADDR or a cluster with -c NAME"),
        }
    }
}

/// mqadmin verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// List clusters and their brokers with their runtime figures.
    #[command(name = "clusterList")]
    ClusterList(cluster_list::ClusterListArgs),
    /// A broker's runtime figures (GET_BROKER_RUNTIME_INFO).
    #[command(name = "brokerStatus")]
    BrokerStatus(broker_status::BrokerStatusArgs),
    /// List every topic the nameserver knows.
    #[command(name = "topicList")]
    TopicList(topic_list::TopicListArgs),
    /// Print a topic's route as the nameserver gives it to clients.
    #[command(name = "topicRoute")]
    TopicRoute(topic_route::TopicRouteArgs),
    /// Min / max offset and last update time of every queue of a topic.
    #[command(name = "topicStatus")]
    TopicStatus(topic_status::TopicStatusArgs),
    /// Create or update a topic on a broker (-b) or on every master of a cluster (-c).
    #[command(name = "updateTopic")]
    UpdateTopic(update_topic::UpdateTopicArgs),
    /// Delete a topic from every master of a cluster and from the nameservers.
    #[command(name = "deleteTopic")]
    DeleteTopic(delete_topic::DeleteTopicArgs),
    /// Create or update a subscription (consumer) group.
    #[command(name = "updateSubGroup")]
    UpdateSubGroup(sub_group::UpdateSubGroupArgs),
    /// Delete a subscription group (and, with -c, its retry and DLQ topics).
    #[command(name = "deleteSubGroup")]
    DeleteSubGroup(delete_sub_group::DeleteSubGroupArgs),
    /// A consumer group's offsets and lag per queue (all groups without -g).
    #[command(name = "consumerProgress")]
    ConsumerProgress(consumer_progress::ConsumerProgressArgs),
    /// A consumer group's live clients and subscriptions.
    #[command(name = "consumerConnection")]
    ConsumerConnection(consumer_connection::ConsumerConnectionArgs),
    /// A producer group's live clients.
    #[command(name = "producerConnection")]
    ProducerConnection(producer_connection::ProducerConnectionArgs),
    /// A message by offset msgId or (with -t) by client msgId.
    #[command(name = "queryMsgById")]
    QueryMsgById(query_msg::ByIdArgs),
    /// Messages of a topic by key.
    #[command(name = "queryMsgByKey")]
    QueryMsgByKey(query_msg::ByKeyArgs),
    /// The message at a queue offset.
    #[command(name = "queryMsgByOffset")]
    QueryMsgByOffset(query_msg::ByOffsetArgs),
    /// Move a group's offsets on a topic back (or, forced, forth) to a point in time.
    #[command(name = "resetOffsetByTime")]
    ResetOffsetByTime(reset_offset::ResetOffsetArgs),
    /// Send one test message (SEND_MESSAGE_V2) to a topic.
    #[command(name = "sendMessage")]
    SendMessage(send_message::SendMessageArgs),
    /// A broker's settings (GET_BROKER_CONFIG).
    #[command(name = "getBrokerConfig")]
    GetBrokerConfig(broker_config::GetBrokerConfigArgs),
    /// Change one broker setting at run time (UPDATE_BROKER_CONFIG).
    #[command(name = "updateBrokerConfig")]
    UpdateBrokerConfig(update_broker_config::UpdateBrokerConfigArgs),
    /// wasmq: a broker's plugin bindings with their metrics; `--enable`/`--disable` one first.
    #[command(name = "plugins")]
    Plugins(plugins::PluginsArgs),
}

/// Runs one verb.
pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match args.verb {
            Verb::ClusterList(a) => cluster_list::run(a).await,
            Verb::BrokerStatus(a) => broker_status::run(a).await,
            Verb::TopicList(a) => topic_list::run(a).await,
            Verb::TopicRoute(a) => topic_route::run(a).await,
            Verb::TopicStatus(a) => topic_status::run(a).await,
            Verb::UpdateTopic(a) => update_topic::run(a).await,
            Verb::DeleteTopic(a) => delete_topic::run(a).await,
            Verb::UpdateSubGroup(a) => sub_group::run(a).await,
            Verb::DeleteSubGroup(a) => delete_sub_group::run(a).await,
            Verb::ConsumerProgress(a) => consumer_progress::run(a).await,
            Verb::ConsumerConnection(a) => consumer_connection::run(a).await,
            Verb::ProducerConnection(a) => producer_connection::run(a).await,
            Verb::QueryMsgById(a) => query_msg::by_id(a).await,
            Verb::QueryMsgByKey(a) => query_msg::by_key(a).await,
            Verb::QueryMsgByOffset(a) => query_msg::by_offset(a).await,
            Verb::ResetOffsetByTime(a) => reset_offset::run(a).await,
            Verb::SendMessage(a) => send_message::run(a).await,
            Verb::GetBrokerConfig(a) => broker_config::run(a).await,
            Verb::UpdateBrokerConfig(a) => update_broker_config::run(a).await,
            Verb::Plugins(a) => plugins::run(a).await,
        }
    })
}

impl Common {
    /// The admin client for `-n`.
    pub fn admin(&self) -> Admin {
        Admin::new(self.namesrv_addr.clone())
    }

    /// Prints `value` as pretty JSON when `--json`, else runs `table`.
    pub fn print<T: Serialize>(
        &self,
        value: &T,
        table: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            print!("{}", table(value));
        }
        Ok(())
    }
}
