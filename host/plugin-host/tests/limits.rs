//! Untrusted plugins: traps, endless loops, memory grabs, file and socket access are contained.

mod common;

use std::time::{Duration, Instant};

use common::{open, plugins_dir};
use wasmq_plugin_host::{FailureKind, OwnedMessage, Verdict};

fn tagged(tag: &str) -> OwnedMessage {
    OwnedMessage::new("t", tag, b"payload")
}

#[test]
fn a_trap_is_answered_by_policy_and_the_instance_replaced() {
    let dir = plugins_dir(
        &[("fixture-trap", "trap")],
        r#"
        [[binding]]
        name = "refusing"
        plugin = "trap"
        hook = "ingress-filter"
        on-failure = "refuse"
        "#,
    );
    let host = open(dir.path(), None);
    let mut batch = vec![tagged("ok"), tagged("boom")];
    let out = host.ingress("t", &mut batch);
    assert!(out.verdicts.iter().all(|v| matches!(v, Verdict::Rejected { plugin, reason } if plugin == "trap" && reason.contains("retry"))), "{out:?}");
    // The host keeps serving: the next call gets a fresh instance.
    let mut batch = vec![tagged("ok")];
    assert!(host.ingress("t", &mut batch).all_kept());
    let m = &host.metrics()[0];
    assert_eq!((m.traps, m.calls, m.instances_created), (1, 2, 2), "{m:?}");
}

#[test]
fn an_endless_loop_is_stopped_by_fuel() {
    let dir = plugins_dir(
        &[("fixture-spin", "spin")],
        r#"
        [[binding]]
        plugin = "spin"
        hook = "ingress-filter"
        on-failure = "drop"
        fuel = 5000000
        "#,
    );
    let host = open(dir.path(), None);
    let start = Instant::now();
    let mut batch = vec![tagged("spin"), tagged("ok")];
    let out = host.ingress("t", &mut batch);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "fuel must stop the loop: {:?}",
        start.elapsed()
    );
    assert_eq!(
        out.verdicts,
        vec![Verdict::Discarded, Verdict::Discarded],
        "policy drop"
    );
    let mut batch = vec![tagged("ok")];
    assert!(host.ingress("t", &mut batch).all_kept());
    let m = &host.metrics()[0];
    assert_eq!((m.fuel_exhausted, m.traps, m.failures()), (1, 0, 1));
    assert!(m.fuel_consumed >= 5_000_000);
}

#[test]
fn a_memory_grab_is_stopped_by_the_cap() {
    let dir = plugins_dir(
        &[("fixture-memory-hog", "hog")],
        r#"
        [[binding]]
        name = "capped"
        plugin = "hog"
        hook = "ingress-filter"
        memory-mib = 16
        config = { mib = 64 }

        [[binding]]
        name = "roomy"
        plugin = "hog"
        hook = "ingress-filter"
        topics = ["big"]
        memory-mib = 128
        fuel = 2000000000
        config = { mib = 8 }

        [[binding]]
        name = "grown"
        plugin = "hog"
        hook = "ingress-filter"
        topics = ["grow"]
        memory-mib = 16
        fuel = 2000000000
        config = { mib = 10 }
        "#,
    );
    let host = open(dir.path(), None);
    let mut batch = vec![tagged("hog")];
    let out = host.ingress("t", &mut batch);
    assert_eq!(out.verdicts, vec![Verdict::Keep], "policy pass (default)");
    let capped = host
        .metrics()
        .into_iter()
        .find(|m| m.binding == "capped")
        .unwrap();
    assert_eq!(
        (capped.memory_exhausted, capped.traps),
        (1, 0),
        "{capped:?}"
    );
    // Within its cap the same plugin works: 8 MiB under 128 MiB.
    let mut batch = vec![OwnedMessage::new("big", "hog", b"")];
    let out = host.ingress("big", &mut batch);
    assert!(
        matches!(&out.verdicts[0], Verdict::Rejected { reason, .. } if reason.starts_with("allocated")),
        "{out:?}"
    );
    let roomy = host
        .metrics()
        .into_iter()
        .find(|m| m.binding == "roomy")
        .unwrap();
    assert_eq!((roomy.recycled, roomy.memory_exhausted), (0, 0));
    // An instance whose memory grew past half its cap is replaced after the call.
    let mut batch = vec![OwnedMessage::new("grow", "hog", b"")];
    let out = host.ingress("grow", &mut batch);
    assert!(
        matches!(&out.verdicts[0], Verdict::Rejected { reason, .. } if reason.starts_with("allocated")),
        "{out:?}"
    );
    let mut batch = vec![OwnedMessage::new("grow", "small", b"")];
    assert!(host.ingress("grow", &mut batch).all_kept());
    let grown = host
        .metrics()
        .into_iter()
        .find(|m| m.binding == "grown")
        .unwrap();
    assert_eq!(
        (grown.recycled, grown.instances_created, grown.failures()),
        (1, 2, 0),
        "{grown:?}"
    );
}

#[test]
fn consumer_filter_failure_is_not_filtered_out() {
    let dir = plugins_dir(
        &[("fixture-trap", "trap")],
        r#"
        [[binding]]
        name = "strict"
        plugin = "trap"
        hook = "consumer-filter"
        groups = ["strict"]
        on-failure = "refuse"

        [[binding]]
        name = "lenient"
        plugin = "trap"
        hook = "consumer-filter"
        groups = ["lenient"]
        on-failure = "pass"
        "#,
    );
    let host = open(dir.path(), None);
    let msgs = [tagged("ok"), tagged("boom")];
    let views: Vec<_> = msgs.iter().map(|m| m.view()).collect();
    let err = host.consumer_filter("strict", "t", &views).unwrap_err();
    assert_eq!(
        (err.binding.as_str(), err.kind),
        ("strict", FailureKind::Trap)
    );
    assert_eq!(
        host.consumer_filter("lenient", "t", &views),
        Ok(vec![true, true])
    );
    assert_eq!(
        host.consumer_filter("strict", "t", &views[..1]),
        Ok(vec![true]),
        "healthy again"
    );
}

#[test]
fn a_plugin_cannot_open_files_or_sockets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), b"secret").unwrap();
    let dir = plugins_dir(
        &[("fixture-escape", "escape")],
        &format!(
            r#"
            [[binding]]
            plugin = "escape"
            hook = "ingress-filter"
            config = {{ path = "{}", addr = "{addr}" }}
            "#,
            secret.path().display()
        ),
    );
    let host = open(dir.path(), None);
    let mut batch = vec![tagged("escape")];
    let out = host.ingress("t", &mut batch);
    let Verdict::Rejected { reason, .. } = &out.verdicts[0] else {
        panic!("{out:?}")
    };
    assert!(reason.contains("file: denied"), "{reason}");
    assert!(reason.contains("socket: denied"), "{reason}");
    assert!(
        !reason.contains("OPENED") && !reason.contains("CONNECTED"),
        "{reason}"
    );
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "no connection arrived"
    );
    let m = &host.metrics()[0];
    // Components from the wasm32-unknown-unknown route have no stdio at all; wasip2 ones have it captured.
    let mut report = Vec::new();
    wasmq_plugin_host::cli::check(&common::wasm("fixture-escape"), &mut report).unwrap();
    let has_stdio = String::from_utf8(report)
        .unwrap()
        .contains("wasi:cli/stdout");
    let expected = if has_stdio { 3 } else { 1 };
    assert!(
        m.log_lines >= expected,
        "log import, stdout and stderr are captured into the log: {m:?}"
    );
}

#[test]
fn broken_files_are_reported_not_fatal() {
    let dir = plugins_dir(
        &[("tag-filter", "good")],
        "[[binding]]\nplugin = \"good\"\nhook = \"ingress-filter\"\n[[binding]]\nplugin = \"good\"\nhook = \"router\"\n",
    );
    std::fs::write(dir.path().join("garbage.wasm"), b"this is not wasm").unwrap();
    std::fs::write(dir.path().join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let host = wasmq_plugin_host::PluginHost::open_with(
        dir.path(),
        None,
        wasmq_plugin_host::HostOptions {
            cache_dir: Some(common::cache_dir()),
            poll_interval: None,
        },
    )
    .unwrap();
    let errors = host.load_errors();
    let text = format!("{errors:?}");
    assert!(
        text.contains("garbage.wasm") && text.contains("not a WebAssembly file"),
        "{text}"
    );
    assert!(
        text.contains("core.wasm") && text.contains("not a component"),
        "{text}"
    );
    assert!(text.contains("does not implement hook `router`"), "{text}");
    assert_eq!(host.plugins().len(), 1);
    assert_eq!(host.bindings().len(), 1);
}

/// The broker calls plugins from tokio tasks: WASI stdio must work there, and blocking must trap.
#[test]
fn plugins_run_inside_tokio_runtimes() {
    let dir = plugins_dir(
        &[("fixture-escape", "escape")],
        "[[binding]]\nplugin = \"escape\"\nhook = \"ingress-filter\"\non-failure = \"refuse\"\n",
    );
    let host = open(dir.path(), None);
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for rt in [&current, &multi] {
        let h = host.clone();
        let out = rt.block_on(async move {
            let h2 = h.clone();
            tokio::spawn(async move { h2.ingress("t", &mut vec![tagged("escape")]) })
                .await
                .unwrap()
        });
        assert!(
            matches!(&out.verdicts[0], Verdict::Rejected { reason, .. } if reason.starts_with("file: denied")),
            "{out:?}"
        );
    }
    let m = &host.metrics()[0];
    assert_eq!(m.failures(), 0, "{m:?}");
}

#[test]
fn a_plugin_that_keeps_failing_is_backed_off_then_retried() {
    let dir = plugins_dir(
        &[("fixture-trap", "trap")],
        "[[binding]]\nplugin = \"trap\"\nhook = \"ingress-filter\"\non-failure = \"drop\"\n",
    );
    let host = open(dir.path(), None);
    for _ in 0..3 {
        let out = host.ingress("t", &mut vec![tagged("boom")]);
        assert_eq!(out.verdicts, vec![Verdict::Discarded]);
    }
    // Backing off: answered by the policy without calling (or instantiating) the plugin.
    let out = host.ingress("t", &mut vec![tagged("ok")]);
    assert_eq!(out.verdicts, vec![Verdict::Discarded]);
    let m = &host.metrics()[0];
    assert_eq!(
        (m.traps, m.calls, m.skipped, m.instances_created),
        (3, 3, 1, 3),
        "{m:?}"
    );
    // After the window a healthy call goes through again and resets the backoff.
    common::wait_for(
        "the backoff window to pass",
        std::time::Duration::from_secs(30),
        || host.ingress("t", &mut vec![tagged("ok")]).all_kept(),
    );
    let m = &host.metrics()[0];
    assert_eq!((m.traps, m.calls), (3, 4), "{m:?}");
}
