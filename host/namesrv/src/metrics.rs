//! Prometheus metrics of a nameserver: [`Metered`] counts requests by code and route lookups
//! by outcome in front of the request table; [`Probe`] reads live brokers, topics and open
//! connections at scrape time. [`install`] makes both.

use std::sync::Arc;

use wasmq_metrics::{NamesrvCollector, NamesrvMetrics, NamesrvProbe, NamesrvSample};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::{Connection, Dispatch, Router, Service};

use crate::state::NamesrvState;

/// Counters for every code the nameserver serves, and the collector that writes them (with
/// what [`Probe`] reads from `state`) on each scrape. Pass the counters to
/// [`crate::serve_with_metrics`].
pub fn install(state: &Arc<NamesrvState>) -> (Arc<NamesrvMetrics>, NamesrvCollector) {
    let metrics = NamesrvMetrics::new(&crate::router(Arc::clone(state)).codes());
    let collector = NamesrvCollector::new(Arc::clone(&metrics), Arc::new(Probe(Arc::clone(state))));
    (metrics, collector)
}

/// Reads a nameserver's state at scrape time.
#[derive(Debug)]
pub struct Probe(pub Arc<NamesrvState>);

impl NamesrvProbe for Probe {
    fn sample(&self) -> NamesrvSample {
        let (brokers, topics) = {
            let routes = self.0.routes().read();
            (routes.live_brokers(), routes.all_topics().topic_list.len())
        };
        NamesrvSample {
            brokers: brokers as u64,
            topics: topics as u64,
            connections: self.0.connection_count() as u64,
        }
    }
}

/// The request table with every request counted by code, and route lookups by outcome.
pub struct Metered {
    inner: Router<NamesrvState>,
    metrics: Arc<NamesrvMetrics>,
}

impl Metered {
    /// Counts what `inner` serves into `metrics`.
    pub fn new(inner: Router<NamesrvState>, metrics: Arc<NamesrvMetrics>) -> Self {
        Self { inner, metrics }
    }
}

impl std::fmt::Debug for Metered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metered")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Service for Metered {
    fn call(&self, conn: &Connection, request: RemotingCommand) -> Dispatch {
        self.metrics.record_request(request.code);
        let route_lookup = request.code == RequestCode::GetRouteinfoByTopic.as_i32();
        let answer = self.inner.call(conn, request);
        if !route_lookup {
            return answer;
        }
        let found = |r: &Option<RemotingCommand>| {
            r.as_ref()
                .is_some_and(|r| r.code == ResponseCode::Success.as_i32())
        };
        match answer {
            Dispatch::Ready(r) => {
                self.metrics.record_route_lookup(found(&r));
                Dispatch::Ready(r)
            }
            Dispatch::Pending(fut) => {
                let metrics = Arc::clone(&self.metrics);
                Dispatch::Pending(Box::pin(async move {
                    let r = fut.await;
                    metrics.record_route_lookup(found(&r));
                    r
                }))
            }
        }
    }

    fn connected(&self, conn: &Connection) {
        self.inner.connected(conn);
    }

    fn disconnected(&self, conn: &Connection) {
        self.inner.disconnected(conn);
    }
}
