//! Cut-off risk and severity: how likely a shortfall turns into a cut-off
//! before supply recovers, and which alert level that is.

use serde::{Deserialize, Serialize};

use crate::config::Thresholds;

/// Risk 0..1 from the shortfall and the race between stock and recovery.
///
/// `recovery / (recovery + time_to_impact)` is ½ when stock lasts exactly as
/// long as the disruption, tends to 1 when recovery takes far longer than the
/// stock lasts (or is unknown), and to 0 when stock outlasts it comfortably.
/// It stays above 0 while recovery is still expected, because recovery
/// estimates are rarely kept.
pub fn cutoff_risk(shortfall: f64, time_to_impact: f64, recovery: Option<f64>) -> f64 {
    let race = match recovery {
        None => 1.0,
        Some(r) if r <= 0.0 => 0.0,
        Some(r) => r / (r + time_to_impact.max(0.0)),
    };
    (shortfall.clamp(0.0, 1.0) * race).clamp(0.0, 1.0)
}

/// One driver's part in a shortfall: how long it lasts, what it can account
/// for, and when it reaches the node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer {
    /// Remaining days; `None` when unknown.
    pub recovery: Option<f64>,
    /// The most of the node's supply it can account for.
    pub weight: f64,
    /// Days until its part reaches the node.
    pub impact: f64,
}

impl Layer {
    /// Its race: the share of its part that turns into a cut-off.
    fn race(&self) -> f64 {
        cutoff_risk(1.0, self.impact, self.recovery)
    }
}

/// Risk 0..1 of a shortfall made of layers that end and arrive at
/// different times: the shortfall is filled with the layers whose race
/// (see [`cutoff_risk`]) is closest to a cut-off first, as far as their
/// weights go (scaled up when they fall short of it), and each part is
/// judged by its own race. With one layer, or layers arriving together, the
/// longest-lasting come first, as [`cutoff_risk`] at that recovery.
///
/// A shock more, or a larger one, never lowers it: its layer only adds to
/// what can fill the shortfall, which is no smaller, and the fill takes the
/// worst first (QA: an i-line price spike moved the lithography chain's
/// single recovery from the Dutch control's 466 days to an ASML fire's 196;
/// a far 30-day tool fire moved a near year-long gas outage's part to its
/// own day 300; both took a node down a level). `time_to_impact` serves
/// when no layer weighs anything.
pub fn layered_risk(shortfall: f64, time_to_impact: f64, layers: &[Layer]) -> f64 {
    let shortfall = shortfall.clamp(0.0, 1.0);
    let total: f64 = layers.iter().map(|l| l.weight.max(0.0)).sum();
    if total <= 0.0 {
        // Nothing weighs: the longest layer times it all; no layer at all
        // (every shock under the attribution floor) is no known driver,
        // and no risk, as the reported recovery says (0 days).
        let longest = layers.iter().max_by(|a, b| match (a.recovery, b.recovery) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) => x.total_cmp(&y),
        });
        return cutoff_risk(
            shortfall,
            time_to_impact,
            longest.map_or(Some(0.0), |l| l.recovery),
        );
    }
    let mut order: Vec<&Layer> = layers.iter().collect();
    order.sort_by(|a, b| b.race().total_cmp(&a.race()));
    let scale = (shortfall / total).max(1.0);
    let mut filled = 0.0;
    let mut risk = 0.0;
    for layer in order {
        let part = (layer.weight.max(0.0) * scale).min(shortfall - filled);
        if part <= 0.0 {
            break;
        }
        risk += part * layer.race();
        filled += part;
    }
    risk.clamp(0.0, 1.0)
}

/// Risk 0..1 of a shortfall from its levels (see `engine::Overlap::levels`):
/// for each race, worst first, the shortfall the parts racing at least that
/// fast make on their own, composed as propagation composes them. The risk
/// is the integral over the race φ of the shortfall the parts racing at φ
/// or faster make: Σ (Sₖ − Sₖ₋₁) × raceₖ. With one part this is
/// [`cutoff_risk`]; where parts add up (makers of one item, non-critical
/// inputs) it is the worst-first fill of [`layered_risk`]; where they
/// overlap (critical inputs of one reader, which takes the least of them)
/// only what a part adds to the shortfall counts (QA round 14: three gases
/// each 25% short from one control, beside a tool 60% short from day 180,
/// read 0.60 critical where the fab is 25% short until then: now 0.367).
///
/// The levels are scaled up to the shortfall when the traced parts fall
/// short of it, as the fill scales its weights; `None` when no level holds
/// any shortfall.
pub fn overlapped_risk(shortfall: f64, levels: &[(f64, f64)]) -> Option<f64> {
    let shortfall = shortfall.clamp(0.0, 1.0);
    let top = levels.iter().map(|l| l.1).fold(0.0, f64::max);
    if top <= 0.0 {
        return None;
    }
    let scale = (shortfall / top).max(1.0);
    let mut below = 0.0;
    let mut risk = 0.0;
    for &(race, level) in levels {
        let level = (level * scale).min(shortfall);
        if level > below {
            risk += (level - below) * race;
            below = level;
        }
    }
    Some(risk.clamp(0.0, 1.0))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Watch,
    Warning,
    Critical,
}

/// How far under a threshold a risk still counts as at it: far below the
/// 1e-6 risks are printed to, far above floating-point noise.
const AT_THRESHOLD: f64 = 1e-9;

/// Whether `value` (a risk, or a shortfall, which bounds it) reaches
/// `level`: within [`AT_THRESHOLD`] under it counts, since 1 − (1 − 0.2) is
/// 0.19999999999999996, printed as 0.2, and a 20% loss against a warning of
/// 0.2 must warn (QA). Every comparison with a threshold goes through here.
pub fn reaches(value: f64, level: f64) -> bool {
    value + AT_THRESHOLD >= level
}

/// Whether an open level whose release point is `release` (its threshold
/// less the resolve margin) still holds at `risk`: only while the risk stays
/// above that point by more than noise. At the point itself it lets go, as
/// "resolves once its risk is the margin under" says (QA: 0.6 − 0.42 is
/// 0.5800000000000001, printed 0.58, and held a critical alert).
fn holds(risk: f64, release: f64) -> bool {
    risk > release + AT_THRESHOLD
}

impl Severity {
    /// The severity of an alert open at `open` (none if none is) judged at
    /// `risk`: a higher one at once, a lower one only once the risk is
    /// `resolve_margin` under the open one's threshold, so that a risk
    /// hovering at a threshold does not flap. The monitor, the alert book and
    /// previews all judge by this one rule.
    ///
    /// Stepping down, it lands on the highest alerting level at or under
    /// the open one whose band the risk is still in: a critical alert whose
    /// risk falls to 0.29 (warning 0.3, margin 0.02) becomes a warning, as
    /// it would through 0.5 on the way (QA: the two paths differed).
    pub fn held(open: Option<Severity>, risk: f64, t: &Thresholds) -> Severity {
        let raw = Severity::of(risk, t);
        let Some(open) = open.filter(|o| o.alerts() && raw < *o) else {
            return raw;
        };
        [Severity::Critical, Severity::Warning]
            .into_iter()
            .filter(|s| *s <= open && *s > raw)
            .find(|s| holds(risk, s.threshold(t) - t.resolve_margin))
            .unwrap_or(raw)
    }

    /// The risk at which a node reaches this severity.
    fn threshold(self, t: &Thresholds) -> f64 {
        match self {
            Severity::Ok => 0.0,
            Severity::Watch => t.watch,
            Severity::Warning => t.warning,
            Severity::Critical => t.critical,
        }
    }

    /// The severity `risk` [`reaches`].
    pub fn of(risk: f64, t: &Thresholds) -> Severity {
        if reaches(risk, t.critical) {
            Severity::Critical
        } else if reaches(risk, t.warning) {
            Severity::Warning
        } else if reaches(risk, t.watch) {
            Severity::Watch
        } else {
            Severity::Ok
        }
    }

    /// Warning and critical raise alerts; watch is only shown.
    pub fn alerts(self) -> bool {
        self >= Severity::Warning
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Watch => "watch",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(impact: f64, layers: &[(Option<f64>, f64)]) -> Vec<Layer> {
        layers
            .iter()
            .map(|&(recovery, weight)| Layer {
                recovery,
                weight,
                impact,
            })
            .collect()
    }

    #[test]
    fn layers_race_each_with_their_own_recovery() {
        // One layer: the plain race.
        let one = layered_risk(0.5, 90.0, &at(90.0, &[(Some(10.0), 0.5)]));
        assert!((one - cutoff_risk(0.5, 90.0, Some(10.0))).abs() < 1e-12);
        // Open-ended 0.1, then 0.2 for 30 days, 10 days of stock:
        // 0.1 × 1 + 0.2 × 30 / 40 = 0.25.
        let two = layered_risk(0.3, 10.0, &at(10.0, &[(None, 0.1), (Some(30.0), 0.2)]));
        assert!((two - 0.25).abs() < 1e-12, "{two}");
        // Weights past the shortfall fill it longest first: the short layer
        // gets what is left (0.3 − 0.25 = 0.05).
        let over = layered_risk(0.3, 10.0, &at(10.0, &[(None, 0.25), (Some(30.0), 0.2)]));
        assert!((over - (0.25 + 0.05 * 0.75)).abs() < 1e-12, "{over}");
        // Weights under it are scaled up to it: ×2 here.
        let under = layered_risk(0.6, 10.0, &at(10.0, &[(None, 0.1), (Some(30.0), 0.2)]));
        assert!((under - (0.2 + 0.4 * 0.75)).abs() < 1e-12, "{under}");
        // No weights: the longest layer's race; no layer, no risk.
        assert_eq!(layered_risk(0.4, 10.0, &at(10.0, &[(None, 0.0)])), 0.4);
        assert_eq!(layered_risk(0.4, 10.0, &[]), 0.0);
    }

    /// QA round 12, N1: a gas outage (weight 0.4, 365 days) reaching the
    /// node in 5 days, and a tool fire (0.41, 30 days) that would reach it
    /// in 300, long after it ends: 0.4 × 365/370 + 0.41 × 30/330. Alone,
    /// the gas gave 0.4 × 365/370; the fire adds, never takes away.
    #[test]
    fn a_far_short_layer_adds_to_a_near_long_one() {
        let gas = Layer {
            recovery: Some(365.0),
            weight: 0.4,
            impact: 5.0,
        };
        let tools = Layer {
            recovery: Some(30.0),
            weight: 0.41,
            impact: 300.0,
        };
        let alone = layered_risk(0.4, 5.0, &[gas]);
        let both = layered_risk(0.81, 300.0, &[gas, tools]);
        assert!((alone - 0.4 * 365.0 / 370.0).abs() < 1e-12);
        let expected = 0.4 * 365.0 / 370.0 + 0.41 * 30.0 / 330.0;
        assert!((both - expected).abs() < 1e-12, "{both} vs {expected}");
    }

    #[test]
    fn levels_count_only_what_each_race_adds_to_the_shortfall() {
        // One level is the plain race.
        let one = overlapped_risk(0.5, &[(0.25, 0.5)]).unwrap();
        assert!((one - 0.125).abs() < 1e-12);
        // 25% short from parts racing at 1, 60% once a part racing at ⅓
        // joins: 0.25 + 0.35 / 3.
        let two = overlapped_risk(0.6, &[(1.0, 0.25), (1.0 / 3.0, 0.6)]).unwrap();
        assert!((two - (0.25 + 0.35 / 3.0)).abs() < 1e-12, "{two}");
        // Traced levels under the shortfall are scaled up to it (×2), and a
        // level past it is cut at it.
        let under = overlapped_risk(0.6, &[(1.0, 0.1), (0.5, 0.3)]).unwrap();
        assert!((under - (0.2 + 0.4 * 0.5)).abs() < 1e-12, "{under}");
        let over = overlapped_risk(0.3, &[(1.0, 0.2), (0.5, 0.5)]).unwrap();
        assert!((over - (0.2 + 0.1 * 0.5)).abs() < 1e-12, "{over}");
        // Nothing traced: no answer, the caller falls back.
        assert_eq!(overlapped_risk(0.4, &[]), None);
        assert_eq!(overlapped_risk(0.4, &[(1.0, 0.0)]), None);
    }

    #[test]
    fn a_risk_at_a_threshold_reaches_it_despite_rounding() {
        let t = Thresholds {
            warning: 0.2,
            ..Thresholds::default()
        };
        let risk = cutoff_risk(1.0 - (1.0 - 0.2), 0.0, None);
        assert!(risk < 0.2, "the noise this is about: {risk}");
        assert_eq!(Severity::of(risk, &t), Severity::Warning);
        let watch = cutoff_risk(1.0 - (1.0 - 0.1), 0.0, None);
        assert_eq!(Severity::of(watch, &Thresholds::default()), Severity::Watch);
        assert_eq!(Severity::of(0.2 - 1e-6, &t), Severity::Watch);
    }

    #[test]
    fn stepping_down_lands_on_the_band_the_risk_is_still_in() {
        let t = Thresholds::default(); // 0.1 / 0.3 / 0.6, margin 0.02
        use Severity::*;
        assert_eq!(Severity::held(Some(Critical), 0.59, &t), Critical);
        assert_eq!(Severity::held(Some(Critical), 0.5, &t), Warning);
        assert_eq!(Severity::held(Some(Critical), 0.29, &t), Warning);
        assert_eq!(Severity::held(Some(Warning), 0.29, &t), Warning);
        assert_eq!(Severity::held(Some(Critical), 0.27, &t), Watch);
        assert_eq!(Severity::held(Some(Warning), 0.7, &t), Critical);
        assert_eq!(Severity::held(None, 0.29, &t), Watch);
        // Exactly the margin under lets go, floating-point noise included.
        assert_eq!(Severity::held(Some(Critical), 1.0 - 0.42, &t), Warning);
        assert_eq!(Severity::held(Some(Warning), 1.0 - 0.72, &t), Watch);
        assert_eq!(Severity::held(Some(Warning), 0.2801, &t), Warning);
    }

    #[test]
    fn unknown_recovery_keeps_the_whole_shortfall() {
        assert_eq!(cutoff_risk(0.8, 30.0, None), 0.8);
    }

    #[test]
    fn recovery_equal_to_stock_halves_it() {
        // 100 / (100 + 100) = 0.5 of a full shortfall.
        assert!((cutoff_risk(1.0, 100.0, Some(100.0)) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn no_stock_means_the_shortfall_lands_at_once() {
        assert_eq!(cutoff_risk(0.4, 0.0, Some(10.0)), 0.4);
    }

    #[test]
    fn recovered_means_no_risk() {
        assert_eq!(cutoff_risk(1.0, 0.0, Some(0.0)), 0.0);
    }

    #[test]
    fn long_stock_against_short_recovery_is_low() {
        // 10 / (10 + 90) = 0.1; × 0.5 shortfall = 0.05.
        assert!((cutoff_risk(0.5, 90.0, Some(10.0)) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn severities_follow_thresholds() {
        let t = Thresholds::default();
        assert_eq!(Severity::of(0.05, &t), Severity::Ok);
        assert_eq!(Severity::of(0.1, &t), Severity::Watch);
        assert_eq!(Severity::of(0.3, &t), Severity::Warning);
        assert_eq!(Severity::of(0.6, &t), Severity::Critical);
        assert!(!Severity::Watch.alerts());
        assert!(Severity::Warning.alerts());
    }
}
