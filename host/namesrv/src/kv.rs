//! KV config (Java `KVConfigManager`): namespaced string pairs, persisted as
//! `{"configTable":{namespace:{key:value}}}` at `kvConfigPath`.
//!
//! Writes go to `<path>.tmp` (fsynced), the previous file is copied to `<path>.bak`, then the
//! temporary file is renamed over the real one, so a crash leaves either the old or the new
//! content. Loading falls back to `.bak` when the main file is missing or unreadable.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use wasmq_protocol::body::namesrv::KvTable;

use crate::error::NamesrvError;

/// The namespace whose entries are the order-topic configs (`NamesrvUtil`).
pub const NAMESPACE_ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

type Table = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct KvFile {
    config_table: Table,
}

/// The KV store.
///
/// `table` is a `parking_lot::RwLock`: reads (every broker registration reads the order-topic
/// namespace, routes read it when `orderMessageEnable`) vastly outnumber writes (admin commands),
/// and no lock is held across an await. `persist` serializes file writers so an older snapshot
/// never overwrites a newer one; it is taken only by writers, never by readers.
#[derive(Debug)]
pub struct KvConfig {
    path: PathBuf,
    table: RwLock<Table>,
    persist: Mutex<()>,
}

impl KvConfig {
    /// Loads `path` (a missing file is an empty store).
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, NamesrvError> {
        let path = path.into();
        let table = match read_table(&path) {
            Ok(Some(t)) => t,
            main => {
                let bak = sibling(&path, "bak");
                match read_table(&bak) {
                    Ok(Some(t)) => {
                        tracing::warn!(path = %path.display(), "KV config unreadable; loaded the .bak copy");
                        t
                    }
                    _ => match main {
                        Ok(_) => Table::new(),
                        Err(e) => return Err(e),
                    },
                }
            }
        };
        tracing::info!(path = %path.display(), namespaces = table.len(), "KV config loaded");
        Ok(Self {
            path,
            table: RwLock::new(table),
            persist: Mutex::new(()),
        })
    }

    /// The file this store persists to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets `namespace`/`key` to `value` (in memory; call [`Self::persist`] after).
    pub fn put(&self, namespace: &str, key: &str, value: &str) {
        self.table
            .write()
            .entry(namespace.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_owned());
        tracing::info!(namespace, key, value, "KV config put");
    }

    /// The value of `namespace`/`key`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        self.table.read().get(namespace)?.get(key).cloned()
    }

    /// Removes `namespace`/`key` (in memory); an emptied namespace disappears.
    pub fn delete(&self, namespace: &str, key: &str) {
        let mut t = self.table.write();
        if let Some(ns) = t.get_mut(namespace) {
            let old = ns.remove(key);
            tracing::info!(namespace, key, value = ?old, "KV config delete");
            if ns.is_empty() {
                t.remove(namespace);
            }
        }
    }

    /// Every entry of `namespace`, or `None` when it has none.
    pub fn list(&self, namespace: &str) -> Option<KvTable> {
        let t = self.table.read();
        let ns = t.get(namespace).filter(|ns| !ns.is_empty())?;
        Some(KvTable { table: ns.clone() })
    }

    /// Writes the current table to disk (blocking file I/O).
    pub fn persist(&self) -> Result<(), NamesrvError> {
        let _writer = self.persist.lock();
        let content = {
            let t = self.table.read();
            serde_json::to_vec_pretty(&KvFile {
                config_table: t.clone(),
            })
            .map_err(|e| NamesrvError::Io {
                what: "serialize KV config",
                path: self.path.clone(),
                cause: std::io::Error::other(e),
            })?
        };
        write_atomically(&self.path, &content)
    }
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// `Ok(None)` when the file does not exist or does not parse (logged).
fn read_table(path: &Path) -> Result<Option<Table>, NamesrvError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => {
            return Err(NamesrvError::Io {
                what: "read KV config",
                path: path.to_owned(),
                cause,
            });
        }
    };
    match serde_json::from_slice::<KvFile>(&bytes) {
        Ok(f) => Ok(Some(f.config_table)),
        Err(e) => {
            tracing::error!(path = %path.display(), cause = %e, "KV config file does not parse");
            Ok(None)
        }
    }
}

fn write_atomically(path: &Path, content: &[u8]) -> Result<(), NamesrvError> {
    let io = |what: &'static str, p: &Path| {
        let p = p.to_owned();
        move |cause| NamesrvError::Io {
            what,
            path: p,
            cause,
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io("create KV config directory", dir))?;
    }
    let tmp = sibling(path, "tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(content).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("fsync", &tmp))?;
    }
    if path.exists() {
        let bak = sibling(path, "bak");
        std::fs::copy(path, &bak).map_err(io("back up", &bak))?;
    }
    std::fs::rename(&tmp, path).map_err(io("rename into place", path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_and_reloads_with_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("kvConfig.json");
        let kv = KvConfig::load(&path).unwrap();
        kv.put("NS", "a", "1");
        kv.persist().unwrap();
        kv.put("NS", "b", "2");
        kv.persist().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["configTable"]["NS"]["b"], "2");
        // The backup holds the previous content.
        let bak: serde_json::Value =
            serde_json::from_slice(&std::fs::read(sibling(&path, "bak")).unwrap()).unwrap();
        assert_eq!(bak["configTable"]["NS"].get("b"), None);
        assert!(!sibling(&path, "tmp").exists());

        let again = KvConfig::load(&path).unwrap();
        assert_eq!(again.get("NS", "b").as_deref(), Some("2"));

        // A corrupt main file falls back to the backup.
        std::fs::write(&path, b"{garbage").unwrap();
        let from_bak = KvConfig::load(&path).unwrap();
        assert_eq!(from_bak.get("NS", "a").as_deref(), Some("1"));
    }

    #[test]
    fn delete_empties_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let kv = KvConfig::load(dir.path().join("kv.json")).unwrap();
        kv.put("NS", "a", "1");
        assert_eq!(kv.list("NS").unwrap().table.len(), 1);
        kv.delete("NS", "a");
        assert!(kv.list("NS").is_none());
        assert_eq!(kv.get("NS", "a"), None);
    }

    #[test]
    fn reads_java_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kvConfig.json");
        std::fs::write(
            &path,
            r#"{
	"configTable":{
		"ORDER_TOPIC_CONFIG":{
			"TopicOrder":"broker-a:4;broker-b:4"
		}
	}
}"#,
        )
        .unwrap();
        let kv = KvConfig::load(&path).unwrap();
        assert_eq!(
            kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, "TopicOrder")
                .as_deref(),
            Some("broker-a:4;broker-b:4")
        );
    }
}
