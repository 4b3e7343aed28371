//! The streaming service against a real Kafka-protocol broker (Tansu) on
//! loopback: alerts equal to `replay`, dead letters, SIGKILL and restart,
//! scale-out over a consumer group, and a broker that appears late.

#[path = "streaming/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chainwatch::config::CoreConfig;
use chainwatch::event::decode;
use chainwatch::map::load_file;
use chainwatch::monitor::Monitor;
use harness::{eventually, Broker, Service, ServiceSpec};
use serde_json::Value;

const ALERTS: &str = "chainwatch.alerts";
const DEADLETTER: &str = "chainwatch.deadletter";
const READY: Duration = Duration::from_secs(60);

fn events(name: &str) -> Vec<String> {
    let path = format!("{}/tests/data/streaming/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn topic_of(line: &str) -> &'static str {
    match decode(line.as_bytes()).map(|e| e.kind()) {
        Ok("sanction") => "chainwatch.sanctions",
        Ok("price") => "chainwatch.prices",
        _ => "chainwatch.supplier-events",
    }
}

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
