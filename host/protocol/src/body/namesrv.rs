//! Bodies of nameserver requests and responses (RegisterBrokerBody, TopicRouteData, ClusterInfo, ...).
