//! The table of consume queues (`consumequeue/<topic>/<queueId>/`), created lazily on first unit.

use crate::consume_queue::{ConsumeQueue, queue_dir};
use crate::error::StoreError;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Table = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// All consume queues.
#[derive(Debug)]
pub(crate) struct ConsumeQueues {
    root: PathBuf,
    file_size: usize,
    table: RwLock<Table>,
}

impl ConsumeQueues {
    /// Loads every queue under `root`, truncating units past `cl_end`.
    pub(crate) fn load(
        root: &Path,
        file_size: usize,
        cl_end: i64,
    ) -> Result<ConsumeQueues, StoreError> {
        std::fs::create_dir_all(root).map_err(|e| StoreError::io(root, e))?;
        let mut table: Table = HashMap::new();
        for topic in std::fs::read_dir(root).map_err(|e| StoreError::io(root, e))? {
            let topic = topic.map_err(|e| StoreError::io(root, e))?;
            let Ok(topic_name) = topic.file_name().into_string() else {
                continue;
            };
            if !topic.path().is_dir() {
                continue;
            }
            for q in std::fs::read_dir(topic.path()).map_err(|e| StoreError::io(topic.path(), e))? {
                let q = q.map_err(|e| StoreError::io(topic.path(), e))?;
                let Some(qid) = q.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                    continue;
                };
                let cq = ConsumeQueue::load(&q.path(), file_size, cl_end)?;
                table
                    .entry(topic_name.clone())
                    .or_default()
                    .insert(qid, Arc::new(cq));
            }
        }
        Ok(ConsumeQueues {
            root: root.to_path_buf(),
            file_size,
            table: RwLock::new(table),
        })
    }

    /// The queue, if it exists.
    pub(crate) fn find(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.table.read().get(topic)?.get(&queue_id).cloned()
    }

    /// The queue, created (without files) if needed.
    pub(crate) fn find_or_create(
        &self,
        topic: &str,
        queue_id: i32,
    ) -> Result<Arc<ConsumeQueue>, StoreError> {
        if let Some(q) = self.find(topic, queue_id) {
            return Ok(q);
        }
        let mut t = self.table.write();
        if let Some(q) = t.get(topic).and_then(|m| m.get(&queue_id)) {
            return Ok(Arc::clone(q));
        }
        let q = Arc::new(ConsumeQueue::load(
            &queue_dir(&self.root, topic, queue_id),
            self.file_size,
            i64::MAX,
        )?);
        t.entry(topic.to_owned())
            .or_default()
            .insert(queue_id, Arc::clone(&q));
        Ok(q)
    }

    /// Every queue.
    pub(crate) fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        self.table
            .read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// Names of the topics that have queues.
    pub(crate) fn topics(&self) -> Vec<String> {
        self.table.read().keys().cloned().collect()
    }

    /// The queues of one topic.
    pub(crate) fn topic_queues(&self, topic: &str) -> Vec<(i32, Arc<ConsumeQueue>)> {
        self.table.read().get(topic).map_or_else(Vec::new, |m| {
            m.iter().map(|(q, cq)| (*q, Arc::clone(cq))).collect()
        })
    }

    /// topic -> queue -> next offset.
    pub(crate) fn offset_table(&self) -> HashMap<String, HashMap<i32, i64>> {
        self.table
            .read()
            .iter()
            .map(|(t, m)| {
                (
                    t.clone(),
                    m.iter().map(|(q, cq)| (*q, cq.max_offset())).collect(),
                )
            })
            .collect()
    }

    /// Highest record end referenced by any queue.
    pub(crate) fn max_phy_end(&self) -> i64 {
        self.all()
            .iter()
            .map(|q| q.max_phy_end())
            .max()
            .unwrap_or(0)
    }

    /// Drops the queues of `topic` and deletes their files.
    pub(crate) fn remove_topic(&self, topic: &str) {
        let removed = self.table.write().remove(topic);
        if removed.is_some() || self.root.join(topic).exists() {
            let dir = self.root.join(topic);
            if let Err(e) = std::fs::remove_dir_all(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(dir = %dir.display(), cause = %e, "deleting topic consume queues failed");
            }
        }
    }

    /// Number of queues.
    pub(crate) fn count(&self) -> usize {
        self.table.read().values().map(HashMap::len).sum()
    }
}
