//! `queryMsgById`, `queryMsgByKey`, `queryMsgByOffset`: finding stored messages, printed as
//! mqadmin prints them (the body inline instead of in a file under /tmp/rocketmq/msgbodys).

use clap::Args;
use wasmq_admin::message::Message;

use super::Common;
use super::time::format_ms;

/// Options of `queryMsgById`.
#[derive(Debug, Args)]
pub struct ByIdArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The offset msgId, or a client msgId (UNIQ_KEY; needs -t).
    #[arg(short = 'i', long = "msgId")]
    pub msg_id: String,
    /// The topic, to look a client msgId up in its index.
    #[arg(short = 't', long)]
    pub topic: Option<String>,
}

/// Options of `queryMsgByKey`.
#[derive(Debug, Args)]
pub struct ByKeyArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
    /// The key.
    #[arg(short = 'k', long = "msgKey")]
    pub key: String,
}

/// Options of `queryMsgByOffset`.
#[derive(Debug, Args)]
pub struct ByOffsetArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
    /// The broker name.
    #[arg(short = 'b', long = "brokerName")]
    pub broker_name: String,
    /// The queue id (`-q` also accepted).
    #[arg(short = 'i', long = "queueId", short_alias = 'q')]
    pub queue_id: i32,
    /// The queue offset.
    #[arg(short = 'o', long = "offset")]
    pub offset: i64,
}

/// Runs `queryMsgById`.
pub async fn by_id(a: ByIdArgs) -> anyhow::Result<()> {
    let m = a
        .common
        .admin()
        .query_msg_by_id(&a.msg_id, a.topic.as_deref())
        .await?;
    a.common.print(&m, describe)
}

/// Runs `queryMsgByKey`.
pub async fn by_key(a: ByKeyArgs) -> anyhow::Result<()> {
    let found = a.common.admin().query_msg_by_key(&a.topic, &a.key).await?;
    a.common.print(&found, |found| {
        let mut out = format!("{:<50} {:>4} {:>40}\n", "#Message ID", "#QID", "#Offset");
        for m in found {
            out.push_str(&format!(
                "{:<50} {:>4} {:>40}\n",
                m.msg_id, m.queue_id, m.queue_offset
            ));
        }
        out
    })
}

/// Runs `queryMsgByOffset`.
pub async fn by_offset(a: ByOffsetArgs) -> anyhow::Result<()> {
    let m = a
        .common
        .admin()
        .query_msg_by_offset(&a.topic, &a.broker_name, a.queue_id, a.offset)
        .await?;
    a.common.print(&m, describe)
}

/// mqadmin's `printMsg` layout.
pub fn describe(m: &Message) -> String {
    let props: Vec<String> = m
        .properties
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let rows = [
        ("OffsetID:", m.offset_msg_id.clone()),
        ("MsgId:", m.msg_id.clone()),
        ("Topic:", m.topic.clone()),
        ("Tags:", format!("[{}]", m.tags.as_deref().unwrap_or(""))),
        ("Keys:", format!("[{}]", m.keys.join(" "))),
        ("Broker Name:", m.broker_name.clone()),
        ("Queue ID:", m.queue_id.to_string()),
        ("Queue Offset:", m.queue_offset.to_string()),
        ("CommitLog Offset:", m.commit_log_offset.to_string()),
        ("Reconsume Times:", m.reconsume_times.to_string()),
        ("Born Timestamp:", format_ms(m.born_timestamp)),
        ("Store Timestamp:", format_ms(m.store_timestamp)),
        ("Born Host:", m.born_host.clone()),
        ("Store Host:", m.store_host.clone()),
        ("System Flag:", m.sys_flag.to_string()),
        ("Properties:", format!("{{{}}}", props.join(", "))),
        ("Body Size:", m.body_size.to_string()),
        ("Message Body:", format!("({}) {}", m.body_encoding, m.body)),
    ];
    rows.iter().map(|(k, v)| format!("{k:<20} {v}\n")).collect()
}
