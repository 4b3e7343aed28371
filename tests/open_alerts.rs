//! Open alerts an event cannot have reached are judged from the drivers and
//! day of impact traced before (their time to impact and recovery age with
//! the clock); the alert state
//! changes must be exactly those of tracing every open alert afresh after
//! every event.

use std::sync::Arc;

use chainwatch::alert::AlertChange;
use chainwatch::bench::{incident_events, prepare};
use chainwatch::config::CoreConfig;
use chainwatch::event::decode;
use chainwatch::genmap::GenSpec;
use chainwatch::monitor::Monitor;

fn apply(m: &mut Monitor, json: &str) -> (Vec<AlertChange>, usize) {
    let e = decode(json.as_bytes()).expect("generated events decode");
    let applied = m.apply(&e, e.ts()).expect("generated events apply");
    (applied.changes, applied.judged_from_kept)
}

#[test]
fn open_alerts_judged_from_kept_traces_change_exactly_as_when_traced_afresh() {
    for (firms, seed) in [(400, 11), (800, 5)] {
        let (map, _) = prepare(&GenSpec::new(firms, seed)).expect("generated map is valid");
        let mut keeping = Monitor::new(Arc::clone(&map), CoreConfig::default());
        let mut tracing = Monitor::new(Arc::clone(&map), CoreConfig::default());
        tracing.set_keep_traces(false);
        let mut from_kept = 0;
        let mut changes = 0;
        let mut most_open = 0;
        for (k, json) in incident_events(&map, seed, 60).iter().enumerate() {
            let (a, kept) = apply(&mut keeping, json);
            let (b, none) = apply(&mut tracing, json);
            assert_eq!(none, 0, "the tracing monitor keeps nothing");
            assert_eq!(a, b, "{firms} firms, event {k}: {json}");
            from_kept += kept;
            changes += a.len();
            most_open = most_open.max(keeping.open_alerts());
        }
        eprintln!("{firms} firms: {most_open} open at most, {changes} changes, {from_kept} judged from kept");
        // The comparison means something only if alerts were open and
        // judged from what was kept.
        assert!(most_open >= 20, "{firms} firms: at most {most_open} open");
        assert!(changes >= 20, "{firms} firms: {changes} changes");
        assert!(
            from_kept >= 100,
            "{firms} firms: {from_kept} judged from kept"
        );
    }
}
