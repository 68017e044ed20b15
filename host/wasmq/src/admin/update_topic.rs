//! `updateTopic`: create or update a topic on a broker (-b) or every master of a cluster (-c).

use clap::Args;
use wasmq_admin::topic::TopicSpec;

use super::{Brokers, Common};

/// Options of `updateTopic` (mqadmin's letters; `--retention*` are wasmq's).
#[derive(Debug, Args)]
pub struct UpdateTopicArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// `-b ADDR` or `-c CLUSTER`.
    #[command(flatten)]
    pub brokers: Brokers,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
    /// Read queues.
    #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
    pub read_queues: i32,
    /// Write queues.
    #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
    pub write_queues: i32,
    /// Permission: 2 write, 4 read, 6 both.
    #[arg(short = 'p', long = "perm", default_value_t = 6)]
    pub perm: i32,
    /// Ordered topic (`true`/`false`).
    #[arg(short = 'o', long = "order", default_value_t = false, action = clap::ArgAction::Set)]
    pub order: bool,
    /// wasmq: messages older than this many ms go out of reach (0 = no limit).
    #[arg(long = "retentionMs")]
    pub retention_ms: Option<i64>,
    /// wasmq: keep at most this many bytes of the newest messages (0 = no limit).
    #[arg(long = "retentionBytes")]
    pub retention_bytes: Option<i64>,
}

/// Runs the verb.
pub async fn run(a: UpdateTopicArgs) -> anyhow::Result<()> {
    let spec = TopicSpec {
        topic: a.topic.clone(),
        read_queue_nums: a.read_queues,
        write_queue_nums: a.write_queues,
        perm: a.perm,
        order: a.order,
        retention_ms: a.retention_ms,
        retention_bytes: a.retention_bytes,
    };
    let addrs = a
        .common
        .admin()
        .update_topic(a.brokers.target()?, &spec)
        .await?;
    let result = serde_json::json!({"brokers": addrs, "topicConfig": spec});
    a.common.print(&result, |_| {
        let mut out = String::new();
        for addr in &addrs {
            out.push_str(&format!("create topic to {addr} success.\n"));
        }
        let perm = match spec.perm & 6 {
            6 => "RW-",
            4 => "R--",
            2 => "-W-",
            _ => "---",
        };
        out.push_str(&format!(
            "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={perm}, topicFilterType=SINGLE_TAG, topicSysFlag=0, order={}]\n",
            spec.topic, spec.read_queue_nums, spec.write_queue_nums, spec.order
        ));
        out
    })
}
