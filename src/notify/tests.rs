//! The duty desk's rules with hand-set times: who is told, when, and that a
//! rebuilt desk sends only what is missing, under the same ids.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use super::*;

fn t(day: u32, hour: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, min, 0).unwrap()
}

/// Two posts rotating weekly from 2 March: Beijing, then Tianjin from 9 March.
fn desk(critical_to_both: bool) -> Desk {
    let roster = Roster::from_value(
        &json!({"rotation": "weekly", "start": "2026-03-02T00:00:00Z",
                "posts": [{"region": "Beijing", "a": "bj-a", "b": "bj-b"},
                          {"region": "Tianjin", "a": "tj-a", "b": "tj-b"}]}),
        "roster",
    )
    .unwrap()
    .unwrap();
    Desk::new(
        DeskConfig {
            ack_timeout: Duration::minutes(30),
            critical_to_both,
            external_url: "http://cw.example".into(),
        },
        BTreeMap::from([("ic".to_string(), roster)]),
    )
}

fn change(
    status: &str,
    severity: &str,
    starts: DateTime<Utc>,
    ends: Option<DateTime<Utc>>,
) -> Value {
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "status": status,
        "labels": {"alertname": "ChainCutoffRisk", "chain": "ic", "node": "N20", "severity": severity},
        "annotations": {"summary": "EUV short"},
        "startsAt": fmt(starts),
        "endsAt": ends.map(fmt).unwrap_or("0001-01-01T00:00:00Z".into()),
        "fingerprint": format!("fp-{severity}"),
        "assessment": {},
    })
}

fn who(ds: &[Delivery]) -> Vec<(String, &'static str)> {
    ds.iter()
        .map(|d| (d.receiver.clone(), d.purpose.as_str()))
        .collect()
}

#[test]
fn a_silent_a_escalates_to_b_after_the_acknowledgement_time() {
    let mut d = desk(false);
    d.on_change(&change("firing", "warning", t(4, 10, 0), None), t(4, 10, 0))
        .unwrap();
    assert_eq!(who(&d.due(t(4, 10, 0))), [("bj-a".into(), "new")]);
    assert_eq!(d.next_deadline(t(4, 10, 0)), Some(t(4, 10, 30)));
    assert!(d.due(t(4, 10, 29)).is_empty(), "not yet");
    let esc = d.due(t(4, 10, 30));
    assert_eq!(who(&esc), [("bj-b".into(), "escalation")]);
    assert_eq!(esc[0].body["commonAnnotations"]["chainwatch_role"], "B");
    assert!(d.due(t(4, 11, 0)).is_empty(), "escalates once");
}

#[test]
fn an_acknowledgement_in_time_keeps_b_out_of_it() {
    let mut d = desk(false);
    d.on_change(&change("firing", "warning", t(4, 10, 0), None), t(4, 10, 0))
        .unwrap();
    d.due(t(4, 10, 0));
    let (_, ack) = d
        .acknowledge("fp-warning", "Wang (A)", t(4, 10, 20))
        .unwrap();
    assert_eq!(ack.post.as_deref(), Some("Beijing"));
    assert!(d.due(t(4, 12, 0)).is_empty());
    assert_eq!(
        d.acknowledge("fp-none", "x", t(4, 12, 0)),
        Err(DeskError::NotOpen("fp-none".into()))
    );
}

#[test]
fn critical_alerts_go_to_both_roles_at_once_when_configured() {
    let mut d = desk(true);
    d.on_change(
        &change("firing", "critical", t(4, 10, 0), None),
        t(4, 10, 0),
    )
    .unwrap();
    assert_eq!(
        who(&d.due(t(4, 10, 0))),
        [("bj-a".into(), "new"), ("bj-b".into(), "new")]
    );
    assert!(d.due(t(4, 12, 0)).is_empty(), "nobody left to escalate to");
}

#[test]
fn the_incoming_post_is_told_at_the_hand_over_and_everyone_hears_the_resolution() {
    let mut d = desk(false);
    d.on_change(&change("firing", "warning", t(8, 23, 0), None), t(8, 23, 0))
        .unwrap();
    d.due(t(8, 23, 0));
    d.acknowledge("fp-warning", "Wang", t(8, 23, 10)).unwrap();
    // 9 March 00:00: Tianjin takes over the post.
    assert_eq!(d.next_deadline(t(8, 23, 10)), Some(t(9, 0, 0)));
    let handover = d.due(t(9, 0, 0));
    assert_eq!(who(&handover), [("tj-a".into(), "handover")]);
    assert_eq!(
        handover[0].body["commonAnnotations"]["chainwatch_post"],
        "Tianjin"
    );
    assert_eq!(
        handover[0].body["commonAnnotations"]["chainwatch_acknowledged_by"],
        "Wang"
    );
    assert!(d.due(t(9, 2, 0)).is_empty(), "acknowledged: no escalation");
    d.on_change(
        &change("resolved", "warning", t(8, 23, 0), Some(t(9, 3, 0))),
        t(9, 3, 0),
    )
    .unwrap();
    let resolved = d.due(t(9, 3, 0));
    assert_eq!(
        who(&resolved),
        [("bj-a".into(), "resolved"), ("tj-a".into(), "resolved")]
    );
    assert_eq!(resolved[0].body["status"], "resolved");
}

#[test]
fn a_rebuilt_desk_sends_only_what_is_missing_under_the_same_ids() {
    let fire = change("firing", "warning", t(4, 10, 0), None);
    let mut live = desk(false);
    live.on_change(&fire, t(4, 10, 0)).unwrap();
    let first = live.due(t(4, 10, 0));
    // The process dies after delivering `new`, before the escalation.
    let mut rebuilt = desk(false);
    rebuilt.on_change(&fire, t(4, 10, 0)).unwrap();
    for d in &first {
        rebuilt.record_done(&d.id);
    }
    let due = rebuilt.due(t(4, 11, 0));
    assert_eq!(who(&due), [("bj-b".into(), "escalation")]);
    assert_eq!(due[0].id, live.due(t(4, 11, 0))[0].id, "same webhook-id");
    // A restart before anything was delivered sends `new` again with its id.
    let mut again = desk(false);
    again.on_change(&fire, t(4, 10, 0)).unwrap();
    assert_eq!(again.due(t(4, 10, 5))[0].id, first[0].id);
}

#[test]
fn a_fully_delivered_resolved_alert_is_forgotten() {
    let mut d = desk(false);
    d.on_change(&change("firing", "warning", t(4, 10, 0), None), t(4, 10, 0))
        .unwrap();
    d.on_change(
        &change("resolved", "warning", t(4, 10, 0), Some(t(4, 10, 10))),
        t(4, 10, 10),
    )
    .unwrap();
    let all = d.due(t(4, 10, 10));
    assert_eq!(
        who(&all),
        [("bj-a".into(), "new"), ("bj-a".into(), "resolved")]
    );
    for x in &all {
        d.record_done(&x.id);
    }
    assert_eq!(d.open_count(), 0);
    d.due(t(4, 10, 11));
    assert_eq!(d.next_deadline(t(4, 10, 11)), None);
}

#[test]
fn duty_and_escalation_run_on_the_time_the_alert_was_raised_not_event_time() {
    // A 2023 event replayed today: the alert is raised now, so A has its
    // full acknowledgement time from now, and the post on duty now is told.
    let mut d = desk(false);
    let long_ago = Utc.with_ymd_and_hms(2023, 6, 30, 12, 0, 0).unwrap();
    d.on_change(&change("firing", "warning", long_ago, None), t(10, 9, 0))
        .unwrap();
    assert_eq!(who(&d.due(t(10, 9, 0))), [("tj-a".into(), "new")]);
    assert!(d.due(t(10, 9, 29)).is_empty());
    assert_eq!(who(&d.due(t(10, 9, 30))), [("tj-b".into(), "escalation")]);
    assert_eq!(d.assessment("ic", "N20"), Some(&json!({})));
}
