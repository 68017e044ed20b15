//! The stored record (3.4): commit-log entry, and the body of pull/query/view responses.
//!
//! ```text
//! TOTALSIZE i32 | MAGIC i32 | BODYCRC i32 | QUEUEID i32 | FLAG i32 | QUEUEOFFSET i64
//! | PHYSICALOFFSET i64 | SYSFLAG i32 | BORNTIMESTAMP i64 | BORNHOST 8/20 | STORETIMESTAMP i64
//! | STOREHOST 8/20 | RECONSUMETIMES i32 | PREPAREDTXOFFSET i64 | BODY i32+n | TOPIC i8+n
//! | PROPERTIES i16+n
//! ```

use super::error::MessageError;
use super::flags::{BORNHOST_V6_FLAG, STOREHOST_V6_FLAG};
use super::properties::MAX_PROPERTIES_LEN;
use bytes::Bytes;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// MAGICCODE of a V1 message record.
pub const MESSAGE_MAGIC_CODE: u32 = 0xDAA3_20A7;
/// MAGICCODE of a 5.x V2 record (2-byte topic length); decoded, never encoded.
pub const MESSAGE_MAGIC_CODE_V2: u32 = 0xDAA3_20AB;
/// MAGICCODE of the end-of-file filler.
pub const BLANK_MAGIC_CODE: u32 = 0xCBD4_3194;
/// Longest topic (int8 length in V1).
pub const MAX_TOPIC_LEN: usize = 127;
/// Minimum free bytes that must remain after a record in a commit-log file (room for a filler).
pub const END_FILE_MIN_BLANK_LENGTH: usize = 8;
/// Offset of QUEUEOFFSET within a record.
pub const QUEUE_OFFSET_POS: usize = 20;
/// Offset of PHYSICALOFFSET within a record.
pub const PHYSICAL_OFFSET_POS: usize = 28;
/// Offset of STORETIMESTAMP within a record whose born host is IPv4 (+12 for IPv6).
pub const STORE_TIMESTAMP_POS_V4: usize = 56;

/// CRC32 of a body masked with 0x7FFFFFFF, as stored in BODYCRC.
pub fn body_crc(body: &[u8]) -> u32 {
    crc32fast::hash(body) & 0x7FFF_FFFF
}

fn host_len(v6: bool) -> usize {
    if v6 { 20 } else { 8 }
}

/// Size of an encoded V1 record.
pub fn record_size(
    body_len: usize,
    topic_len: usize,
    properties_len: usize,
    born_v6: bool,
    store_v6: bool,
) -> usize {
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(born_v6)
        + 8
        + host_len(store_v6)
        + 4
        + 8
        + 4
        + body_len
        + 1
        + topic_len
        + 2
        + properties_len
}

/// The fields of a record to encode (borrowed; nothing is copied before the output buffer).
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Queue offset.
    pub queue_offset: i64,
    /// Commit-log offset of this record.
    pub physical_offset: i64,
    /// sysFlag; the host V6 bits are set from the addresses.
    pub sys_flag: i32,
    /// Born timestamp.
    pub born_timestamp: i64,
    /// Born host.
    pub born_host: SocketAddr,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// Store host.
    pub store_host: SocketAddr,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Prepared transaction offset.
    pub prepared_transaction_offset: i64,
    /// Body.
    pub body: &'a [u8],
    /// Precomputed [`body_crc`] of `body` (`None` = compute it).
    pub body_crc: Option<u32>,
    /// Topic.
    pub topic: &'a str,
    /// Encoded properties.
    pub properties: &'a str,
}

impl RecordFields<'_> {
    /// sysFlag with the V6 bits derived from the addresses.
    pub fn effective_sys_flag(&self) -> i32 {
        let mut f = self.sys_flag & !(BORNHOST_V6_FLAG | STOREHOST_V6_FLAG);
        if self.born_host.is_ipv6() {
            f |= BORNHOST_V6_FLAG;
        }
        if self.store_host.is_ipv6() {
            f |= STOREHOST_V6_FLAG;
        }
        f
    }

    /// Encoded size of this record.
    pub fn encoded_size(&self) -> usize {
        record_size(
            self.body.len(),
            self.topic.len(),
            self.properties.len(),
            self.born_host.is_ipv6(),
            self.store_host.is_ipv6(),
        )
    }

    /// Checks lengths; returns the encoded size.
    pub fn validate(&self) -> Result<usize, MessageError> {
        if self.topic.len() > MAX_TOPIC_LEN {
            return Err(MessageError::TooLong {
                field: "topic",
                len: self.topic.len(),
                max: MAX_TOPIC_LEN,
            });
        }
        if self.properties.len() > MAX_PROPERTIES_LEN {
            return Err(MessageError::TooLong {
                field: "properties",
                len: self.properties.len(),
                max: MAX_PROPERTIES_LEN,
            });
        }
        let size = self.encoded_size();
        if size > i32::MAX as usize {
            return Err(MessageError::TooLong {
                field: "record",
                len: size,
                max: i32::MAX as usize,
            });
        }
        Ok(size)
    }
}

struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, b: &[u8]) {
        // Sizes were checked by the caller; `get_mut` keeps this panic-free regardless.
        if let Some(dst) = self.out.get_mut(self.pos..self.pos + b.len()) {
            dst.copy_from_slice(b);
        }
        self.pos += b.len();
    }
    fn host(&mut self, a: &SocketAddr) {
        match a.ip() {
            IpAddr::V4(ip) => self.put(&ip.octets()),
            IpAddr::V6(ip) => self.put(&ip.octets()),
        }
        self.put(&i32::from(a.port()).to_be_bytes());
    }
}

/// Encodes a V1 record into the front of `out`; returns its size.
pub fn encode_record(f: &RecordFields<'_>, out: &mut [u8]) -> Result<usize, MessageError> {
    let size = f.validate()?;
    if out.len() < size {
        return Err(MessageError::BufferTooSmall {
            need: size,
            have: out.len(),
        });
    }
    let crc = f.body_crc.unwrap_or_else(|| body_crc(f.body));
    let mut w = Writer { out, pos: 0 };
    w.put(&(size as i32).to_be_bytes());
    w.put(&MESSAGE_MAGIC_CODE.to_be_bytes());
    w.put(&crc.to_be_bytes());
    w.put(&f.queue_id.to_be_bytes());
    w.put(&f.flag.to_be_bytes());
    w.put(&f.queue_offset.to_be_bytes());
    w.put(&f.physical_offset.to_be_bytes());
    w.put(&f.effective_sys_flag().to_be_bytes());
    w.put(&f.born_timestamp.to_be_bytes());
    w.host(&f.born_host);
    w.put(&f.store_timestamp.to_be_bytes());
    w.host(&f.store_host);
    w.put(&f.reconsume_times.to_be_bytes());
    w.put(&f.prepared_transaction_offset.to_be_bytes());
    w.put(&(f.body.len() as i32).to_be_bytes());
    w.put(f.body);
    w.put(&[f.topic.len() as u8]);
    w.put(f.topic.as_bytes());
    w.put(&(f.properties.len() as i16).to_be_bytes());
    w.put(f.properties.as_bytes());
    Ok(size)
}

/// A decoded record borrowing its variable parts from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// TOTALSIZE.
    pub total_size: i32,
    /// MAGICCODE (V1 or V2).
    pub magic: u32,
    /// BODYCRC.
    pub body_crc: u32,
    /// QUEUEID.
    pub queue_id: i32,
    /// FLAG.
    pub flag: i32,
    /// QUEUEOFFSET.
    pub queue_offset: i64,
    /// PHYSICALOFFSET.
    pub physical_offset: i64,
    /// SYSFLAG.
    pub sys_flag: i32,
    /// BORNTIMESTAMP.
    pub born_timestamp: i64,
    /// BORNHOST.
    pub born_host: SocketAddr,
    /// STORETIMESTAMP.
    pub store_timestamp: i64,
    /// STOREHOSTADDRESS.
    pub store_host: SocketAddr,
    /// RECONSUMETIMES.
    pub reconsume_times: i32,
    /// PreparedTransactionOffset.
    pub prepared_transaction_offset: i64,
    /// BODY.
    pub body: &'a [u8],
    /// TOPIC.
    pub topic: &'a str,
    /// PROPERTIES.
    pub properties: &'a str,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], MessageError> {
        let have = self.buf.len().saturating_sub(self.pos);
        let end = self.pos.checked_add(n);
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(MessageError::Truncated {
                field,
                offset: self.pos,
                need: n,
                have,
            }),
        }
    }
    fn arr<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], MessageError> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn i16(&mut self, f: &'static str) -> Result<i16, MessageError> {
        Ok(i16::from_be_bytes(self.arr(f)?))
    }
    fn i32(&mut self, f: &'static str) -> Result<i32, MessageError> {
        Ok(i32::from_be_bytes(self.arr(f)?))
    }
    fn i64(&mut self, f: &'static str) -> Result<i64, MessageError> {
        Ok(i64::from_be_bytes(self.arr(f)?))
    }
    fn host(&mut self, v6: bool, f: &'static str) -> Result<SocketAddr, MessageError> {
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(self.arr::<16>(f)?))
        } else {
            IpAddr::V4(Ipv4Addr::from(self.arr::<4>(f)?))
        };
        let port = self.i32(f)?;
        Ok(SocketAddr::new(ip, port as u16))
    }
    fn len(&mut self, v: i64, field: &'static str) -> Result<usize, MessageError> {
        usize::try_from(v).map_err(|_| MessageError::NegativeLength {
            field,
            offset: self.pos,
            len: v,
        })
    }
    fn text(&mut self, n: usize, field: &'static str) -> Result<&'a str, MessageError> {
        let offset = self.pos;
        let b = self.take(n, field)?;
        std::str::from_utf8(b).map_err(|_| MessageError::BadUtf8 { field, offset })
    }
}

impl<'a> RecordView<'a> {
    /// Decodes the record at the front of `buf`; validates magic, size and (if `check_crc`) CRC.
    /// Returns the record and its size. A BLANK filler yields [`MessageError::Blank`].
    pub fn decode(buf: &'a [u8], check_crc: bool) -> Result<(RecordView<'a>, usize), MessageError> {
        let mut r = Reader { buf, pos: 0 };
        let total_size = r.i32("TOTALSIZE")?;
        let magic = r.i32("MAGICCODE")? as u32;
        if magic == BLANK_MAGIC_CODE {
            return Err(MessageError::Blank {
                offset: 0,
                size: total_size,
            });
        }
        if magic != MESSAGE_MAGIC_CODE && magic != MESSAGE_MAGIC_CODE_V2 {
            return Err(MessageError::BadMagic { offset: 0, magic });
        }
        let total = usize::try_from(total_size)
            .ok()
            .filter(|&t| t >= record_size(0, 0, 0, false, false));
        let Some(total) = total else {
            return Err(MessageError::BadTotalSize {
                offset: 0,
                total_size,
                computed: 0,
            });
        };
        let Some(rec) = buf.get(..total) else {
            return Err(MessageError::Truncated {
                field: "record",
                offset: 0,
                need: total,
                have: buf.len(),
            });
        };
        let mut r = Reader { buf: rec, pos: 8 };
        let body_crc = r.i32("BODYCRC")? as u32;
        let queue_id = r.i32("QUEUEID")?;
        let flag = r.i32("FLAG")?;
        let queue_offset = r.i64("QUEUEOFFSET")?;
        let physical_offset = r.i64("PHYSICALOFFSET")?;
        let sys_flag = r.i32("SYSFLAG")?;
        let born_timestamp = r.i64("BORNTIMESTAMP")?;
        let born_host = r.host(sys_flag & BORNHOST_V6_FLAG != 0, "BORNHOST")?;
        let store_timestamp = r.i64("STORETIMESTAMP")?;
        let store_host = r.host(sys_flag & STOREHOST_V6_FLAG != 0, "STOREHOSTADDRESS")?;
        let reconsume_times = r.i32("RECONSUMETIMES")?;
        let prepared_transaction_offset = r.i64("PreparedTransactionOffset")?;
        let body_len = r.i32("BODYLENGTH")?;
        let body_len = r.len(i64::from(body_len), "BODY")?;
        let body = r.take(body_len, "BODY")?;
        let topic_len = if magic == MESSAGE_MAGIC_CODE_V2 {
            {
                let n = r.i16("TOPICLENGTH")?;
                r.len(i64::from(n), "TOPIC")?
            }
        } else {
            usize::from(r.arr::<1>("TOPICLENGTH")?[0])
        };
        let topic = r.text(topic_len, "TOPIC")?;
        let props_len = r.i16("PROPERTIESLENGTH")?;
        let props_len = r.len(i64::from(props_len), "PROPERTIES")?;
        let properties = r.text(props_len, "PROPERTIES")?;
        if r.pos != total {
            return Err(MessageError::BadTotalSize {
                offset: 0,
                total_size,
                computed: r.pos,
            });
        }
        if check_crc {
            let computed = self::body_crc(body);
            if computed != body_crc {
                return Err(MessageError::BodyCrc {
                    offset: 0,
                    stored: body_crc,
                    computed,
                });
            }
        }
        let view = RecordView {
            total_size,
            magic,
            body_crc,
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body,
            topic,
            properties,
        };
        Ok((view, total))
    }
}

/// An owned decoded record (`MessageExt`); the body is a zero-copy slice of the input `Bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// TOTALSIZE.
    pub total_size: i32,
    /// BODYCRC.
    pub body_crc: u32,
    /// QUEUEID.
    pub queue_id: i32,
    /// FLAG.
    pub flag: i32,
    /// QUEUEOFFSET.
    pub queue_offset: i64,
    /// PHYSICALOFFSET.
    pub physical_offset: i64,
    /// SYSFLAG.
    pub sys_flag: i32,
    /// BORNTIMESTAMP.
    pub born_timestamp: i64,
    /// BORNHOST.
    pub born_host: SocketAddr,
    /// STORETIMESTAMP.
    pub store_timestamp: i64,
    /// STOREHOSTADDRESS.
    pub store_host: SocketAddr,
    /// RECONSUMETIMES.
    pub reconsume_times: i32,
    /// PreparedTransactionOffset.
    pub prepared_transaction_offset: i64,
    /// BODY.
    pub body: Bytes,
    /// TOPIC.
    pub topic: String,
    /// PROPERTIES (encoded).
    pub properties: String,
}

impl MessageRecord {
    /// Borrowed fields for re-encoding this record.
    pub fn fields(&self) -> RecordFields<'_> {
        RecordFields {
            queue_id: self.queue_id,
            flag: self.flag,
            queue_offset: self.queue_offset,
            physical_offset: self.physical_offset,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: &self.body,
            body_crc: Some(self.body_crc),
            topic: &self.topic,
            properties: &self.properties,
        }
    }
}

/// Decodes the record at the front of `buf` into an owned record; returns it and its size.
pub fn decode_record(buf: &Bytes, check_crc: bool) -> Result<(MessageRecord, usize), MessageError> {
    let (v, size) = RecordView::decode(buf, check_crc)?;
    let body_start = (v.body.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize);
    let body = buf.slice(body_start..body_start + v.body.len());
    let rec = MessageRecord {
        total_size: v.total_size,
        body_crc: v.body_crc,
        queue_id: v.queue_id,
        flag: v.flag,
        queue_offset: v.queue_offset,
        physical_offset: v.physical_offset,
        sys_flag: v.sys_flag,
        born_timestamp: v.born_timestamp,
        born_host: v.born_host,
        store_timestamp: v.store_timestamp,
        store_host: v.store_host,
        reconsume_times: v.reconsume_times,
        prepared_transaction_offset: v.prepared_transaction_offset,
        body,
        topic: v.topic.to_owned(),
        properties: v.properties.to_owned(),
    };
    Ok((rec, size))
}

/// Iterator over concatenated records (a pull body); yields an error once, then stops.
#[derive(Debug, Clone)]
pub struct RecordIter {
    buf: Bytes,
    pos: usize,
    check_crc: bool,
    failed: bool,
}

impl RecordIter {
    /// Iterates the records of `buf`.
    pub fn new(buf: Bytes, check_crc: bool) -> Self {
        RecordIter {
            buf,
            pos: 0,
            check_crc,
            failed: false,
        }
    }
}

impl Iterator for RecordIter {
    type Item = Result<MessageRecord, MessageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let rest = self.buf.slice(self.pos..);
        match decode_record(&rest, self.check_crc) {
            Ok((rec, size)) => {
                self.pos += size;
                Some(Ok(rec))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(shift(e, self.pos)))
            }
        }
    }
}

fn shift(e: MessageError, by: usize) -> MessageError {
    use MessageError::*;
    match e {
        Truncated {
            field,
            offset,
            need,
            have,
        } => Truncated {
            field,
            offset: offset + by,
            need,
            have,
        },
        BadMagic { offset, magic } => BadMagic {
            offset: offset + by,
            magic,
        },
        Blank { offset, size } => Blank {
            offset: offset + by,
            size,
        },
        BadTotalSize {
            offset,
            total_size,
            computed,
        } => BadTotalSize {
            offset: offset + by,
            total_size,
            computed,
        },
        NegativeLength { field, offset, len } => NegativeLength {
            field,
            offset: offset + by,
            len,
        },
        BodyCrc {
            offset,
            stored,
            computed,
        } => BodyCrc {
            offset: offset + by,
            stored,
            computed,
        },
        BadUtf8 { field, offset } => BadUtf8 {
            field,
            offset: offset + by,
        },
        other => other,
    }
}
