//! Registration with the name servers (`BrokerOuterAPI`): REGISTER_BROKER to every address in
//! `namesrvAddr` at start, every `registerNameServerPeriod`, and at once when topics change;
//! UNREGISTER_BROKER at shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use wasmq_protocol::body::namesrv::RegisterBrokerBody;
use wasmq_protocol::header::namesrv::{RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader};
use wasmq_protocol::message::flags::{PERM_READ, PERM_WRITE};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::RemotingClient;

use crate::broker::Broker;

/// Registers with every name server in parallel; failures are logged.
pub async fn register_all(b: &Broker, client: &RemotingClient) {
    let addrs = b.config.load().namesrv_addrs();
    if addrs.is_empty() {
        return;
    }
    let mut wrapper = b.topics.snapshot();
    let perm = b.config.load().broker_permission;
    if perm & PERM_READ == 0 || perm & PERM_WRITE == 0 {
        // A broker with reduced permission advertises it on every topic (Java registerBrokerAll).
        for t in wrapper.topic_config_table.values_mut() {
            t.perm = perm;
        }
    }
    let body = RegisterBrokerBody {
        topic_config_serialize_wrapper: wrapper,
        filter_server_list: Vec::new(),
    };
    let json = match serde_json::to_vec(&body) {
        Ok(j) => bytes::Bytes::from(j),
        Err(e) => {
            tracing::error!(cause = %e, "cannot encode RegisterBrokerBody");
            return;
        }
    };
    let crc = (crc32fast::hash(&json) & 0x7FFF_FFFF) as i32;
    let header = RegisterBrokerRequestHeader {
        broker_name: b.config.load().broker_name.clone(),
        broker_addr: b.broker_addr.clone(),
        cluster_name: b.config.load().broker_cluster_name.clone(),
        ha_server_addr: format!(
            "{}:{}",
            b.config.load().ha_ip(),
            b.store_host.port().wrapping_add(1)
        ),
        broker_id: b.config.load().broker_id,
        compressed: Some(false),
        body_crc32: Some(crc),
    };
    let timeout = Duration::from_millis(b.config.load().register_broker_timeout_mills);
    let calls = addrs.into_iter().map(|addr| {
        let cmd = RemotingCommand::request_with_header(RequestCode::RegisterBroker, 0, &header)
            .with_body(json.clone());
        let client = client.clone();
        async move {
            match client.invoke(&addr, cmd, timeout).await {
                Ok(r) if r.code == ResponseCode::Success.as_i32() => {
                    tracing::debug!(namesrv = %addr, "registered with name server");
                }
                Ok(r) => tracing::warn!(namesrv = %addr, code = r.code, remark = ?r.remark,
                    "name server refused registration"),
                Err(e) => {
                    tracing::warn!(namesrv = %addr, cause = %e, "cannot register with name server")
                }
            }
        }
    });
    futures::future::join_all(calls).await;
}

/// Unregisters from every name server (shutdown).
pub async fn unregister_all(b: &Broker, client: &RemotingClient) {
    let header = UnregisterBrokerRequestHeader {
        broker_name: b.config.load().broker_name.clone(),
        broker_addr: b.broker_addr.clone(),
        cluster_name: b.config.load().broker_cluster_name.clone(),
        broker_id: b.config.load().broker_id,
    };
    let timeout = Duration::from_millis(b.config.load().register_broker_timeout_mills);
    let calls = b.config.load().namesrv_addrs().into_iter().map(|addr| {
        let cmd = RemotingCommand::request_with_header(RequestCode::UnregisterBroker, 0, &header);
        let client = client.clone();
        async move {
            if let Err(e) = client.invoke(&addr, cmd, timeout).await {
                tracing::warn!(namesrv = %addr, cause = %e, "cannot unregister from name server");
            }
        }
    });
    futures::future::join_all(calls).await;
}

/// The registration loop: every period and on each topic change (the caller registers once
/// before starting it).
pub fn spawn(
    b: Arc<Broker>,
    client: RemotingClient,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period = Duration::from_millis(b.config.load().register_period_ms());
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(period) => {}
                () = b.topics.changed() => {}
            }
            register_all(&b, &client).await;
        }
    })
}
