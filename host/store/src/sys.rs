//! What the store asks the operating system, without `unsafe`: disk usage (`statvfs`, through
//! rustix) and the local hour `deleteWhen` is compared with (through chrono's time-zone rules).

use std::io;
use std::path::Path;

use chrono::{Local, TimeZone, Timelike};

/// Used fraction (0.0..=1.0) of the filesystem holding `path`, as `df` computes it:
/// `used / (used + available to unprivileged users)`.
pub(crate) fn used_ratio(path: &Path) -> io::Result<f64> {
    let st = rustix::fs::statvfs(path)?;
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
/// `/etc/localtime`), or `None` if the timestamp is out of range.
pub(crate) fn local_hour(ms: u64) -> Option<u32> {
    let ms = i64::try_from(ms).ok()?;
    Local.timestamp_millis_opt(ms).single().map(|t| t.hour())
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
    fn local_hour_follows_the_time_zone() {
        // 2026-11-25T15:18:00Z; under TZ=UTC (as in CI and here) that is hour 15.
        let h = local_hour(1_795_619_880_000).expect("hour");
        assert!(h < 24);
        if std::env::var("TZ").is_ok_and(|tz| tz == "UTC") {
            assert_eq!(h, 15);
        }
        assert_eq!(local_hour(u64::MAX), None);
    }
}
