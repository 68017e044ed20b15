//! GET_ROUTEINFO_BY_TOPIC (105): where a topic's queues are.

use wasmq_protocol::body::namesrv::STANDARD_JSON_VERSION;
use wasmq_protocol::header::namesrv::GetRouteInfoRequestHeader;
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::kv::NAMESPACE_ORDER_TOPIC_CONFIG;
use crate::state::NamesrvState;

/// Java's `FAQUrl.APPLY_TOPIC_URL` hint, appended to the not-found remark.
const APPLY_TOPIC_HINT: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// Answers the `TopicRouteData`, shaped by the route policy, or 17 TOPIC_NOT_EXIST.
///
/// As Java 4.9.4+: standard compact JSON for clients of version >= 4.9.4 or sending
/// `acceptStandardJsonOnly=true`; otherwise fastjson's form with unquoted `brokerAddrs` keys,
/// which Go's hand parser needs to tell a master from its slaves.
pub fn handle(state: &NamesrvState, req: Request<GetRouteInfoRequestHeader>) -> RemotingCommand {
    let topic = &req.header.topic;
    let route = state.routes().read().topic_route(topic);
    let Some(mut route) = route else {
        tracing::debug!(%topic, peer = %req.conn.peer(), "no route");
        return RemotingCommand::error(
            ResponseCode::TopicNotExist,
            format!("No topic route info in name server for the topic: {topic}{APPLY_TOPIC_HINT}"),
        );
    };
    if state.config().order_message_enable {
        route.order_topic_conf = state.kv().get(NAMESPACE_ORDER_TOPIC_CONFIG, topic);
    }
    let route = state.route_policy().shape(topic, req.conn.peer(), route);
    let standard =
        req.version >= STANDARD_JSON_VERSION || req.header.accept_standard_json_only == Some(true);
    RemotingCommand::success().with_body(if standard {
        super::json(&route)
    } else {
        super::fastjson(&route)
    })
}
