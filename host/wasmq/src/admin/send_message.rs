//! `sendMessage`: send one test message to a topic (optionally one broker and queue).

use clap::Args;
use wasmq_admin::message::SendResult;

use super::Common;

/// Options of `sendMessage` (mqadmin's letters).
#[derive(Debug, Args)]
pub struct SendMessageArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
    /// The body (UTF-8 text).
    #[arg(short = 'p', long, allow_hyphen_values = true)]
    pub body: String,
    /// Message keys (space-separated).
    #[arg(short = 'k', long = "key")]
    pub keys: Option<String>,
    /// Message tag.
    #[arg(short = 'c', long = "tags")]
    pub tags: Option<String>,
    /// Only this broker (name).
    #[arg(short = 'b', long = "broker")]
    pub broker: Option<String>,
    /// Only this queue id.
    #[arg(short = 'i', long = "qid")]
    pub queue_id: Option<i32>,
}

/// Runs the verb.
pub async fn run(a: SendMessageArgs) -> anyhow::Result<()> {
    let r = a
        .common
        .admin()
        .send_message_to(
            &a.topic,
            a.broker.as_deref(),
            a.queue_id,
            a.tags.as_deref(),
            a.keys.as_deref(),
            a.body.as_bytes(),
        )
        .await?;
    a.common.print(&r, table)
}

/// mqadmin's layout.
pub fn table(r: &SendResult) -> String {
    format!(
        "{:<32}  {:<4}  {:<20}    {}\n{:<32}  {:<4}  {:<20}    {}\n",
        "#Broker Name",
        "#QID",
        "#Send Result",
        "#MsgId",
        r.broker_name,
        r.queue_id,
        "SEND_OK",
        r.msg_id
    )
}
