//! The commit log: one appender (a mutex held by the calling thread for the copy only) that
//! assigns physical offsets, queue offsets and store timestamps; zero-copy reads.

use crate::allocate::Allocator;
use crate::error::StoreError;
use crate::mapped_file_queue::{MappedFile, MappedFileQueue};
use crate::mmap::RegionWriter;
use crate::signal::Wakeup;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use wasmq_protocol::message::flags::{
    TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE, transaction_value,
};
use wasmq_protocol::message::record::{
    BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH, MESSAGE_MAGIC_CODE,
};
use wasmq_protocol::message::{RecordFields, encode_record};

/// Fields shared by every record of one append call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendCommon<'a> {
    pub(crate) topic: &'a str,
    pub(crate) queue_id: i32,
    pub(crate) sys_flag: i32,
    pub(crate) born_timestamp: i64,
    pub(crate) born_host: SocketAddr,
    pub(crate) store_host: SocketAddr,
    pub(crate) reconsume_times: i32,
    pub(crate) prepared_transaction_offset: i64,
}

/// One record of an append call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendItem<'a> {
    pub(crate) flag: i32,
    pub(crate) body: &'a [u8],
    /// Precomputed (outside the lock) masked body CRC.
    pub(crate) body_crc: u32,
    pub(crate) properties: &'a str,
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppendResult {
    pub(crate) record_offsets: Vec<i64>,
    pub(crate) wrote_bytes: i32,
    pub(crate) queue_offset: i64,
    pub(crate) store_timestamp: i64,
    /// Commit-log offset just past the last record (what must be durable).
    pub(crate) end_offset: i64,
}

struct Appender {
    file: MappedFile,
    writer: RegionWriter,
    pos: usize,
    /// topic -> queue id -> next queue offset.
    queue_offsets: HashMap<String, HashMap<i32, i64>>,
}

/// The commit log.
pub(crate) struct CommitLog {
    files: MappedFileQueue,
    appender: Mutex<Appender>,
    /// Write position, shared with the allocator (which warms pages ahead of it).
    max_offset: Arc<AtomicI64>,
    last_store_ts: AtomicI64,
    allocator: Arc<Allocator>,
    max_message_size: usize,
    puts: AtomicU64,
    put_bytes: AtomicU64,
    /// Rung after every append (dispatch thread).
    pub(crate) appended: Wakeup,
}

impl std::fmt::Debug for CommitLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLog")
            .field("dir", &self.files.dir())
            .field("max_offset", &self.max_offset())
            .finish_non_exhaustive()
    }
}

/// Current time in ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl CommitLog {
    /// A commit log over recovered `files`, appending at `end` in the last file (`writer`).
    pub(crate) fn new(
        files: MappedFileQueue,
        writer: RegionWriter,
        end: i64,
        queue_offsets: HashMap<String, HashMap<i32, i64>>,
        allocator: Arc<Allocator>,
        max_message_size: usize,
    ) -> Self {
        let file = files.last().unwrap_or_else(|| MappedFile {
            start: 0,
            region: Arc::clone(writer.region()),
        });
        let pos = usize::try_from(end - file.start).unwrap_or(0);
        allocator.set_current(file.clone(), pos);
        allocator.request(file.end());
        CommitLog {
            files,
            appender: Mutex::new(Appender {
                file,
                writer,
                pos,
                queue_offsets,
            }),
            max_offset: allocator.position(),
            last_store_ts: AtomicI64::new(0),
            allocator,
            max_message_size,
            puts: AtomicU64::new(0),
            put_bytes: AtomicU64::new(0),
            appended: Wakeup::default(),
        }
    }

    /// Offset just past the last published record.
    pub(crate) fn max_offset(&self) -> i64 {
        self.max_offset.load(Ordering::Acquire)
    }

    /// Offset of the oldest byte still on disk.
    pub(crate) fn min_offset(&self) -> i64 {
        self.files.first().map_or(0, |f| f.start)
    }

    /// Store timestamp of the newest record (read before `max_offset` it is covered by it).
    pub(crate) fn last_store_ts(&self) -> i64 {
        self.last_store_ts.load(Ordering::Acquire)
    }

    /// File size.
    pub(crate) fn file_size(&self) -> usize {
        self.files.file_size()
    }

    /// The mapped files.
    pub(crate) fn files(&self) -> &MappedFileQueue {
        &self.files
    }

    /// (messages, bytes) appended since open.
    pub(crate) fn put_stats(&self) -> (u64, u64) {
        (
            self.puts.load(Ordering::Relaxed),
            self.put_bytes.load(Ordering::Relaxed),
        )
    }

    /// Checks sizes before taking the lock; returns the record sizes.
    pub(crate) fn validate(
        &self,
        c: &AppendCommon<'_>,
        items: &[AppendItem<'_>],
    ) -> Result<Vec<usize>, StoreError> {
        if c.topic.is_empty() || c.topic.len() > 127 {
            return Err(StoreError::TopicTooLong { len: c.topic.len() });
        }
        if items.is_empty() {
            return Err(StoreError::EmptyBatch);
        }
        let limit = self
            .max_message_size
            .min(self.file_size() - END_FILE_MIN_BLANK_LENGTH);
        items
            .iter()
            .map(|it| {
                if it.properties.len() > i16::MAX as usize {
                    return Err(StoreError::PropertiesTooLong {
                        len: it.properties.len(),
                    });
                }
                let size = fields(c, it, 0, 0, 0).encoded_size();
                if size > limit {
                    return Err(StoreError::MessageTooLarge { size, max: limit });
                }
                Ok(size)
            })
            .collect()
    }

    /// Appends records (one call = consecutive records, consecutive queue offsets).
    pub(crate) fn append(
        &self,
        c: &AppendCommon<'_>,
        items: &[AppendItem<'_>],
    ) -> Result<AppendResult, StoreError> {
        let sizes = self.validate(c, items)?;
        let tran = transaction_value(c.sys_flag);
        let assign_queue_offset = tran == TRANSACTION_NOT_TYPE || tran == TRANSACTION_COMMIT_TYPE;
        let mut guard = self.appender.lock();
        let a = &mut *guard;
        let store_ts = now_ms();
        let base_qo = if assign_queue_offset {
            a.queue_offsets
                .get(c.topic)
                .and_then(|m| m.get(&c.queue_id))
                .copied()
                .unwrap_or(0)
        } else {
            0
        };
        let mut record_offsets = Vec::with_capacity(items.len());
        let mut wrote_bytes = 0usize;
        let (start_file, start_pos) = (a.file.start, a.pos);
        for (i, (it, &size)) in items.iter().zip(&sizes).enumerate() {
            if a.pos + size + END_FILE_MIN_BLANK_LENGTH > a.file.region.len()
                && let Err(e) = self.roll(a)
            {
                if a.file.start == start_file {
                    a.pos = start_pos;
                }
                return Err(e);
            }
            let phy = a.file.start + a.pos as i64;
            let qo = if assign_queue_offset {
                base_qo + i as i64
            } else {
                0
            };
            let f = fields(c, it, qo, phy, store_ts);
            let Some(buf) = a.writer.unpublished_mut(a.pos, size) else {
                return Err(StoreError::Corrupt {
                    path: a.file.region.path().to_path_buf(),
                    reason: format!(
                        "append position {} + {size} outside the writable range",
                        a.pos
                    ),
                });
            };
            encode_record(&f, buf).map_err(|e| StoreError::Corrupt {
                path: a.file.region.path().to_path_buf(),
                reason: format!("encoding a validated record failed: {e}"),
            })?;
            a.pos += size;
            wrote_bytes += size;
            record_offsets.push(phy);
        }
        a.writer.publish(a.pos);
        if assign_queue_offset {
            let next = base_qo + items.len() as i64;
            match a.queue_offsets.get_mut(c.topic) {
                Some(m) => {
                    m.insert(c.queue_id, next);
                }
                None => {
                    a.queue_offsets
                        .insert(c.topic.to_owned(), HashMap::from([(c.queue_id, next)]));
                }
            }
        }
        let end = a.file.start + a.pos as i64;
        self.max_offset.store(end, Ordering::Release);
        self.last_store_ts.store(store_ts, Ordering::Release);
        drop(guard);
        self.puts.fetch_add(items.len() as u64, Ordering::Relaxed);
        self.put_bytes
            .fetch_add(wrote_bytes as u64, Ordering::Relaxed);
        self.appended.ring();
        Ok(AppendResult {
            wrote_bytes: i32::try_from(wrote_bytes).unwrap_or(i32::MAX),
            queue_offset: if assign_queue_offset { base_qo } else { 0 },
            store_timestamp: store_ts,
            end_offset: end,
            record_offsets,
        })
    }

    /// Writes the BLANK filler, publishes the full file and switches to the next one.
    fn roll(&self, a: &mut Appender) -> Result<(), StoreError> {
        let len = a.file.region.len();
        let next = a.file.end();
        // ENOSPC creating the next file refuses this put (disk full); it is not a flush
        // failure, so nothing is poisoned and the next put tries again.
        let (file, writer) = self
            .allocator
            .take(next)
            .map_err(StoreError::refuse_if_no_space)?;
        let free = len - a.pos;
        if free >= END_FILE_MIN_BLANK_LENGTH
            && let Some(buf) = a.writer.unpublished_mut(a.pos, END_FILE_MIN_BLANK_LENGTH)
        {
            let (size, magic) = buf.split_at_mut(4);
            size.copy_from_slice(&(free as i32).to_be_bytes());
            magic.copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
        }
        a.writer.publish(len);
        self.files.push(file.clone());
        a.file = file;
        a.writer = writer;
        a.pos = 0;
        self.max_offset.store(next, Ordering::Release);
        self.allocator.request(next + len as i64);
        Ok(())
    }

    /// Forgets the queue offsets of deleted topics.
    pub(crate) fn remove_topics(&self, topics: &[String]) {
        let mut a = self.appender.lock();
        for t in topics {
            a.queue_offsets.remove(t);
        }
    }

    /// `size` published bytes at `offset` (zero-copy), if inside one file.
    pub(crate) fn read(&self, offset: i64, size: usize) -> Option<Bytes> {
        let f = self.files.find(offset)?;
        let off = usize::try_from(offset - f.start).ok()?;
        f.region.bytes(off, size)
    }

    /// The whole message record at `offset` (not a filler).
    pub(crate) fn read_record(&self, offset: i64) -> Option<Bytes> {
        let head = self.read(offset, 8)?;
        let size = i32::from_be_bytes(head.get(..4)?.try_into().ok()?);
        let magic = u32::from_be_bytes(head.get(4..8)?.try_into().ok()?);
        if magic != MESSAGE_MAGIC_CODE || size < 8 {
            return None;
        }
        self.read(offset, usize::try_from(size).ok()?)
    }

    /// msync of `[from, to)`.
    pub(crate) fn flush_range(&self, from: i64, to: i64) -> std::io::Result<()> {
        let mut cur = from;
        while cur < to {
            let Some(f) = self.files.find(cur) else { break };
            let end = to.min(f.end());
            let off = (cur - f.start) as usize;
            f.region.flush_range(off, (end - cur) as usize)?;
            cur = end;
        }
        Ok(())
    }
}

fn fields<'a>(
    c: &AppendCommon<'a>,
    it: &AppendItem<'a>,
    qo: i64,
    phy: i64,
    store_ts: i64,
) -> RecordFields<'a> {
    RecordFields {
        queue_id: c.queue_id,
        flag: it.flag,
        queue_offset: qo,
        physical_offset: phy,
        sys_flag: c.sys_flag,
        born_timestamp: c.born_timestamp,
        born_host: c.born_host,
        store_timestamp: store_ts,
        store_host: c.store_host,
        reconsume_times: c.reconsume_times,
        prepared_transaction_offset: c.prepared_transaction_offset,
        body: it.body,
        body_crc: Some(it.body_crc),
        topic: c.topic,
        properties: it.properties,
    }
}

impl CommitLog {
    /// Replaces the queue-offset table (after recovery rebuilt the consume queues).
    pub(crate) fn set_queue_offsets(&self, table: HashMap<String, HashMap<i32, i64>>) {
        self.appender.lock().queue_offsets = table;
    }
}
