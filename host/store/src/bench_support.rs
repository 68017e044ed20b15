//! Baselines for the benchmarks: raw memcpy into a pre-faulted file mapping and raw
//! write + fdatasync, measured with the same primitives the store uses.

use crate::error::StoreError;
use crate::mmap::{MappedRegion, RegionWriter};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// A pre-faulted file mapping written with plain memcpy, wrapping at the end.
#[derive(Debug)]
pub struct RawMapping {
    w: RegionWriter,
    pos: usize,
}

impl RawMapping {
    /// Creates, maps and pre-faults `path` of `len` bytes.
    pub fn create(path: &Path, len: usize) -> Result<RawMapping, StoreError> {
        let (_region, mut w) =
            MappedRegion::open(path, len).map_err(|e| StoreError::io(path, e))?;
        w.prefault();
        Ok(RawMapping { w, pos: 0 })
    }

    /// Copies `data` at the current position (wrapping to 0 when it does not fit).
    pub fn append(&mut self, data: &[u8]) {
        if self.pos + data.len() > self.w.region().len() {
            self.pos = 0;
        }
        if let Some(buf) = self.w.unpublished_mut(self.pos, data.len()) {
            buf.copy_from_slice(data);
        }
        self.pos += data.len();
    }
}

/// Appends `block` to `file` and fdatasyncs it (the raw sync-rate baseline).
pub fn write_and_fdatasync(file: &mut File, block: &[u8]) -> std::io::Result<()> {
    file.write_all(block)?;
    file.sync_data()
}
