//! Client side: one connection per remote address, reused, reconnected when closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use wasmq_protocol::RemotingCommand;

use crate::connection::{Connection, NoService, Service};

/// Why a remote call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Could not connect.
    #[error("cannot connect to {addr}: {cause}")]
    Connect {
        /// The address given.
        addr: String,
        /// The socket error.
        cause: std::io::Error,
    },
    /// The connection closed before the answer came.
    #[error("connection to {0} closed")]
    Closed(String),
    /// No answer within the deadline.
    #[error("no answer from {addr} within {millis} ms")]
    Timeout {
        /// The remote address.
        addr: String,
        /// The deadline.
        millis: u64,
    },
}

/// One address's connection; its async lock is held while connecting, so callers for the same
/// address share one connect and callers for other addresses are not held up by it.
type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// Connections by address, shared by every caller.
#[derive(Clone)]
pub struct RemotingClient {
    /// Short critical sections only (look up or add a slot); never held across an await.
    conns: Arc<parking_lot::Mutex<HashMap<String, Slot>>>,
    service: Arc<dyn Service>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for RemotingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotingClient").finish_non_exhaustive()
    }
}

impl Default for RemotingClient {
    fn default() -> Self {
        Self::new()
    }
}

impl RemotingClient {
    /// A client that ignores requests the remote side sends it.
    pub fn new() -> Self {
        Self::with_service(Arc::new(NoService))
    }

    /// A client whose connections serve the remote side's requests with `service`.
    pub fn with_service(service: Arc<dyn Service>) -> Self {
        Self {
            conns: Arc::default(),
            service,
            connect_timeout: Duration::from_secs(3),
        }
    }

    /// The live connection to `addr`, connecting if needed.
    pub async fn connection(&self, addr: &str) -> Result<Connection, ClientError> {
        let slot = Arc::clone(self.conns.lock().entry(addr.to_owned()).or_default());
        let mut slot = slot.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let connect = TcpStream::connect(addr);
        let stream = match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(s)) => s,
            Ok(Err(cause)) => {
                return Err(ClientError::Connect {
                    addr: addr.to_owned(),
                    cause,
                });
            }
            Err(_) => {
                return Err(ClientError::Connect {
                    addr: addr.to_owned(),
                    cause: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
                });
            }
        };
        let conn = Connection::spawn(stream, Arc::clone(&self.service)).map_err(|cause| {
            ClientError::Connect {
                addr: addr.to_owned(),
                cause,
            }
        })?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Sends `cmd` to `addr` and waits for the answer.
    pub async fn invoke(
        &self,
        addr: &str,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        let conn = self.connection(addr).await?;
        conn.request(cmd, timeout).await
    }

    /// Sends a oneway request to `addr`.
    pub async fn invoke_oneway(&self, addr: &str, cmd: RemotingCommand) -> Result<(), ClientError> {
        self.connection(addr).await?.oneway(cmd)
    }

    /// Closes every connection.
    pub async fn close_all(&self) {
        let slots: Vec<Slot> = self.conns.lock().drain().map(|(_, s)| s).collect();
        for slot in slots {
            if let Some(c) = slot.lock().await.take() {
                c.close();
            }
        }
    }
}
