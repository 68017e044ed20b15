//! The command line as an operator meets it: config files, `-p`, `-n`, NAMESRV_ADDR, and errors
//! that name the key and the fix. Runs the real binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn wasmq(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasmq"));
    c.args(args)
        .current_dir(workspace())
        .env_remove("NAMESRV_ADDR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run wasmq")
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn seed_broker_conf_prints_its_values_and_defaults() {
    let o = wasmq(&["broker", "-c", "conf/broker.conf", "-p"], &[]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    for seed in [
        "brokerClusterName=DefaultCluster",
        "brokerName=broker-a",
        "brokerId=0",
        "deleteWhen=04",
        "fileReservedTime=48",
        "brokerRole=ASYNC_MASTER",
        "flushDiskType=ASYNC_FLUSH",
        "brokerIP1=192.168.177.114",
        "diskMaxUsedSpaceRatio=95",
    ] {
        assert!(lines.contains(&seed), "missing {seed:?} in:\n{out}");
    }
    for default in [
        "listenPort=10911",
        "autoCreateTopicEnable=true",
        "mappedFileSizeCommitLog=1073741824",
        "maxMessageSize=4194304",
        "flushIntervalCommitLog=500",
    ] {
        assert!(
            lines.contains(&default),
            "missing default {default:?} in:\n{out}"
        );
    }
    assert!(
        !err.contains("unknown key"),
        "the seed's keys are all known: {err}"
    );
}

#[test]
fn toml_config_reads_the_same_keys() {
    let o = wasmq(&["broker", "-c", "conf/broker.toml", "-p"], &[]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.lines().any(|l| l == "brokerIP1=127.0.0.1"), "{out}");
    assert!(out.lines().any(|l| l == "fileReservedTime=48"), "{out}");
    assert!(!err.contains("unknown key"), "{err}");
}

#[test]
fn bad_value_is_an_error_naming_key_value_and_allowed() {
    let o = wasmq(&["broker", "--set", "fileReservedTime=two", "-p"], &[]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("fileReservedTime") && err.contains("\"two\""),
        "{err}"
    );
    assert!(err.contains("integer"), "says what is allowed: {err}");

    let o = wasmq(&["broker", "--set", "brokerRole=MASTER", "-p"], &[]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("ASYNC_MASTER") && err.contains("SLAVE"),
        "{err}"
    );
}

#[test]
fn unknown_key_warns_with_the_nearest_known_key() {
    let o = wasmq(&["broker", "--set", "brokerNmae=x", "-p"], &[]);
    let (_, err) = text(&o);
    assert!(
        o.status.success(),
        "an unknown key is a warning, not an error: {err}"
    );
    assert!(
        err.contains("brokerNmae") && err.contains("did you mean `brokerName`"),
        "{err}"
    );
}

#[test]
fn namesrv_addr_from_env_and_flag() {
    let o = wasmq(&["broker", "-p"], &[("NAMESRV_ADDR", "10.1.1.1:9876")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        out.lines().any(|l| l == "namesrvAddr=10.1.1.1:9876"),
        "{out}"
    );

    let o = wasmq(
        &["broker", "-n", "10.2.2.2:9876;10.3.3.3:9876", "-p"],
        &[("NAMESRV_ADDR", "10.1.1.1:9876")],
    );
    let (out, _) = text(&o);
    assert!(
        out.lines()
            .any(|l| l == "namesrvAddr=10.2.2.2:9876;10.3.3.3:9876"),
        "-n wins over NAMESRV_ADDR: {out}"
    );
}

#[test]
fn missing_config_file_names_the_file() {
    let o = wasmq(&["namesrv", "-c", "conf/nope.conf", "-p"], &[]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("conf/nope.conf"), "{err}");
}

#[test]
fn help_describes_every_subcommand() {
    let o = wasmq(&["--help"], &[]);
    let (out, _) = text(&o);
    for sub in [
        "namesrv",
        "broker",
        "standalone",
        "admin",
        "plugin",
        "bench",
    ] {
        assert!(out.contains(sub), "{sub} missing from --help:\n{out}");
    }
}
