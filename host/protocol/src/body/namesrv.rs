//! Bodies of nameserver requests and responses (RegisterBrokerBody, TopicRouteData, ClusterInfo, ...).
//!
//! Field names and shapes follow Apache RocketMQ 4.9.x (`common/.../protocol/body/*`,
//! `protocol/route/*`, `common/TopicConfig.java`, `common/DataVersion.java`). Input is tolerant
//! (missing fields take Java's defaults, unknown fields are ignored); output is compact JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Java's `PermName`: bits of a topic's or broker's `perm`.
pub mod perm {
    /// `PERM_PRIORITY`.
    pub const PRIORITY: i32 = 1 << 3;
    /// `PERM_READ`.
    pub const READ: i32 = 1 << 2;
    /// `PERM_WRITE`.
    pub const WRITE: i32 = 1 << 1;
    /// `PERM_INHERIT`.
    pub const INHERIT: i32 = 1;
}

/// A version stamp of a broker's topic configuration (`DataVersion`).
///
/// Java compares versions by `timestamp` and `counter` only; so does [`PartialEq`] here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    /// Milliseconds since the epoch when the version was created.
    pub timestamp: i64,
    /// Incremented on every change.
    pub counter: i64,
}

impl DataVersion {
    /// A fresh version at `timestamp_ms` with counter 0 (what a Java broker starts with).
    pub fn new(timestamp_ms: i64) -> Self {
        Self {
            timestamp: timestamp_ms,
            counter: 0,
        }
    }

    /// The next version: counter + 1, stamped `timestamp_ms` (Java's `nextVersion`).
    pub fn next(&self, timestamp_ms: i64) -> Self {
        Self {
            timestamp: timestamp_ms,
            counter: self.counter.saturating_add(1),
        }
    }
}

/// How tags are matched (`TopicFilterType`); informational in 4.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "&'static str")]
pub enum TopicFilterType {
    /// `SINGLE_TAG`, the default.
    #[default]
    SingleTag,
    /// `MULTI_TAG`.
    MultiTag,
}

impl TopicFilterType {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicFilterType::SingleTag => "SINGLE_TAG",
            TopicFilterType::MultiTag => "MULTI_TAG",
        }
    }

    /// Parses the Java enum name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

impl From<String> for TopicFilterType {
    /// Unknown names fall back to `SINGLE_TAG` (input is tolerant).
    fn from(s: String) -> Self {
        Self::parse(&s).unwrap_or_default()
    }
}

impl From<TopicFilterType> for &'static str {
    fn from(t: TopicFilterType) -> Self {
        t.as_str()
    }
}

/// One topic's configuration as a broker holds it (`TopicConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// The topic.
    pub topic_name: String,
    /// Queues consumers read (Java default 16).
    pub read_queue_nums: i32,
    /// Queues producers write (Java default 16).
    pub write_queue_nums: i32,
    /// [`perm`] bits (default read | write = 6).
    pub perm: i32,
    /// Tag filter type.
    pub topic_filter_type: TopicFilterType,
    /// `TopicSysFlag` bits (unit / unit-sub).
    pub topic_sys_flag: i32,
    /// Ordered topic.
    pub order: bool,
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            topic_name: String::new(),
            read_queue_nums: 16,
            write_queue_nums: 16,
            perm: perm::READ | perm::WRITE,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_sys_flag: 0,
            order: false,
        }
    }
}

impl TopicConfig {
    /// A topic with `queues` read and write queues and read-write permission.
    pub fn new(topic_name: impl Into<String>, queues: i32) -> Self {
        Self {
            topic_name: topic_name.into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            ..Self::default()
        }
    }
}

/// A broker's topic table with its version (`TopicConfigSerializeWrapper`); also the body of
/// `GET_ALL_TOPIC_CONFIG` and the content of the broker's `topics.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    /// Topic name -> configuration.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// Version of the table.
    pub data_version: DataVersion,
}

/// The body of REGISTER_BROKER (`RegisterBrokerBody`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterBrokerBody {
    /// The broker's topics and their version.
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
    /// Filter servers of the broker (always empty in practice).
    pub filter_server_list: Vec<String>,
}

/// Why a compressed REGISTER_BROKER body does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressedBodyError {
    /// The body ends inside a field.
    #[error(
        "compressed register body truncated at offset {offset}: need {need} bytes, have {have}"
    )]
    Truncated {
        /// Where the field starts.
        offset: usize,
        /// Bytes the field needs.
        need: usize,
        /// Bytes left.
        have: usize,
    },
    /// A length or count is negative.
    #[error("compressed register body has negative length {value} at offset {offset}")]
    NegativeLength {
        /// Where the field starts.
        offset: usize,
        /// The value.
        value: i32,
    },
    /// A part is not valid (JSON, UTF-8, topic line).
    #[error("compressed register body has a bad {part}: {cause}")]
    BadPart {
        /// Which part.
        part: &'static str,
        /// What is wrong.
        cause: String,
    },
}

impl RegisterBrokerBody {
    /// Decodes the *inflated* form of a compressed body (Java `RegisterBrokerBody.decode(data,
    /// true)` after its `InflaterInputStream`): `int len, DataVersion JSON, int topicCount,
    /// topicCount x (int len, "name readQ writeQ perm filterType"), int len, filter-server JSON`.
    /// Inflating (zlib) is the caller's business; this crate does no I/O or compression.
    ///
    /// As in Java, `topicSysFlag` and `order` are not carried and take their defaults.
    pub fn decode_inflated(data: &[u8]) -> Result<Self, CompressedBodyError> {
        let mut r = Reader { data, pos: 0 };
        let dv = r.chunk()?;
        let data_version: DataVersion =
            serde_json::from_slice(dv).map_err(|e| CompressedBodyError::BadPart {
                part: "data version",
                cause: e.to_string(),
            })?;
        let count = r.len()?;
        let mut topic_config_table = BTreeMap::new();
        for _ in 0..count {
            let line = r.chunk()?;
            let tc = TopicConfig::decode_line(line)?;
            topic_config_table.insert(tc.topic_name.clone(), tc);
        }
        let fs = r.chunk()?;
        // Java logs and keeps an empty list when this part does not parse.
        let filter_server_list = serde_json::from_slice(fs).unwrap_or_default();
        Ok(Self {
            topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
                topic_config_table,
                data_version,
            },
            filter_server_list,
        })
    }

    /// The inflated compressed form (what Java deflates); see [`Self::decode_inflated`].
    pub fn encode_inflated(&self) -> Vec<u8> {
        fn put(out: &mut Vec<u8>, part: &[u8]) {
            out.extend_from_slice(&(part.len() as i32).to_be_bytes());
            out.extend_from_slice(part);
        }
        let mut out = Vec::new();
        let w = &self.topic_config_serialize_wrapper;
        put(&mut out, &to_json(&w.data_version));
        out.extend_from_slice(&(w.topic_config_table.len() as i32).to_be_bytes());
        for tc in w.topic_config_table.values() {
            put(&mut out, tc.encode_line().as_bytes());
        }
        put(&mut out, &to_json(&self.filter_server_list));
        out
    }
}

impl TopicConfig {
    /// Java's `TopicConfig.encode()`: `"name readQ writeQ perm filterType"`.
    pub fn encode_line(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type.as_str()
        )
    }

    /// Java's `TopicConfig.decode()`; 5.x appends a sixth part (attributes JSON), ignored here.
    pub fn decode_line(line: &[u8]) -> Result<Self, CompressedBodyError> {
        let bad = |cause: String| CompressedBodyError::BadPart {
            part: "topic config line",
            cause,
        };
        let line = std::str::from_utf8(line).map_err(|e| bad(e.to_string()))?;
        let parts: Vec<&str> = line.splitn(6, ' ').collect();
        let [name, rq, wq, perm, filter, ..] = parts.as_slice() else {
            return Err(bad(format!("{line:?} has fewer than 5 parts")));
        };
        let num = |s: &str| {
            s.parse::<i32>()
                .map_err(|e| bad(format!("{s:?} in {line:?}: {e}")))
        };
        Ok(Self {
            topic_name: (*name).to_owned(),
            read_queue_nums: num(rq)?,
            write_queue_nums: num(wq)?,
            perm: num(perm)?,
            topic_filter_type: TopicFilterType::parse(filter)
                .ok_or_else(|| bad(format!("unknown filter type {filter:?}")))?,
            ..Self::default()
        })
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CompressedBodyError> {
        let have = self.data.len().saturating_sub(self.pos);
        let out = self.data.get(self.pos..self.pos.saturating_add(n)).ok_or(
            CompressedBodyError::Truncated {
                offset: self.pos,
                need: n,
                have,
            },
        )?;
        self.pos += n;
        Ok(out)
    }

    fn len(&mut self) -> Result<usize, CompressedBodyError> {
        let offset = self.pos;
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        let value = i32::from_be_bytes(b);
        usize::try_from(value).map_err(|_| CompressedBodyError::NegativeLength { offset, value })
    }

    fn chunk(&mut self) -> Result<&'a [u8], CompressedBodyError> {
        let n = self.len()?;
        self.take(n)
    }
}

/// Compact JSON of a body. Serializing these plain structs cannot fail.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Where a topic's queues live on one broker group (`QueueData`).
///
/// Written with both `topicSysFlag` (4.9.0+) and `topicSynFlag` (older Java, Go); read from either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "QueueDataWire", into = "QueueDataWire")]
pub struct QueueData {
    /// The broker group.
    pub broker_name: String,
    /// Readable queues.
    pub read_queue_nums: i32,
    /// Writable queues.
    pub write_queue_nums: i32,
    /// [`perm`] bits.
    pub perm: i32,
    /// `TopicSysFlag` bits.
    pub topic_sys_flag: i32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
struct QueueDataWire {
    broker_name: String,
    read_queue_nums: i32,
    write_queue_nums: i32,
    perm: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_sys_flag: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_syn_flag: Option<i32>,
}

impl From<QueueDataWire> for QueueData {
    fn from(w: QueueDataWire) -> Self {
        Self {
            broker_name: w.broker_name,
            read_queue_nums: w.read_queue_nums,
            write_queue_nums: w.write_queue_nums,
            perm: w.perm,
            topic_sys_flag: w.topic_sys_flag.or(w.topic_syn_flag).unwrap_or(0),
        }
    }
}

impl From<QueueData> for QueueDataWire {
    fn from(q: QueueData) -> Self {
        Self {
            broker_name: q.broker_name,
            read_queue_nums: q.read_queue_nums,
            write_queue_nums: q.write_queue_nums,
            perm: q.perm,
            topic_sys_flag: Some(q.topic_sys_flag),
            topic_syn_flag: Some(q.topic_sys_flag),
        }
    }
}

/// The addresses of one broker group (`BrokerData`).
///
/// `brokerAddrs` keys are broker ids (0 = master). Serde writes them as quoted JSON keys
/// (`{"0":"..."}`, what Java >= 4.9.4 asks for); [`to_fastjson`] writes them unquoted, as Java
/// namesrvs do for older clients (Go needs that form); [`fastjson_to_json`] reads that form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerData {
    /// The cluster.
    pub cluster: String,
    /// The broker group.
    pub broker_name: String,
    /// Broker id -> `ip:port`.
    pub broker_addrs: BTreeMap<i64, String>,
    /// 5.x's `enableActingMaster`, always written (false): 4.x readers ignore it, and
    /// rocketmq-client-rust 1.x refuses routes without it.
    pub enable_acting_master: bool,
}

impl BrokerData {
    /// The master's address, if the master is registered.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&0).map(String::as_str)
    }
}

/// A topic's route (`TopicRouteData`), the body of GET_ROUTEINFO_BY_TOPIC.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicRouteData {
    /// `brokerName:queues;...` from the `ORDER_TOPIC_CONFIG` KV namespace, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    /// Queues per broker group hosting the topic.
    pub queue_datas: Vec<QueueData>,
    /// Addresses of those broker groups.
    pub broker_datas: Vec<BrokerData>,
    /// Broker address -> filter servers.
    pub filter_server_table: BTreeMap<String, Vec<String>>,
}

/// Every broker group and cluster (`ClusterInfo`), the body of GET_BROKER_CLUSTER_INFO.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInfo {
    /// Broker name -> its addresses.
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// Cluster -> its broker names.
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

/// A set of topics (`TopicList`), the body of the topic-list requests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicList {
    /// The topics.
    pub topic_list: BTreeSet<String>,
    /// A broker address (only set by GET_SYSTEM_TOPIC_LIST_FROM_NS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
}

/// A KV namespace's entries (`KVTable`), the body of GET_KVLIST_BY_NAMESPACE and of the
/// REGISTER_BROKER response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KvTable {
    /// Key -> value.
    pub table: BTreeMap<String, String>,
}

/// Version ordinal from which Java namesrvs write standard JSON routes (`V4_9_4`).
pub const STANDARD_JSON_VERSION: i32 = 401;

/// `value` as Java's fastjson writes it by default: compact, and the integer keys of
/// `brokerAddrs` maps **unquoted** (`{"brokerAddrs":{0:"a:1",1:"b:1"}}`, not standard JSON).
///
/// This is what Java namesrvs send to clients older than 4.9.4 (route data) and to every client
/// (cluster info), and what some clients need: Go's hand parser (`route.go`) splits
/// `brokerAddrs` on `,` and `:` and parses the key with `ParseInt`, so a quoted `"1"` fails and
/// every address becomes id 0 (the last one, often a slave, wins the master slot).
pub fn to_fastjson<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if let Ok(v) = serde_json::to_value(value) {
        write_fastjson(&v, false, &mut out);
    }
    out
}

fn write_fastjson(v: &serde_json::Value, numeric_keys_bare: bool, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if numeric_keys_bare && k.parse::<i64>().is_ok() {
                    out.extend_from_slice(k.as_bytes());
                } else {
                    out.extend_from_slice(&to_json(k));
                }
                out.push(b':');
                write_fastjson(v, k == "brokerAddrs", out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_fastjson(item, false, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(&to_json(scalar)),
    }
}

/// Rewrites fastjson's non-standard output (unquoted numeric object keys, as Java <= 4.9.3
/// namesrvs write `brokerAddrs`: `{0:"a:1"}`) into standard JSON. Strings are left untouched.
pub fn fastjson_to_json(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    // Set after `{` or `,` (outside strings): the next token is an object key or a value.
    let mut key_position = false;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                key_position = false;
                out.push(b);
            }
            b'{' | b',' => {
                key_position = true;
                out.push(b);
            }
            b'-' | b'0'..=b'9' if key_position => {
                let start = i;
                while input
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
                {
                    i += 1;
                }
                let number = input.get(start..=i).unwrap_or_default();
                let mut j = i + 1;
                while input.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                if input.get(j) == Some(&b':') {
                    out.push(b'"');
                    out.extend_from_slice(number);
                    out.push(b'"');
                } else {
                    out.extend_from_slice(number);
                }
                key_position = false;
            }
            c if c.is_ascii_whitespace() => out.push(c),
            _ => {
                key_position = false;
                out.push(b);
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
