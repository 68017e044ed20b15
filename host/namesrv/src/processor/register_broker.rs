//! REGISTER_BROKER (103): a broker announces itself and its topics (every 30 s).

use std::io::Read;

use wasmq_protocol::body::namesrv::{DataVersion, RegisterBrokerBody, TopicConfigSerializeWrapper};
use wasmq_protocol::header::namesrv::{RegisterBrokerRequestHeader, RegisterBrokerResponseHeader};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::kv::NAMESPACE_ORDER_TOPIC_CONFIG;
use crate::route::Registration;
use crate::state::NamesrvState;

/// Brokers older than this (`MQVersion.V3_0_11`) send a bare `TopicConfigSerializeWrapper`.
const V3_0_11: i32 = 37;

/// Largest inflated compressed body accepted (a topic line is ~40 bytes; this is >1M topics).
const MAX_INFLATED: u64 = 64 * 1024 * 1024;

/// Records the registration; answers the live master's addresses to a slave and the
/// `ORDER_TOPIC_CONFIG` KV namespace as body (empty when it has no entries).
pub fn handle(state: &NamesrvState, req: Request<RegisterBrokerRequestHeader>) -> RemotingCommand {
    let h = &req.header;
    if let Some(expected) = h.body_crc32.filter(|c| *c != 0) {
        let actual = (crc32fast::hash(&req.body) & 0x7FFF_FFFF) as i32;
        if actual != expected {
            tracing::warn!(peer = %req.conn.peer(), broker = %h.broker_addr, expected, actual, "register body crc32 mismatch");
            return RemotingCommand::error(ResponseCode::SystemError, "crc32 not match");
        }
    }
    let (topics, filter_servers) = match decode_body(&req) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(peer = %req.conn.peer(), broker = %h.broker_addr, cause = %e, "bad register body");
            return RemotingCommand::error(
                ResponseCode::SystemError,
                format!("Failed to decode RegisterBrokerBody: {e}"),
            );
        }
    };
    let reg = Registration {
        cluster_name: h.cluster_name.clone(),
        broker_addr: h.broker_addr.clone(),
        broker_name: h.broker_name.clone(),
        broker_id: h.broker_id,
        ha_server_addr: h.ha_server_addr.clone(),
        topics,
        filter_servers,
    };
    let now = state.now_ms();
    let result = state
        .routes()
        .write()
        .register(reg, Some(req.conn.clone()), now);
    tracing::debug!(broker = %h.broker_addr, name = %h.broker_name, id = h.broker_id, peer = %req.conn.peer(), "broker registered");
    let mut resp = RemotingCommand::success().with_header(&RegisterBrokerResponseHeader {
        ha_server_addr: result.ha_server_addr,
        master_addr: result.master_addr,
    });
    if let Some(table) = state.kv().list(NAMESPACE_ORDER_TOPIC_CONFIG) {
        resp = resp.with_body(super::json(&table));
    }
    resp
}

type Decoded = (TopicConfigSerializeWrapper, Option<Vec<String>>);

fn decode_body(req: &Request<RegisterBrokerRequestHeader>) -> Result<Decoded, String> {
    if req.body.is_empty() {
        let empty = TopicConfigSerializeWrapper {
            data_version: DataVersion::default(),
            ..Default::default()
        };
        return Ok((empty, (req.version >= V3_0_11).then(Vec::new)));
    }
    if req.version < V3_0_11 {
        let w = serde_json::from_slice(&req.body).map_err(|e| e.to_string())?;
        return Ok((w, None));
    }
    let body: RegisterBrokerBody = if req.header.compressed == Some(true) {
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(&req.body[..])
            .take(MAX_INFLATED + 1)
            .read_to_end(&mut inflated)
            .map_err(|e| format!("cannot inflate: {e}"))?;
        if inflated.len() as u64 > MAX_INFLATED {
            return Err(format!("inflated body exceeds {MAX_INFLATED} bytes"));
        }
        RegisterBrokerBody::decode_inflated(&inflated).map_err(|e| e.to_string())?
    } else {
        serde_json::from_slice(&req.body).map_err(|e| e.to_string())?
    };
    Ok((
        body.topic_config_serialize_wrapper,
        Some(body.filter_server_list),
    ))
}
