//! Open alerts an event cannot have reached are judged from the drivers and
//! time to impact traced before (only their recovery ages); the alert state
//! changes must be exactly those of tracing every open alert afresh after
//! every event.

use std::sync::Arc;

use chainwatch::alert::AlertChange;
use chainwatch::bench::prepare;
use chainwatch::config::CoreConfig;
use chainwatch::event::decode;
use chainwatch::genmap::GenSpec;
use chainwatch::map::ChainMap;
use chainwatch::monitor::Monitor;
use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Supplier incidents (a third on the producers with the largest share of
/// some item, the rest on any producer), their recoveries, and now and then
/// an export control and its removal: one JSON event per step.
fn events(map: &ChainMap, seed: u64, steps: usize) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let producers: Vec<u32> = (0..map.firms.len() as u32)
        .filter(|f| !map.lines_of_firm(*f).is_empty())
        .collect();
    let big: Vec<u32> = producers
        .iter()
        .copied()
        .filter(|f| {
            map.lines_of_firm(*f)
                .iter()
                .any(|l| map.line(*l).share >= 0.2)
        })
        .collect();
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut open: Vec<(String, String)> = Vec::new();
    let mut control: Option<(String, String)> = None;
    let mut out = Vec::new();
    for k in 0..steps {
        let ts = (t0 + Duration::hours(6 * k as i64)).to_rfc3339();
        let id = format!("e{k}");
        let roll: f64 = rng.gen();
        let line = if roll < 0.05 {
            match control.take() {
                None => {
                    let item = &map.items[rng.gen_range(0..map.items.len())].id;
                    let measure = format!("m{k}");
                    control = Some((measure.clone(), item.clone()));
                    format!(
                        r#"{{"id":"{id}","type":"sanction","ts":"{ts}","measure":"{measure}","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","targets":[],"items":["{item}"],"destinations":["CN"],"license_policy":"denial","expected_duration_days":null}}"#
                    )
                }
                Some((measure, item)) => format!(
                    r#"{{"id":"{id}","type":"sanction","ts":"{ts}","measure":"{measure}","action":"remove","authority":"US-BIS","issuer_jurisdiction":"US","targets":[],"items":["{item}"],"destinations":["CN"],"license_policy":"denial","expected_duration_days":null}}"#
                ),
            }
        } else if roll < 0.35 && !open.is_empty() {
            let (incident, firm) = open.swap_remove(rng.gen_range(0..open.len()));
            format!(
                r#"{{"id":"{id}","type":"supplier_event","ts":"{ts}","incident":"{incident}","firm":"{firm}","kind":"recovered"}}"#
            )
        } else {
            let pool = if rng.gen_bool(0.33) && !big.is_empty() {
                &big
            } else {
                &producers
            };
            let firm = map.firms[pool[rng.gen_range(0..pool.len())] as usize]
                .id
                .clone();
            let incident = format!("i{k}");
            let loss = rng.gen_range(30..=100) as f64 / 100.0;
            let recovery = if rng.gen_bool(0.2) {
                "null".to_string()
            } else {
                rng.gen_range(5..200).to_string()
            };
            open.push((incident.clone(), firm.clone()));
            format!(
                r#"{{"id":"{id}","type":"supplier_event","ts":"{ts}","incident":"{incident}","firm":"{firm}","kind":"fire","capacity_loss":{loss},"expected_recovery_days":{recovery}}}"#
            )
        };
        out.push(line);
    }
    out
}

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
        for (k, json) in events(&map, seed, 60).iter().enumerate() {
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
