//! Hand-made RocketMQ remoting frames over a raw `TcpStream`.
//!
//! Deliberately independent of `wasmq_protocol`: frames are built from the documented layout
//! (`int32 length | int32 headerMark | JSON header | body`, big-endian), so a codec bug cannot hide
//! itself by being on both sides of the test.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

/// A decoded response: the JSON header and the body.
#[derive(Debug)]
pub struct Frame {
    /// The JSON header (`code`, `opaque`, `flag`, `remark`, `extFields`, ...).
    pub header: Value,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Frame {
    /// The `code` field.
    pub fn code(&self) -> i64 {
        self.header["code"].as_i64().unwrap_or(i64::MIN)
    }

    /// The `opaque` field.
    pub fn opaque(&self) -> i64 {
        self.header["opaque"].as_i64().unwrap_or(i64::MIN)
    }

    /// The body parsed as JSON.
    pub fn body_json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Encodes a JSON-header request frame.
pub fn request_frame(code: i32, opaque: i32, ext: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let ext: Map<String, Value> = ext
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
        .collect();
    let header = json!({
        "code": code, "language": "JAVA", "version": 409, "opaque": opaque, "flag": 0,
        "extFields": ext, "serializeTypeCurrentRPC": "JSON",
    });
    let header = serde_json::to_vec(&header).expect("serialize header");
    raw_frame(&header, body)
}

/// `length | headerMark(type 0, headerLen) | header | body` with consistent lengths.
pub fn raw_frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let hl = u32::try_from(header.len()).expect("small header");
    let total = 4 + hl + u32::try_from(body.len()).expect("small body");
    let mut f = Vec::with_capacity(4 + total as usize);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&hl.to_be_bytes());
    f.extend_from_slice(header);
    f.extend_from_slice(body);
    f
}

/// Connects with read/write timeouts set.
pub fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set timeout");
    s.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("set timeout");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// Reads one response frame (JSON header only: our requests are JSON so replies must be too).
pub fn read_frame(s: &mut TcpStream) -> std::io::Result<Frame> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if !(4..=16 * 1024 * 1024).contains(&len) {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!("frame length {len}"),
        ));
    }
    let mut rest = vec![0u8; len];
    s.read_exact(&mut rest)?;
    let mark = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let (kind, hl) = (mark >> 24, (mark & 0x00FF_FFFF) as usize);
    if kind != 0 || 4 + hl > len {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!("header mark {mark:#x} in a {len}-byte frame (expected a JSON header)"),
        ));
    }
    let header: Value = serde_json::from_slice(&rest[4..4 + hl])
        .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, format!("header JSON: {e}")))?;
    Ok(Frame {
        header,
        body: rest[4 + hl..].to_vec(),
    })
}

/// Sends a request on `s` and reads frames until the response with the same opaque arrives.
pub fn call_on(
    s: &mut TcpStream,
    code: i32,
    opaque: i32,
    ext: &[(&str, &str)],
    body: &[u8],
) -> Frame {
    s.write_all(&request_frame(code, opaque, ext, body))
        .expect("write request");
    loop {
        let f = read_frame(s).unwrap_or_else(|e| panic!("read response to code {code}: {e}"));
        let is_response = f.header["flag"].as_i64().unwrap_or(0) & 1 == 1;
        if is_response && f.opaque() == i64::from(opaque) {
            return f;
        }
    }
}

/// One request on a fresh connection.
pub fn call(addr: &str, code: i32, ext: &[(&str, &str)], body: &[u8]) -> Frame {
    let mut s = connect(addr);
    call_on(&mut s, code, 1, ext, body)
}

/// Reads until the peer closes the connection (EOF or reset). Returns how long it took, or an error
/// if it stayed open for `timeout`.
pub fn expect_closed(s: &mut TcpStream, timeout: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 4096];
    let mut got = 0usize;
    loop {
        match s.read(&mut buf) {
            // An error reply before the close is tolerated; staying open is not.
            Ok(0) => return Ok(start.elapsed()),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                return Ok(start.elapsed());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!(
                    "connection still open after {timeout:?} ({got} bytes received)"
                ));
            }
            Err(e) => return Err(format!("read error {e}")),
        }
    }
}

/// The fields of a stored message record (commit-log layout) that tests look at.
#[derive(Clone, Debug)]
pub struct Record {
    /// Queue id.
    pub queue_id: i32,
    /// Consume-queue offset.
    pub queue_offset: i64,
    /// Commit-log offset of the record.
    pub physical_offset: i64,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Topic.
    pub topic: String,
    /// Properties (`k\u{1}v\u{2}...`).
    pub properties: std::collections::BTreeMap<String, String>,
}

/// Parses concatenated stored records (the body of PULL, QUERY_MESSAGE and VIEW_MESSAGE_BY_ID).
pub fn parse_records(mut b: &[u8]) -> Result<Vec<Record>, String> {
    fn take<'a>(b: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], String> {
        if b.len() < n {
            return Err(format!(
                "record truncated in {what}: need {n}, have {}",
                b.len()
            ));
        }
        let (h, t) = b.split_at(n);
        *b = t;
        Ok(h)
    }
    fn int(b: &mut &[u8], what: &str) -> Result<i32, String> {
        let s = take(b, 4, what)?;
        Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn long(b: &mut &[u8], what: &str) -> Result<i64, String> {
        let s = take(b, 8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(i64::from_be_bytes(a))
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let total = usize::try_from(int(&mut b, "TOTALSIZE")?).map_err(|_| "negative TOTALSIZE")?;
        let mut r = take(
            &mut b,
            total.checked_sub(4).ok_or("TOTALSIZE < 4")?,
            "record",
        )?;
        let magic = int(&mut r, "MAGICCODE")? as u32;
        if magic != 0xDAA3_20A7 {
            return Err(format!("magic {magic:#x}"));
        }
        int(&mut r, "BODYCRC")?;
        let queue_id = int(&mut r, "QUEUEID")?;
        int(&mut r, "FLAG")?;
        let queue_offset = long(&mut r, "QUEUEOFFSET")?;
        let physical_offset = long(&mut r, "PHYSICALOFFSET")?;
        let sys_flag = int(&mut r, "SYSFLAG")?;
        long(&mut r, "BORNTIMESTAMP")?;
        take(
            &mut r,
            if sys_flag & 0x10 != 0 { 20 } else { 8 },
            "BORNHOST",
        )?;
        long(&mut r, "STORETIMESTAMP")?;
        take(
            &mut r,
            if sys_flag & 0x20 != 0 { 20 } else { 8 },
            "STOREHOST",
        )?;
        int(&mut r, "RECONSUMETIMES")?;
        long(&mut r, "PREPAREDOFFSET")?;
        let body_len =
            usize::try_from(int(&mut r, "BODYLEN")?).map_err(|_| "negative body length")?;
        let body = take(&mut r, body_len, "BODY")?.to_vec();
        let topic_len = usize::from(take(&mut r, 1, "TOPICLEN")?[0]);
        let topic = String::from_utf8_lossy(take(&mut r, topic_len, "TOPIC")?).into_owned();
        let p = take(&mut r, 2, "PROPLEN")?;
        let props_len = usize::from(u16::from_be_bytes([p[0], p[1]]));
        let props = String::from_utf8_lossy(take(&mut r, props_len, "PROPERTIES")?).into_owned();
        let properties = props
            .split('\u{2}')
            .filter_map(|kv| kv.split_once('\u{1}'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        out.push(Record {
            queue_id,
            queue_offset,
            physical_offset,
            body,
            topic,
            properties,
        });
    }
    Ok(out)
}
