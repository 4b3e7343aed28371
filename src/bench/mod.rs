//! A measurement harness for propagation and assessment on a chain map.
//!
//! [`run`] builds an [`Engine`] on the map and applies a deterministic
//! stream of realistic shocks straight to it (see [`stream`]): supplier
//! incidents weighted towards big producers, their recoveries, price spikes,
//! export controls and listings on a few items, and their ends.
//!
//! Measured, with `std::time::Instant` around each call:
//! - building the engine (`Engine::new`);
//! - every `Engine::set` / `Engine::end`, per kind of step: latency
//!   percentiles, node evaluations, nodes moved;
//! - `Engine::recompute_full` with the shocks in force at the end (median of
//!   a few runs);
//! - on a sample of events, what the monitor does next: building an
//!   `Assessor` and assessing the nodes the monitor would judge: those the
//!   event moved that are short by at least the warning threshold and
//!   alerted in some chain (open alerts are not modelled). When there are
//!   more than `max_assessed_nodes`, an even sample of them is assessed and
//!   the event's cost extrapolated (reported apart from what was measured);
//!   each of those nodes' risk alone is timed too, on an assessor of its own
//!   (the monitor judges every node by its risk and assesses in full only
//!   when an alert changes); assessment stops for the rest of the run once
//!   `assess_budget` is spent;
//! - `Engine::state_bytes` and `ChainMap::adjacency_bytes`.
//!
//! Not measured here: decoding and normalising events (matching names, the
//! 50% ownership rule, price baselines), the alert book, re-judging alerts
//! that stay open (all of which [`run_monitor`] times end to end, on a
//! generated history of JSON events), metrics, Kafka and HTTP; memory other
//! than the two byte counts (peak RSS is the caller's to read and put in
//! the report). [`prepare`] times generation, validation and compilation
//! when the caller wants them.
//!
//! Pure: no I/O, and the only clock read is the monotonic one being measured.

mod incidents;
mod monitor;
mod report;
pub mod stream;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::assess::{risks, Assessor};
use crate::config::CoreConfig;
use crate::engine::{Engine, Outcome};
use crate::genmap::{generate, GenSpec};
use crate::map::{validate, ChainMap, NodeRef, Problem};

pub use incidents::incident_events;
pub use monitor::{run_monitor, MonitorStats};
pub use report::{
    Accuracy, AssessStats, BenchReport, FullStats, KindStats, Latency, MapFacts, Preparation,
};
pub use stream::{EventStream, Kind, ShockMaker, Step};

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchSpec {
    /// Updates (sets and ends) applied to the engine.
    pub events: usize,
    pub seed: u64,
    /// Events after which assessment is measured, spread evenly; 0 for none.
    pub assessed_events: usize,
    /// Most nodes assessed after one event, spread evenly over those it
    /// moved; the event's full cost is extrapolated from them.
    pub max_assessed_nodes: usize,
    /// Time the whole run may spend assessing; once spent, no further event
    /// is assessed (the report counts what was), so a slow assessor cannot
    /// hold a benchmark for hours.
    pub assess_budget: Duration,
    /// Full recomputations timed at the end (the median is reported).
    pub full_runs: usize,
    /// Shocks the stream keeps in force, roughly.
    pub target_active: usize,
    /// Whether the stream issues export controls and listings (which split
    /// buyers into profiles); off isolates what profiles cost.
    pub measures: bool,
    /// Propagation bounds and assessment settings.
    pub config: CoreConfig,
}

impl BenchSpec {
    pub fn new(events: usize, seed: u64) -> BenchSpec {
        BenchSpec {
            events,
            seed,
            assessed_events: 20,
            max_assessed_nodes: 50,
            assess_budget: Duration::from_secs(60),
            full_runs: 3,
            target_active: 50,
            measures: true,
            config: CoreConfig::default(),
        }
    }
}

impl Default for BenchSpec {
    fn default() -> Self {
        BenchSpec::new(1_000, 1)
    }
}

/// A generated map failed validation: a generator bug, never bad input.
#[derive(Debug, thiserror::Error)]
#[error("generated map has {} problem(s), first: {}", problems.len(), problems.first().map(|p| p.to_string()).unwrap_or_default())]
pub struct PrepareError {
    pub problems: Vec<Problem>,
}

/// Generates, validates and compiles a map, timing each step. The document
/// is dropped before returning so that it does not count against the run.
pub fn prepare(spec: &GenSpec) -> Result<(Arc<ChainMap>, Preparation), PrepareError> {
    let t = Instant::now();
    let doc = generate(spec);
    let generate_ms = ms(t.elapsed());
    let t = Instant::now();
    let problems = validate(&doc);
    let validate_ms = ms(t.elapsed());
    if !problems.is_empty() {
        return Err(PrepareError { problems });
    }
    let t = Instant::now();
    let map = ChainMap::compile(&doc);
    let compile_ms = ms(t.elapsed());
    drop(doc);
    Ok((
        Arc::new(map),
        Preparation {
            generate_ms,
            validate_ms,
            compile_ms,
        },
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[derive(Default)]
struct Tally {
    times: Vec<Duration>,
    evaluations: u64,
    max_evaluations: u64,
    items: usize,
    firms: usize,
}

impl Tally {
    fn add(&mut self, took: Duration, outcome: &Outcome) {
        self.times.push(took);
        self.evaluations += outcome.evaluations;
        self.max_evaluations = self.max_evaluations.max(outcome.evaluations);
        self.items += outcome.items.len();
        self.firms += outcome.firms.len();
    }

    fn stats(&mut self, kind: &str) -> KindStats {
        let n = self.times.len().max(1) as f64;
        KindStats {
            kind: kind.to_string(),
            latency: Latency::of(&mut self.times),
            mean_evaluations: self.evaluations as f64 / n,
            max_evaluations: self.max_evaluations,
            mean_items_moved: self.items as f64 / n,
            mean_firms_moved: self.firms as f64 / n,
        }
    }
}

/// Nodes the monitor judges after an update (`Monitor::review`): those it
/// moved that are short by at least the warning threshold (risk never
/// exceeds the shortfall, so nothing shorter can alert) and are alerted in
/// some chain: items in a chain, home firms making such items. Open alerts,
/// which the monitor re-judges too, are not modelled here.
fn alertable(engine: &Engine, config: &CoreConfig, outcome: &Outcome) -> Vec<NodeRef> {
    outcome
        .nodes()
        .filter(|n| can_alert(engine, config, *n))
        .collect()
}

/// Every node of the map that can alert now: at most the open alerts the
/// monitor re-judges after each event once they have fired (an open alert
/// short by less than the warning threshold resolves at its next judging).
fn alertable_anywhere(engine: &Engine, config: &CoreConfig) -> Vec<NodeRef> {
    let map = engine.map();
    (0..map.items.len() as u32)
        .map(NodeRef::Item)
        .chain((0..map.firms.len() as u32).map(NodeRef::Firm))
        .filter(|n| can_alert(engine, config, *n))
        .collect()
}

/// Short by at least the warning threshold and alerted in some chain.
fn can_alert(engine: &Engine, config: &CoreConfig, node: NodeRef) -> bool {
    1.0 - engine.supply(node) >= config.thresholds.warning
        && !engine.map().alert_chains(node).is_empty()
}

/// Runs the benchmark `spec` describes on `map`.
pub fn run(map: Arc<ChainMap>, spec: &BenchSpec) -> BenchReport {
    let t = Instant::now();
    let mut engine = Engine::new(Arc::clone(&map), spec.config.propagation.clone());
    let engine_build_ms = ms(t.elapsed());

    let mut stream = EventStream::new(Arc::clone(&map), spec.seed, spec.target_active);
    stream.set_measures(spec.measures);
    let mut tallies: Vec<Tally> = Kind::ALL.iter().map(|_| Tally::default()).collect();
    let mut overall = Tally::default();
    let mut bounded_updates = 0;
    let stride = match spec.assessed_events {
        0 => usize::MAX,
        n => (spec.events / n).max(1),
    };
    let mut builds = Vec::new();
    let mut per_node = Vec::new();
    let mut per_event = Vec::new();
    let mut risk_per_node = Vec::new();
    let mut risk_per_event = Vec::new();
    let mut risks_per_event = Vec::new();
    let mut anywhere_per_event = Vec::new();
    let mut anywhere_total = 0usize;
    let mut nodes_total = 0usize;
    let mut max_nodes = 0usize;
    let mut assess_spent = Duration::ZERO;

    for n in 0..spec.events {
        let step = stream.next_step();
        let kind = step.kind();
        let t = Instant::now();
        let outcome = match step {
            Step::Set(_, shock) => engine.set(shock),
            Step::End(_, key) => engine.end(&key),
        };
        let took = t.elapsed();
        bounded_updates += usize::from(outcome.bounded);
        if let Some(k) = Kind::ALL.iter().position(|k| *k == kind) {
            tallies[k].add(took, &outcome);
        }
        overall.add(took, &outcome);

        let budget_left = assess_spent < spec.assess_budget;
        if n % stride == stride - 1 && builds.len() < spec.assessed_events && budget_left {
            let nodes = alertable(&engine, &spec.config, &outcome);
            let t = Instant::now();
            let assessor = Assessor::new(&engine, &spec.config, stream.now());
            let built = t.elapsed();
            builds.push(built);
            assess_spent += built;
            let step = nodes.len().div_ceil(spec.max_assessed_nodes.max(1)).max(1);
            // Risk alone (what the monitor judges every node by) on an
            // assessor of its own, so that neither reuses the other's traces.
            let risk_only = Assessor::new(&engine, &spec.config, stream.now());
            let mut spent = Duration::ZERO;
            let mut risk_spent = Duration::ZERO;
            let mut sampled = 0u32;
            for node in nodes.iter().step_by(step) {
                if assess_spent + spent + risk_spent >= spec.assess_budget && sampled > 0 {
                    break;
                }
                let t = Instant::now();
                black_box(risk_only.risk(*node));
                let took = t.elapsed();
                risk_per_node.push(took);
                risk_spent += took;
                let t = Instant::now();
                black_box(assessor.assess(*node));
                let took = t.elapsed();
                per_node.push(took);
                spent += took;
                sampled += 1;
            }
            // The same sample through `risks`, as the monitor judges: on
            // every core, each thread tracing afresh.
            let sample: Vec<NodeRef> = nodes
                .iter()
                .step_by(step)
                .take(sampled as usize)
                .copied()
                .collect();
            let t = Instant::now();
            black_box(risks(&engine, &spec.config, stream.now(), &sample));
            let spread = t.elapsed();
            assess_spent += spent + risk_spent + spread;
            let scale = nodes.len() as f64 / f64::from(sampled.max(1));
            per_event.push(spent.mul_f64(scale));
            risk_per_event.push(risk_spent.mul_f64(scale));
            risks_per_event.push(spread.mul_f64(scale));

            // Everything that can alert now, as if every such node held an
            // open alert (the monitor re-judges open alerts every event).
            let anywhere = alertable_anywhere(&engine, &spec.config);
            let step = anywhere
                .len()
                .div_ceil(spec.max_assessed_nodes.max(1))
                .max(1);
            let sample: Vec<NodeRef> = anywhere.iter().step_by(step).copied().collect();
            let t = Instant::now();
            black_box(risks(&engine, &spec.config, stream.now(), &sample));
            let spread = t.elapsed();
            assess_spent += spread;
            let scale = anywhere.len() as f64 / sample.len().max(1) as f64;
            anywhere_per_event.push(spread.mul_f64(scale));
            anywhere_total += anywhere.len();
            nodes_total += nodes.len();
            max_nodes = max_nodes.max(nodes.len());
        }
    }

    // What the updates left, to compare with the full recomputation: both
    // stand within the error bound of the exact values.
    let lines_before: Vec<f64> = (0..map.line_count() as u32)
        .map(|l| engine.line_output(l))
        .collect();
    let home_before = engine.home_avail().to_vec();
    let mut full_times = Vec::new();
    let mut full = Outcome::default();
    let mut divergence = None;
    for _ in 0..spec.full_runs {
        let t = Instant::now();
        full = engine.recompute_full();
        full_times.push(t.elapsed());
        divergence.get_or_insert_with(|| {
            let lines = lines_before
                .iter()
                .enumerate()
                .map(|(l, v)| (v - engine.line_output(l as u32)).abs());
            let items = home_before
                .iter()
                .zip(engine.home_avail())
                .map(|(a, b)| (a - b).abs());
            lines.chain(items).fold(0.0f64, f64::max)
        });
    }
    full_times.sort_unstable();

    let assessed = builds.len();
    let by_kind = Kind::ALL
        .iter()
        .zip(tallies.iter_mut())
        .filter(|(_, t)| !t.times.is_empty())
        .map(|(k, t)| t.stats(k.as_str()))
        .collect();
    BenchReport {
        seed: spec.seed,
        map: MapFacts {
            firms: map.firms.len(),
            items: map.items.len(),
            production_lines: map.line_count(),
            dependency_edges: map.dependency_edges(),
            countries: map.country_count(),
            adjacency_bytes: map.adjacency_bytes(),
        },
        preparation: None,
        engine_build_ms,
        by_kind,
        overall: overall.stats("all"),
        bounded_updates,
        shocks_in_force_at_end: engine.shocks().count(),
        buyer_profiles_at_end: engine.live_profiles().count(),
        full_recompute: FullStats {
            runs: full_times.len(),
            median_ms: full_times.get(full_times.len() / 2).map_or(0.0, |d| ms(*d)),
            min_ms: full_times.first().map_or(0.0, |d| ms(*d)),
            max_ms: full_times.last().map_or(0.0, |d| ms(*d)),
            evaluations: full.evaluations,
            bounded: full.bounded,
        },
        accuracy: Accuracy {
            epsilon: engine.epsilon(),
            deadband_gain: engine.deadband_gain(),
            error_bound: engine.error_bound(),
            largest_difference: divergence.unwrap_or(0.0),
        },
        assessment: AssessStats {
            events: assessed,
            build: Latency::of(&mut builds),
            mean_nodes: nodes_total as f64 / assessed.max(1) as f64,
            max_nodes,
            per_node: Latency::of(&mut per_node),
            per_event: Latency::of(&mut per_event),
            risk_per_node: Latency::of(&mut risk_per_node),
            risk_per_event: Latency::of(&mut risk_per_event),
            risks_per_event: Latency::of(&mut risks_per_event),
            mean_alertable_anywhere: anywhere_total as f64 / assessed.max(1) as f64,
            anywhere_per_event: Latency::of(&mut anywhere_per_event),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            budget_spent: assess_spent >= spec.assess_budget,
        },
        state_bytes: engine.state_bytes(),
        peak_rss_bytes: None,
    }
}

#[cfg(test)]
mod tests;
