//! A full disk, for real: the broker's store on a small tmpfs, filled past
//! `diskSpaceWarningLevelRatio`. A real client's send fails with code 14 and Java's remark, nothing
//! already stored is lost, pulls keep working, and sends succeed again once space returns.
//!
//! Needs root to mount the tmpfs (CI and these machines run as root); elsewhere the test says why
//! it did not run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wasmq_e2e::check;
use wasmq_e2e::{BrokerOpts, Client, ConsumeArgs, TestBroker, node, unique_name, wire};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A tmpfs mounted on a temp dir, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// (total, available) bytes, from `stat -f`.
    fn space(&self) -> (u64, u64) {
        let out = Command::new("stat")
            .args(["-f", "-c", "%b %a %S"])
            .arg(self.path())
            .output()
            .expect("stat -f");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Vec<u64> = text
            .split_whitespace()
            .map(|n| n.parse().expect("stat number"))
            .collect();
        (v[0] * v[2], v[1] * v[2])
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// Produces `n` messages with ali-ons, carrying on after failures; returns (sent, errors).
fn produce(
    tb: &TestBroker,
    topic: &str,
    n: usize,
    prefix: &str,
) -> (Vec<check::Sent>, Vec<serde_json::Value>) {
    let count = n.to_string();
    let mut p = node::spawn(
        "produce.js",
        &tb.namesrv_addr(),
        &[
            "--topic",
            topic,
            "--count",
            &count,
            "--prefix",
            prefix,
            "--keep-going",
        ],
    );
    p.finish_ok(TIMEOUT);
    (check::sent(p.events()), p.events_of("send_error"))
}

/// Writes a filler file so that the filesystem is `target` full.
fn fill_to(fs: &Tmpfs, target: f64) -> PathBuf {
    let (total, avail) = fs.space();
    let used = total - avail;
    let want = (total as f64 * target) as u64;
    let filler = fs.path().join("filler");
    let size = want.saturating_sub(used);
    std::fs::write(&filler, vec![0xAB_u8; size as usize]).expect("write filler");
    filler
}

#[test]
fn full_disk_refuses_sends_with_14_keeps_everything_and_recovers() {
    let fs = match Tmpfs::mount("48m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("not run: cannot mount a tmpfs here ({why}); CI runs as root");
            return;
        }
    };
    let store = fs.path().join("store");
    let tb = TestBroker::start(
        BrokerOpts::new()
            .set("storePathRootDir", &store.display().to_string())
            .set("mappedFileSizeCommitLog", "4194304")
            .set("maxHashSlotNum", "1000")
            .set("maxIndexNum", "4000")
            .set("diskSpaceWarningLevelRatio", "90")
            .set("diskMaxUsedSpaceRatio", "95")
            .set("diskSpaceCleanForciblyRatio", "95")
            // Nothing here is expired; forced clean-up must not touch what is stored either.
            .set("cleanFileForciblyEnable", "false")
            .set("cleanResourceInterval", "100"),
    );
    let ns = tb.namesrv_addr();
    let topic = unique_name("e2e_disk");
    Client::AliOns.prepare_topic(&ns, &topic);

    let (before, errors) = produce(&tb, &topic, 20, "before");
    assert!(
        errors.is_empty(),
        "sends fail before the disk is full: {errors:?}"
    );
    check::assert_all_send_ok(&before, 20);

    // Past the 90 % watermark: the next clean-up pass (every 100 ms) marks the store full.
    let filler = fill_to(&fs, 0.94);
    let deadline = Instant::now() + TIMEOUT;
    let refused = loop {
        let (_, errors) = produce(&tb, &topic, 1, "full");
        if let Some(e) = errors.into_iter().next() {
            break e;
        }
        assert!(
            Instant::now() < deadline,
            "sends still accepted with the disk 94 % full"
        );
    };
    // ali-ons retries a refused send and then reports only "Send [4] times, still failed"; the
    // code and remark the broker answered are checked on the wire, with the frame Java sends.
    assert_eq!(refused["event"], "send_error", "{refused}");
    let born = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().to_string())
        .unwrap_or_default();
    let resp = wire::call(
        &tb.broker_addr(),
        310,
        &[
            ("a", "e2e_producer"),
            ("b", topic.as_str()),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "0"),
            ("f", "0"),
            ("g", born.as_str()),
            ("h", "0"),
            ("i", "TAGS\u{1}TagA\u{2}"),
        ],
        b"raw-full",
    );
    assert_eq!(resp.code(), 14, "{:?}", resp.header);
    let remark = resp.header["remark"].as_str().unwrap_or_default();
    assert!(
        remark.starts_with("service not available now") && remark.contains("disk is full"),
        "Java's remark: {remark}"
    );

    // Pulls keep working while sends are refused: everything acknowledged is there.
    let group = unique_name("g_disk_full");
    let mut c = Client::AliOns.consume(
        &ns,
        &ConsumeArgs::new(&group, &topic).count(before.len(), 500),
        &[],
    );
    c.finish_ok(TIMEOUT);
    let got = check::received(c.events());
    let bodies: std::collections::BTreeSet<&str> = got.iter().map(|r| r.body.as_str()).collect();
    for s in &before {
        assert!(bodies.contains(s.body.as_str()), "lost {s:?}");
    }

    // Space returns: sends succeed again.
    std::fs::remove_file(&filler).expect("remove filler");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let (sent, _) = produce(&tb, &topic, 1, "after");
        if sent.iter().any(|s| s.status == "SEND_OK") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sends still refused after space returned"
        );
    }
}
