//! Offset codes: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), SEARCH_OFFSET_BY_TIMESTAMP
//! (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32).

use wasmq_protocol::header::broker::{
    EarliestMsgStoretimeResponseHeader, OffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueueRequestHeader, SearchOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;

fn offset(offset: i64) -> RemotingCommand {
    RemotingCommand::success().with_header(&OffsetResponseHeader { offset })
}

/// QUERY_CONSUMER_OFFSET (14): the committed offset; never committed => offset 0 when the queue
/// still starts at 0, else 22 (the client then applies consumeFromWhere).
pub fn query(b: &Broker, req: Request<QueryConsumerOffsetRequestHeader>) -> RemotingCommand {
    let h = req.header;
    if let Some(o) = b.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        return offset(o);
    }
    if b.store.min_offset_in_queue(&h.topic, h.queue_id) <= 0 {
        return offset(0);
    }
    RemotingCommand::error(
        ResponseCode::QueryNotFound,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    )
    .with_header(&OffsetResponseHeader { offset: -1 })
}

/// UPDATE_CONSUMER_OFFSET (15), usually oneway.
pub fn update(b: &Broker, req: Request<UpdateConsumerOffsetRequestHeader>) -> RemotingCommand {
    let h = req.header;
    if b.is_slave() {
        return RemotingCommand::success();
    }
    b.offsets
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    RemotingCommand::success()
}

/// GET_MAX_OFFSET (30): the next offset (entry count).
pub fn max(b: &Broker, req: Request<QueueRequestHeader>) -> RemotingCommand {
    offset(
        b.store
            .max_offset_in_queue(&req.header.topic, req.header.queue_id),
    )
}

/// GET_MIN_OFFSET (31).
pub fn min(b: &Broker, req: Request<QueueRequestHeader>) -> RemotingCommand {
    offset(
        b.store
            .min_offset_in_queue(&req.header.topic, req.header.queue_id),
    )
}

/// SEARCH_OFFSET_BY_TIMESTAMP (29).
pub fn search(b: &Broker, req: Request<SearchOffsetRequestHeader>) -> RemotingCommand {
    let h = req.header;
    offset(
        b.store
            .offset_by_timestamp(&h.topic, h.queue_id, h.timestamp),
    )
}

/// GET_EARLIEST_MSG_STORETIME (32): 0 for an empty queue.
pub fn earliest(b: &Broker, req: Request<QueueRequestHeader>) -> RemotingCommand {
    let t = b
        .store
        .earliest_message_time(&req.header.topic, req.header.queue_id)
        .unwrap_or(0);
    RemotingCommand::success().with_header(&EarliestMsgStoretimeResponseHeader { timestamp: t })
}
