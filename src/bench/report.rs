//! What a benchmark run found, as a readable table (`Display`) and as JSON
//! (`Serialize`). Times are wall-clock on the machine that ran it.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// Latency distribution of one kind of operation, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Latency {
    /// Nearest-rank percentiles of `samples` (sorted in place).
    pub fn of(samples: &mut [Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let n = samples.len();
        let at = |p: f64| ms(samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1]);
        let total: Duration = samples.iter().sum();
        Latency {
            count: n,
            mean_ms: ms(total) / n as f64,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: ms(samples[n - 1]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapFacts {
    pub firms: usize,
    pub items: usize,
    pub production_lines: usize,
    /// Production lines + recipe inputs + firms' bought inputs.
    pub dependency_edges: usize,
    pub countries: usize,
    /// Heap bytes of the compiled map's adjacency lists (names excluded).
    pub adjacency_bytes: usize,
}

/// How close the kept values are to exact (see `engine::gain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accuracy {
    pub epsilon: f64,
    /// The map's largest dead-band gain: the error bound per unit of epsilon.
    pub deadband_gain: f64,
    /// How far any kept value can stand from the exact fixed point.
    pub error_bound: f64,
    /// Largest difference, over every line's output and every item's
    /// availability to home buyers, between the state the updates left and
    /// a full recomputation of it.
    pub largest_difference: f64,
}

/// Cost of getting a map ready, when the benchmark made the map itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preparation {
    pub generate_ms: f64,
    pub validate_ms: f64,
    pub compile_ms: f64,
}

/// Incremental updates of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindStats {
    pub kind: String,
    pub latency: Latency,
    pub mean_evaluations: f64,
    pub max_evaluations: u64,
    /// Items whose availability to home buyers moved, per update.
    pub mean_items_moved: f64,
    /// Firms whose output moved, per update.
    pub mean_firms_moved: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FullStats {
    pub runs: usize,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Node evaluations of one run (sweeps × nodes).
    pub evaluations: u64,
    pub bounded: bool,
}

/// Judging what an event moved, as the monitor does after each event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessStats {
    /// Events after which assessment was measured.
    pub events: usize,
    /// Building an `Assessor`.
    pub build: Latency,
    /// Nodes to judge after an assessed event (moved, short by at least the
    /// warning threshold, alerted in some chain).
    pub mean_nodes: f64,
    pub max_nodes: usize,
    /// Assessing one node (every node assessed, sampled or not).
    pub per_node: Latency,
    /// Assessing every alertable node an event moved; extrapolated from the
    /// sample when the event moved more than `max_assessed_nodes`.
    pub per_event: Latency,
    /// The risk alone of one node: what the monitor judges every node by
    /// (it assesses in full, backups included, only when an alert changes).
    pub risk_per_node: Latency,
    /// The risk alone of every alertable node an event moved, extrapolated
    /// like `per_event`: the monitor's cost for an event that changes no
    /// alert (open alerts, also re-judged, are not modelled).
    pub risk_per_event: Latency,
    /// The same through `assess::risks`, as the monitor judges: the nodes
    /// spread over `cores` threads.
    pub risks_per_event: Latency,
    pub cores: usize,
    /// Nodes anywhere in the map that can alert after an assessed event:
    /// at most the open alerts the monitor re-judges at every event.
    pub mean_alertable_anywhere: f64,
    /// The risks of all of those through `assess::risks`, extrapolated from
    /// an even sample like `per_event`.
    pub anywhere_per_event: Latency,
    /// The time budget for assessment ran out before `assessed_events`.
    pub budget_spent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub seed: u64,
    pub map: MapFacts,
    /// Filled by the caller when it generated the map (see `bench::prepare`).
    pub preparation: Option<Preparation>,
    pub engine_build_ms: f64,
    /// Per kind of update, in a fixed order; kinds that never ran are left out.
    pub by_kind: Vec<KindStats>,
    pub overall: KindStats,
    /// Updates that hit the visit bound on a cycle before settling.
    pub bounded_updates: usize,
    pub shocks_in_force_at_end: usize,
    pub buyer_profiles_at_end: usize,
    pub full_recompute: FullStats,
    pub accuracy: Accuracy,
    pub assessment: AssessStats,
    /// Engine state after the run (map excluded).
    pub state_bytes: usize,
    /// Peak resident set size of the process, when the caller measured it.
    pub peak_rss_bytes: Option<u64>,
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Column heads of a latency table, after a 15-wide label.
pub(super) fn latency_heads(f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
    write!(
        f,
        "  {label:<15}{:>7}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "count", "mean", "p50", "p90", "p99", "max"
    )
}

impl Latency {
    /// One row of a latency table, after a 15-wide label.
    pub(super) fn write_row(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        write!(
            f,
            "  {label:<15}{:>7}{:>10.3}{:>10.3}{:>10.3}{:>10.3}{:>10.3}",
            self.count, self.mean_ms, self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms
        )
    }
}

fn row(f: &mut fmt::Formatter<'_>, k: &KindStats) -> fmt::Result {
    k.latency.write_row(f, &k.kind)?;
    writeln!(
        f,
        "{:>12.0}{:>9.0}{:>9.0}",
        k.mean_evaluations, k.mean_items_moved, k.mean_firms_moved
    )
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.map;
        writeln!(
            f,
            "map: {} firms, {} items, {} production lines, {} dependency edges, {} countries (seed {})",
            m.firms, m.items, m.production_lines, m.dependency_edges, m.countries, self.seed
        )?;
        if let Some(p) = &self.preparation {
            writeln!(
                f,
                "prepare: generate {:.0} ms, validate {:.0} ms, compile {:.0} ms",
                p.generate_ms, p.validate_ms, p.compile_ms
            )?;
        }
        writeln!(f, "engine build: {:.1} ms", self.engine_build_ms)?;
        write!(
            f,
            "memory: adjacency {:.1} MiB, engine state {:.1} MiB",
            mib(m.adjacency_bytes),
            mib(self.state_bytes)
        )?;
        match self.peak_rss_bytes {
            Some(b) => writeln!(f, ", peak RSS {:.0} MiB", mib(b as usize))?,
            None => writeln!(f)?,
        }
        writeln!(f)?;
        writeln!(f, "incremental updates, ms:")?;
        latency_heads(f, "kind")?;
        writeln!(f, "{:>12}{:>9}{:>9}", "evals", "items", "firms")?;
        for k in &self.by_kind {
            row(f, k)?;
        }
        row(f, &self.overall)?;
        writeln!(
            f,
            "  {} update(s) hit the visit bound; {} shock(s) and {} buyer profile(s) in force at the end",
            self.bounded_updates, self.shocks_in_force_at_end, self.buyer_profiles_at_end
        )?;
        writeln!(f)?;
        let r = &self.full_recompute;
        writeln!(
            f,
            "full recomputation: median {:.1} ms of {} run(s) (min {:.1}, max {:.1}), {} evaluations{}",
            r.median_ms,
            r.runs,
            r.min_ms,
            r.max_ms,
            r.evaluations,
            if r.bounded { ", BOUNDED" } else { "" }
        )?;
        let c = &self.accuracy;
        writeln!(
            f,
            "accuracy: epsilon {:e}, dead-band gain {:.1}, error bound {:.2e}; updates vs full recomputation differ by at most {:.2e}",
            c.epsilon, c.deadband_gain, c.error_bound, c.largest_difference
        )?;
        let a = &self.assessment;
        writeln!(
            f,
            "assessment after {} event(s){}, {:.0} nodes to judge per event (max {}), {:.0} that can alert anywhere, ms:",
            a.events,
            if a.budget_spent {
                " (time budget spent)"
            } else {
                ""
            },
            a.mean_nodes,
            a.max_nodes,
            a.mean_alertable_anywhere
        )?;
        writeln!(
            f,
            "  {:<20}{:>7}{:>14}{:>14}{:>14}{:>14}{:>14}",
            "", "count", "mean", "p50", "p90", "p99", "max"
        )?;
        for (what, l) in [
            ("assessor build", &a.build),
            ("one node", &a.per_node),
            ("all to judge", &a.per_event),
            ("risk, one node", &a.risk_per_node),
            ("risk, all", &a.risk_per_event),
            (&format!("risk, all, {} cores", a.cores), &a.risks_per_event),
            (
                &format!("anywhere, {} cores", a.cores),
                &a.anywhere_per_event,
            ),
        ] {
            writeln!(
                f,
                "  {:<20}{:>7}{:>14.3}{:>14.3}{:>14.3}{:>14.3}{:>14.3}",
                what, l.count, l.mean_ms, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&mut s);
        assert_eq!(l.count, 100);
        assert!((l.p50_ms - 50.0).abs() < 1e-9);
        assert!((l.p90_ms - 90.0).abs() < 1e-9);
        assert!((l.p99_ms - 99.0).abs() < 1e-9);
        assert!((l.max_ms - 100.0).abs() < 1e-9);
        assert!((l.mean_ms - 50.5).abs() < 1e-9);
        assert_eq!(Latency::of(&mut []), Latency::default());
    }
}
