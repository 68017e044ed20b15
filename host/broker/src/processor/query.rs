//! QUERY_MESSAGE (12) by key through the index, VIEW_MESSAGE_BY_ID (33) by commit-log offset
//! (Java `QueryMessageProcessor`).

use wasmq_protocol::header::broker::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;

/// QUERY_MESSAGE (12): records whose `topic#key` hash matches; 22 when none.
pub fn query_message(b: &Broker, req: Request<QueryMessageRequestHeader>) -> RemotingCommand {
    let h = req.header;
    let max = if h.unique_key_query == Some(true) {
        32
    } else {
        usize::try_from(h.max_num).unwrap_or(0).max(1)
    };
    let r = b
        .store
        .query_message(&h.topic, &h.key, max, h.begin_timestamp, h.end_timestamp);
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp: r.index_last_update_timestamp,
        index_last_update_phyoffset: r.index_last_update_phyoffset,
    };
    if r.messages.is_empty() {
        return RemotingCommand::error(
            ResponseCode::QueryNotFound,
            "can not find message, maybe time range not correct",
        )
        .with_header(&header);
    }
    let mut resp = RemotingCommand::success().with_header(&header);
    resp.body_chunks = r.messages;
    resp
}

/// VIEW_MESSAGE_BY_ID (33): the record at a commit-log offset.
pub fn view_message(b: &Broker, req: Request<ViewMessageRequestHeader>) -> RemotingCommand {
    let offset = req.header.offset;
    match b.store.look_message_by_offset(offset) {
        Some(record) => RemotingCommand::success().with_body(record),
        None => RemotingCommand::error(
            ResponseCode::SystemError,
            format!("can not find message by the offset, {offset}"),
        ),
    }
}
