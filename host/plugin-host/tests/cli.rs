//! The plugin author tools: new → build → test from a clean directory, check, list, test.

mod common;

use common::{plugins_dir, wasm};
use wasmq_plugin_host::HookKind;
use wasmq_plugin_host::cli::{self, TemplateKind, TestOptions};

fn run_test(file: &std::path::Path, input: &str, opts: TestOptions) -> String {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(&jsonl, input).unwrap();
    let mut out = Vec::new();
    cli::test_plugin(file, &jsonl, &opts, &mut out).expect("plugin test");
    String::from_utf8(out).unwrap()
}

/// Slow (a real cargo build of a fresh crate): one test for the whole author workflow.
#[test]
fn new_build_check_and_test_from_a_clean_directory() {
    let work = tempfile::tempdir().unwrap();
    let krate =
        cli::new_plugin("my-filter", TemplateKind::Filter, work.path()).expect("plugin new");
    assert!(krate.join("wit/plugin.wit").exists() && krate.join("src/sdk.rs").exists());
    assert!(
        cli::new_plugin("my-filter", TemplateKind::Filter, work.path()).is_err(),
        "refuses to overwrite"
    );
    assert!(cli::new_plugin("Bad Name", TemplateKind::Filter, work.path()).is_err());

    let target = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("new-plugin-target");
    let built = cli::build_plugin(&krate, Some(&target)).expect("plugin build");
    assert!(built.ends_with("my_filter.wasm"), "{}", built.display());

    let mut report = Vec::new();
    cli::check(&built, &mut report).expect("plugin check");
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains("world:   filter-plugin") && report.contains("ok: the host can load"),
        "{report}"
    );

    let out = run_test(
        &built,
        &std::fs::read_to_string(krate.join("messages.jsonl")).unwrap(),
        TestOptions {
            config: vec![("tags".into(), "A".into())],
            ..Default::default()
        },
    );
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains(r#""verdict":"keep""#), "{out}");
    assert!(lines[1].contains(r#""verdict":"discard""#), "{out}");
}

#[test]
fn check_accepts_the_examples_and_refuses_non_components() {
    let mut report = Vec::new();
    cli::check(&wasm("key-router"), &mut report).unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains("wasmq:plugin/config@0.1.0") && report.contains("wasmq host"),
        "{report}"
    );
    assert!(report.contains("world:   router-plugin"), "{report}");
    assert!(report.contains("describe: key-router"), "{report}");
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    assert!(cli::check(&core, &mut Vec::new()).is_err());
}

#[test]
fn test_command_runs_each_hook_kind() {
    let out = run_test(
        &wasm("key-router"),
        "{\"topic\":\"events\",\"properties\":{\"region\":\"eu\"},\"body\":\"x\"}\n",
        TestOptions {
            config: vec![
                ("mode".into(), "header".into()),
                ("header".into(), "region".into()),
                ("route.eu".into(), "events-eu".into()),
                ("audit-topic".into(), "audit".into()),
            ],
            ..Default::default()
        },
    );
    assert!(
        out.contains(r#""topic":"events-eu""#)
            && out.contains(r#""topic":"audit""#)
            && out.contains(r#""copy":true"#),
        "{out}"
    );

    let out = run_test(
        &wasm("json-filter"),
        "{\"body\":\"{\\\"a\\\":1}\"}\n{\"body\":\"{\\\"a\\\":2}\"}\n",
        TestOptions {
            config: vec![("field".into(), "a".into()), ("value".into(), "2".into())],
            group: "g".into(),
            ..Default::default()
        },
    );
    assert!(
        out.contains(r#"{"deliver":false,"input":0}"#)
            && out.contains(r#"{"deliver":true,"input":1}"#),
        "{out}"
    );

    let out = run_test(
        &wasm("retention-policy"),
        "{\"topic\":\"logs\"}\n",
        TestOptions {
            config: vec![("topic.logs".into(), "2h".into())],
            hook: Some(HookKind::Retention),
            ..Default::default()
        },
    );
    assert!(out.contains(r#""retention_ms":7200000"#), "{out}");

    let out = run_test(
        &wasm("fixture-spin"),
        "{\"tags\":\"spin\"}\n",
        TestOptions {
            fuel: Some(1_000_000),
            ..Default::default()
        },
    );
    assert!(out.contains("fuel-exhausted=1"), "{out}");
}

#[test]
fn list_shows_plugins_bindings_and_problems() {
    let dir = plugins_dir(
        &[("tag-filter", "tags")],
        "[[binding]]\nplugin = \"tags\"\nhook = \"consumer-filter\"\n[[binding]]\nplugin = \"missing\"\nhook = \"router\"\n",
    );
    let mut out = Vec::new();
    cli::list(dir.path(), None, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("tag-filter") && out.contains("consumer-filter"),
        "{out}"
    );
    assert!(out.contains("plugin `missing` is not in"), "{out}");
}
