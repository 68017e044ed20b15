//! wasmq-broker: the RocketMQ broker's request processors over a [`wasmq_store::MessageStore`].
//!
//! - [`config`]: [`BrokerConfig`], the broker keys of `broker.conf` with 4.9.x defaults.
//! - [`broker`]: the shared state; [`topics`], [`groups`], [`offsets`] (persisted JSON config
//!   files, via [`persist`]), [`clients`] (live channels), [`locks`], [`long_polling`],
//!   [`schedule`] (delayed delivery), [`transactions`] (half messages and their checker),
//!   [`requeue`] (re-storing records), [`filter`] (tag hash matching).
//! - [`processor`]: one file per request family and the one request table.
//! - [`hooks`]: [`hooks::MessageHooks`], the data-path policy hooks plugins implement, and
//!   [`hooks::PluginAdmin`] behind the wasmq plugin admin requests (9000, 9001).
//! - [`register`]: REGISTER_BROKER / UNREGISTER_BROKER with the name servers.
//! - [`acl`]: plain ACL checks in front of the request table (`aclEnable`).
//! - [`metrics`]: Prometheus metrics ([`metrics::install`]) and the open-connection count.
//! - [`error`]: [`BrokerError`] and the single store-error -> response-code mapping.
//!
//! [`start`] binds listenPort (and the fast port listenPort - 2 unless listenPort is 0), wires the
//! store's arrival listener to the held pulls, and starts the background tasks (registration,
//! offset flush every `persistConsumerOffsetInterval`, client expiry, delayed delivery).

pub mod acl;
pub mod broker;
pub mod clients;
pub mod config;
pub mod error;
pub mod filter;
pub mod groups;
pub mod hooks;
pub mod locks;
pub mod long_polling;
pub mod metrics;
pub mod offsets;
pub mod persist;
pub mod processor;
pub mod register;
pub mod requeue;
pub mod schedule;
pub mod throughput;
pub mod topics;
pub mod transactions;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use wasmq_remoting::{RemotingClient, Server, ServerHandle};
use wasmq_store::MessageStore;

pub use broker::Broker;
pub use config::{BrokerConfig, BrokerRole};
pub use error::BrokerError;

/// How often silent client channels are looked for (Java: 10 s).
const CLIENT_SCAN_INTERVAL: Duration = Duration::from_secs(10);

/// A running broker.
#[derive(Debug)]
pub struct BrokerHandle {
    broker: Arc<Broker>,
    servers: Vec<ServerHandle>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: watch::Sender<bool>,
    client: RemotingClient,
    local_addr: SocketAddr,
}

impl BrokerHandle {
    /// The main listener's address (the bound one; clients are told `brokerIP1:port`).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address registered with name servers: `brokerIP1:port`.
    pub fn broker_addr(&self) -> &str {
        &self.broker.broker_addr
    }

    /// The shared state (for the binary's admin and tests).
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// Stops listening, unregisters from the name servers, persists the config files and shuts
    /// the store down.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for s in self.servers.drain(..) {
            s.stop();
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        register::unregister_all(&self.broker, &self.client).await;
        self.client.close_all().await;
        self.broker.persist_all();
        self.broker.store.shutdown();
        tracing::info!(addr = %self.broker.broker_addr, "broker shut down");
    }
}

impl Drop for BrokerHandle {
    /// A handle dropped without [`BrokerHandle::shutdown`] still stops the background tasks
    /// (the listeners stop with their handles); nothing is persisted.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts a broker over `store`, without data-path hooks.
pub async fn start(
    config: BrokerConfig,
    store: Arc<MessageStore>,
) -> Result<BrokerHandle, BrokerError> {
    start_with_hooks(config, store, Arc::new(hooks::NoHooks)).await
}

/// Starts a broker over `store` whose sends and pulls pass through `hooks` (plugins).
pub async fn start_with_hooks(
    config: BrokerConfig,
    store: Arc<MessageStore>,
    hooks: Arc<dyn hooks::MessageHooks>,
) -> Result<BrokerHandle, BrokerError> {
    let listen = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.listen_port));
    let main = Server::bind(listen)
        .await
        .map_err(|source| BrokerError::Bind {
            addr: listen.to_string(),
            source,
        })?;
    let local_addr = main.local_addr().map_err(|source| BrokerError::Bind {
        addr: listen.to_string(),
        source,
    })?;
    let fast = if config.listen_port > 2 {
        let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.listen_port - 2));
        Some(
            Server::bind(addr)
                .await
                .map_err(|source| BrokerError::Bind {
                    addr: addr.to_string(),
                    source,
                })?,
        )
    } else {
        None
    };
    let acl = if config.acl_enable {
        Some(Arc::new(acl::Acl::load(&config.acl_plain_file)?))
    } else {
        None
    };
    let broker = Arc::new(Broker::new(config, store, local_addr.port(), hooks)?);
    for (topic, r) in broker.topics.retentions() {
        broker.apply_topic_retention(&topic, r);
    }
    let weak = Arc::downgrade(&broker);
    broker
        .store
        .set_arrival_listener(Box::new(move |topic, queue_id, max_offset, tags_code| {
            if let Some(b) = weak.upgrade() {
                b.holds
                    .notify_arrival(topic, queue_id, max_offset, tags_code);
            }
        }));

    let bind_err = |addr: SocketAddr| {
        move |source| BrokerError::Bind {
            addr: addr.to_string(),
            source,
        }
    };
    let mut servers = vec![
        main.start(service(&broker, processor::Port::Main, acl.as_ref()))
            .map_err(bind_err(local_addr))?,
    ];
    if let Some(fast) = fast {
        let addr = fast.local_addr().unwrap_or(local_addr);
        servers.push(
            fast.start(service(&broker, processor::Port::Fast, acl.as_ref()))
                .map_err(bind_err(addr))?,
        );
    }

    let (stop, stop_rx) = watch::channel(false);
    let client = RemotingClient::new();
    // Registered before start returns, as Java's BrokerController.start does.
    register::register_all(&broker, &client).await;
    let mut tasks = vec![
        register::spawn(Arc::clone(&broker), client.clone(), stop_rx.clone()),
        spawn_offset_flush(Arc::clone(&broker), stop_rx.clone()),
        spawn_client_expiry(Arc::clone(&broker), stop_rx.clone()),
        spawn_throughput_sampler(Arc::clone(&broker), stop_rx.clone()),
    ];
    tasks.extend(schedule::spawn(&broker, &stop_rx));
    tasks.push(transactions::spawn(&broker, &stop_rx));
    tracing::info!(addr = %broker.broker_addr, listen = %local_addr,
        name = %broker.config.load().broker_name, cluster = %broker.config.load().broker_cluster_name, "broker started");
    Ok(BrokerHandle {
        broker,
        servers,
        tasks,
        stop,
        client,
        local_addr,
    })
}

/// The request table for one listener, behind the ACL when enabled, its connections counted.
fn service(
    broker: &Arc<Broker>,
    port: processor::Port,
    acl: Option<&Arc<acl::Acl>>,
) -> Arc<dyn wasmq_remoting::Service> {
    let router = processor::router(Arc::clone(broker), port);
    let inner: Arc<dyn wasmq_remoting::Service> = match acl {
        Some(acl) => Arc::new(acl::AclService::new(Arc::clone(acl), router)),
        None => Arc::new(router),
    };
    Arc::new(metrics::CountConnections {
        inner,
        broker: Arc::clone(broker),
    })
}

fn spawn_offset_flush(
    b: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period =
            Duration::from_millis(b.config.load().persist_consumer_offset_interval.max(100));
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(period) => {}
            }
            let b = Arc::clone(&b);
            match tokio::task::spawn_blocking(move || b.offsets.persist()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(cause = %e, "cannot persist consumerOffset.json"),
                Err(e) => tracing::error!(cause = %e, "offset flush task failed"),
            }
        }
    })
}

/// Samples the put and get totals once a second for runtime info's rates.
fn spawn_throughput_sampler(
    b: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                at = tick.tick() => {
                    let put = b.store.runtime_stats().put_message_times_total;
                    b.throughput.sample(put, at.into_std());
                }
            }
        }
    })
}

fn spawn_client_expiry(
    b: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let timeout = Duration::from_millis(b.config.load().channel_expired_timeout);
        let scan = CLIENT_SCAN_INTERVAL
            .min(timeout / 2)
            .max(Duration::from_millis(10));
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(scan) => {}
            }
            for group in b.clients.remove_expired(timeout) {
                b.clients.notify_ids_changed(&group);
            }
        }
    })
}
