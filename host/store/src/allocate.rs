//! Background pre-allocation of the next commit-log file: created, fallocated and pre-faulted
//! off the append path (`AllocateMappedFileService` + warm-up).

use crate::error::StoreError;
use crate::mapped_file_queue::{MappedFile, create_file};
use crate::mmap::RegionWriter;
use parking_lot::{Condvar, Mutex};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Default)]
struct State {
    wanted: Option<i64>,
    in_progress: Option<i64>,
    ready: Option<(MappedFile, RegionWriter)>,
    stop: bool,
}

/// Prepares the file the appender will need next.
#[derive(Debug)]
pub(crate) struct Allocator {
    dir: PathBuf,
    size: usize,
    state: Mutex<State>,
    cond: Condvar,
}

impl Allocator {
    /// An allocator of `size`-byte files in `dir`.
    pub(crate) fn new(dir: PathBuf, size: usize) -> Self {
        Allocator {
            dir,
            size,
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
        }
    }

    /// Asks for the file starting at `start` to be prepared.
    pub(crate) fn request(&self, start: i64) {
        let mut st = self.state.lock();
        if st.stop || st.ready.as_ref().is_some_and(|(f, _)| f.start == start) {
            return;
        }
        st.wanted = Some(start);
        self.cond.notify_all();
    }

    /// The file starting at `start`: the prepared one (waiting if it is being prepared), or a
    /// synchronously created one.
    pub(crate) fn take(&self, start: i64) -> Result<(MappedFile, RegionWriter), StoreError> {
        let mut st = self.state.lock();
        loop {
            if st.ready.as_ref().is_some_and(|(f, _)| f.start == start)
                && let Some(r) = st.ready.take()
            {
                return Ok(r);
            }
            let pending = st.in_progress == Some(start) || (st.wanted == Some(start) && !st.stop);
            if !pending {
                break;
            }
            self.cond.wait(&mut st);
        }
        drop(st);
        tracing::warn!(
            start,
            "next commit-log file was not pre-allocated; creating it on the append path"
        );
        let (file, mut w) = create_file(&self.dir, start, self.size)?;
        w.prefault();
        Ok((file, w))
    }

    /// Thread body: prepares wanted files until stopped.
    pub(crate) fn run(&self) {
        loop {
            let start = {
                let mut st = self.state.lock();
                loop {
                    if st.stop {
                        return;
                    }
                    match st.wanted.take() {
                        Some(s) if st.ready.as_ref().is_none_or(|(f, _)| f.start != s) => {
                            st.in_progress = Some(s);
                            break s;
                        }
                        _ => self.cond.wait(&mut st),
                    }
                }
            };
            let res = create_file(&self.dir, start, self.size).map(|(f, mut w)| {
                w.prefault();
                (f, w)
            });
            let mut st = self.state.lock();
            st.in_progress = None;
            match res {
                Ok(r) => {
                    tracing::debug!(start, "pre-allocated commit-log file");
                    st.ready = Some(r);
                }
                Err(e) => {
                    tracing::error!(cause = %e, start, "pre-allocating commit-log file failed")
                }
            }
            self.cond.notify_all();
        }
    }

    /// Stops the thread; a prepared file stays on disk (recovery removes it if unused).
    pub(crate) fn stop(&self) {
        let mut st = self.state.lock();
        st.stop = true;
        self.cond.notify_all();
    }
}

/// Spawns the allocation thread.
pub(crate) fn spawn(a: Arc<Allocator>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wasmq-store-alloc".into())
        .spawn(move || a.run())
}
