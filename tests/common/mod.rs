//! Helpers shared by the integration tests: small maps from JSON and shocks
//! built by hand.
#![allow(dead_code)]

use std::sync::Arc;

use chainwatch::map::{parse_str, ChainMap};
use chainwatch::shock::{Effect, Shock, ShockKey};
use chrono::{DateTime, TimeZone, Utc};

pub fn map(json: &str) -> Arc<ChainMap> {
    match parse_str(json, "test map") {
        Ok((_, map)) => Arc::new(map),
        Err(e) => panic!("test map is invalid: {e}"),
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()
}

pub fn shock(key: ShockKey, event: &str, recovery: Option<f64>, effects: Vec<Effect>) -> Shock {
    Shock {
        key,
        event_id: event.to_string(),
        also: Vec::new(),
        since: t0(),
        began: t0(),
        recovery_days: recovery,
        effects,
        parts: Vec::new(),
    }
}

pub fn fire(map: &ChainMap, incident: &str, firm: &str, loss: f64, recovery: f64) -> Shock {
    shock(
        ShockKey::Incident(incident.into()),
        incident,
        Some(recovery),
        vec![Effect::CapacityLoss {
            firm: map.firm(firm).expect("known firm"),
            items: None,
            loss,
        }],
    )
}
