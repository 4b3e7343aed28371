//! What the streaming tests need around the binary: a real Tansu broker on a
//! free loopback port, `chainwatch run` as a child process (so it can be
//! SIGKILLed), a plain-HTTP probe of its admin port, and Kafka reads and
//! writes with librdkafka. A missing broker binary fails the test with the
//! command that installs it; nothing is skipped.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tempfile::TempDir;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn tansu_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CHAINWATCH_TANSU") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/tansu")
}

pub struct Broker {
    pub port: u16,
    child: Child,
    pub log: PathBuf,
    _dir: TempDir,
}

impl Broker {
    pub fn start() -> Broker {
        Broker::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Broker {
        let tansu = tansu_path();
        assert!(
            tansu.exists(),
            "no Tansu broker at {}: run scripts/install-tansu (the test command does)",
            tansu.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("tansu.log");
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&tansu)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tansu.display()));
        let broker = Broker {
            port,
            child,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Tansu did not listen on {port}: {}",
                std::fs::read_to_string(&broker.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.addr());
        c
    }

    pub fn producer(&self) -> BaseProducer {
        let mut c = self.client();
        c.set("message.max.bytes", "4000000");
        c.create().expect("test producer")
    }

    /// Sends one record and waits for it to be acknowledged.
    pub fn send(&self, topic: &str, partition: Option<i32>, key: Option<&str>, payload: &[u8]) {
        let p = self.producer();
        let mut r = BaseRecord::<str, [u8]>::to(topic).payload(payload);
        if let Some(k) = key {
            r = r.key(k);
        }
        if let Some(part) = partition {
            r = r.partition(part);
        }
        p.send(r).map_err(|(e, _)| e).expect("enqueue");
        p.flush(Duration::from_secs(20)).expect("delivered");
    }

    /// Every record of `topic`, read until nothing new arrives for `quiet`
    /// (Tansu's high watermarks cannot be trusted to find the end).
    pub fn read_all(&self, topic: &str, quiet: Duration) -> Vec<Record> {
        let mut c = self.client();
        c.set("group.id", "test-reader")
            .set("enable.auto.commit", "false");
        let reader: BaseConsumer = c.create().expect("reader");
        let meta = reader
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let parts = meta
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map(|t| t.partitions().len())
            .unwrap_or(0);
        let mut tpl = TopicPartitionList::new();
        for p in 0..parts as i32 {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .expect("partition");
        }
        reader.assign(&tpl).expect("assign");
        let mut out = Vec::new();
        let mut last = Instant::now();
        while last.elapsed() < quiet {
            if let Some(Ok(m)) = reader.poll(Duration::from_millis(100)) {
                last = Instant::now();
                let headers = m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_string(),
                                    String::from_utf8_lossy(h.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    payload: m.payload().unwrap_or_default().to_vec(),
                    headers,
                });
            }
        }
        out.sort_by_key(|r| (r.partition, r.offset));
        out
    }

    /// Reads `topic` until it holds at least `n` records (or `timeout`).
    pub fn wait_for(&self, topic: &str, n: usize, timeout: Duration) -> Vec<Record> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.read_all(topic, Duration::from_millis(700));
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
}

impl Record {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).expect("JSON record")
    }
}

/// Settings for a service under test.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub brokers: String,
    pub map: PathBuf,
    pub group_prefix: String,
    pub partitions: i32,
    pub extra: String,
    /// Keys appended to the `[service]` section.
    pub service_extra: String,
}

impl ServiceSpec {
    pub fn new(brokers: String, group_prefix: &str) -> ServiceSpec {
        ServiceSpec {
            brokers,
            map: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/maps/cset-ic.json"),
            group_prefix: group_prefix.to_string(),
            partitions: 3,
            extra: String::new(),
            service_extra: String::new(),
        }
    }
}

pub struct Service {
    pub admin_port: u16,
    child: Option<Child>,
    pub log: PathBuf,
    dir: TempDir,
}

impl Service {
    pub fn start(spec: &ServiceSpec) -> Service {
        Service::start_with(spec, &[])
    }

    pub fn start_with(spec: &ServiceSpec, args: &[&str]) -> Service {
        let dir = tempfile::tempdir().expect("temp dir");
        let admin_port = free_port();
        let config = dir.path().join("service.toml");
        // Short group timeouts: a join against Tansu then takes seconds.
        std::fs::write(
            &config,
            format!(
                "[service]\nmap = {map:?}\nadmin_addr = \"127.0.0.1:{admin_port}\"\nshutdown_timeout_ms = 10000\n{service_extra}\n\
                 [kafka]\nbrokers = {brokers:?}\ngroup_prefix = {group:?}\npartitions = {parts}\n\
                 session_timeout_ms = 6000\nheartbeat_interval_ms = 500\nmax_poll_interval_ms = 7000\nmax_backoff_ms = 1000\n{extra}",
                map = spec.map.display().to_string(),
                brokers = spec.brokers,
                group = spec.group_prefix,
                parts = spec.partitions,
                extra = spec.extra,
                service_extra = spec.service_extra,
            ),
        )
        .expect("write config");
        let log = dir.path().join("service.log");
        let child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .arg("run")
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("RUST_LOG", "info,rdkafka=warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start chainwatch run");
        Service {
            admin_port,
            child: Some(child),
            log,
            dir,
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Status and body of GET `path` on the admin port.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.admin_port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((status, body))
    }

    /// Status and body of a request with an optional bearer token.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.admin_port)).expect("admin port");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (
            status,
            text.split_once("\r\n\r\n")
                .map(|(_, b)| b.to_string())
                .unwrap_or_default(),
        )
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.get("/readyz"), Some((200, _)))
    }

    pub fn wait_ready(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.is_ready() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("service exited ({status}) before ready:\n{}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "service not ready after {timeout:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sum of every series of metric `name` (0 when absent or unreachable).
    pub fn metric(&self, name: &str) -> f64 {
        let Some((200, body)) = self.get("/metrics") else {
            return 0.0;
        };
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split(['{', ' ']).next() == Some(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// A series of metric `name` whose labels include `labels` (`k="v"` text).
    pub fn metric_with(&self, name: &str, labels: &str) -> f64 {
        let Some((200, body)) = self.get("/metrics") else {
            return 0.0;
        };
        body.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// The process id, while it runs (to send it signals).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then the exit status (panics if it takes over `bound`).
    pub fn terminate(&mut self, bound: Duration) -> ExitStatus {
        let mut c = self.child.take().expect("running service");
        let pid = c.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = c.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!(
                    "service did not stop within {bound:?} of SIGTERM:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Waits until `f` holds, or panics with `what` after `timeout`.
pub fn eventually(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The CSET map with a one-post roster on chain ic (Beijing: A = `bj-a`,
/// B = `bj-b`), written into `dir`.
pub fn map_with_roster(dir: &std::path::Path) -> PathBuf {
    let path = format!("{}/config/maps/cset-ic.json", env!("CARGO_MANIFEST_DIR"));
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["chains"][0]["roster"] = serde_json::json!({
        "rotation": "monthly", "start": "2026-01-01T00:00:00Z",
        "posts": [{"region": "Beijing", "a": "bj-a", "b": "bj-b"}]
    });
    let out = dir.join("roster.json");
    std::fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    out
}

/// `[service]` lines that make `token` (16 characters or more) the admin
/// API's bearer token, named `tests`, from a file in `dir`.
pub fn admin_token(dir: &std::path::Path, token: &str) -> String {
    let file = dir.join("admin-tokens");
    std::fs::write(&file, format!("tests:{token}\n")).unwrap();
    format!("admin_tokens_file = {:?}\n", file.display().to_string())
}

/// `[notify]` settings for tests: receivers `bj-a` and `bj-b` at
/// `base_url` + `/bj-a`, `/bj-b` signed with `secret`, and the given
/// acknowledgement time.
pub fn notify_settings(base_url: &str, secret: &str, ack_ms: u64) -> String {
    format!(
        "[notify]\nallow_internal_urls = true\nack_timeout_ms = {ack_ms}\ncritical_to_both = false\n\
         retry_initial_ms = 100\nretry_max_ms = 800\nretry_attempts = 200\nresend_interval_ms = 1000\n\
         [notify.receivers.bj-a]\nurl = \"{base_url}/bj-a\"\nsecrets = [{secret:?}]\n\
         [notify.receivers.bj-b]\nurl = \"{base_url}/bj-b\"\nsecrets = [{secret:?}]\n",
    )
}

/// Lines of `tests/data/streaming/<name>`, blank ones left out.
pub fn events(name: &str) -> Vec<String> {
    let path = format!("{}/tests/data/streaming/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The input topic for an event line, by its `type`.
pub fn topic_of(line: &str) -> &'static str {
    match chainwatch::event::decode(line.as_bytes()).map(|e| e.kind()) {
        Ok("sanction") => "chainwatch.sanctions",
        Ok("price") => "chainwatch.prices",
        _ => "chainwatch.supplier-events",
    }
}
