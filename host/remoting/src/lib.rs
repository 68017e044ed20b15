//! wasmq-remoting: RocketMQ's remoting transport over TCP, on tokio.
//!
//! - [`connection`]: one TCP connection carrying frames both ways: a reader that dispatches
//!   requests to a [`Service`] (each one concurrently, so a held pull never blocks a send) and
//!   completes our own requests by `opaque`, and a writer task that coalesces queued frames.
//! - [`router`]: a [`Service`] built from one table of `request code -> handler`, which decodes
//!   each request's typed header before the handler runs and answers errors with a remark.
//! - [`server`]: the accept loop.
//! - [`client`]: connections to other nodes by address, for brokers, the admin CLI and tests.
pub mod client;
pub mod connection;
pub mod router;
pub mod server;

pub use client::{ClientError, RemotingClient};
pub use connection::{Connection, Dispatch, Service};
pub use router::{Request, Router};
pub use server::{Server, ServerHandle};
