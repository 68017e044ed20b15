//! One TCP connection: frames in both directions, requests served concurrently, responses
//! matched to our requests by `opaque`.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::codec::{Decoder, FramedRead};
use wasmq_protocol::{FrameError, RemotingCommand, ResponseCode, frame};

use crate::client::ClientError;

/// A future answering one request.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How a [`Service`] answers: at once (no task needed) or later.
pub enum Dispatch {
    /// The answer, or `None` for no answer (oneway requests).
    Ready(Option<RemotingCommand>),
    /// An answer still to be computed; the connection runs it in its own task.
    Pending(BoxFuture<Option<RemotingCommand>>),
}

impl std::fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dispatch::Ready(r) => f.debug_tuple("Ready").field(r).finish(),
            Dispatch::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// What serves the requests arriving on a connection.
pub trait Service: Send + Sync + 'static {
    /// Serves one request. The returned command is sent back unless the request was oneway.
    fn call(&self, conn: &Connection, request: RemotingCommand) -> Dispatch;
    /// Called once when the connection is established.
    fn connected(&self, _conn: &Connection) {}
    /// Called once when the connection has closed.
    fn disconnected(&self, _conn: &Connection) {}
}

/// A service that answers nothing: for client connections that expect no requests.
#[derive(Debug, Default)]
pub struct NoService;

impl Service for NoService {
    fn call(&self, _conn: &Connection, _request: RemotingCommand) -> Dispatch {
        Dispatch::Ready(None)
    }
}

/// Frames as a tokio codec.
#[derive(Debug, Default)]
struct FrameCodec;

impl Decoder for FrameCodec {
    type Item = RemotingCommand;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, CodecError> {
        Ok(frame::decode(src)?)
    }
}

/// Why reading a connection stopped.
#[derive(Debug, thiserror::Error)]
enum CodecError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(1);

/// A fresh request id.
pub fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed) & i32::MAX
}

/// A connection with no frame read and none written for this long is closed (Java's
/// `serverChannelMaxIdleTimeSeconds` and `clientChannelMaxIdleTimeSeconds`, 120 s). RocketMQ has
/// no ping frame; live peers send heartbeats or registrations every 30 s.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

struct Shared {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    outbox: mpsc::UnboundedSender<RemotingCommand>,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    closed: AtomicBool,
    closed_notify: Notify,
    /// When the connection started; `last_io_ms` counts from here.
    origin: Instant,
    /// Milliseconds after `origin` of the last frame read or write.
    last_io_ms: AtomicU64,
}

/// A handle to a live connection; cheap to clone.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.shared.id)
            .field("peer", &self.shared.peer)
            .finish()
    }
}

impl Connection {
    /// Starts serving `stream`: spawns its reader and writer tasks.
    pub fn spawn(stream: TcpStream, service: Arc<dyn Service>) -> std::io::Result<Connection> {
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let local = stream.local_addr()?;
        let (read_half, write_half) = stream.into_split();
        let (outbox, inbox) = mpsc::unbounded_channel();
        let conn = Connection {
            shared: Arc::new(Shared {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                local,
                outbox,
                pending: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
                closed_notify: Notify::new(),
                origin: Instant::now(),
                last_io_ms: AtomicU64::new(0),
            }),
        };
        tokio::spawn(idle_watch(conn.clone()));
        tokio::spawn(write_loop(conn.clone(), write_half, inbox));
        let reader = conn.clone();
        service.connected(&conn);
        tokio::spawn(async move {
            read_loop(&reader, read_half, &*service).await;
            reader.mark_closed();
            service.disconnected(&reader);
        });
        Ok(conn)
    }

    /// Process-unique id of this connection.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// The remote address.
    pub fn peer(&self) -> SocketAddr {
        self.shared.peer
    }

    /// Our address on this connection.
    pub fn local(&self) -> SocketAddr {
        self.shared.local
    }

    /// True once the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Waits until the connection has closed.
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.closed_notify.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Queues a frame for sending (a response, or a oneway request).
    pub fn send(&self, cmd: RemotingCommand) -> Result<(), ClientError> {
        if self.is_closed() {
            return Err(ClientError::Closed(self.peer().to_string()));
        }
        self.shared
            .outbox
            .send(cmd)
            .map_err(|_| ClientError::Closed(self.peer().to_string()))
    }

    /// Sends a request and waits for its response, at most `timeout`.
    pub async fn request(
        &self,
        mut cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        let opaque = next_opaque();
        cmd.opaque = opaque;
        let (tx, rx) = oneshot::channel();
        self.shared.pending.lock().insert(opaque, tx);
        if let Err(e) = self.send(cmd) {
            self.shared.pending.lock().remove(&opaque);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(_)) => Err(ClientError::Closed(self.peer().to_string())),
            Err(_) => {
                self.shared.pending.lock().remove(&opaque);
                Err(ClientError::Timeout {
                    addr: self.peer().to_string(),
                    millis: timeout.as_millis() as u64,
                })
            }
        }
    }

    /// Sends a oneway request (never answered).
    pub fn oneway(&self, mut cmd: RemotingCommand) -> Result<(), ClientError> {
        cmd.opaque = next_opaque();
        cmd.set_oneway();
        self.send(cmd)
    }

    /// Closes the connection: pending requests fail, both tasks stop.
    pub fn close(&self) {
        self.mark_closed();
    }

    /// Records I/O now (resets the idle clock).
    fn touch(&self) {
        let ms = u64::try_from(self.shared.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.shared.last_io_ms.store(ms, Ordering::Relaxed);
    }

    /// How long since the last frame in either direction.
    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.shared.last_io_ms.load(Ordering::Relaxed));
        self.shared.origin.elapsed().saturating_sub(last)
    }

    fn mark_closed(&self) {
        if !self.shared.closed.swap(true, Ordering::AcqRel) {
            self.shared.pending.lock().clear();
            self.shared.closed_notify.notify_waiters();
        }
    }
}

async fn read_loop(
    conn: &Connection,
    read_half: tokio::net::tcp::OwnedReadHalf,
    service: &dyn Service,
) {
    let mut frames = FramedRead::with_capacity(read_half, FrameCodec, 64 * 1024);
    loop {
        let next = tokio::select! {
            next = frames.next() => next,
            () = conn.closed() => return,
        };
        let cmd = match next {
            None => {
                tracing::debug!(peer = %conn.peer(), "connection closed by peer");
                return;
            }
            Some(Err(CodecError::Io(e))) => {
                tracing::debug!(peer = %conn.peer(), cause = %e, "connection read failed");
                return;
            }
            Some(Err(CodecError::Frame(e))) => {
                tracing::warn!(peer = %conn.peer(), cause = %e, "malformed frame; closing this connection");
                return;
            }
            Some(Ok(cmd)) => cmd,
        };
        conn.touch();
        if cmd.is_response() {
            let waiter = conn.shared.pending.lock().remove(&cmd.opaque);
            match waiter {
                Some(tx) => {
                    let _ = tx.send(cmd);
                }
                None => {
                    tracing::debug!(peer = %conn.peer(), opaque = cmd.opaque, "response for no pending request")
                }
            }
            continue;
        }
        let oneway = cmd.is_oneway();
        match service.call(conn, cmd) {
            Dispatch::Ready(resp) => {
                if let (Some(resp), false) = (resp, oneway) {
                    let _ = conn.send(resp);
                }
            }
            Dispatch::Pending(fut) => {
                let conn = conn.clone();
                tokio::spawn(async move {
                    if let (Some(resp), false) = (fut.await, oneway) {
                        let _ = conn.send(resp);
                    }
                });
            }
        }
    }
}

/// Closes `conn` once it has been idle for [`IDLE_TIMEOUT`] (one timer per connection, re-armed
/// from the last I/O, so busy connections cost nothing per frame).
async fn idle_watch(conn: Connection) {
    loop {
        let wait = IDLE_TIMEOUT.saturating_sub(conn.idle_for());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = conn.closed() => return,
        }
        if conn.idle_for() >= IDLE_TIMEOUT {
            tracing::info!(peer = %conn.peer(), idle_secs = IDLE_TIMEOUT.as_secs(), "connection idle; closing");
            conn.close();
            return;
        }
    }
}

async fn write_loop(
    conn: Connection,
    mut write_half: tokio::net::tcp::OwnedWriteHalf,
    mut inbox: mpsc::UnboundedReceiver<RemotingCommand>,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let first = tokio::select! {
            cmd = inbox.recv() => cmd,
            () = conn.closed() => None,
        };
        let Some(first) = first else { break };
        encode_into(&conn, &first, &mut buf);
        // Coalesce whatever else is queued into the same write.
        while buf.len() < 256 * 1024 {
            match inbox.try_recv() {
                Ok(cmd) => encode_into(&conn, &cmd, &mut buf),
                Err(_) => break,
            }
        }
        // A peer that stops reading must not keep a closed connection (and its socket) alive.
        let written = tokio::select! {
            w = write_half.write_all(&buf) => w,
            () = conn.closed() => break,
        };
        if let Err(e) = written {
            tracing::debug!(peer = %conn.peer(), cause = %e, "connection write failed");
            break;
        }
        conn.touch();
        buf.clear();
    }
    conn.mark_closed();
    let _ = write_half.shutdown().await;
}

fn encode_into(conn: &Connection, cmd: &RemotingCommand, buf: &mut BytesMut) {
    let Err(e) = frame::encode(cmd, buf) else {
        return;
    };
    tracing::error!(peer = %conn.peer(), code = cmd.code, cause = %e, "cannot encode frame");
    let answer = RemotingCommand::error(ResponseCode::SystemError, e.to_string()).answering(cmd);
    if cmd.is_response() {
        // Tell the waiting client instead of leaving it to time out.
        let _ = frame::encode(&answer, buf);
    } else if let Some(waiter) = conn.shared.pending.lock().remove(&cmd.opaque) {
        // Our own request cannot be sent: answer the local caller at once, as the peer would.
        let _ = waiter.send(answer);
    }
}
