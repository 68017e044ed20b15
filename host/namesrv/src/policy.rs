//! The route-policy hook: a plugin may reshape a topic's route per client.

use std::net::SocketAddr;

use wasmq_protocol::body::namesrv::TopicRouteData;

/// Reshapes the route answered to a client (e.g. hide brokers, reorder, pin a zone).
///
/// Called for every successful GET_ROUTEINFO_BY_TOPIC, after the nameserver built the route and
/// before it is serialized; it must be cheap and must not block.
pub trait RoutePolicy: Send + Sync {
    /// The route to send to `client` for `topic`.
    fn shape(&self, topic: &str, client: SocketAddr, route: TopicRouteData) -> TopicRouteData;
}

/// The default policy: the route as the nameserver built it.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough;

impl RoutePolicy for PassThrough {
    fn shape(&self, _topic: &str, _client: SocketAddr, route: TopicRouteData) -> TopicRouteData {
        route
    }
}
