//! The store's second (and last) `unsafe` module: `statvfs` for disk usage and `localtime_r`
//! for the local hour `deleteWhen` is compared with.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Used fraction (0.0..=1.0) of the filesystem holding `path`, as `df` computes it:
/// `used / (used + available to unprivileged users)`.
pub(crate) fn used_ratio(path: &Path) -> io::Result<f64> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: `statvfs` is plain old data; all-zero bytes are a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated string and `st` a valid out-pointer, both living for
    // the duration of the call.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let frsize = st.f_frsize as f64;
    let used = st.f_blocks.saturating_sub(st.f_bfree) as f64 * frsize;
    let avail = st.f_bavail as f64 * frsize;
    let entire = used + avail;
    if entire <= 0.0 {
        return Err(io::Error::other("filesystem reports zero size"));
    }
    Ok((used / entire).clamp(0.0, 1.0))
}

/// Local hour of day (0..=23) of a ms timestamp, per the process time zone (`TZ`,
/// `/etc/localtime`), or `None` if the C library cannot convert it.
pub(crate) fn local_hour(ms: u64) -> Option<u32> {
    let secs = libc::time_t::try_from(ms / 1000).ok()?;
    // SAFETY: `tm` is plain old data; all-zero bytes are a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; `localtime_r` is the re-entrant variant
    // (no shared static buffer).
    let res = unsafe { libc::localtime_r(&secs, &mut tm) };
    if res.is_null() {
        return None;
    }
    u32::try_from(tm.tm_hour).ok().filter(|h| *h < 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_a_real_filesystem_and_missing_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = used_ratio(dir.path()).expect("statvfs");
        assert!((0.0..=1.0).contains(&r), "{r}");
        assert!(used_ratio(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn local_hour_is_an_hour() {
        let h = local_hour(1_795_610_096_789).expect("hour");
        assert!(h < 24);
    }
}
