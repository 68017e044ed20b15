//! The accept loop: every accepted connection is served by one shared [`Service`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::connection::{Connection, Service};

/// A bound listener, ready to serve.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
}

/// Stops a running server when told to or dropped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting new connections.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Server {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr).await?,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves connections in a background task until the handle is stopped or dropped.
    pub fn start(self, service: Arc<dyn Service>) -> std::io::Result<ServerHandle> {
        let addr = self.listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(1);
            loop {
                let accepted = tokio::select! {
                    a = self.listener.accept() => a,
                    _ = stopped.changed() => break,
                };
                match accepted {
                    Ok((stream, peer)) => {
                        backoff = Duration::from_millis(1);
                        tracing::debug!(%peer, "accepted connection");
                        if let Err(e) = Connection::spawn(stream, Arc::clone(&service)) {
                            tracing::debug!(%peer, cause = %e, "connection setup failed");
                        }
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::error!(%addr, cause = %e, "accept failed");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                    }
                }
            }
            tracing::info!(%addr, "listener stopped");
        });
        Ok(ServerHandle { addr, stop })
    }
}
