//! Alert delivery against real components on loopback: the service (real
//! binary) on a real Tansu broker, a real Alertmanager (Debian's
//! prometheus-alertmanager), and webhook receivers over real HTTP that
//! verify every signature.

use crate::harness;
use crate::receiver;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chainwatch::notify::sign::{verify, Secret};
use harness::{eventually, topic_of, Broker, Service, ServiceSpec};

/// Line `n` (from 1) of the streaming test events.
fn line(n: usize) -> String {
    harness::events("events.ndjson")[n - 1].clone()
}
use receiver::Receiver;
use serde_json::{json, Value};

const READY: Duration = Duration::from_secs(60);
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WRONG: &str = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=";
const TOKEN: &str = "s3cret-admin-token";

fn map_with_roster(dir: &Path) -> PathBuf {
    harness::map_with_roster(dir)
}

/// Receivers, acknowledgement time and the admin token for `spec`.
fn with_notify(spec: &mut ServiceSpec, dir: &Path, receiver: &Receiver, ack_ms: u64) {
    spec.extra = harness::notify_settings(&receiver.url(""), SECRET, ack_ms);
    spec.service_extra = harness::admin_token(dir, TOKEN);
}

/// Checks a request's Standard Webhooks signature under `secret`.
fn signed_by(r: &receiver::Request, secret: &str) -> bool {
    let h = |k: &str| r.headers.get(k).cloned().unwrap_or_default();
    let ts: i64 = h("webhook-timestamp").parse().unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    verify(
        &Secret::parse(secret).unwrap(),
        &h("webhook-id"),
        ts,
        &h("webhook-signature"),
        &r.body,
        now,
        600,
    )
    .is_ok()
}

/// Distinct webhook ids that reached `path` with a 2xx answer.
fn delivered(rx: &Receiver, path: &str) -> BTreeMap<String, Value> {
    rx.on(path)
        .into_iter()
        .filter(|r| r.answered < 300)
        .map(|r| (r.headers["webhook-id"].clone(), r.json()))
        .collect()
}

#[test]
fn chiefs_get_signed_webhooks_through_failures_a_silent_a_escalates_and_an_ack_stops_it() {
    let broker = Broker::start();
    let rx = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ServiceSpec::new(broker.addr(), "chiefs");
    spec.map = map_with_roster(dir.path());
    with_notify(&mut spec, dir.path(), &rx, 5000);
    let mut service = Service::start(&spec);
    service.wait_ready(READY);

    // The ASML fire: a warning on EUV tools. A's endpoint fails three times first.
    rx.fail_next(3, 500);
    let fire = line(1);
    broker.send(topic_of(&fire), None, None, fire.as_bytes());
    eventually(Duration::from_secs(20), "A to get the warning", || {
        delivered(&rx, "/bj-a").len() == 1
    });
    let warning = delivered(&rx, "/bj-a").into_values().next().unwrap();
    let fp = warning["alerts"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(warning["commonAnnotations"]["chainwatch_purpose"], "new");
    assert_eq!(warning["alerts"][0]["labels"]["node"], "N20");
    assert_eq!(warning["version"], "4");
    let failed: Vec<_> = rx
        .on("/bj-a")
        .into_iter()
        .filter(|r| r.answered == 500)
        .collect();
    assert_eq!(failed.len(), 3, "retried through the failures");
    assert!(
        failed
            .iter()
            .all(|r| r.headers["webhook-id"] == rx.on("/bj-a")[3].headers["webhook-id"]),
        "same webhook-id on every attempt"
    );

    // Acknowledgement: no token, wrong token, unknown alert, then right.
    let ack = format!("/api/v1/alerts/{fp}/ack");
    assert_eq!(
        service.request("POST", &ack, None, r#"{"by":"Wang"}"#).0,
        401
    );
    assert_eq!(
        service
            .request("POST", &ack, Some("nope"), r#"{"by":"Wang"}"#)
            .0,
        401
    );
    assert_eq!(
        service
            .request(
                "POST",
                "/api/v1/alerts/0000/ack",
                Some(TOKEN),
                r#"{"by":"Wang"}"#
            )
            .0,
        404
    );
    let (status, body) = service.request("POST", &ack, Some(TOKEN), r#"{"by":"Wang (Beijing A)"}"#);
    assert_eq!(status, 200, "{body}");
    let record: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(record["kind"], "acknowledgement");
    assert_eq!(record["post"], "Beijing");

    // Dutch controls: ten critical alerts nobody acknowledges; the warning
    // on N20 turns critical (resolved under warning, firing under critical).
    let nl = line(7);
    broker.send(topic_of(&nl), None, None, nl.as_bytes());
    eventually(
        Duration::from_secs(30),
        "A to get the critical alerts",
        || delivered(&rx, "/bj-a").len() >= 12,
    );
    eventually(Duration::from_secs(30), "B to get the escalations", || {
        delivered(&rx, "/bj-b").len() >= 10
    });
    std::thread::sleep(Duration::from_secs(2));
    let to_a = delivered(&rx, "/bj-a");
    let to_b = delivered(&rx, "/bj-b");
    let purposes = |m: &BTreeMap<String, Value>| -> BTreeMap<String, usize> {
        let mut c = BTreeMap::new();
        for v in m.values() {
            *c.entry(
                v["commonAnnotations"]["chainwatch_purpose"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
            .or_default() += 1;
        }
        c
    };
    assert_eq!(
        purposes(&to_a),
        BTreeMap::from([("new".into(), 11), ("resolved".into(), 1)])
    );
    assert_eq!(purposes(&to_b), BTreeMap::from([("escalation".into(), 10)]));
    assert!(
        to_b.values()
            .all(|v| v["alerts"][0]["labels"]["severity"] == "critical"),
        "the acknowledged warning never escalates"
    );
    // Each webhook-id took effect once, whatever the attempts.
    let attempts = rx.requests().len();
    assert!(attempts > to_a.len() + to_b.len());
    for r in rx.requests() {
        assert!(signed_by(&r, SECRET), "signature under the right secret");
        assert!(!signed_by(&r, WRONG), "a wrong secret is rejected");
    }
    assert_eq!(service.metric("chainwatch_escalations_total"), 10.0);
    assert_eq!(service.metric("chainwatch_acknowledgements_total"), 1.0);

    let audit = broker.read_all("chainwatch.audit", Duration::from_secs(1));
    let kinds: Vec<String> = audit
        .iter()
        .map(|r| r.json()["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "acknowledgement").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "notification").count(), 22);
}

#[test]
fn a_notifier_killed_mid_delivery_loses_nothing_and_keeps_its_webhook_ids() {
    let broker = Broker::start();
    let rx = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ServiceSpec::new(broker.addr(), "crash");
    spec.map = map_with_roster(dir.path());
    with_notify(&mut spec, dir.path(), &rx, 600_000);
    let mut first = Service::start(&spec);
    first.wait_ready(READY);
    rx.fail_next(usize::MAX, 503);
    let nl = line(7);
    broker.send(topic_of(&nl), None, None, nl.as_bytes());
    eventually(
        Duration::from_secs(30),
        "deliveries to be under way",
        || {
            let ids: BTreeSet<String> = rx
                .on("/bj-a")
                .iter()
                .map(|r| r.headers["webhook-id"].clone())
                .collect();
            ids.len() == 10
        },
    );
    let tried: BTreeSet<String> = rx
        .on("/bj-a")
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    first.kill9();
    rx.fail_next(0, 200);

    let mut second = Service::start(&spec);
    second.wait_ready(READY);
    eventually(Duration::from_secs(30), "every alert to reach A", || {
        delivered(&rx, "/bj-a").len() == 10
    });
    std::thread::sleep(Duration::from_secs(2));
    let got: BTreeSet<String> = delivered(&rx, "/bj-a").into_keys().collect();
    assert_eq!(
        got, tried,
        "the restarted notifier sends the same webhook ids"
    );
    assert_eq!(delivered(&rx, "/bj-b").len(), 0);
}

struct Alertmanager {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    fn start(webhook: &str) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: test\n  group_by: ['chain', 'node']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
                 receivers:\n- name: test\n  webhook_configs:\n  - url: {webhook}\n    send_resolved: true\n"
            ),
        )
        .unwrap();
        let port = harness::free_port();
        let bin = "/usr/bin/prometheus-alertmanager";
        assert!(
            Path::new(bin).exists(),
            "{bin} is missing: apt-get install prometheus-alertmanager (scripts/test does)"
        );
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("am.log")).unwrap())
            .spawn()
            .expect("start Alertmanager");
        eventually(Duration::from_secs(20), "Alertmanager to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Alertmanager {
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_real_alertmanager_groups_our_alerts_notifies_and_resolves_them() {
    let broker = Broker::start();
    let rx = Receiver::start();
    let am = Alertmanager::start(&rx.url("/am"));
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ServiceSpec::new(broker.addr(), "am");
    spec.map = map_with_roster(dir.path());
    with_notify(&mut spec, dir.path(), &rx, 600_000);
    // The flag, not the file, names the Alertmanager.
    let am_url = format!("http://127.0.0.1:{}", am.port);
    let mut service = Service::start_with(&spec, &["--alertmanager", &am_url]);
    service.wait_ready(READY);

    let fire = line(1);
    broker.send(topic_of(&fire), None, None, fire.as_bytes());
    eventually(
        Duration::from_secs(30),
        "Alertmanager's webhook for the firing alert",
        || rx.on("/am").iter().any(|r| r.json()["status"] == "firing"),
    );
    let ours = delivered(&rx, "/bj-a")
        .into_values()
        .next()
        .expect("our own webhook too");
    let fp = ours["alerts"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let from_am = rx
        .on("/am")
        .into_iter()
        .find(|r| r.json()["status"] == "firing")
        .unwrap()
        .json();
    let alert = &from_am["alerts"][0];
    assert_eq!(alert["labels"]["node"], "N20");
    assert_eq!(alert["labels"]["alertname"], "ChainCutoffRisk");
    assert_eq!(
        alert["fingerprint"],
        fp.as_str(),
        "Alertmanager computes our fingerprint"
    );
    assert_eq!(
        from_am["groupLabels"],
        json!({"chain": "ic", "node": "N20"})
    );
    assert!(alert["generatorURL"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/assessments/ic/N20"));
    let (status, body) = harness_get(service.admin_port, "/api/v1/assessments/ic/N20");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["node_id"],
        "N20"
    );

    // The recovery resolves it in chainwatch, and so in Alertmanager.
    let back = line(5);
    broker.send(topic_of(&back), None, None, back.as_bytes());
    eventually(
        Duration::from_secs(30),
        "Alertmanager's webhook for the resolution",
        || {
            rx.on("/am")
                .iter()
                .any(|r| r.json()["status"] == "resolved")
        },
    );
    let (_, alerts) = harness_get(am.port, "/api/v2/alerts?active=true");
    let active: Vec<Value> = serde_json::from_str(&alerts).unwrap();
    assert!(
        active.iter().all(|a| a["fingerprint"] != fp.as_str()),
        "{active:?}"
    );
    assert!(service.metric_with("chainwatch_notifications_total", "kind=\"alertmanager\"") >= 2.0);
}

fn harness_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, text.split_once("\r\n\r\n").unwrap().1.to_string())
}
