//! Hot reload: replacing, breaking, adding and removing plugins and bindings while calls run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::{open, plugins_dir, replace_file, wait_for, wasm};
use wasmq_plugin_host::{OwnedMessage, Verdict};

const DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn replacing_a_plugin_under_load_loses_no_call_and_a_broken_one_is_ignored() {
    let toml = r#"
        [[binding]]
        name = "hot"
        plugin = "hot"
        hook = "ingress-filter"
        on-failure = "refuse"
        config = { tags = "A" }
        "#;
    let dir = plugins_dir(&[("tag-filter", "hot")], toml);
    let host = open(dir.path(), Some(Duration::from_millis(20)));
    let stop = Arc::new(AtomicBool::new(false));
    let (old_seen, new_seen, calls) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let caller = {
        let (host, stop, old_seen, new_seen, calls) = (
            host.clone(),
            stop.clone(),
            old_seen.clone(),
            new_seen.clone(),
            calls.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut batch = vec![OwnedMessage::new("t", "B", b"")];
                let out = host.ingress("t", &mut batch);
                calls.fetch_add(1, Ordering::Relaxed);
                match &out.verdicts[0] {
                    Verdict::Discarded => old_seen.fetch_add(1, Ordering::Relaxed),
                    Verdict::Keep => new_seen.fetch_add(1, Ordering::Relaxed),
                    other => panic!("a call failed during reload: {other:?}"),
                };
            }
        })
    };
    wait_for("calls on the old version", DEADLINE, || {
        old_seen.load(Ordering::Relaxed) >= 20
    });
    let generation = host.generation();

    // New version: keeps everything.
    replace_file(
        &dir.path().join("hot.wasm"),
        &std::fs::read(wasm("fixture-keep-all")).unwrap(),
    );
    wait_for("the new version to serve", DEADLINE, || {
        new_seen.load(Ordering::Relaxed) >= 20
    });
    assert!(host.generation() > generation);
    assert_eq!(host.plugins()[0].description.name, "fixture-keep-all");
    let old_after_switch = old_seen.load(Ordering::Relaxed);

    // Broken replacement: reported, the working version stays.
    replace_file(
        &dir.path().join("hot.wasm"),
        b"\0asm\x0d\0\x01\0 truncated upload",
    );
    wait_for("the broken file to be reported", DEADLINE, || {
        host.load_errors()
            .iter()
            .any(|e| e.subject.ends_with("hot.wasm"))
    });
    let served = new_seen.load(Ordering::Relaxed);
    wait_for("calls after the broken upload", DEADLINE, || {
        new_seen.load(Ordering::Relaxed) >= served + 20
    });
    assert_eq!(host.plugins()[0].description.name, "fixture-keep-all");

    stop.store(true, Ordering::Relaxed);
    caller.join().expect("caller thread");
    assert_eq!(
        old_seen.load(Ordering::Relaxed),
        old_after_switch,
        "never back to the old version"
    );
    assert_eq!(
        old_seen.load(Ordering::Relaxed) + new_seen.load(Ordering::Relaxed),
        calls.load(Ordering::Relaxed)
    );
    let m = &host.metrics()[0];
    assert_eq!(m.failures(), 0, "{m:?}");
    assert_eq!(
        m.calls,
        calls.load(Ordering::Relaxed),
        "counters survive the reload"
    );
}

#[test]
fn bindings_and_files_come_and_go_without_restart() {
    let dir = plugins_dir(&[], "");
    let host = open(dir.path(), Some(Duration::from_millis(20)));
    assert!(!host.has_ingress("orders"));
    std::fs::copy(wasm("tag-filter"), dir.path().join("tags.wasm")).unwrap();
    replace_file(
        &dir.path().join("plugins.toml"),
        b"[[binding]]\nname = \"t\"\nplugin = \"tags\"\nhook = \"ingress-filter\"\ntopics = [\"orders\"]\nconfig = { tags = \"A\" }\n",
    );
    wait_for("the new binding", DEADLINE, || host.has_ingress("orders"));
    let mut batch = vec![OwnedMessage::new("orders", "Z", b"")];
    assert_eq!(
        host.ingress("orders", &mut batch).verdicts,
        vec![Verdict::Discarded]
    );

    // Switch off at run time, then on again.
    assert!(host.set_binding_enabled("t", false));
    assert!(!host.has_ingress("orders"));
    assert!(host.set_binding_enabled("t", true));
    assert!(!host.set_binding_enabled("nope", true));

    // A bad configuration (init refuses it) keeps the running binding.
    replace_file(
        &dir.path().join("plugins.toml"),
        b"[[binding]]\nname = \"t\"\nplugin = \"tags\"\nhook = \"ingress-filter\"\ntopics = [\"orders\"]\nconfig = { tagz = \"A\" }\n",
    );
    wait_for("the bad config to be reported", DEADLINE, || {
        host.load_errors().iter().any(|e| e.error.contains("tagz"))
    });
    assert_eq!(
        host.ingress("orders", &mut batch).verdicts,
        vec![Verdict::Discarded]
    );

    std::fs::remove_file(dir.path().join("tags.wasm")).unwrap();
    wait_for("the plugin removal", DEADLINE, || {
        !host.has_ingress("orders")
    });
    assert!(host.plugins().is_empty());
}
