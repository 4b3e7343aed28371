//! What a running service may change without a restart, apart from what
//! needs one. Thresholds only change how assessments are judged, and the
//! price-spike settings only how the prices that follow are read, so both
//! can change on the fly; licence-policy cuts, propagation bounds and the
//! like shape the shocks already in force, so a change to them would
//! disagree with the state built under the old values: they need a restart
//! (which rebuilds the state from the log).
//!
//! To make another setting tunable (the escalation times and key-node caps
//! other issues add): give it a field here, list its keys in [`LIVE_KEYS`],
//! copy it in [`Tunables::of`] and [`Tunables::apply_to`], and make the
//! monitor take it in `Monitor::retune`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CoreConfig, Thresholds};

/// The keys a reload or the admin API changes on a running service.
pub const LIVE_KEYS: &[&str] = &[
    "thresholds.watch",
    "thresholds.warning",
    "thresholds.critical",
    "thresholds.resolve_margin",
    "price.spike",
    "price.baseline_window",
    "price.min_samples",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tunables {
    pub thresholds: Thresholds,
    pub price: PriceTuning,
}

/// The price-spike settings that apply to the prices that follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTuning {
    pub spike: f64,
    pub baseline_window: usize,
    pub min_samples: usize,
}

impl Tunables {
    pub fn of(core: &CoreConfig) -> Tunables {
        Tunables {
            thresholds: core.thresholds.clone(),
            price: PriceTuning {
                spike: core.price.spike,
                baseline_window: core.price.baseline_window,
                min_samples: core.price.min_samples,
            },
        }
    }

    /// `core` with these values in place of its live keys.
    pub fn apply_to(&self, core: &CoreConfig) -> CoreConfig {
        let mut out = core.clone();
        out.thresholds = self.thresholds.clone();
        out.price.spike = self.price.spike;
        out.price.baseline_window = self.price.baseline_window;
        out.price.min_samples = self.price.min_samples;
        out
    }
}

/// Keys outside [`LIVE_KEYS`] whose values differ between `a` and `b`: what
/// a reload cannot apply.
pub fn restart_keys(a: &CoreConfig, b: &CoreConfig) -> Vec<String> {
    let (fa, fb) = (flat(a), flat(b));
    fa.iter()
        .filter(|(k, v)| !LIVE_KEYS.contains(&k.as_str()) && fb.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

fn flat(c: &CoreConfig) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut out = std::collections::BTreeMap::new();
    if let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(c) {
        for (s, keys) in sections {
            if let serde_json::Value::Object(keys) = keys {
                for (k, v) in keys {
                    out.insert(format!("{s}.{k}"), v);
                }
            }
        }
    }
    out
}

/// A short, stable digest of the settings in force (16 hex digits of
/// SHA-256 over their JSON): the `hash` label of `chainwatch_config_info`
/// and part of the ids of the alert changes a reload causes.
pub fn config_hash(core: &CoreConfig) -> String {
    // Field order is the structs' declaration order: the JSON is canonical.
    let bytes = serde_json::to_vec(core).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
