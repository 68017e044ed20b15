//! One handler per request code, and [`router`], the table that maps codes to them.
//!
//! Handlers follow Java's `DefaultRequestProcessor` 4.9.x; where they differ it is said in the
//! handler's docs. Unknown codes are answered 3 (REQUEST_CODE_NOT_SUPPORTED) by the router
//! (Java's nameserver stays silent).

mod cluster_info;
mod data_version;
mod delete_topic;
mod kv_config;
mod namesrv_config;
mod register_broker;
mod route_info;
mod system_topics;
mod topic_list;
mod topics_by_cluster;
mod unregister_broker;
mod write_perm;

use std::sync::Arc;

use wasmq_protocol::RequestCode;
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::namesrv::{
    AddWritePermOfBrokerRequestHeader, DeleteKvConfigRequestHeader,
    DeleteTopicFromNamesrvRequestHeader, GetKvConfigRequestHeader,
    GetKvListByNamespaceRequestHeader, GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader,
    PutKvConfigRequestHeader, QueryDataVersionRequestHeader, RegisterBrokerRequestHeader,
    UnregisterBrokerRequestHeader, WipeWritePermOfBrokerRequestHeader,
};
use wasmq_remoting::Router;

use crate::state::NamesrvState;

/// The nameserver's request table over `state`. Serve it with
/// `wasmq_remoting::Server::bind(..).start(Arc::new(router(state)))`, or use [`crate::start`].
///
/// The router also tracks connections, so brokers are dropped as soon as the connection they
/// registered on closes.
pub fn router(state: Arc<NamesrvState>) -> Router<NamesrvState> {
    Router::new(state)
        .sync::<RegisterBrokerRequestHeader, _>(
            RequestCode::RegisterBroker,
            register_broker::handle,
        )
        .sync::<UnregisterBrokerRequestHeader, _>(
            RequestCode::UnregisterBroker,
            unregister_broker::handle,
        )
        .sync::<QueryDataVersionRequestHeader, _>(
            RequestCode::QueryDataVersion,
            data_version::handle,
        )
        .sync::<GetRouteInfoRequestHeader, _>(RequestCode::GetRouteinfoByTopic, route_info::handle)
        .sync::<NoHeader, _>(RequestCode::GetBrokerClusterInfo, cluster_info::handle)
        .sync::<NoHeader, _>(
            RequestCode::GetAllTopicListFromNameserver,
            topic_list::handle,
        )
        .sync::<GetTopicsByClusterRequestHeader, _>(
            RequestCode::GetTopicsByCluster,
            topics_by_cluster::handle,
        )
        .sync::<NoHeader, _>(RequestCode::GetSystemTopicListFromNs, system_topics::system)
        .sync::<NoHeader, _>(RequestCode::GetUnitTopicList, system_topics::unit)
        .sync::<NoHeader, _>(
            RequestCode::GetHasUnitSubTopicList,
            system_topics::has_unit_sub,
        )
        .sync::<NoHeader, _>(
            RequestCode::GetHasUnitSubUnunitTopicList,
            system_topics::has_unit_sub_ununit,
        )
        .sync::<DeleteTopicFromNamesrvRequestHeader, _>(
            RequestCode::DeleteTopicInNamesrv,
            delete_topic::handle,
        )
        .asynchronous::<PutKvConfigRequestHeader, _, _>(RequestCode::PutKvConfig, kv_config::put)
        .sync::<GetKvConfigRequestHeader, _>(RequestCode::GetKvConfig, kv_config::get)
        .asynchronous::<DeleteKvConfigRequestHeader, _, _>(
            RequestCode::DeleteKvConfig,
            kv_config::delete,
        )
        .sync::<GetKvListByNamespaceRequestHeader, _>(
            RequestCode::GetKvlistByNamespace,
            kv_config::list,
        )
        .sync::<WipeWritePermOfBrokerRequestHeader, _>(
            RequestCode::WipeWritePermOfBroker,
            write_perm::wipe,
        )
        .sync::<AddWritePermOfBrokerRequestHeader, _>(
            RequestCode::AddWritePermOfBroker,
            write_perm::add,
        )
        .sync::<NoHeader, _>(RequestCode::GetNamesrvConfig, namesrv_config::get)
        .sync::<NoHeader, _>(RequestCode::UpdateNamesrvConfig, namesrv_config::update)
        .on_connect(|state, conn| state.connection_opened(conn))
        .on_disconnect(|state, conn| state.connection_closed(conn))
}

/// A body as compact JSON.
fn json<T: serde::Serialize>(value: &T) -> bytes::Bytes {
    bytes::Bytes::from(wasmq_protocol::body::namesrv::to_json(value))
}

/// A body in fastjson's form (unquoted `brokerAddrs` keys), for clients older than 4.9.4.
fn fastjson<T: serde::Serialize>(value: &T) -> bytes::Bytes {
    bytes::Bytes::from(wasmq_protocol::body::namesrv::to_fastjson(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code Java 4.9.x's `DefaultRequestProcessor` serves is routed.
    #[test]
    fn serves_every_java_namesrv_code() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::NamesrvConfig {
            kv_config_path: dir.path().join("kv.json").to_string_lossy().into_owned(),
            ..crate::NamesrvConfig::default()
        };
        let r = router(Arc::new(NamesrvState::new(config).unwrap()));
        let codes: Vec<i32> = r.codes().into_iter().map(|(c, _)| c).collect();
        for java in [
            100, 101, 102, 103, 104, 105, 106, 205, 206, 216, 219, 224, 304, 311, 312, 313, 318,
            319, 322, 327,
        ] {
            assert!(codes.contains(&java), "code {java} not routed");
        }
    }
}
