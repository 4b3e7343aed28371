//! The notifier's timing on tokio's paused clock: the desk task escalates
//! when the acknowledgement time runs out, stays quiet when A acknowledges,
//! and tells the incoming post at a hand-over — with time advanced by the
//! test, not slept.

use std::collections::BTreeMap;
use std::time::Duration;

use chainwatch::notify::{Delivery, Desk, DeskConfig, Roster};
use chainwatch::service::notify::audit::AuditRecord;
use chainwatch::service::notify::clock::Clock;
use chainwatch::service::notify::desk_loop::{self, Input, Snapshot};
use chainwatch::service::shutdown;
use chrono::{TimeZone, Utc};
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};

struct Running {
    input: mpsc::UnboundedSender<Input>,
    out: mpsc::UnboundedReceiver<Delivery>,
    _stop: shutdown::Trigger,
}

/// A desk task whose clock starts on Monday 2 March 2026 09:00; Beijing
/// holds the post this week, Tianjin the next.
fn start() -> Running {
    let roster = Roster::from_value(
        &json!({"rotation": "weekly", "start": "2026-03-02T00:00:00Z",
                "posts": [{"region": "Beijing", "a": "bj-a", "b": "bj-b"},
                          {"region": "Tianjin", "a": "tj-a", "b": "tj-b"}]}),
        "roster",
    )
    .unwrap()
    .unwrap();
    let desk = Desk::new(
        DeskConfig {
            ack_timeout: chrono::Duration::minutes(15),
            critical_to_both: false,
            external_url: "http://cw".into(),
        },
        BTreeMap::from([("ic".to_string(), roster)]),
    );
    let (input, rx) = mpsc::unbounded_channel();
    let (tx, out) = mpsc::unbounded_channel();
    let (snap, _) = watch::channel(Snapshot::default());
    let (trigger, stop) = shutdown::channel();
    let clock = Clock::starting_at(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    tokio::spawn(desk_loop::run(
        desk,
        rx,
        tx,
        snap,
        chrono::Duration::minutes(4),
        clock,
        stop,
    ));
    Running {
        input,
        out,
        _stop: trigger,
    }
}

fn fire(r: &Running, node: &str) {
    r.input
        .send(Input::Change {
            change: json!({
                "status": "firing",
                "labels": {"alertname": "ChainCutoffRisk", "chain": "ic", "node": node, "severity": "warning"},
                "annotations": {}, "startsAt": "2023-06-30T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("fp-{node}"), "assessment": {}
            }),
            raised: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        })
        .unwrap();
}

async fn next(r: &mut Running) -> (String, String) {
    let d = tokio::time::timeout(Duration::from_secs(3600 * 24 * 30), r.out.recv())
        .await
        .expect("a delivery")
        .expect("open channel");
    (d.receiver, d.purpose.as_str().to_string())
}

/// Lets the desk task run without moving the clock.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn b_hears_after_the_acknowledgement_time_and_not_before() {
    let mut r = start();
    fire(&r, "N20");
    assert_eq!(next(&mut r).await, ("bj-a".into(), "new".into()));
    tokio::time::advance(Duration::from_secs(14 * 60)).await;
    settle().await;
    assert!(r.out.try_recv().is_err(), "nothing for B within 15 minutes");
    tokio::time::advance(Duration::from_secs(60)).await;
    settle().await;
    let d = r.out.try_recv().expect("escalation at 15 minutes");
    assert_eq!(
        (d.receiver.as_str(), d.purpose.as_str()),
        ("bj-b", "escalation")
    );
}

#[tokio::test(start_paused = true)]
async fn an_acknowledgement_in_time_means_b_hears_nothing() {
    let mut r = start();
    fire(&r, "N22");
    assert_eq!(next(&mut r).await, ("bj-a".into(), "new".into()));
    tokio::time::advance(Duration::from_secs(10 * 60)).await;
    let (tx, rx) = oneshot::channel();
    r.input
        .send(Input::Ack {
            fingerprint: "fp-N22".into(),
            by: "Wang".into(),
            reply: tx,
        })
        .unwrap();
    let record = rx.await.unwrap().unwrap();
    assert!(
        matches!(record, AuditRecord::Acknowledgement { ref post, .. } if post.as_deref() == Some("Beijing"))
    );
    tokio::time::advance(Duration::from_secs(3 * 3600)).await;
    settle().await;
    assert!(
        r.out.try_recv().is_err(),
        "no escalation after an acknowledgement"
    );
}

#[tokio::test(start_paused = true)]
async fn the_incoming_post_is_told_when_the_post_rotates_with_the_alert_open() {
    let mut r = start();
    fire(&r, "N25");
    assert_eq!(next(&mut r).await, ("bj-a".into(), "new".into()));
    assert_eq!(next(&mut r).await, ("bj-b".into(), "escalation".into()));
    // Monday 9 March 00:00: Tianjin takes the post, 6 days 15 hours on.
    let d = next(&mut r).await;
    assert_eq!(d, ("tj-a".into(), "handover".into()));
    assert_eq!(
        next(&mut r).await,
        ("tj-b".into(), "escalation".into()),
        "Tianjin's B, 15 minutes after the hand-over"
    );
}
