//! Admin client library: the requests Apache RocketMQ's mqadmin sends, as async calls with typed results.
//!
//! [`Admin`] holds one [`RemotingClient`], the nameserver list and a timeout. Each method sends the
//! requests mqadmin (`MQAdminImpl`, `DefaultMQAdminExtImpl`, `MQClientAPIImpl` of RocketMQ 4.9)
//! sends for the same verb, and returns a `Serialize` result, so both `wasmq admin`'s tables and
//! its `--json`, and the web console, come from the same values. Failures are an [`AdminError`]
//! naming the cause: no route for a topic, no such consumer group, connection refused to the
//! address given, a timeout, or the broker's response code and remark.
//!
//! Map of the crate:
//! - [`cluster`]: clusters, brokers, broker config and runtime figures.
//! - [`topic`]: topic list, routes, per-queue status, create/update/delete.
//! - [`group`]: subscription groups, consumer progress (lag), connections, offset reset.
//! - [`message`]: query by id / key / queue offset, and sending a test message.
//! - [`plugins`]: wasmq's plugin bindings on a running broker (request codes 9000/9001).
//! - [`fastjson`]: reading Java's maps keyed by `MessageQueue` objects.

pub mod cluster;
pub mod error;
pub mod fastjson;
pub mod group;
pub mod message;
pub mod plugins;
pub mod topic;

use std::time::Duration;

pub use error::{AdminError, Result};
use wasmq_protocol::{CommandHeader, RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::RemotingClient;

/// mqadmin's default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A handle on a cluster, reached through its nameservers.
#[derive(Debug, Clone)]
pub struct Admin {
    client: RemotingClient,
    namesrv: String,
    timeout: Duration,
}

impl Admin {
    /// An admin client for the nameserver list `host:port;host:port`.
    pub fn new(namesrv: impl Into<String>) -> Self {
        Self::with_client(RemotingClient::new(), namesrv, DEFAULT_TIMEOUT)
    }

    /// An admin client on an existing connection pool, with a per-request timeout.
    pub fn with_client(
        client: RemotingClient,
        namesrv: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        Admin {
            client,
            namesrv: namesrv.into(),
            timeout,
        }
    }

    /// The nameserver list as given.
    pub fn namesrv(&self) -> &str {
        &self.namesrv
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.client.close_all().await;
    }

    fn namesrv_addrs(&self) -> Vec<&str> {
        self.namesrv
            .split(';')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect()
    }

    /// Sends `code` to the first nameserver of the list that answers (as Java's client does:
    /// a nameserver that cannot be reached is skipped; an error answer is final).
    pub(crate) async fn ask_namesrv<H: CommandHeader>(
        &self,
        code: RequestCode,
        header: &H,
    ) -> Result<RemotingCommand> {
        let mut last = None;
        for addr in self.namesrv_addrs() {
            match self.call(addr, code, header, None).await {
                Ok(r) => return Ok(r),
                Err(e @ AdminError::Remote { .. }) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(AdminError::NoNamesrv))
    }

    /// One request; the raw answer whatever its code.
    pub(crate) async fn invoke<H: CommandHeader>(
        &self,
        addr: &str,
        code: RequestCode,
        header: &H,
        body: Option<Vec<u8>>,
    ) -> Result<RemotingCommand> {
        let mut req = RemotingCommand::request_with_header(code, 0, header);
        if let Some(body) = body {
            req = req.with_body(body);
        }
        self.client
            .invoke(addr, req, self.timeout)
            .await
            .map_err(|e| AdminError::transport(e, code.name()))
    }

    /// One request; a non-success answer is [`AdminError::Remote`].
    pub(crate) async fn call<H: CommandHeader>(
        &self,
        addr: &str,
        code: RequestCode,
        header: &H,
        body: Option<Vec<u8>>,
    ) -> Result<RemotingCommand> {
        let resp = self.invoke(addr, code, header, body).await?;
        check(addr, code, resp)
    }
}

/// `resp` if it is a success, else [`AdminError::Remote`].
pub(crate) fn check(
    addr: &str,
    code: RequestCode,
    resp: RemotingCommand,
) -> Result<RemotingCommand> {
    match resp.response_code() {
        Some(ResponseCode::Success) => Ok(resp),
        _ => Err(remote(addr, code, &resp)),
    }
}

/// The error for a non-success answer.
pub(crate) fn remote(addr: &str, code: RequestCode, resp: &RemotingCommand) -> AdminError {
    AdminError::Remote {
        addr: addr.to_owned(),
        request: code.name(),
        code: resp.code,
        remark: resp
            .remark
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "(no remark)".into()),
    }
}

/// Reads a JSON (or fastjson) body.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    addr: &str,
    code: RequestCode,
    resp: &RemotingCommand,
) -> Result<T> {
    let bytes = fastjson::object_keys_to_strings(&resp.body);
    serde_json::from_slice(&bytes).map_err(|e| AdminError::BadAnswer {
        addr: addr.to_owned(),
        request: code.name(),
        detail: e.to_string(),
    })
}

/// Now, in ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
