//! A generated history of JSON events for a generated map, as the service
//! would read them: supplier incidents (a third on big producers), their
//! recoveries, and now and then an export control and its removal, six
//! hours apart. It drives the monitor end to end (decoding, normalising,
//! propagating, judging, alerting), where [`super::stream`] drives the
//! engine alone with shocks.

use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::map::ChainMap;

/// Supplier incidents (a third on the producers with the largest share of
/// some item, the rest on any producer), their recoveries, and now and then
/// an export control and its removal: one JSON event per step.
pub fn incident_events(map: &ChainMap, seed: u64, steps: usize) -> Vec<String> {
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
