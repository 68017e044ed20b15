//! `wasmq admin`: mqadmin's verbs against a running cluster, tables for people, `--json` for scripts.
//!
//! Each verb asks the nameserver (and, where needed, the brokers it names) with the same requests
//! Apache RocketMQ's mqadmin sends. Errors name the cause: no route, connection refused to the
//! address given, or the broker's response code and remark.

mod plugins;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use wasmq_protocol::body::namesrv::{ClusterInfo, TopicList, TopicRouteData};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{CreateTopicRequestHeader, TopicRequestHeader};
use wasmq_protocol::header::namesrv::{
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader,
};
use wasmq_protocol::{CommandHeader, RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::RemotingClient;

const TIMEOUT: Duration = Duration::from_secs(5);

/// `wasmq admin` options.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The verb.
    #[command(subcommand)]
    pub verb: Verb,
}

/// The nameserver to ask, and the output form.
#[derive(Debug, Args, Clone)]
pub struct Target {
    /// Nameserver address list, `host:port;host:port` (else NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrvAddr", env = "NAMESRV_ADDR")]
    pub namesrv_addr: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// mqadmin verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// List clusters and their brokers.
    #[command(name = "clusterList")]
    ClusterList(Target),
    /// Print a topic's route as the nameserver gives it to clients.
    #[command(name = "topicRoute")]
    TopicRoute {
        /// Where to ask.
        #[command(flatten)]
        target: Target,
        /// The topic.
        #[arg(short = 't', long)]
        topic: String,
    },
    /// List every topic the nameserver knows.
    #[command(name = "topicList")]
    TopicList(Target),
    /// Create or update a topic on a broker (-b) or on every master of a cluster (-c).
    #[command(name = "updateTopic")]
    UpdateTopic {
        /// Where to ask.
        #[command(flatten)]
        target: Target,
        /// The topic.
        #[arg(short = 't', long)]
        topic: String,
        /// One broker's address.
        #[arg(short = 'b', long = "brokerAddr")]
        broker_addr: Option<String>,
        /// Every master of this cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
        /// Read queues.
        #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
        read_queues: i32,
        /// Write queues.
        #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
        write_queues: i32,
        /// Permission: 2 write, 4 read, 6 both.
        #[arg(short = 'p', long = "perm", default_value_t = 6)]
        perm: i32,
        /// wasmq: messages older than this many ms go out of reach (0 = no limit).
        #[arg(long = "retentionMs")]
        retention_ms: Option<i64>,
        /// wasmq: keep at most this many bytes of the newest messages (0 = no limit).
        #[arg(long = "retentionBytes")]
        retention_bytes: Option<i64>,
    },
    /// Delete a topic from every broker of a cluster and from the nameservers.
    #[command(name = "deleteTopic")]
    DeleteTopic {
        /// Where to ask.
        #[command(flatten)]
        target: Target,
        /// The topic.
        #[arg(short = 't', long)]
        topic: String,
        /// The cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: String,
    },
    /// A broker's runtime figures (GET_BROKER_RUNTIME_INFO).
    #[command(name = "brokerStatus")]
    BrokerStatus {
        /// Where to ask.
        #[command(flatten)]
        target: Target,
        /// The broker's address.
        #[arg(short = 'b', long = "brokerAddr")]
        broker_addr: String,
    },
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
        let client = RemotingClient::new();
        match args.verb {
            Verb::ClusterList(t) => cluster_list(&client, &t).await,
            Verb::TopicRoute { target, topic } => {
                let route = topic_route(&client, &target, &topic).await?;
                println!("{}", serde_json::to_string_pretty(&route)?);
                Ok(())
            }
            Verb::TopicList(t) => {
                let resp = ask_namesrv(
                    &client,
                    &t,
                    RequestCode::GetAllTopicListFromNameserver,
                    &NoHeader,
                )
                .await?;
                let list: TopicList = body(&resp)?;
                print_list(&t, &list.topic_list)
            }
            Verb::UpdateTopic {
                target,
                topic,
                broker_addr,
                cluster,
                read_queues,
                write_queues,
                perm,
                retention_ms,
                retention_bytes,
            } => {
                let addrs = brokers(&client, &target, broker_addr, cluster).await?;
                let header = CreateTopicRequestHeader {
                    topic: topic.clone(),
                    default_topic: Some("TBW102".into()),
                    read_queue_nums: read_queues,
                    write_queue_nums: write_queues,
                    perm,
                    topic_filter_type: Some("SINGLE_TAG".into()),
                    topic_sys_flag: Some(0),
                    order: Some(false),
                    retention_ms,
                    retention_bytes,
                };
                for addr in addrs {
                    ask(&client, &addr, RequestCode::UpdateAndCreateTopic, &header).await?;
                    println!("create topic to {addr} success.");
                }
                Ok(())
            }
            Verb::DeleteTopic {
                target,
                topic,
                cluster,
            } => {
                for addr in brokers(&client, &target, None, Some(cluster.clone())).await? {
                    ask(
                        &client,
                        &addr,
                        RequestCode::DeleteTopicInBroker,
                        &TopicRequestHeader {
                            topic: topic.clone(),
                        },
                    )
                    .await?;
                }
                let h = DeleteTopicFromNamesrvRequestHeader {
                    topic: topic.clone(),
                    cluster_name: Some(cluster.clone()),
                };
                ask_namesrv(&client, &target, RequestCode::DeleteTopicInNamesrv, &h).await?;
                println!("delete topic [{topic}] from cluster [{cluster}] success.");
                Ok(())
            }
            Verb::Plugins(a) => plugins::run(&client, &a).await,
            Verb::BrokerStatus {
                target,
                broker_addr,
            } => {
                let resp = ask(
                    &client,
                    &broker_addr,
                    RequestCode::GetBrokerRuntimeInfo,
                    &NoHeader,
                )
                .await?;
                #[derive(serde::Deserialize, Serialize)]
                struct Table {
                    table: BTreeMap<String, String>,
                }
                let t: Table = body(&resp)?;
                if target.json {
                    println!("{}", serde_json::to_string_pretty(&t.table)?);
                } else {
                    for (k, v) in t.table {
                        println!("{k:<32}: {v}");
                    }
                }
                Ok(())
            }
        }
    })
}

async fn cluster_list(client: &RemotingClient, t: &Target) -> anyhow::Result<()> {
    let resp = ask_namesrv(client, t, RequestCode::GetBrokerClusterInfo, &NoHeader).await?;
    let info: ClusterInfo = body(&resp)?;
    if t.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!(
        "{:<22} {:<22} {:<4} {:<24}",
        "#Cluster Name", "#Broker Name", "#BID", "#Addr"
    );
    for (cluster, names) in &info.cluster_addr_table {
        for name in names {
            let Some(data) = info.broker_addr_table.get(name) else {
                continue;
            };
            for (id, addr) in &data.broker_addrs {
                println!("{cluster:<22} {name:<22} {id:<4} {addr:<24}");
            }
        }
    }
    Ok(())
}

async fn topic_route(
    client: &RemotingClient,
    t: &Target,
    topic: &str,
) -> anyhow::Result<TopicRouteData> {
    let h = GetRouteInfoRequestHeader {
        topic: topic.to_owned(),
        accept_standard_json_only: Some(true),
    };
    let resp = ask_namesrv(client, t, RequestCode::GetRouteinfoByTopic, &h).await?;
    body(&resp)
}

/// The brokers a verb acts on: `-b`, or every master of `-c`.
async fn brokers(
    client: &RemotingClient,
    t: &Target,
    broker: Option<String>,
    cluster: Option<String>,
) -> anyhow::Result<Vec<String>> {
    if let Some(b) = broker {
        return Ok(vec![b]);
    }
    let Some(cluster) = cluster else {
        bail!("name a broker with -b ADDR or a cluster with -c NAME");
    };
    let resp = ask_namesrv(client, t, RequestCode::GetBrokerClusterInfo, &NoHeader).await?;
    let info: ClusterInfo = body(&resp)?;
    let names = info.cluster_addr_table.get(&cluster).with_context(|| {
        format!(
            "no cluster named {cluster:?} in the nameserver at {}",
            t.namesrv_addr
        )
    })?;
    Ok(names
        .iter()
        .filter_map(|n| {
            info.broker_addr_table
                .get(n)?
                .master_addr()
                .map(str::to_owned)
        })
        .collect())
}

fn print_list(t: &Target, items: &std::collections::BTreeSet<String>) -> anyhow::Result<()> {
    if t.json {
        println!("{}", serde_json::to_string_pretty(items)?);
    } else {
        for i in items {
            println!("{i}");
        }
    }
    Ok(())
}

/// Asks the first nameserver of the list that answers.
async fn ask_namesrv<H: CommandHeader>(
    client: &RemotingClient,
    t: &Target,
    code: RequestCode,
    header: &H,
) -> anyhow::Result<RemotingCommand> {
    let mut last = None;
    for addr in t
        .namesrv_addr
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        match ask(client, addr, code, header).await {
            Ok(r) => return Ok(r),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        anyhow::anyhow!("no nameserver address given; use -n host:port or NAMESRV_ADDR")
    }))
}

/// One request; a non-success answer is an error carrying its code and remark.
async fn ask<H: CommandHeader>(
    client: &RemotingClient,
    addr: &str,
    code: RequestCode,
    header: &H,
) -> anyhow::Result<RemotingCommand> {
    let req = RemotingCommand::request_with_header(code, 0, header);
    let resp = client.invoke(addr, req, TIMEOUT).await?;
    match resp.response_code() {
        Some(ResponseCode::Success) => Ok(resp),
        _ => bail!(
            "{addr} answered {} with code {}: {}",
            code.name(),
            resp.code,
            resp.remark.as_deref().unwrap_or("(no remark)")
        ),
    }
}

fn body<T: serde::de::DeserializeOwned>(resp: &RemotingCommand) -> anyhow::Result<T> {
    let bytes = wasmq_protocol::body::namesrv::fastjson_to_json(&resp.body);
    serde_json::from_slice(&bytes).context("the answer's body is not the JSON expected")
}
