//! JSON config files the way Java's `ConfigManager` keeps them: write `f.tmp`, keep the previous
//! `f` as `f.bak`, rename `f.tmp` to `f`; on load fall back to `f.bak` when `f` is unreadable.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::BrokerError;

/// One config file and the right to write it: saves are serialized, and each takes its snapshot
/// while it holds that right, so the file always ends with the newest state.
///
/// Without it two concurrent saves (say, two pulls auto-creating the same group) share one
/// `f.tmp`: the second rename finds it gone (ENOENT answered to a client), or an older snapshot
/// is renamed last.
#[derive(Debug)]
pub struct JsonFile {
    path: PathBuf,
    writing: parking_lot::Mutex<()>,
}

impl JsonFile {
    /// The file at `path` (not touched until the first save).
    pub fn new(path: PathBuf) -> Self {
        JsonFile {
            path,
            writing: parking_lot::Mutex::new(()),
        }
    }

    /// Reads it (or its `.bak`); `Ok(None)` when neither exists.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<T>, BrokerError> {
        load(&self.path)
    }

    /// Takes `snapshot()` and writes it, one save at a time.
    pub fn save_with<T: Serialize>(&self, snapshot: impl FnOnce() -> T) -> Result<(), BrokerError> {
        let _one_writer = self.writing.lock();
        save(&self.path, &snapshot())
    }
}

/// Writes `value` as JSON to `path` atomically (tmp + rename), keeping the old file as `.bak`.
/// Callers that can save concurrently go through [`JsonFile`].
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), BrokerError> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| BrokerError::Config {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let io = |source| BrokerError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = with_suffix(path, ".tmp");
    std::fs::write(&tmp, &json).map_err(io)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    if path.exists() {
        std::fs::copy(path, with_suffix(path, ".bak")).map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads `path` (or its `.bak`); `Ok(None)` when neither exists.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, BrokerError> {
    let mut first_err = None;
    for p in [path.to_owned(), with_suffix(path, ".bak")] {
        match std::fs::read(&p) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(v) => return Ok(Some(v)),
                Err(e) => {
                    tracing::warn!(path = %p.display(), cause = %e, "unreadable config file");
                    first_err.get_or_insert(BrokerError::Config {
                        path: p,
                        reason: e.to_string(),
                    });
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                first_err.get_or_insert(BrokerError::Io { path: p, source });
            }
        }
    }
    first_err.map_or(Ok(None), Err)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn concurrent_saves_never_fail_and_the_last_state_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::sync::Arc::new(JsonFile::new(dir.path().join("config/g.json")));
        let state = std::sync::Arc::new(parking_lot::Mutex::new(BTreeMap::<String, u32>::new()));
        let writers: Vec<_> = (0..8u32)
            .map(|t| {
                let (file, state) = (file.clone(), state.clone());
                std::thread::spawn(move || {
                    for i in 0..50u32 {
                        state.lock().insert(format!("t{t}"), i);
                        file.save_with(|| state.lock().clone()).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let saved: BTreeMap<String, u32> = file.load().unwrap().unwrap();
        assert_eq!(saved, *state.lock());
        assert_eq!(saved.values().copied().collect::<Vec<_>>(), vec![49; 8]);
    }

    #[test]
    fn save_keeps_bak_and_load_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config/x.json");
        let a = BTreeMap::from([("k".to_string(), 1)]);
        let b = BTreeMap::from([("k".to_string(), 2)]);
        save(&p, &a).unwrap();
        save(&p, &b).unwrap();
        assert_eq!(load::<BTreeMap<String, i32>>(&p).unwrap(), Some(b));
        std::fs::write(&p, "{garbage").unwrap();
        assert_eq!(load::<BTreeMap<String, i32>>(&p).unwrap(), Some(a));
        assert!(
            load::<BTreeMap<String, i32>>(&dir.path().join("none"))
                .unwrap()
                .is_none()
        );
    }
}
