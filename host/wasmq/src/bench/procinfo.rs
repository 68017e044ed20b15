//! The broker process's memory and CPU, read from /proc/PID (Linux).

use std::time::Duration;

/// A snapshot of the broker process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcSnapshot {
    /// Resident set size, KiB.
    pub rss_kib: u64,
    /// Peak resident set size, KiB.
    pub hwm_kib: u64,
    /// Anonymous resident memory (heap, stacks), KiB: RSS without mapped files and shmem, so
    /// without the commit log's pages (all resident when the store is on tmpfs).
    pub anon_kib: u64,
    /// User + system CPU time.
    pub cpu: Duration,
}

/// Reads /proc/PID/status and /proc/PID/stat; `None` when the process or the files are missing.
pub fn snapshot(pid: u32) -> Option<ProcSnapshot> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Field 3 (state) is index 0 here, so field N is index N - 3.
    let cpu_ticks = ticks(11) + ticks(12);
    Some(ProcSnapshot {
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
        anon_kib: kib("RssAnon:"),
        cpu: Duration::from_millis(cpu_ticks * 1000 / clock_ticks()),
    })
}

/// USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK); kept in one place.
fn clock_ticks() -> u64 {
    100
}
