//! JSON bodies carried by requests and responses (route data, cluster info, heartbeats, ...).
//!
//! RocketMQ writes these with fastjson; wasmq reads them with serde, ignoring unknown fields and
//! accepting missing ones, and writes compact JSON every client can read.

pub mod broker;
pub mod namesrv;
