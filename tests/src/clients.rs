//! [`Client`]: one scenario, two real RocketMQ clients. Both drivers share the same command line
//! and JSON-lines output, so data-path tests are written once and run against each.

use crate::{ScriptProc, node, rust_client};

/// Which third-party client drives a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// npm `ali-ons` (scripts in `tests/node/`).
    AliOns,
    /// crates.io `rocketmq-client-rust` (driver in `tests/rust-client/`).
    RustClient,
}

/// What a consumer run should do (flags of `consume.js` / `wasmq-rust-client consume`).
#[derive(Clone, Debug)]
pub struct ConsumeArgs {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Subscription expression (`*`, `TagA || TagB`).
    pub sub: String,
    /// Stop after this many deliveries (0 = until SIGTERM).
    pub count: usize,
    /// After `count`, keep listening this long to catch duplicates.
    pub linger_ms: u64,
    /// Give up (exit 3) after this long.
    pub timeout_ms: u64,
}

impl ConsumeArgs {
    /// A subscription to everything in `topic` for `group`, until SIGTERM.
    pub fn new(group: &str, topic: &str) -> Self {
        ConsumeArgs {
            group: group.to_string(),
            topic: topic.to_string(),
            sub: "*".to_string(),
            count: 0,
            linger_ms: 0,
            timeout_ms: 90_000,
        }
    }

    /// Sets the subscription expression.
    pub fn subscription(mut self, sub: &str) -> Self {
        self.sub = sub.to_string();
        self
    }

    /// Stops after `count` deliveries plus `linger_ms`.
    pub fn count(mut self, count: usize, linger_ms: u64) -> Self {
        self.count = count;
        self.linger_ms = linger_ms;
        self
    }
}

impl Client {
    /// Short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Client::AliOns => "ali-ons",
            Client::RustClient => "rocketmq-client-rust",
        }
    }

    /// Makes `topic` sendable. ali-ons cannot send to a topic the nameserver does not know (no
    /// TBW102 fallback), so it creates the topic with UPDATE_AND_CREATE_TOPIC (`create_topic.js`,
    /// 4 queues) and waits for its route; rocketmq-client-rust relies on auto-creation on first send.
    pub fn prepare_topic(self, namesrv: &str, topic: &str) {
        if self == Client::AliOns {
            let mut p = node::spawn(
                "create_topic.js",
                namesrv,
                &["--topic", topic, "--queues", "4"],
            );
            p.finish_ok(std::time::Duration::from_secs(30));
        }
    }

    /// Starts a producer sending `count` messages (tags rotate over the comma list `tags`).
    pub fn produce(
        self,
        namesrv: &str,
        topic: &str,
        count: usize,
        tags: &str,
        prefix: &str,
    ) -> ScriptProc {
        let count = count.to_string();
        let args = [
            "--topic", topic, "--count", &count, "--tags", tags, "--prefix", prefix,
        ];
        self.spawn("produce", namesrv, &args, &[])
    }

    /// Starts a push consumer; `extra` are client-specific flags (e.g. ali-ons `--rebalance-ms`).
    pub fn consume(self, namesrv: &str, c: &ConsumeArgs, extra: &[&str]) -> ScriptProc {
        let (count, linger, timeout) = (
            c.count.to_string(),
            c.linger_ms.to_string(),
            c.timeout_ms.to_string(),
        );
        let args = [
            "--group",
            &c.group,
            "--topic",
            &c.topic,
            "--sub",
            &c.sub,
            "--count",
            &count,
            "--linger-ms",
            &linger,
            "--timeout-ms",
            &timeout,
        ];
        self.spawn("consume", namesrv, &args, extra)
    }

    fn spawn(self, verb: &str, namesrv: &str, args: &[&str], extra: &[&str]) -> ScriptProc {
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(extra);
        match self {
            Client::AliOns => node::spawn(&format!("{verb}.js"), namesrv, &all),
            Client::RustClient => {
                all.insert(0, verb);
                rust_client::spawn(namesrv, &all)
            }
        }
    }
}
