//! The streaming service against a real Kafka-protocol broker (Tansu) on
//! loopback: alerts equal to `replay`, dead letters, SIGKILL and restart,
//! scale-out over a consumer group, and a broker that appears late.

use crate::harness;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chainwatch::config::CoreConfig;
use chainwatch::event::decode;
use chainwatch::map::load_file;
use chainwatch::monitor::Monitor;
use harness::{events, eventually, topic_of, Broker, Service, ServiceSpec};
use serde_json::Value;

const ALERTS: &str = "chainwatch.alerts";
const DEADLETTER: &str = "chainwatch.deadletter";
const READY: Duration = Duration::from_secs(60);

/// What `replay` prints for `lines` on `map`: the reference.
fn replayed(map: &std::path::Path, lines: &[String]) -> Vec<Value> {
    let (_, map) = load_file(map).expect("map");
    let mut monitor = Monitor::new(Arc::new(map), CoreConfig::default());
    let mut out = Vec::new();
    for line in lines {
        let event = decode(line.as_bytes()).expect("test event");
        let applied = monitor.apply(&event, event.ts()).expect("applies");
        out.extend(
            applied
                .changes
                .iter()
                .map(|c| serde_json::to_value(c).unwrap()),
        );
    }
    out
}

/// Alert state changes per fingerprint, in order: the alerts topic is
/// partitioned by fingerprint, so only that order is defined.
fn by_fingerprint(changes: impl IntoIterator<Item = Value>) -> BTreeMap<String, Vec<Value>> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for c in changes {
        let fp = c["fingerprint"].as_str().expect("fingerprint").to_string();
        m.entry(fp).or_default().push(c);
    }
    m
}

/// Produces each event to its type's topic and waits until an ingest worker
/// has routed it, so the chains see the events in file order.
fn feed_in_order(broker: &Broker, workers: &[&Service], already: f64, lines: &[String]) {
    for (k, line) in lines.iter().enumerate() {
        broker.send(topic_of(line), None, None, line.as_bytes());
        let want = already + (k + 1) as f64;
        eventually(Duration::from_secs(30), "the event to be routed", || {
            workers
                .iter()
                .map(|w| w.metric("chainwatch_ingest_messages_total"))
                .sum::<f64>()
                >= want
        });
    }
}

#[test]
fn alerts_on_kafka_equal_replay_for_the_same_events() {
    let broker = Broker::start();
    let spec = ServiceSpec::new(broker.addr(), "e2e");
    let mut service = Service::start(&spec);
    service.wait_ready(READY);
    let lines = events("events.ndjson");
    feed_in_order(&broker, &[&service], 0.0, &lines);

    let expected = replayed(&spec.map, &lines);
    assert!(
        expected.len() >= 10,
        "the scenario should alert: {expected:?}"
    );
    let records = broker.wait_for(ALERTS, expected.len(), Duration::from_secs(30));
    for r in &records {
        let v = r.json();
        assert_eq!(
            r.key.as_deref(),
            v["fingerprint"].as_str(),
            "keyed by fingerprint"
        );
        assert!(r.headers.contains_key("chainwatch-change-id"));
    }
    let got = by_fingerprint(records.iter().map(|r| r.json()));
    assert_eq!(got, by_fingerprint(expected), "{}", service.logs());
    assert_eq!(
        service.metric("chainwatch_assess_events_total"),
        lines.len() as f64
    );
    let status = service.terminate(Duration::from_secs(15));
    assert!(
        status.success(),
        "SIGTERM should drain and exit 0: {status}"
    );
}

#[test]
fn poison_messages_are_dead_lettered_while_valid_traffic_continues() {
    let broker = Broker::start();
    let spec = ServiceSpec::new(broker.addr(), "poison");
    let mut service = Service::start(&spec);
    service.wait_ready(READY);
    let lines = events("events.ndjson");
    let oversized = format!(
        "{{\"id\":\"big\",\"type\":\"price\",\"pad\":\"{}\"}}",
        "x".repeat(950_000)
    );
    let poison: Vec<(&str, Vec<u8>, &str)> = vec![
        ("chainwatch.prices", b"{not json".to_vec(), "not_json"),
        (
            "chainwatch.prices",
            br#"{"id":"p1","type":"price","ts":"2023-01-01T00:00:00Z","item":"N22","price":"cheap","currency":"USD","unit":"tool","source":"t"}"#.to_vec(),
            "bad_field",
        ),
        (
            "chainwatch.supplier-events",
            br#"{"id":"p2","type":"supplier_event","ts":"2023-01-01T00:00:00Z","incident":"i","firm":"P999999","kind":"fire","capacity_loss":0.5}"#.to_vec(),
            "unknown_id",
        ),
        ("chainwatch.sanctions", oversized.into_bytes(), "too_large"),
        ("chainwatch.sanctions", vec![0xff, 0xfe, 0x00], "not_utf8"),
    ];
    // Poison first, between and after valid events, on the same topics.
    let (first, rest) = lines.split_at(3);
    for (topic, bytes, _) in &poison[..3] {
        broker.send(topic, Some(0), Some("poison"), bytes);
    }
    feed_in_order(&broker, &[&service], 3.0, first);
    for (topic, bytes, _) in &poison[3..] {
        broker.send(topic, Some(0), Some("poison"), bytes);
    }
    feed_in_order(&broker, &[&service], 5.0 + first.len() as f64, rest);

    let dead = broker.wait_for(DEADLETTER, poison.len(), Duration::from_secs(30));
    assert_eq!(dead.len(), poison.len(), "{dead:?}");
    for (topic, bytes, reason) in &poison {
        let d = dead
            .iter()
            .find(|d| d.headers["chainwatch-reason"] == *reason)
            .unwrap_or_else(|| panic!("no dead letter for a {reason} record"));
        if *reason == "too_large" {
            // Kept whole it might not fit the broker: head and size instead.
            assert_eq!(
                d.headers["chainwatch-truncated-from"],
                bytes.len().to_string()
            );
            assert!(bytes.starts_with(&d.payload) && d.payload.len() == 64 * 1024);
        } else {
            assert_eq!(d.payload, *bytes, "dead letters keep the original bytes");
        }
        assert_eq!(d.headers["chainwatch-reason"], *reason);
        assert_eq!(d.headers["chainwatch-source-topic"], *topic);
        assert_eq!(d.headers["chainwatch-stage"], "ingest");
        assert!(d.headers["chainwatch-source-offset"].parse::<i64>().is_ok());
        assert!(!d.headers["chainwatch-error"].is_empty());
        assert_eq!(d.key.as_deref(), Some("poison"));
    }
    let unknown = dead
        .iter()
        .find(|d| d.headers["chainwatch-reason"] == "unknown_id")
        .unwrap();
    assert_eq!(
        unknown.headers["chainwatch-error"],
        "firm: unknown firm \"P999999\""
    );
    assert_eq!(
        service.metric("chainwatch_dead_letters_total"),
        poison.len() as f64
    );

    let expected = replayed(&spec.map, &lines);
    let alerts = broker.wait_for(ALERTS, expected.len(), Duration::from_secs(30));
    assert_eq!(
        by_fingerprint(alerts.iter().map(|r| r.json())),
        by_fingerprint(expected),
        "valid traffic around the poison must alert as replay does"
    );
}

/// Fires and recoveries at the dominant lithography tool maker, one day
/// apart: each pair fires an alert and resolves it.
fn outage_pairs(n: usize) -> Vec<String> {
    let day = |d: usize| format!("2023-{:02}-{:02}T00:00:00Z", 1 + d / 28, 1 + d % 28);
    (0..n)
        .flat_map(|k| {
            [
                format!(
                    r#"{{"id":"fire-{k}","type":"supplier_event","ts":"{}","incident":"out-{k}","firm":"P88","kind":"fire","capacity_loss":1.0,"expected_recovery_days":180,"items":["N20"]}}"#,
                    day(2 * k)
                ),
                format!(
                    r#"{{"id":"back-{k}","type":"supplier_event","ts":"{}","incident":"out-{k}","firm":"P88","kind":"recovered"}}"#,
                    day(2 * k + 1)
                ),
            ]
        })
        .collect()
}

fn change_ids(records: &[harness::Record]) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .map(|r| r.headers["chainwatch-change-id"].clone())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_worker_killed_mid_stream_and_restarted_applies_every_event_once() {
    let broker = Broker::start();
    let spec = ServiceSpec::new(broker.addr(), "sigkill");
    let mut first = Service::start(&spec);
    first.wait_ready(READY);
    let lines = outage_pairs(150);
    let expected = replayed(&spec.map, &lines);
    assert_eq!(expected.len(), lines.len(), "each event changes one alert");

    // One partition keeps the feed in order; it keeps flowing during the kill.
    let feed = {
        let lines = lines.clone();
        let addr = broker.addr();
        std::thread::spawn(move || {
            let mut c = rdkafka::config::ClientConfig::new();
            c.set("bootstrap.servers", &addr).set("linger.ms", "0");
            let p: rdkafka::producer::BaseProducer = c.create().unwrap();
            for line in &lines {
                use rdkafka::producer::Producer;
                let r = rdkafka::producer::BaseRecord::<str, str>::to("chainwatch.supplier-events")
                    .partition(0)
                    .payload(line);
                p.send(r).map_err(|(e, _)| e).unwrap();
                p.flush(Duration::from_secs(10)).unwrap();
                std::thread::sleep(Duration::from_millis(15));
            }
        })
    };
    eventually(
        Duration::from_secs(60),
        "some alerts before the kill",
        || first.metric("chainwatch_alert_changes_total") >= 40.0,
    );
    first.kill9();
    let at_kill = broker.read_all(ALERTS, Duration::from_millis(500)).len();
    assert!(
        at_kill < expected.len(),
        "the kill should land mid-stream ({at_kill} of {} published)",
        expected.len()
    );

    let mut second = Service::start(&spec);
    second.wait_ready(READY);
    feed.join().unwrap();
    let records = broker.wait_for(ALERTS, expected.len(), Duration::from_secs(90));
    // Anything duplicated would arrive by now.
    std::thread::sleep(Duration::from_secs(2));
    let records_after = broker.read_all(ALERTS, Duration::from_secs(1));
    assert_eq!(records.len(), records_after.len());
    let ids = change_ids(&records_after);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "a change was published twice");
    assert_eq!(
        by_fingerprint(records_after.iter().map(|r| r.json())),
        by_fingerprint(expected),
        "after the restart:\n{}",
        second.logs()
    );
}

/// The CSET map with two more chains over some of its items, so that three
/// chains live in three partitions.
fn three_chain_map(dir: &std::path::Path) -> std::path::PathBuf {
    let path = format!("{}/config/maps/cset-ic.json", env!("CARGO_MANIFEST_DIR"));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let extra = [
        ("tools", ["N16", "N19", "N20", "N22", "N32"]),
        ("fab", ["N25", "N46", "N57", "N69", "N78"]),
    ];
    for (chain, items) in extra {
        doc["chains"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": chain, "name": chain, "key_nodes": []}));
        for item in doc["items"].as_array_mut().unwrap() {
            if items.contains(&item["id"].as_str().unwrap()) {
                item["chains"].as_array_mut().unwrap().push(chain.into());
            }
        }
    }
    let out = dir.join("three-chains.json");
    std::fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    out
}

/// Chains whose wall series (`chainwatch_chain_nodes`) a worker exports.
fn walls(w: &Service) -> std::collections::BTreeSet<String> {
    let body = w.get("/metrics").map(|(_, b)| b).unwrap_or_default();
    body.lines()
        .filter_map(|l| l.strip_prefix("chainwatch_chain_nodes{chain=\""))
        .filter_map(|l| l.split('"').next())
        .map(String::from)
        .collect()
}

/// Every chain is on exactly one worker's wall: a worker that lost a
/// partition took its chains' series back.
fn one_wall_per_chain(ws: &[&Service]) -> bool {
    let mut all: Vec<String> = ws.iter().flat_map(|w| walls(w)).collect();
    all.sort();
    all == ["fab", "ic", "tools"]
}

fn assess_partitions(w: &Service) -> f64 {
    w.metric_with("chainwatch_assigned_partitions", "role=\"assess\"")
}

#[test]
fn workers_in_one_group_share_chains_and_hand_them_over() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ServiceSpec::new(broker.addr(), "group");
    spec.map = three_chain_map(dir.path());
    let mut lines = events("events.ndjson");
    lines.extend(outage_pairs(3));
    let expected = replayed(&spec.map, &lines);
    let chains: std::collections::BTreeSet<&str> = expected
        .iter()
        .map(|c| c["labels"]["chain"].as_str().unwrap())
        .collect();
    assert_eq!(chains.len(), 3, "the scenario should alert in every chain");

    // Two workers.
    let mut w1 = Service::start(&spec);
    let mut w2 = Service::start(&spec);
    w1.wait_ready(READY);
    w2.wait_ready(READY);
    eventually(READY, "two workers to share the three chains", || {
        let (a, b) = (assess_partitions(&w1), assess_partitions(&w2));
        a + b == 3.0 && a >= 1.0 && b >= 1.0
    });
    let (one, rest) = lines.split_at(4);
    feed_in_order(&broker, &[&w1, &w2], 0.0, one);

    // A third joins: one chain each.
    let mut w3 = Service::start(&spec);
    w3.wait_ready(READY);
    eventually(READY, "three workers with one chain each", || {
        [&w1, &w2, &w3].iter().all(|w| assess_partitions(w) == 1.0)
    });
    eventually(READY, "each chain on one worker's wall", || {
        one_wall_per_chain(&[&w1, &w2, &w3])
    });
    let (two, three) = rest.split_at(4);
    let routed = |ws: &[&Service]| {
        ws.iter()
            .map(|w| w.metric("chainwatch_ingest_messages_total"))
            .sum::<f64>()
    };
    let before = routed(&[&w1, &w2, &w3]);
    feed_in_order(&broker, &[&w1, &w2, &w3], before, two);

    // The second leaves: its chain moves to a worker that rebuilds it.
    let gone = w2.metric("chainwatch_ingest_messages_total");
    let status = w2.terminate(Duration::from_secs(20));
    assert!(
        status.success(),
        "SIGTERM should drain and exit 0: {status}"
    );
    eventually(READY, "the two left to take over the third chain", || {
        assess_partitions(&w1) + assess_partitions(&w3) == 3.0 && w1.is_ready() && w3.is_ready()
    });
    eventually(
        READY,
        "the third chain on the wall of its new owner",
        || one_wall_per_chain(&[&w1, &w3]),
    );
    let before = routed(&[&w1, &w3]) + gone;
    feed_in_order(&broker, &[&w1, &w3], before - gone, three);

    let records = broker.wait_for(ALERTS, expected.len(), Duration::from_secs(60));
    let ids = change_ids(&records);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "a change was published twice");
    assert_eq!(
        by_fingerprint(records.iter().map(|r| r.json())),
        by_fingerprint(expected),
        "w1:\n{}\nw3:\n{}",
        w1.logs(),
        w3.logs()
    );
}

#[test]
fn a_broker_that_appears_late_is_waited_for() {
    let port = harness::free_port();
    let spec = ServiceSpec::new(format!("127.0.0.1:{port}"), "late");
    let mut service = Service::start(&spec);
    eventually(
        Duration::from_secs(20),
        "the service to report the broker missing",
        || service.logs().contains("cannot reach the Kafka brokers"),
    );
    assert!(!service.is_ready(), "not ready without a broker");
    assert!(
        matches!(service.get("/livez"), Some((200, _))),
        "alive while waiting"
    );
    let logs = service.logs();
    assert!(
        logs.contains("cannot reach the Kafka brokers; retrying")
            && logs.contains(&format!("127.0.0.1:{port}")),
        "a clear error naming the brokers:\n{logs}"
    );

    let broker = Broker::start_on(port);
    service.wait_ready(READY);
    let lines = events("events.ndjson");
    feed_in_order(&broker, &[&service], 0.0, &lines[..1]);
    let alerts = broker.wait_for(ALERTS, 1, Duration::from_secs(30));
    assert_eq!(alerts.len(), 1, "{}", service.logs());
    assert_eq!(alerts[0].json()["labels"]["node"], "N20");
}

fn chainwatch(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("chainwatch");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn produce_checks_lines_and_no_validate_feeds_the_dead_letters() {
    let broker = Broker::start();
    let spec = ServiceSpec::new(broker.addr(), "produce");
    let mut service = Service::start(&spec);
    service.wait_ready(READY);
    let map = spec.map.display().to_string();
    let addr = broker.addr();
    let good = events("events.ndjson")[0].clone();
    let bad = r#"{"id":"x","type":"price","ts":"2023-01-01T00:00:00Z","item":"N999","price":1,"currency":"USD","unit":"t","source":"s"}"#;

    // Checked: the good line goes to its type's topic, the bad one is named and held back.
    let out = chainwatch(
        &["produce", "--brokers", &addr, "--map", &map, "-"],
        &format!("{good}\n\n{bad}\n"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stdin line 3: not sent: item: unknown item \"N999\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("produced 1 record(s) from stdin; 1 refused"),
        "{stderr}"
    );

    // Unchecked: sent as is, and the service dead-letters it.
    let out = chainwatch(
        &[
            "produce",
            "--brokers",
            &addr,
            "--no-validate",
            "--topic",
            "chainwatch.prices",
        ],
        &format!("{bad}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dead = broker.wait_for(DEADLETTER, 1, Duration::from_secs(30));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload, bad.as_bytes());
    assert_eq!(dead[0].headers["chainwatch-reason"], "unknown_id");

    // tail prints the alert the good line raised, for people.
    broker.wait_for(ALERTS, 1, Duration::from_secs(30));
    let out = chainwatch(
        &[
            "tail",
            "--brokers",
            &addr,
            "--format",
            "text",
            "--quiet-ms",
            "1500",
        ],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("FIRING   warning  ic/N20 EUV lithography tools"),
        "{text}"
    );
    assert!(text.contains("backups:"), "{text}");
}

#[test]
fn roles_run_apart_ingest_in_one_process_assess_in_two() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ServiceSpec::new(broker.addr(), "apart");
    spec.map = three_chain_map(dir.path());
    let mut ingest = Service::start_with(&spec, &["--roles", "ingest"]);
    let mut a1 = Service::start_with(&spec, &["--roles", "assess"]);
    let mut a2 = Service::start_with(&spec, &["--roles", "assess"]);
    for s in [&mut ingest, &mut a1, &mut a2] {
        s.wait_ready(READY);
    }
    eventually(READY, "two assess workers to share three chains", || {
        let (x, y) = (assess_partitions(&a1), assess_partitions(&a2));
        x + y == 3.0 && x >= 1.0 && y >= 1.0
    });
    assert_eq!(assess_partitions(&ingest), 0.0, "ingest owns no chain");
    assert_eq!(a1.metric("chainwatch_ingest_messages_total"), 0.0);

    let lines = events("events.ndjson");
    feed_in_order(&broker, &[&ingest], 0.0, &lines);
    let expected = replayed(&spec.map, &lines);
    let records = broker.wait_for(ALERTS, expected.len(), Duration::from_secs(60));
    assert_eq!(
        by_fingerprint(records.iter().map(|r| r.json())),
        by_fingerprint(expected),
        "ingest:\n{}\nassess 1:\n{}\nassess 2:\n{}",
        ingest.logs(),
        a1.logs(),
        a2.logs()
    );
    let applied =
        a1.metric("chainwatch_assess_events_total") + a2.metric("chainwatch_assess_events_total");
    assert_eq!(
        applied,
        3.0 * lines.len() as f64,
        "every chain partition applies every event, once"
    );
}
