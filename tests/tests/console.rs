//! The web console (`wasmq console`) in a real headless browser: Debian's chromium driven by
//! playwright-core (`tests/console/console.js`), against a real `wasmq standalone` that real ali-ons
//! clients produced to and consumed from. The browser opens every page, searches a message by key
//! and by id, and sends one through the form; the test asserts what it saw against what the clients
//! sent and received. Screenshots are kept under `<target>/e2e-artifacts/console/`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use wasmq_e2e::check::{self, Sent};
use wasmq_e2e::plugins::PluginDir;
use wasmq_e2e::{BrokerOpts, Client, ScriptProc, TestBroker, node, unique_name, wait_until};

const TIMEOUT: Duration = Duration::from_secs(60);
const CHROMIUM: &str = "/usr/bin/chromium";

/// A running `wasmq console`, killed on drop (its stderr printed if the test failed).
struct ConsoleProc {
    child: Child,
    dir: tempfile::TempDir,
    addr: String,
}

impl ConsoleProc {
    /// `wasmq console -n <namesrv> --port 0 --bind 127.0.0.1 --ready-file F`, awaited.
    fn start(namesrv: &str) -> ConsoleProc {
        Self::spawn(&["-n", namesrv], None)
    }

    /// The same with the address in `NAMESRV_ADDR` instead of `-n`.
    fn start_with_env(namesrv: &str) -> ConsoleProc {
        Self::spawn(&[], Some(namesrv))
    }

    fn spawn(flags: &[&str], env: Option<&str>) -> ConsoleProc {
        let dir = tempfile::Builder::new()
            .prefix("wasmq-e2e-console-")
            .tempdir()
            .expect("temp dir");
        let ready = dir.path().join("ready.json");
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr file");
        let mut cmd = Command::new(wasmq_e2e::binary::wasmq_bin());
        cmd.env_remove("NAMESRV_ADDR");
        if let Some(ns) = env {
            cmd.env("NAMESRV_ADDR", ns);
        }
        let mut child = cmd
            .arg("console")
            .args(flags)
            .args(["--port", "0", "--bind", "127.0.0.1"])
            .arg("--ready-file")
            .arg(&ready)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn wasmq console");
        let text = wait_until(Duration::from_secs(30), || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("wasmq console exited with {status} before it was ready");
            }
            std::fs::read_to_string(&ready).ok()
        })
        .expect("wasmq console wrote its ready file");
        let v: Value = serde_json::from_str(&text).expect("ready file is JSON");
        let addr = v["console"]
            .as_str()
            .expect("ready file names the console")
            .to_owned();
        ConsoleProc { child, dir, addr }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The console's log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// `GET path` on the console's API: (status, JSON body).
    fn get(&self, path: &str) -> (u16, Value) {
        http_get(&self.addr, path)
    }
}

impl Drop for ConsoleProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log =
                std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
            eprintln!("===== wasmq console stderr =====\n{log}");
        }
    }
}

/// A plain HTTP/1.1 GET (the API answers JSON with a Content-Length; the connection is closed).
fn http_get(addr: &str, path: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the answer");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    let json =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
    (status, json)
}

/// `tests/console`, with playwright-core installed (`npm ci` once if missing), and chromium present.
fn console_dir() -> PathBuf {
    static DONE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = DONE.get_or_init(|| {
        let dir = wasmq_e2e::tests_dir().join("console");
        if !Path::new(CHROMIUM).is_file() {
            return Err(format!(
                "{CHROMIUM} is missing (run tests/setup.sh: apt-get install chromium)"
            ));
        }
        if !dir
            .join("node_modules/playwright-core/package.json")
            .is_file()
        {
            eprintln!("[e2e] tests/console/node_modules missing: running npm ci");
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .status()
                .map_err(|e| format!("running npm: {e}"))?;
            if !status.success() {
                return Err(format!("npm ci in tests/console failed with {status}"));
            }
        }
        Ok(dir)
    });
    match r {
        Ok(d) => d.clone(),
        Err(e) => panic!("the browser test cannot run: {e}"),
    }
}

/// `<target>/e2e-artifacts/console/<name>` (emptied first): the test binary is
/// `<target>/<profile>/deps/console-*`.
fn artifacts(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| wasmq_e2e::workspace_root().join("target"));
    let dir = target.join("e2e-artifacts").join("console").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the artefacts dir");
    dir
}

/// Runs `console.js` to the end and returns its events (printing the screenshots' paths).
fn browse(url: &str, out: &Path, args: &[&str]) -> Vec<Value> {
    let dir = console_dir();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("console.js"))
        .args(["--url", url, "--out"])
        .arg(out)
        .args(args)
        .current_dir(&dir);
    let mut p = ScriptProc::spawn("console.js", cmd);
    p.finish_ok(TIMEOUT);
    let events = p.events().to_vec();
    for e in events.iter().filter(|e| e["event"] == "screenshot") {
        eprintln!("[e2e] screenshot: {}", e["path"].as_str().unwrap_or("?"));
    }
    let errors: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "pageerror")
        .collect();
    assert!(errors.is_empty(), "the page threw: {errors:?}");
    events
}

fn page<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "page" && e["page"] == name)
        .unwrap_or_else(|| panic!("the browser did not report the {name} page: {events:?}"))
}

fn produce(tb: &TestBroker, topic: &str, count: usize, prefix: &str) -> Vec<Sent> {
    let n = count.to_string();
    let mut p = node::spawn(
        "produce.js",
        &tb.namesrv_addr(),
        &["--topic", topic, "--count", &n, "--prefix", prefix],
    );
    p.finish_ok(TIMEOUT);
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, count);
    sent
}

#[test]
fn console_pages_show_the_cluster_and_find_what_ali_ons_sent() {
    // One plugin binding for the plugins page, on topics this test does not use.
    let plugins = PluginDir::new();
    plugins.add("json-filter").bindings(
        r#"
[[binding]]
name = "console-json"
plugin = "json-filter"
hook = "consumer-filter"
topics = ["console_unused_*"]
[binding.config]
field = "amount"
op = "gt"
value = "1000"
"#,
    );
    let tb = TestBroker::start(
        BrokerOpts::new()
            .plugins_dir(plugins.path())
            .bindings(&plugins.bindings_path()),
    );
    let ns = tb.namesrv_addr();
    let topic = unique_name("e2e_console");
    let send_topic = unique_name("e2e_console_send");
    let group = unique_name("g_console");
    Client::AliOns.prepare_topic(&ns, &topic);
    Client::AliOns.prepare_topic(&ns, &send_topic);

    // 8 keyed messages, all consumed (the consumer commits its offsets when it closes), then 5
    // more: the group lags by 5.
    let first = produce(&tb, &topic, 8, "con");
    let mut c = node::spawn(
        "consume.js",
        &ns,
        &[
            "--group",
            &group,
            "--topic",
            &topic,
            "--count",
            "8",
            "--linger-ms",
            "300",
        ],
    );
    c.finish_ok(TIMEOUT);
    assert_eq!(
        check::received(c.events()).len(),
        8,
        "the group consumed the first 8"
    );
    let later = produce(&tb, &topic, 5, "late");

    let console = ConsoleProc::start(&ns);
    // The API sees the lag before the browser is asked to show it.
    let lag = wait_until(Duration::from_secs(20), || {
        let (status, v) = console.get(&format!("/api/group?group={group}"));
        (status == 200 && v["lag"] == 5).then_some(v)
    });
    assert!(
        lag.is_some(),
        "the group's lag never reached 5: {:?}",
        console.get(&format!("/api/group?group={group}"))
    );

    let target = &later[2];
    let send_key = unique_name("console-key");
    let send_body = format!("hello from the console test {send_key}");
    let out = artifacts("cluster");
    let events = browse(
        &console.url(),
        &out,
        &[
            "--topic",
            &topic,
            "--key",
            &target.key,
            "--msg-id",
            &first[3].msg_id,
            "--group",
            &group,
            "--send-topic",
            &send_topic,
            "--send-body",
            &send_body,
            "--send-key",
            &send_key,
            "--toggle",
            "console-json",
        ],
    );

    // Cluster: the standalone's cluster and its broker with its runtime figures.
    let cluster = page(&events, "cluster");
    assert_eq!(cluster["state"], "ready", "{cluster}");
    assert_eq!(
        cluster["banner"],
        Value::Null,
        "no banner on a healthy cluster: {cluster}"
    );
    assert_eq!(
        cluster["clusters"],
        serde_json::json!(["DefaultCluster"]),
        "{cluster}"
    );
    let brokers = cluster["brokers"].as_array().expect("brokers");
    assert_eq!(brokers.len(), 1, "{cluster}");
    assert_eq!(brokers[0]["addr"], tb.broker_addr().as_str());
    assert!(
        brokers[0]["putTotal"].as_i64().unwrap_or(0) >= 13,
        "the broker's put count includes the 13 messages: {cluster}"
    );

    // Topics and the topic's status: 4 queues holding the 13 messages.
    let topics = page(&events, "topics");
    assert!(
        topics["topics"]
            .as_array()
            .expect("topics")
            .iter()
            .any(|t| t == topic.as_str()),
        "{topics}"
    );
    let t = page(&events, "topic");
    assert_eq!(t["state"], "ready", "{t}");
    assert_eq!(t["routes"], 1, "{t}");
    let queues = t["queues"].as_array().expect("queues");
    assert_eq!(queues.len(), 4, "{t}");
    let total: i64 = queues
        .iter()
        .map(|q| q["maxOffset"].as_i64().unwrap_or(0) - q["minOffset"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total, 13, "the queues hold what ali-ons sent: {t}");

    // Consumer groups: the group with its lag, in the list and per queue.
    let groups = page(&events, "groups");
    let row = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["group"] == group.as_str())
        .unwrap_or_else(|| panic!("{group} is not listed: {groups}"));
    assert_eq!(row["lag"], 5, "{groups}");
    let g = page(&events, "group");
    assert_eq!(g["lag"], 5, "{g}");
    assert_eq!(g["online"], 0, "its consumer has closed: {g}");
    assert_eq!(g["noConsumers"], true, "{g}");
    // Its topic's 4 queues (beside them, the group's own %RETRY% queue, with nothing in it).
    let per_queue: Vec<&Value> = g["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .filter(|q| q["topic"] == topic.as_str())
        .collect();
    assert_eq!(per_queue.len(), 4, "{g}");
    for q in &per_queue {
        assert_eq!(
            q["lag"].as_i64(),
            Some(
                q["brokerOffset"].as_i64().unwrap_or(-1)
                    - q["consumerOffset"].as_i64().unwrap_or(-1)
            ),
            "lag = broker offset - consumer offset: {q}"
        );
    }
    let mut sent_per_queue = [0i64; 4];
    for s in later.iter() {
        sent_per_queue[usize::try_from(s.queue_id).expect("queue id")] += 1;
    }
    for q in &per_queue {
        let id = usize::try_from(q["queueId"].as_i64().expect("queueId")).expect("queue id");
        assert_eq!(
            q["lag"].as_i64(),
            Some(sent_per_queue[id]),
            "queue {id}: the later sends land there: {g}"
        );
    }

    // Search by key: exactly the message ali-ons sent with that key, its body shown.
    let by_key = events
        .iter()
        .find(|e| e["event"] == "search" && e["by"] == "key")
        .expect("a key search");
    assert_eq!(by_key["state"], "ready", "{by_key}");
    assert_eq!(by_key["rows"].as_array().map(Vec::len), Some(1), "{by_key}");
    assert_eq!(
        by_key["body"],
        target.body.as_str(),
        "the body ali-ons sent: {by_key}"
    );

    // Search by the msgId ali-ons reported.
    let by_id = events
        .iter()
        .find(|e| e["event"] == "search" && e["by"] == "id")
        .expect("an id search");
    assert_eq!(by_id["state"], "ready", "{by_id}");
    assert_eq!(by_id["body"], first[3].body.as_str(), "{by_id}");

    // The message sent through the form reaches the broker: a real consumer receives it.
    let sent = events
        .iter()
        .find(|e| e["event"] == "sent")
        .expect("a send");
    assert_eq!(sent["state"], "ready", "{sent}");
    let ui_msg_id = sent["msgId"]
        .as_str()
        .expect("the page shows the msgId")
        .to_owned();
    let view = events
        .iter()
        .find(|e| e["event"] == "search" && e["by"] == "sent-link")
        .expect("the sent message viewed through its link");
    assert_eq!(view["shownMsgId"], ui_msg_id.as_str(), "{view}");
    assert_eq!(view["body"], send_body.as_str(), "{view}");
    let mut c2 = node::spawn(
        "consume.js",
        &ns,
        &[
            "--group",
            &unique_name("g_console_send"),
            "--topic",
            &send_topic,
            "--count",
            "1",
            "--linger-ms",
            "300",
        ],
    );
    c2.finish_ok(TIMEOUT);
    let got = check::received(c2.events());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body, send_body);
    assert_eq!(got[0].keys.as_deref(), Some(send_key.as_str()));
    assert_eq!(got[0].tags.as_deref(), Some("ConsoleTag"));
    assert_eq!(
        got[0].properties.get("UNIQ_KEY"),
        Some(&ui_msg_id),
        "the msgId the page showed"
    );

    // Plugins: the binding with its hook, switched off with its button; the broker agrees.
    let shown = page(&events, "plugins");
    assert_eq!(shown["state"], "ready", "{shown}");
    assert!(
        shown["text"]
            .as_str()
            .unwrap_or("")
            .contains(&tb.broker_addr()),
        "{shown}"
    );
    let row = serde_json::json!([{"binding": "console-json", "enabled": "yes", "hook": "consumer-filter", "calls": 0}]);
    assert_eq!(shown["rows"], row, "{shown}");
    let toggled = events
        .iter()
        .find(|e| e["event"] == "toggled")
        .expect("a toggle");
    assert_eq!(toggled["banner"], Value::Null, "{toggled}");
    assert_eq!(toggled["rows"][0]["enabled"], "no", "{toggled}");
    let (_, api) = console.get("/api/plugins");
    assert_eq!(
        api["brokers"][0]["plugins"][0]["binding"], "console-json",
        "{api}"
    );
    assert_eq!(
        api["brokers"][0]["plugins"][0]["enabled"], false,
        "the broker has it off: {api}"
    );

    // The throughput chart, drawn from the broker's counters.
    let chart = page(&events, "throughput");
    assert_eq!(chart["drawn"], true, "{chart}");
    assert!(
        chart["series"]
            .as_array()
            .expect("series")
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.ends_with(" put"))),
        "{chart}"
    );
    if std::env::var_os("WASMQ_CONSOLE_DOCS_PNG").is_some() {
        let shot = events
            .iter()
            .find(|e| e["event"] == "screenshot" && e["name"] == "search-by-key")
            .and_then(|e| e["path"].as_str())
            .expect("a search-by-key screenshot");
        std::fs::copy(shot, wasmq_e2e::workspace_root().join("docs/console.png"))
            .expect("copy to docs/");
    }
}

#[test]
fn console_says_plainly_when_the_nameserver_cannot_be_reached() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let ns = format!("127.0.0.1:{port}");
    let console = ConsoleProc::start_with_env(&ns);
    let expected = format!("cannot reach the nameserver at {ns}: connection refused");
    // The operator starting it sees the cause in its log too.
    assert!(
        wait_until(Duration::from_secs(10), || console
            .log()
            .contains(&expected)
            .then_some(()))
        .is_some(),
        "the console's log does not say {expected:?}: {}",
        console.log()
    );

    let (status, v) = console.get("/api/cluster");
    assert_eq!(status, 502, "{v}");
    assert_eq!(v["error"], expected.as_str());

    let out = artifacts("unreachable");
    let events = browse(&console.url(), &out, &["--mode", "unreachable"]);
    let pages: Vec<&Value> = events.iter().filter(|e| e["event"] == "page").collect();
    assert_eq!(pages.len(), 7, "{events:?}");
    for p in pages {
        assert_eq!(
            p["banner"],
            expected.as_str(),
            "the banner on {}: {p}",
            p["page"]
        );
        let text = p["text"].as_str().unwrap_or("");
        for bad in ["Exception", "undefined", "[object", "TypeError"] {
            assert!(!text.contains(bad), "{} shows {bad:?}: {text}", p["page"]);
        }
    }
}

#[test]
fn standalone_serves_the_console_on_console_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let tb = TestBroker::start(BrokerOpts::new().set("consolePort", &port.to_string()));
    let addr = format!("127.0.0.1:{port}");
    let health = wait_until(Duration::from_secs(20), || {
        let (status, v) = http_get(&addr, "/api/health");
        (status == 200).then_some(v)
    })
    .expect("the console answers /api/health");
    assert_eq!(health["namesrv"], tb.namesrv_addr().as_str(), "{health}");
    let (status, cluster) = http_get(&addr, "/api/cluster");
    assert_eq!(status, 200);
    assert_eq!(
        cluster["clusters"][0]["brokers"][0]["addr"],
        tb.broker_addr().as_str()
    );
}
