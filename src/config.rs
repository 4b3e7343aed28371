//! Settings of the core: severity thresholds, price-spike detection, how much a
//! licence policy cuts, propagation bounds, backup search and the preview
//! window. Typed, with documented defaults, unknown keys rejected, and ranges
//! checked with errors that name the key. [`layers`] reads them from defaults,
//! files and the environment; [`tunables`] says which of them a running
//! service may change.

pub mod layers;
pub mod tunables;

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CoreConfig {
    pub thresholds: Thresholds,
    pub price: PriceConfig,
    pub sanctions: SanctionConfig,
    pub propagation: PropagationConfig,
    pub backups: BackupConfig,
    pub preview: PreviewConfig,
}

/// The lowest `thresholds.warning` allowed. Nodes short by less are never
/// judged (risk never exceeds the shortfall), which keeps the re-judging
/// after a threshold change and the preview window bounded.
pub const MIN_WARNING: f64 = 0.05;

/// Cut-off risk (0..1) at which a node reaches each severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub watch: f64,
    pub warning: f64,
    pub critical: f64,
    /// How far under its threshold an open alert's risk must fall before the
    /// alert resolves or steps down (hysteresis, so that a risk hovering at
    /// a threshold does not fire and resolve by turns). A higher severity is
    /// taken at once.
    pub resolve_margin: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            watch: 0.1,
            warning: 0.3,
            critical: 0.6,
            resolve_margin: RESOLVE_MARGIN,
        }
    }
}

/// Default of [`Thresholds::resolve_margin`]: two points of risk, about the
/// day-to-day drift of a risk whose stock and recovery age together.
pub const RESOLVE_MARGIN: f64 = 0.02;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriceConfig {
    /// A price more than this fraction above the baseline is a spike (0.25 = +25%).
    pub spike: f64,
    /// How many recent non-spike observations make the rolling baseline.
    pub baseline_window: usize,
    /// Observations needed before any price is judged a spike.
    pub min_samples: usize,
    /// Expected days until a price-driven scarcity ends (prices say nothing of it).
    pub assumed_recovery_days: f64,
}

impl Default for PriceConfig {
    fn default() -> Self {
        PriceConfig {
            spike: 0.25,
            baseline_window: 20,
            min_samples: 1,
            assumed_recovery_days: 90.0,
        }
    }
}

/// Fraction of affected deliveries each licence policy stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SanctionConfig {
    pub denial: f64,
    pub case_by_case: f64,
    pub approval: f64,
}

impl Default for SanctionConfig {
    fn default() -> Self {
        SanctionConfig {
            denial: 1.0,
            case_by_case: 0.5,
            approval: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PropagationConfig {
    /// Dead-band: a value moves, and its readers hear of it, only when it
    /// changes by more than this. Every kept value stays within epsilon ×
    /// the map's dead-band gain of exact (`Engine::error_bound`).
    pub epsilon: f64,
    /// Bound on how often one node is re-evaluated for one change, which ends
    /// iteration around dependency cycles.
    pub max_visits: u32,
    /// Cores a sweep may use to evaluate a wave's lines (see
    /// `engine::waves`); the values are the same for any count.
    pub sweep_threads: usize,
    /// Stale lines (for availabilities, readers) a wave must hold before
    /// a sweep splits it over `sweep_threads`: starting a thread costs about as much as evaluating
    /// a thousand lines, and on small maps splitting cost more than it gave
    /// (10k firms: mean 0.44 → 0.63 ms at 4 096).
    pub sweep_split_from: usize,
}

impl Default for PropagationConfig {
    fn default() -> Self {
        PropagationConfig {
            epsilon: 1e-4,
            max_visits: 10_000,
            sweep_threads: 2,
            sweep_split_from: 16_384,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Days to qualify another supplier of the same item.
    pub supplier_switch_days: f64,
    /// Most backups listed per assessment.
    pub max_backups: usize,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            supplier_switch_days: 30.0,
            max_backups: 5,
        }
    }
}

/// The recent events whose judged risks are kept to preview a threshold
/// change (`POST /api/v1/thresholds/preview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PreviewConfig {
    /// How many of the latest events are kept, per monitor; 0 keeps none
    /// (previews then answer only for now).
    pub window_events: usize,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        PreviewConfig {
            window_events: 1000,
        }
    }
}

/// A broken rule: the key at fault, the other keys the rule involves (an
/// ordering names both ends), and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    pub key: &'static str,
    pub related: Vec<&'static str>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("config {origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("config {origin}: {key}: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

impl CoreConfig {
    pub fn from_toml(text: &str, origin: &str) -> Result<CoreConfig, ConfigError> {
        let config: CoreConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        config.check(origin)?;
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<CoreConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        CoreConfig::from_toml(&text, &path.display().to_string())
    }

    /// Range and ordering rules; the first broken one is reported with its key.
    pub fn check(&self, origin: &str) -> Result<(), ConfigError> {
        self.broken().map_or(Ok(()), |b| {
            Err(ConfigError::Invalid {
                origin: origin.to_string(),
                key: b.key.to_string(),
                message: b.message,
            })
        })
    }

    /// The first broken rule, if any; [`layers`] names the file it came from.
    pub fn broken(&self) -> Option<Broken> {
        let bad = |key: &'static str, message: String| Broken {
            key,
            related: Vec::new(),
            message,
        };
        let t = &self.thresholds;
        for (key, v) in [
            ("thresholds.watch", t.watch),
            ("thresholds.warning", t.warning),
            ("thresholds.critical", t.critical),
            ("sanctions.denial", self.sanctions.denial),
            ("sanctions.case_by_case", self.sanctions.case_by_case),
            ("sanctions.approval", self.sanctions.approval),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Some(bad(key, format!("{v} is outside 0..1")));
            }
        }
        // Zero would make every alert say "backups: none found" while
        // backups exist (QA).
        if self.backups.max_backups == 0 {
            return Some(bad(
                "backups.max_backups",
                "must be at least 1, got 0".to_string(),
            ));
        }
        // NaN cannot reach here: the range check above rejects it.
        if t.warning < MIN_WARNING {
            return Some(bad(
                "thresholds.warning",
                format!("must be at least {MIN_WARNING}, got {}", t.warning),
            ));
        }
        if t.watch >= t.warning {
            return Some(Broken {
                key: "thresholds.warning",
                related: vec!["thresholds.watch"],
                message: format!(
                    "must be above thresholds.watch ({} ≤ {})",
                    t.warning, t.watch
                ),
            });
        }
        if !(0.0..t.watch).contains(&t.resolve_margin) {
            return Some(Broken {
                key: "thresholds.resolve_margin",
                related: vec!["thresholds.watch"],
                message: format!(
                    "must be at least 0 and below thresholds.watch ({}), got {}",
                    t.watch, t.resolve_margin
                ),
            });
        }
        if t.warning >= t.critical {
            return Some(Broken {
                key: "thresholds.critical",
                related: vec!["thresholds.warning"],
                message: format!(
                    "must be above thresholds.warning ({} ≤ {})",
                    t.critical, t.warning
                ),
            });
        }
        // A stricter policy never lets more through (QA: case_by_case 0.9
        // over denial 0.5 was taken).
        let sc = &self.sanctions;
        for (key, milder, other, stricter) in [
            (
                "sanctions.case_by_case",
                sc.case_by_case,
                "sanctions.denial",
                sc.denial,
            ),
            (
                "sanctions.approval",
                sc.approval,
                "sanctions.case_by_case",
                sc.case_by_case,
            ),
        ] {
            if milder > stricter {
                return Some(Broken {
                    key,
                    related: vec![other],
                    message: format!("must not cut more than {other} ({milder} > {stricter})"),
                });
            }
        }
        let p = &self.price;
        if !(p.spike > 0.0 && p.spike.is_finite()) {
            return Some(bad(
                "price.spike",
                format!("must be above 0, got {}", p.spike),
            ));
        }
        if p.baseline_window == 0 {
            return Some(bad("price.baseline_window", "must be at least 1".into()));
        }
        if p.min_samples == 0 || p.min_samples > p.baseline_window {
            return Some(Broken {
                key: "price.min_samples",
                related: vec!["price.baseline_window"],
                message: format!(
                    "must be between 1 and price.baseline_window ({}), got {}",
                    p.baseline_window, p.min_samples
                ),
            });
        }
        if !(p.assumed_recovery_days >= 0.0 && p.assumed_recovery_days.is_finite()) {
            return Some(bad(
                "price.assumed_recovery_days",
                format!("must be zero or more, got {}", p.assumed_recovery_days),
            ));
        }
        let g = &self.propagation;
        if !(g.epsilon > 0.0 && g.epsilon < 0.01) {
            return Some(bad(
                "propagation.epsilon",
                format!("must be in (0, 0.01), got {}", g.epsilon),
            ));
        }
        if g.max_visits == 0 {
            return Some(bad("propagation.max_visits", "must be at least 1".into()));
        }
        if !(1..=64).contains(&g.sweep_threads) {
            return Some(bad(
                "propagation.sweep_threads",
                format!("must be in 1..=64, got {}", g.sweep_threads),
            ));
        }
        let b = &self.backups;
        if !(b.supplier_switch_days >= 0.0 && b.supplier_switch_days.is_finite()) {
            return Some(bad(
                "backups.supplier_switch_days",
                format!("must be zero or more, got {}", b.supplier_switch_days),
            ));
        }
        // The same ceiling as every day count in maps and events.
        if b.supplier_switch_days > crate::map::MAX_DAYS {
            return Some(bad(
                "backups.supplier_switch_days",
                format!(
                    "must be at most {} (100 years), got {}",
                    crate::map::MAX_DAYS,
                    b.supplier_switch_days
                ),
            ));
        }
        if self.preview.window_events > 1_000_000 {
            return Some(bad(
                "preview.window_events",
                format!(
                    "must be at most 1000000 (0 keeps none), got {}",
                    self.preview.window_events
                ),
            ));
        }
        None
    }
}
