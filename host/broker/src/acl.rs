//! Plain ACL (`aclEnable=true`; Java `PlainAccessValidator` / `PlainPermissionManager`, 4.9.x).
//!
//! Order of checks: global white address => allowed; missing or unknown AccessKey => denied;
//! the account's white address => allowed (no signature or permission check); the signature
//! (Base64 HmacSHA1 over the sorted extFields values minus `Signature` and `_UNIQUE_KEY_QUERY`,
//! then the body) must match; publishing to RMQ_SYS_TRACE_TOPIC => allowed; admin codes need
//! `admin: true`; then each resource the request touches needs its permission (groups are keyed
//! `%RETRY%group`, unlisted resources use the account's defaults). A denial is answered with 1
//! and the reason; oneway requests get nothing.
//!
//! Deviation: a send to a retry topic needs SUB on that retry topic (Java looks up a `group`
//! field that send headers do not have). The file is read at start (Java also watches it).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_yaml::Value;
use wasmq_protocol::body::broker::HeartbeatData;
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::{Connection, Dispatch, Service};

use crate::error::BrokerError;

/// Permission bits (Java `Permission`).
pub mod perm {
    /// Denied.
    pub const DENY: u8 = 1;
    /// Either.
    pub const ANY: u8 = 1 << 1;
    /// Publish.
    pub const PUB: u8 = 1 << 2;
    /// Subscribe.
    pub const SUB: u8 = 1 << 3;

    /// `PUB`, `SUB`, `PUB|SUB`, `SUB|PUB`, else DENY.
    pub fn parse(s: &str) -> u8 {
        match s.trim() {
            "PUB" => PUB,
            "SUB" => SUB,
            "PUB|SUB" | "SUB|PUB" => PUB | SUB,
            _ => DENY,
        }
    }

    /// Java `Permission.checkPermission`.
    pub fn allows(needed: u8, owned: u8) -> bool {
        if owned & DENY != 0 {
            return false;
        }
        if needed & ANY != 0 {
            return owned & (PUB | SUB) != 0;
        }
        needed & owned != 0
    }
}

const ACCESS_KEY: &str = "AccessKey";
const SIGNATURE: &str = "Signature";
const UNIQUE_KEY_QUERY: &str = "_UNIQUE_KEY_QUERY";
const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
/// Codes that need an admin account.
const ADMIN_CODES: &[RequestCode] = &[
    RequestCode::UpdateAndCreateTopic,
    RequestCode::UpdateBrokerConfig,
    RequestCode::DeleteTopicInBroker,
    RequestCode::UpdateAndCreateSubscriptiongroup,
    RequestCode::DeleteSubscriptiongroup,
];

/// An address pattern: `*`, exact, or per-IPv4-segment `*`, `n`, `n-m`, `{a,b}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrPattern {
    /// Everything.
    Any,
    /// One address, compared as text.
    Exact(String),
    /// IPv4 segments; missing trailing segments match anything.
    Segments(Vec<Segment>),
}

/// One IPv4 segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `*`.
    Any,
    /// `lo-hi` (a single number is `n-n`).
    Range(u8, u8),
    /// `{a,b,...}`.
    Set(Vec<u8>),
}

impl AddrPattern {
    /// Parses a pattern; `None` for an empty one (matches nothing).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if s == "*" || s == "*.*.*.*" || s == "*:*:*:*:*:*:*:*" {
            return Some(AddrPattern::Any);
        }
        if s.contains(':') || !s.contains(['*', '-', '{']) {
            return Some(AddrPattern::Exact(s.to_owned()));
        }
        let segments: Option<Vec<Segment>> = s.split('.').map(parse_segment).collect();
        Some(segments.map_or_else(|| AddrPattern::Exact(s.to_owned()), AddrPattern::Segments))
    }

    /// True if `ip` matches.
    pub fn matches(&self, ip: IpAddr) -> bool {
        match self {
            AddrPattern::Any => true,
            AddrPattern::Exact(s) => {
                s.parse::<IpAddr>().is_ok_and(|p| p == ip) || *s == ip.to_string()
            }
            AddrPattern::Segments(segs) => {
                let IpAddr::V4(v4) = ip else { return false };
                v4.octets()
                    .iter()
                    .enumerate()
                    .all(|(i, o)| match segs.get(i) {
                        None | Some(Segment::Any) => true,
                        Some(Segment::Range(lo, hi)) => (*lo..=*hi).contains(o),
                        Some(Segment::Set(v)) => v.contains(o),
                    })
            }
        }
    }
}

fn parse_segment(s: &str) -> Option<Segment> {
    let s = s.trim();
    if s == "*" {
        return Some(Segment::Any);
    }
    if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return inner
            .split(',')
            .map(|n| n.trim().parse().ok())
            .collect::<Option<Vec<u8>>>()
            .map(Segment::Set);
    }
    match s.split_once('-') {
        Some((lo, hi)) => Some(Segment::Range(
            lo.trim().parse().ok()?,
            hi.trim().parse().ok()?,
        )),
        None => s.parse().ok().map(|n| Segment::Range(n, n)),
    }
}

/// One account of the file.
#[derive(Debug, Clone)]
pub struct Account {
    secret_key: String,
    white: Option<AddrPattern>,
    admin: bool,
    default_topic_perm: u8,
    default_group_perm: u8,
    /// Topic name or `%RETRY%group` -> permission.
    perms: HashMap<String, u8>,
}

/// The loaded ACL.
#[derive(Debug, Clone, Default)]
pub struct Acl {
    global_white: Vec<AddrPattern>,
    accounts: HashMap<String, Account>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(text).collect())
        .unwrap_or_default()
}

impl Acl {
    /// Reads a `plain_acl.yml`.
    pub fn load(path: &Path) -> Result<Self, BrokerError> {
        let raw = std::fs::read_to_string(path).map_err(|source| BrokerError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&raw).map_err(|reason| BrokerError::Config {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parses the YAML text.
    pub fn parse(yaml: &str) -> Result<Self, String> {
        let doc: Value = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
        let global_white = list(doc.get("globalWhiteRemoteAddresses"))
            .iter()
            .filter_map(|s| AddrPattern::parse(s))
            .collect();
        let mut accounts = HashMap::new();
        for a in doc
            .get("accounts")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let field = |k: &str| a.get(k).and_then(text);
            let access_key = field("accessKey").unwrap_or_default();
            let secret_key = field("secretKey").unwrap_or_default();
            if access_key.len() <= 6 || secret_key.len() <= 6 {
                return Err(format!(
                    "accessKey and secretKey must be longer than 6 characters (account {access_key:?})"
                ));
            }
            let mut perms = HashMap::new();
            for (key, prefix) in [("topicPerms", ""), ("groupPerms", "%RETRY%")] {
                for entry in list(a.get(key)) {
                    let Some((res, p)) = entry.split_once('=') else {
                        return Err(format!("Parse resource permission failed for {entry}"));
                    };
                    perms.insert(format!("{prefix}{}", res.trim()), perm::parse(p));
                }
            }
            let account = Account {
                secret_key,
                white: field("whiteRemoteAddress").and_then(|s| AddrPattern::parse(&s)),
                admin: field("admin").is_some_and(|s| s == "true"),
                default_topic_perm: perm::parse(&field("defaultTopicPerm").unwrap_or_default()),
                default_group_perm: perm::parse(&field("defaultGroupPerm").unwrap_or_default()),
                perms,
            };
            accounts.insert(access_key, account);
        }
        Ok(Self {
            global_white,
            accounts,
        })
    }

    /// Checks one request from `peer`; `Err` carries the denial reason.
    pub fn check(&self, peer: IpAddr, cmd: &RemotingCommand) -> Result<(), String> {
        if self.global_white.iter().any(|p| p.matches(peer)) {
            return Ok(());
        }
        let ak = cmd
            .ext_fields
            .get(ACCESS_KEY)
            .ok_or("No accessKey is configured")?;
        let account = self
            .accounts
            .get(ak)
            .ok_or_else(|| format!("No acl config for {ak}"))?;
        if account.white.as_ref().is_some_and(|w| w.matches(peer)) {
            return Ok(());
        }
        let expected = signature(cmd, &account.secret_key);
        if cmd.ext_fields.get(SIGNATURE) != Some(expected.as_str()) {
            return Err(format!("Check signature failed for accessKey={ak}"));
        }
        let needed = needed_perms(cmd);
        if needed.get(TRACE_TOPIC) == Some(&perm::PUB) {
            return Ok(());
        }
        if ADMIN_CODES.iter().any(|c| c.as_i32() == cmd.code) && !account.admin {
            return Err(format!(
                "Need admin permission for request code={}, but accessKey={ak} is not",
                cmd.code
            ));
        }
        for (resource, need) in &needed {
            let owned = account.perms.get(resource).copied().unwrap_or(
                if resource.starts_with("%RETRY%") {
                    account.default_group_perm
                } else {
                    account.default_topic_perm
                },
            );
            if !perm::allows(*need, owned) {
                return Err(format!("No default permission for {resource}"));
            }
        }
        Ok(())
    }
}

/// Base64(HmacSHA1(secret, sorted extFields values without Signature/_UNIQUE_KEY_QUERY + body)).
pub fn signature(cmd: &RemotingCommand, secret_key: &str) -> String {
    let sorted: BTreeMap<&str, &str> = cmd
        .ext_fields
        .iter()
        .filter(|(k, _)| *k != SIGNATURE && *k != UNIQUE_KEY_QUERY)
        .collect();
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes()) else {
        return String::new();
    };
    for v in sorted.values() {
        mac.update(v.as_bytes());
    }
    mac.update(&cmd.body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn retry(group: &str) -> String {
    format!("%RETRY%{group}")
}

/// The resources a request touches and the permission each needs (Java `parse`).
fn needed_perms(cmd: &RemotingCommand) -> BTreeMap<String, u8> {
    let ext = |k: &str| cmd.ext_fields.get(k).unwrap_or_default().to_owned();
    let mut m = BTreeMap::new();
    let send = |m: &mut BTreeMap<String, u8>, topic: String| {
        let p = if topic.starts_with("%RETRY%") {
            perm::SUB
        } else {
            perm::PUB
        };
        m.insert(topic, p);
    };
    match RequestCode::from_i32(cmd.code) {
        Some(RequestCode::SendMessage) => send(&mut m, ext("topic")),
        Some(RequestCode::SendMessageV2 | RequestCode::SendBatchMessage) => send(&mut m, ext("b")),
        Some(RequestCode::ConsumerSendMsgBack) => {
            m.insert(retry(&ext("group")), perm::SUB);
        }
        Some(RequestCode::PullMessage) => {
            m.insert(ext("topic"), perm::SUB);
            m.insert(retry(&ext("consumerGroup")), perm::SUB);
        }
        Some(RequestCode::QueryMessage) => {
            m.insert(ext("topic"), perm::SUB);
        }
        Some(RequestCode::HeartBeat) => {
            if let Ok(hb) = serde_json::from_slice::<HeartbeatData>(&cmd.body) {
                for c in hb.consumer_data_set {
                    m.insert(retry(&c.group_name), perm::SUB);
                    for s in c.subscription_data_set {
                        m.insert(s.topic, perm::SUB);
                    }
                }
            }
        }
        Some(RequestCode::UnregisterClient | RequestCode::GetConsumerListByGroup) => {
            m.insert(retry(&ext("consumerGroup")), perm::SUB);
        }
        Some(RequestCode::UpdateConsumerOffset) => {
            m.insert(retry(&ext("consumerGroup")), perm::SUB);
            m.insert(ext("topic"), perm::SUB);
        }
        _ => {}
    }
    m
}

/// A [`Service`] that checks each request against the ACL before `inner` serves it.
pub struct AclService<S> {
    acl: Arc<Acl>,
    inner: S,
}

impl<S> std::fmt::Debug for AclService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AclService")
            .field("accounts", &self.acl.accounts.len())
            .finish_non_exhaustive()
    }
}

impl<S: Service> AclService<S> {
    /// Wraps `inner`.
    pub fn new(acl: Arc<Acl>, inner: S) -> Self {
        Self { acl, inner }
    }
}

impl<S: Service> Service for AclService<S> {
    fn call(&self, conn: &Connection, request: RemotingCommand) -> Dispatch {
        match self.acl.check(conn.peer().ip(), &request) {
            Ok(()) => self.inner.call(conn, request),
            Err(reason) => {
                tracing::info!(peer = %conn.peer(), code = request.code, reason = %reason, "request denied by ACL");
                Dispatch::Ready(Some(
                    RemotingCommand::error(
                        ResponseCode::SystemError,
                        format!("AclException: {reason}"),
                    )
                    .answering(&request),
                ))
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

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.{1,2}
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.1-100
    admin: true
"#;

    fn signed(mut cmd: RemotingCommand, ak: &str, sk: &str) -> RemotingCommand {
        cmd.ext_fields.insert(ACCESS_KEY, ak);
        let sig = signature(&cmd, sk);
        cmd.ext_fields.insert(SIGNATURE, sig);
        cmd
    }

    fn send(topic: &str) -> RemotingCommand {
        let mut c = RemotingCommand::request(RequestCode::SendMessageV2, 1).with_body("body");
        c.ext_fields.insert("a", "PG");
        c.ext_fields.insert("b", topic);
        c
    }

    #[test]
    fn patterns() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(
            AddrPattern::parse("10.10.103.*")
                .unwrap()
                .matches(ip("10.10.103.7"))
        );
        assert!(
            !AddrPattern::parse("10.10.103.*")
                .unwrap()
                .matches(ip("10.10.104.7"))
        );
        assert!(
            AddrPattern::parse("192.168.1.1-100")
                .unwrap()
                .matches(ip("192.168.1.100"))
        );
        assert!(
            !AddrPattern::parse("192.168.1.1-100")
                .unwrap()
                .matches(ip("192.168.1.101"))
        );
        assert!(
            AddrPattern::parse("192.168.0.{1,2}")
                .unwrap()
                .matches(ip("192.168.0.2"))
        );
        assert!(AddrPattern::parse("*").unwrap().matches(ip("::1")));
        assert!(
            AddrPattern::parse("127.0.0.1")
                .unwrap()
                .matches(ip("127.0.0.1"))
        );
        assert!(AddrPattern::parse("").is_none());
    }

    #[test]
    fn checks_in_java_order() {
        let acl = Acl::parse(FILE).unwrap();
        let outside: IpAddr = "172.16.0.1".parse().unwrap();
        assert!(
            acl.check("10.10.103.5".parse().unwrap(), &send("topicA"))
                .is_ok()
        );
        assert_eq!(
            acl.check(outside, &send("topicB")).unwrap_err(),
            "No accessKey is configured"
        );
        let ok = signed(send("topicB"), "RocketMQ", "12345678");
        assert!(acl.check(outside, &ok).is_ok());
        let mut tampered = ok.clone();
        tampered.body = "other".into();
        assert!(
            acl.check(outside, &tampered)
                .unwrap_err()
                .contains("signature")
        );
        let denied = signed(send("topicA"), "RocketMQ", "12345678");
        assert!(acl.check(outside, &denied).unwrap_err().contains("topicA"));
        let sub_only = signed(send("topicC"), "RocketMQ", "12345678");
        assert!(acl.check(outside, &sub_only).is_err());
        let default_denied = signed(send("other"), "RocketMQ", "12345678");
        assert!(acl.check(outside, &default_denied).is_err());
        let trace = signed(send(TRACE_TOPIC), "RocketMQ", "12345678");
        assert!(acl.check(outside, &trace).is_ok());
        let admin = signed(
            RemotingCommand::request(RequestCode::UpdateAndCreateTopic, 1),
            "RocketMQ",
            "12345678",
        );
        assert!(acl.check(outside, &admin).unwrap_err().contains("admin"));
        let unknown = signed(send("topicB"), "nobody00", "12345678");
        assert!(
            acl.check(outside, &unknown)
                .unwrap_err()
                .contains("No acl config")
        );
        // White-listed account address: no signature needed.
        let mut white = send("topicA");
        white.ext_fields.insert(ACCESS_KEY, "rocketmq2");
        assert!(acl.check("192.168.1.50".parse().unwrap(), &white).is_ok());
    }

    #[test]
    fn short_keys_are_refused() {
        let bad = "accounts:\n  - accessKey: abc\n    secretKey: 12345678\n";
        assert!(Acl::parse(bad).is_err());
    }
}
