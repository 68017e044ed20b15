//! A [`Service`] from one table of request handlers, each receiving its typed header.
//!
//! The router is the one place where a request's `extFields` become a typed header: a handler
//! never sees a header that did not decode. A decode failure is answered with `SYSTEM_ERROR` and
//! a remark naming the field; an unknown code with `REQUEST_CODE_NOT_SUPPORTED`.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use futures::FutureExt;

use bytes::Bytes;
use wasmq_protocol::code::CURRENT_VERSION;
use wasmq_protocol::{CommandHeader, LanguageCode, RemotingCommand, RequestCode, ResponseCode};

use crate::connection::{Connection, Dispatch, Service};

/// A decoded request as a handler sees it.
#[derive(Debug)]
pub struct Request<H> {
    /// The connection it came on.
    pub conn: Connection,
    /// The typed header.
    pub header: H,
    /// The body.
    pub body: Bytes,
    /// The sender's version ordinal.
    pub version: i32,
    /// The sender's language.
    pub language: LanguageCode,
    /// The raw command, for the rare field that is not part of a header (e.g. a remark).
    pub raw: RemotingCommand,
}

type Handler<S> = Box<dyn Fn(&Arc<S>, &Connection, RemotingCommand) -> Dispatch + Send + Sync>;
type ConnHook<S> = Box<dyn Fn(&Arc<S>, &Connection) + Send + Sync>;

struct Route<S> {
    name: &'static str,
    handler: Handler<S>,
}

/// `request code -> handler`, over a shared state `S`.
pub struct Router<S> {
    state: Arc<S>,
    routes: HashMap<i32, Route<S>>,
    on_connect: Option<ConnHook<S>>,
    on_disconnect: Option<ConnHook<S>>,
}

impl<S> std::fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.routes.iter().map(|(c, r)| (*c, r.name)).collect();
        names.sort_unstable();
        f.debug_struct("Router").field("routes", &names).finish()
    }
}

impl<S: Send + Sync + 'static> Router<S> {
    /// An empty table over `state`.
    pub fn new(state: Arc<S>) -> Self {
        Self {
            state,
            routes: HashMap::new(),
            on_connect: None,
            on_disconnect: None,
        }
    }

    /// Adds a handler that answers at once (no task spawned).
    pub fn sync<H, F>(mut self, code: RequestCode, handler: F) -> Self
    where
        H: CommandHeader + Send + 'static,
        F: Fn(&S, Request<H>) -> RemotingCommand + Send + Sync + 'static,
    {
        let name = code.name();
        let h: Handler<S> = Box::new(move |state, conn, raw| {
            Dispatch::Ready(decode::<H>(conn, raw).map_or_else(Some, |req| {
                let answer_to = req.raw.clone_head();
                // A panicking handler answers SYSTEM_ERROR (as Java answers an exception) instead
                // of killing the connection's reader without its disconnect clean-up.
                let answer = catch_unwind(AssertUnwindSafe(|| handler(state, req)))
                    .unwrap_or_else(|p| panicked(name, conn, p.as_ref()));
                Some(answer.answering(&answer_to))
            }))
        });
        self.insert(code, name, h);
        self
    }

    /// Adds a handler that may wait (it runs in its own task).
    pub fn asynchronous<H, F, Fut>(mut self, code: RequestCode, handler: F) -> Self
    where
        H: CommandHeader + Send + 'static,
        F: Fn(Arc<S>, Request<H>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = RemotingCommand> + Send + 'static,
    {
        let name = code.name();
        let handler = Arc::new(handler);
        let h: Handler<S> = Box::new(move |state, conn, raw| match decode::<H>(conn, raw) {
            Err(answer) => Dispatch::Ready(Some(answer)),
            Ok(req) => {
                let answer_to = req.raw.clone_head();
                let conn = conn.clone();
                let fut = match catch_unwind(AssertUnwindSafe(|| handler(Arc::clone(state), req))) {
                    Ok(fut) => fut,
                    Err(p) => {
                        return Dispatch::Ready(Some(
                            panicked(name, &conn, p.as_ref()).answering(&answer_to),
                        ));
                    }
                };
                Dispatch::Pending(Box::pin(async move {
                    let answer = AssertUnwindSafe(fut)
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|p| panicked(name, &conn, p.as_ref()));
                    Some(answer.answering(&answer_to))
                }))
            }
        });
        self.insert(code, name, h);
        self
    }

    /// Runs `f` when a connection opens.
    pub fn on_connect(mut self, f: impl Fn(&Arc<S>, &Connection) + Send + Sync + 'static) -> Self {
        self.on_connect = Some(Box::new(f));
        self
    }

    /// Runs `f` when a connection closes.
    pub fn on_disconnect(
        mut self,
        f: impl Fn(&Arc<S>, &Connection) + Send + Sync + 'static,
    ) -> Self {
        self.on_disconnect = Some(Box::new(f));
        self
    }

    /// The codes this router serves, with their names.
    pub fn codes(&self) -> Vec<(i32, &'static str)> {
        let mut v: Vec<_> = self.routes.iter().map(|(c, r)| (*c, r.name)).collect();
        v.sort_unstable();
        v
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<S> {
        &self.state
    }

    fn insert(&mut self, code: RequestCode, name: &'static str, handler: Handler<S>) {
        let prev = self.routes.insert(code.as_i32(), Route { name, handler });
        assert!(prev.is_none(), "request code {name} routed twice");
    }
}

/// The answer to a request whose handler panicked.
fn panicked(name: &str, conn: &Connection, payload: &(dyn Any + Send)) -> RemotingCommand {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    tracing::error!(peer = %conn.peer(), code = name, cause = what, "request handler panicked");
    RemotingCommand::error(
        ResponseCode::SystemError,
        format!("{name} handler failed: {what}"),
    )
}

/// Decodes the typed header, or returns the error answer.
#[allow(clippy::result_large_err)] // the error is the answer itself, built once per bad request
fn decode<H: CommandHeader>(
    conn: &Connection,
    raw: RemotingCommand,
) -> Result<Request<H>, RemotingCommand> {
    match raw.decode_header::<H>() {
        Ok(header) => Ok(Request {
            conn: conn.clone(),
            header,
            body: raw.body.clone(),
            version: raw.version,
            language: raw.language,
            raw,
        }),
        Err(e) => {
            tracing::debug!(peer = %conn.peer(), code = raw.code, cause = %e, "bad request header");
            Err(RemotingCommand::error(ResponseCode::SystemError, e.to_string()).answering(&raw))
        }
    }
}

trait CloneHead {
    fn clone_head(&self) -> RemotingCommand;
}

impl CloneHead for RemotingCommand {
    /// What [`RemotingCommand::answering`] needs: opaque and serialize type.
    fn clone_head(&self) -> RemotingCommand {
        RemotingCommand {
            opaque: self.opaque,
            serialize_type: self.serialize_type,
            version: CURRENT_VERSION,
            ..RemotingCommand::default()
        }
    }
}

impl<S: Send + Sync + 'static> Service for Router<S> {
    fn call(&self, conn: &Connection, request: RemotingCommand) -> Dispatch {
        match self.routes.get(&request.code) {
            Some(route) => {
                tracing::trace!(peer = %conn.peer(), code = route.name, opaque = request.opaque, "request");
                (route.handler)(&self.state, conn, request)
            }
            None => {
                tracing::debug!(peer = %conn.peer(), code = request.code, "request code not supported");
                let remark = format!(" request type {} not supported", request.code);
                Dispatch::Ready(Some(
                    RemotingCommand::error(ResponseCode::RequestCodeNotSupported, remark)
                        .answering(&request),
                ))
            }
        }
    }

    fn connected(&self, conn: &Connection) {
        if let Some(f) = &self.on_connect {
            f(&self.state, conn);
        }
    }

    fn disconnected(&self, conn: &Connection) {
        if let Some(f) = &self.on_disconnect {
            f(&self.state, conn);
        }
    }
}
