//! Live settings on a running service (the real binary, a real Tansu
//! broker): reloads through SIGHUP, `POST /-/reload` and a change of the
//! settings file; a refused reload keeps the old values; the re-judged
//! alerts reach the alerts topic at once; the admin API's tokens, preview
//! and audit records.

use crate::harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chainwatch::config::tunables::Tunables;
use chainwatch::config::{CoreConfig, Thresholds};
use chainwatch::event::decode;
use chainwatch::map::load_file;
use chainwatch::monitor::Monitor;
use harness::{eventually, topic_of, Broker, Service, ServiceSpec};

fn lines() -> Vec<String> {
    harness::events("events.ndjson")
}
use serde_json::{json, Value};

const ALERTS: &str = "chainwatch.alerts";
const AUDIT: &str = "chainwatch.audit";
const READY: Duration = Duration::from_secs(60);
const TOKEN: &str = "alice-0123456789abcdef";

/// Status and JSON body of a request to the admin port.
fn http(
    s: &Service,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut c = TcpStream::connect(("127.0.0.1", s.admin_port)).expect("admin port");
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(json!({ "raw": body })),
    )
}

fn thresholds(s: &Service) -> Value {
    let (status, v) = http(s, "GET", "/api/v1/thresholds", Some(TOKEN), None);
    assert_eq!(status, 200, "{v}");
    v["thresholds"].clone()
}

fn info_hash(s: &Service) -> Option<String> {
    let (_, body) = s.get("/metrics")?;
    body.lines()
        .find(|l| l.starts_with("chainwatch_config_info{"))
        .and_then(|l| l.split('"').nth(1))
        .map(str::to_string)
}

fn core_file(dir: &Path, critical: f64) {
    std::fs::write(
        dir.join("chainwatch.toml"),
        format!("[thresholds]\nwatch = 0.1\nwarning = 0.3\ncritical = {critical}\n"),
    )
    .unwrap();
}

/// Records on the alerts topic published by live setting changes.
fn reload_changes(broker: &Broker) -> Vec<(String, Value)> {
    broker
        .read_all(ALERTS, Duration::from_millis(800))
        .into_iter()
        .filter_map(|r| {
            let id = r.headers.get("chainwatch-change-id")?.clone();
            id.starts_with("reload-").then(|| (id, r.json()))
        })
        .collect()
}

#[test]
fn thresholds_reload_three_ways_refuse_bad_files_preview_and_audit() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    core_file(dir.path(), 0.6);
    std::fs::write(dir.path().join("tokens"), format!("alice:{TOKEN}\n")).unwrap();
    let settings = |poll_ms: u64| {
        format!(
            "core_config = {:?}\nadmin_tokens_file = {:?}\nreload_poll_ms = {poll_ms}\n",
            dir.path().join("chainwatch.toml").display().to_string(),
            dir.path().join("tokens").display().to_string()
        )
    };
    let mut spec = ServiceSpec::new(broker.addr(), "tuning");
    spec.service_extra = settings(0);
    let mut service = Service::start(&spec);
    service.wait_ready(READY);

    // The ASML outage (s-01) and three prices; routed in order.
    let events = lines();
    let prefix = &events[..4];
    for (k, line) in prefix.iter().enumerate() {
        broker.send(topic_of(line), None, None, line.as_bytes());
        eventually(Duration::from_secs(30), "the event to be routed", || {
            service.metric("chainwatch_ingest_messages_total") >= (k + 1) as f64
        });
    }
    // The reference: the same events through the core, then the change.
    let (_, map) = load_file(&spec.map).unwrap();
    let mut reference = Monitor::new(Arc::new(map), CoreConfig::default());
    let mut before = 0;
    for line in prefix {
        let e = decode(line.as_bytes()).unwrap();
        before += reference.apply(&e, e.ts()).unwrap().changes.len();
    }
    let tighter = Tunables {
        thresholds: Thresholds {
            watch: 0.1,
            warning: 0.3,
            critical: 0.45,
            ..Thresholds::default()
        },
        ..Tunables::of(&CoreConfig::default())
    };
    let expected: Vec<(String, String, String)> = reference
        .retune(&tighter)
        .iter()
        .map(|c| {
            let s = serde_json::to_value(c).unwrap();
            (
                s["labels"]["node"].as_str().unwrap().to_string(),
                s["labels"]["severity"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(expected.contains(&("N20".into(), "critical".into(), "firing".into())));
    let got = broker.wait_for(ALERTS, before, Duration::from_secs(30));
    assert_eq!(got.len(), before, "{}", service.logs());

    // Metrics at start.
    assert_eq!(
        service.metric("chainwatch_config_last_reload_successful"),
        1.0
    );
    assert!(service.metric("chainwatch_config_last_reload_success_timestamp_seconds") > 1.6e9);
    let h0 = info_hash(&service).expect("chainwatch_config_info");

    // Tokens: missing, wrong, right.
    let (status, v) = http(&service, "GET", "/api/v1/thresholds", None, None);
    assert_eq!(
        (status, v["error"].as_str()),
        (401, Some("missing bearer token"))
    );
    let (status, v) = http(
        &service,
        "GET",
        "/api/v1/thresholds",
        Some("alice-0123456789abcdeX"),
        None,
    );
    assert_eq!(
        (status, v["error"].as_str()),
        (401, Some("invalid bearer token"))
    );
    let (status, _) = http(
        &service,
        "PUT",
        "/api/v1/thresholds",
        Some("nope"),
        Some(json!({"critical": 0.45, "reason": "x"})),
    );
    assert_eq!(status, 401);
    assert_eq!(thresholds(&service)["critical"], 0.6);
    assert!(!service.logs().contains(TOKEN), "a token was logged");

    // Preview: by hand, N20 (EUV, all from ASML, 180 days of stock) is short
    // by 1 at s-04, three days after the fire: 177 days of stock and 177 of
    // the 180 days of recovery remain: risk 177/354 = 0.5.
    let (status, p) = http(
        &service,
        "POST",
        "/api/v1/thresholds/preview",
        Some(TOKEN),
        Some(json!({"critical": 0.45})),
    );
    assert_eq!(status, 200, "{p}");
    let n20 = p["change"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["node"] == "N20")
        .expect("N20");
    assert!((n20["risk"].as_f64().unwrap() - 177.0 / 354.0).abs() < 1e-6);
    assert_eq!(
        (n20["from"].as_str(), n20["to"].as_str()),
        (Some("warning"), Some("critical"))
    );
    assert_eq!(p["window"]["events"], 4);
    assert_eq!(p["window"]["current_changes"], before as u64);
    let (status, e) = http(
        &service,
        "POST",
        "/api/v1/thresholds/preview",
        Some(TOKEN),
        Some(json!({"critical": 0.2})),
    );
    assert_eq!(status, 400);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .starts_with("thresholds.critical: must be above thresholds.warning"),
        "{e}"
    );

    // The wall shows N20 at warning (2) before the change.
    let n20_wall = || service.metric_with("chainwatch_key_node_severity", r#"node="N20""#);
    eventually(Duration::from_secs(10), "the wall to show N20", || {
        n20_wall() == 2.0
    });

    // 1. SIGHUP after the file changed.
    core_file(dir.path(), 0.45);
    let pid = service.pid().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    eventually(Duration::from_secs(20), "SIGHUP to apply", || {
        thresholds(&service)["critical"] == 0.45
    });
    let h1 = info_hash(&service).unwrap();
    assert_ne!(h0, h1);
    eventually(Duration::from_secs(20), "the re-judged alerts", || {
        reload_changes(&broker).len() >= expected.len()
    });
    let mut published: Vec<(String, String, String)> = reload_changes(&broker)
        .iter()
        .map(|(_, v)| {
            (
                v["labels"]["node"].as_str().unwrap().into(),
                v["labels"]["severity"].as_str().unwrap().into(),
                v["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut wanted = expected.clone();
    published.sort();
    wanted.sort();
    assert_eq!(published, wanted, "{}", service.logs());
    // The wall follows the new thresholds without waiting for an event.
    eventually(
        Duration::from_secs(5),
        "the wall to show N20 critical",
        || n20_wall() == 3.0,
    );

    // 2. A refused reload (POST /-/reload) keeps the old values.
    core_file(dir.path(), 0.2);
    let (status, e) = http(&service, "POST", "/-/reload", None, None);
    assert_eq!(status, 400);
    let msg = e["error"].as_str().unwrap();
    assert!(
        msg.contains("chainwatch.toml")
            && msg.contains("thresholds.critical: must be above thresholds.warning"),
        "{msg}"
    );
    assert_eq!(
        service.metric("chainwatch_config_last_reload_successful"),
        0.0
    );
    assert_eq!(thresholds(&service)["critical"], 0.45);
    assert_eq!(info_hash(&service).unwrap(), h1);
    // … and a good one applies and reverses the changes.
    core_file(dir.path(), 0.6);
    let (status, v) = http(&service, "POST", "/-/reload", None, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["hash"].as_str(), Some(h0.as_str()));
    assert_eq!(
        service.metric("chainwatch_config_last_reload_successful"),
        1.0
    );
    eventually(Duration::from_secs(20), "the reversed alerts", || {
        reload_changes(&broker).len() >= 2 * expected.len()
    });
    let ids: std::collections::BTreeSet<String> = reload_changes(&broker)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids.len(), 2 * expected.len(), "change ids are unique");

    // The admin API: a reason is required; a change is audited.
    let (status, e) = http(
        &service,
        "PUT",
        "/api/v1/thresholds",
        Some(TOKEN),
        Some(json!({"critical": 0.45})),
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("reason: say why the thresholds change"))
    );
    let (status, v) = http(
        &service,
        "PUT",
        "/api/v1/thresholds",
        Some(TOKEN),
        Some(json!({"critical": 0.45, "resolve_margin": 0.05, "reason": "EUV controls expected"})),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (
            v["who"].as_str(),
            v["old"]["critical"].as_f64(),
            v["new"]["critical"].as_f64(),
            v["new"]["resolve_margin"].as_f64()
        ),
        (Some("alice"), Some(0.6), Some(0.45), Some(0.05))
    );
    let audit = broker.wait_for(AUDIT, 4, Duration::from_secs(20));
    let records: Vec<Value> = audit.iter().map(|r| r.json()).collect();
    let by_alice = records
        .iter()
        .find(|r| r["who"] == "alice")
        .expect("audited");
    assert_eq!(by_alice["action"], "set");
    assert_eq!(by_alice["kind"], "settings");
    assert_eq!(by_alice["reason"], "EUV controls expected");
    assert_eq!(by_alice["old"]["thresholds"]["critical"], 0.6);
    assert_eq!(by_alice["new"]["thresholds"]["critical"], 0.45);
    assert!(by_alice["at"].as_str().unwrap().ends_with('Z'));
    let whos: Vec<&str> = records.iter().map(|r| r["who"].as_str().unwrap()).collect();
    assert_eq!(
        whos,
        vec!["sighup", "http", "alice"],
        "the refused reload is not audited"
    );
    assert!(service.logs().contains("live settings changed"));
    // Back to the files' values.
    let (status, _) = http(
        &service,
        "PUT",
        "/api/v1/thresholds",
        Some(TOKEN),
        Some(json!({"reset": true, "reason": "done"})),
    );
    assert_eq!(status, 200);
    assert_eq!(thresholds(&service)["critical"], 0.6);
    assert_eq!(thresholds(&service)["resolve_margin"], 0.02);
    let status = service.terminate(Duration::from_secs(15));
    assert!(status.success());

    // 3. A change of the file, noticed by the poll, on a restarted service.
    spec.service_extra = settings(300);
    let mut service = Service::start(&spec);
    service.wait_ready(READY);
    let seen = reload_changes(&broker).len();
    core_file(dir.path(), 0.45);
    eventually(Duration::from_secs(20), "the file change to apply", || {
        thresholds(&service)["critical"] == 0.45
    });
    eventually(Duration::from_secs(20), "the re-judged alerts", || {
        reload_changes(&broker).len() >= seen + expected.len()
    });
    let audit: Vec<Value> = broker
        .wait_for(AUDIT, 6, Duration::from_secs(20))
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(audit.last().unwrap()["who"], "file");
    assert_eq!(info_hash(&service).unwrap(), h1);
    let status = service.terminate(Duration::from_secs(15));
    assert!(status.success());
}
