//! Background pre-allocation and warming of commit-log files (`AllocateMappedFileService` +
//! warm-up): the next file is created and fallocated off the append path, and pages are
//! pre-faulted writable a window ahead of the write position.
//!
//! Warming a window ahead (rather than whole files at creation) keeps the zero pages dirty only
//! briefly before data overwrites them, so writeback writes each page once and a slow writer
//! does not meet pages that writeback already cleaned (which would fault again).

use crate::error::StoreError;
use crate::mapped_file_queue::{MappedFile, create_file};
use crate::mmap::RegionWriter;
use parking_lot::{Condvar, Mutex};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Bytes kept pre-faulted ahead of the write position.
pub(crate) const WARM_AHEAD: usize = 32 * 1024 * 1024;

#[derive(Debug, Default)]
struct State {
    wanted: Option<i64>,
    in_progress: Option<i64>,
    ready: Option<(MappedFile, RegionWriter)>,
    /// The file being appended to and how far (bytes) it is warmed.
    current: Option<(MappedFile, usize)>,
    /// Write position seen at the last check (polls slowly while it does not move).
    last_pos: i64,
    stop: bool,
}

enum Job {
    Create(i64),
    Warm(MappedFile, usize, usize),
    Idle(Duration),
}

/// Prepares and warms the files the appender needs next.
#[derive(Debug)]
pub(crate) struct Allocator {
    dir: PathBuf,
    size: usize,
    /// The commit log's write position (shared with it).
    position: Arc<AtomicI64>,
    state: Mutex<State>,
    cond: Condvar,
}

impl Allocator {
    /// An allocator of `size`-byte files in `dir` following the write position `position`.
    pub(crate) fn new(dir: PathBuf, size: usize, position: Arc<AtomicI64>) -> Self {
        Allocator {
            dir,
            size,
            position,
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
        }
    }

    /// The shared write position.
    pub(crate) fn position(&self) -> Arc<AtomicI64> {
        Arc::clone(&self.position)
    }

    fn window(&self) -> usize {
        WARM_AHEAD.min(self.size)
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

    /// Declares the file appends go to, warmed up to `warmed` bytes.
    pub(crate) fn set_current(&self, file: MappedFile, warmed: usize) {
        let mut st = self.state.lock();
        st.current = Some((file, warmed));
        self.cond.notify_all();
    }

    /// The file starting at `start`: the prepared one (waiting if it is being prepared), or a
    /// synchronously created one. It becomes the current file.
    pub(crate) fn take(&self, start: i64) -> Result<(MappedFile, RegionWriter), StoreError> {
        let mut st = self.state.lock();
        loop {
            if st.ready.as_ref().is_some_and(|(f, _)| f.start == start)
                && let Some(r) = st.ready.take()
            {
                st.current = Some((r.0.clone(), self.window()));
                self.cond.notify_all();
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
        let (file, w) = create_file(&self.dir, start, self.size)?;
        if let Err(e) = file.region.populate_write_range(0, self.window()) {
            tracing::debug!(cause = %e, "pre-faulting failed");
        }
        self.set_current(file.clone(), self.window());
        Ok((file, w))
    }

    fn next_job(&self, st: &mut State) -> Job {
        if let Some(s) = st.wanted.take()
            && st.ready.as_ref().is_none_or(|(f, _)| f.start != s)
        {
            st.in_progress = Some(s);
            return Job::Create(s);
        }
        let abs = self.position.load(Ordering::Acquire);
        let moving = abs != st.last_pos;
        st.last_pos = abs;
        if let Some((cur, warmed)) = &st.current {
            let pos = usize::try_from(abs - cur.start).unwrap_or(0);
            let target = pos.saturating_add(self.window()).min(cur.region.len());
            // Warm in steps of a quarter window so the window is refilled early.
            if target
                >= warmed
                    .saturating_add(self.window() / 4)
                    .min(cur.region.len())
                && target > *warmed
            {
                return Job::Warm(cur.clone(), *warmed, target);
            }
            return Job::Idle(Duration::from_millis(if moving { 2 } else { 50 }));
        }
        Job::Idle(Duration::from_millis(50))
    }

    /// Thread body: creates wanted files and keeps the current one warm until stopped.
    pub(crate) fn run(&self) {
        loop {
            let job = {
                let mut st = self.state.lock();
                if st.stop {
                    return;
                }
                let job = self.next_job(&mut st);
                if let Job::Idle(d) = job {
                    self.cond.wait_for(&mut st, d);
                    continue;
                }
                job
            };
            match job {
                Job::Create(start) => self.create(start),
                Job::Warm(file, from, to) => {
                    if let Err(e) = file.region.populate_write_range(from, to) {
                        tracing::debug!(cause = %e, "pre-faulting the commit log failed");
                    }
                    let mut st = self.state.lock();
                    if let Some((cur, warmed)) = st.current.as_mut()
                        && cur.start == file.start
                    {
                        *warmed = (*warmed).max(to);
                    }
                }
                Job::Idle(_) => {}
            }
        }
    }

    fn create(&self, start: i64) {
        let res = create_file(&self.dir, start, self.size).inspect(|(f, _)| {
            if let Err(e) = f.region.populate_write_range(0, self.window()) {
                tracing::debug!(cause = %e, "pre-faulting a new commit-log file failed");
            }
        });
        let mut st = self.state.lock();
        st.in_progress = None;
        match res {
            Ok(r) => {
                tracing::debug!(start, "pre-allocated commit-log file");
                st.ready = Some(r);
            }
            Err(e) => tracing::error!(cause = %e, start, "pre-allocating commit-log file failed"),
        }
        self.cond.notify_all();
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
