//! Consumer offsets (`ConsumerOffsetManager`): `topic@group -> queueId -> offset`, kept in memory
//! and flushed to `config/consumerOffset.json` periodically and at shutdown.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use wasmq_protocol::body::broker::ConsumerOffsetWrapper;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::persist;

/// The offset table.
#[derive(Debug)]
pub struct OffsetTable {
    file: persist::JsonFile,
    table: Mutex<BTreeMap<String, BTreeMap<i32, i64>>>,
    dirty: AtomicBool,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

impl OffsetTable {
    /// Loads `config/consumerOffset.json` (empty when absent).
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = config.config_dir().join("consumerOffset.json");
        let table = persist::load::<ConsumerOffsetWrapper>(&path)?
            .map(|w| w.offset_table)
            .unwrap_or_default();
        Ok(Self {
            file: persist::JsonFile::new(path),
            table: Mutex::new(table),
            dirty: AtomicBool::new(false),
        })
    }

    /// Stores a committed offset.
    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.table
            .lock()
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
        self.dirty.store(true, Ordering::Release);
    }

    /// The committed offset, if any.
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table
            .lock()
            .get(&key(topic, group))
            .and_then(|q| q.get(&queue_id).copied())
    }

    /// Forgets every offset of a topic (topic deleted).
    pub fn remove_topic(&self, topic: &str) {
        let prefix = format!("{topic}@");
        self.table.lock().retain(|k, _| !k.starts_with(&prefix));
        self.dirty.store(true, Ordering::Release);
    }

    /// A copy of the whole table.
    pub fn snapshot(&self) -> ConsumerOffsetWrapper {
        ConsumerOffsetWrapper {
            offset_table: self.table.lock().clone(),
        }
    }

    /// Writes the file if anything changed since the last write.
    pub fn persist(&self) -> Result<(), BrokerError> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        self.file.save_with(|| self.snapshot()).inspect_err(|_| {
            self.dirty.store(true, Ordering::Release);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_persist_reload() {
        let dir = tempfile::tempdir().unwrap();
        let c = BrokerConfig {
            store_path_root_dir: dir.path().to_owned(),
            ..BrokerConfig::default()
        };
        let t = OffsetTable::load(&c).unwrap();
        assert_eq!(t.query("G", "T", 0), None);
        t.commit("G", "T", 0, 12);
        t.persist().unwrap();
        let text = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
        assert!(text.contains("\"T@G\""), "{text}");
        let again = OffsetTable::load(&c).unwrap();
        assert_eq!(again.query("G", "T", 0), Some(12));
    }
}
