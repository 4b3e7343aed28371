//! The monitoring wall: the gauges a Grafana wall reads, computed by the
//! assess role from each partition's monitor after every event and after a
//! rebuild. Per key node of the partition's chains: supply ratio, shortfall,
//! cut-off risk, time to impact, severity, name. Per chain: nodes at each
//! severity and open alerts by severity.
//!
//! A chain lives in one partition, so a partition's series are exactly its
//! chains'. When the partition is revoked its series go; the worker that
//! takes it over shows them again after its rebuild. Without that, two
//! workers would both export a chain after a rebalance, one of them stale.
//!
//! Labels are bounded: `chain` by the map, `node` by the map's key nodes
//! (capped per chain by `metrics.key_nodes_per_chain`), `severity` by its
//! four values. Never a firm outside the key nodes, never an event.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use prometheus::{GaugeVec, Opts, Registry};

use crate::assess::{Assessor, Severity};
use crate::map::NodeRef;
use crate::monitor::Monitor;

const SECONDS_PER_DAY: f64 = 86_400.0;
const SEVERITIES: [Severity; 4] = [
    Severity::Ok,
    Severity::Watch,
    Severity::Warning,
    Severity::Critical,
];
/// Severities that raise alerts: the values `active_alerts` always shows.
const ALERTING: [Severity; 2] = [Severity::Warning, Severity::Critical];

/// One key node as the wall shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyNode {
    pub chain: String,
    pub node: String,
    pub name: String,
    pub supply_ratio: f64,
    pub shortfall: f64,
    pub cutoff_risk: f64,
    /// None while the node has no shortfall: there is nothing to arrive.
    pub time_to_impact_days: Option<f64>,
    pub severity: Severity,
}

/// What one partition's chains look like now. Computed without I/O.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Wall {
    pub key_nodes: Vec<KeyNode>,
    /// Nodes of each chain at each severity (every severity, zeros included).
    pub nodes: BTreeMap<(String, Severity), usize>,
    /// Open alerts of each chain by alerting severity (zeros included).
    pub alerts: BTreeMap<(String, Severity), usize>,
}

/// The wall of `chains` (map chain indices) in `monitor`, judged at `now`,
/// with at most `cap` key nodes per chain (the map's first ones).
pub fn compute(monitor: &Monitor, chains: &BTreeSet<u16>, cap: usize, now: DateTime<Utc>) -> Wall {
    let map = monitor.map();
    let engine = monitor.engine();
    let assessor = Assessor::new(engine, monitor.config(), now);
    let watch = monitor.config().thresholds.watch;
    let mut wall = Wall::default();
    for &c in chains {
        let chain = &map.chains[c as usize];
        for &node in chain.key_nodes.iter().take(cap) {
            let a = assessor.assess(node);
            wall.key_nodes.push(KeyNode {
                chain: chain.id.clone(),
                node: a.node_id.clone(),
                name: a.node_name.clone(),
                supply_ratio: a.supply_ratio,
                shortfall: a.shortfall,
                cutoff_risk: a.cutoff_risk,
                time_to_impact_days: a.time_to_impact_days,
                severity: a.severity,
            });
        }
        for s in SEVERITIES {
            wall.nodes.insert((chain.id.clone(), s), 0);
        }
        for s in ALERTING {
            wall.alerts.insert((chain.id.clone(), s), 0);
        }
    }
    // Every node of the chains: items and the home firms alerted in them.
    let nodes = (0..map.items.len() as u32)
        .map(NodeRef::Item)
        .chain((0..map.firms.len() as u32).map(NodeRef::Firm));
    for node in nodes {
        let in_chains: Vec<u16> = monitor
            .map_chains_of(node)
            .into_iter()
            .filter(|c| chains.contains(c))
            .collect();
        if in_chains.is_empty() {
            continue;
        }
        let supply = engine.supply(node);
        // Risk never exceeds the shortfall, so a node short by less than the
        // watch threshold is `ok` without any tracing; the others need their
        // risk only, not the backup search of a full assessment.
        let severity = if 1.0 - supply < watch {
            Severity::Ok
        } else {
            Severity::of(assessor.risk(node), &monitor.config().thresholds)
        };
        for c in in_chains {
            *wall
                .nodes
                .entry((map.chains[c as usize].id.clone(), severity))
                .or_insert(0) += 1;
        }
    }
    for ((c, severity), n) in monitor.open_alerts_by_chain() {
        if chains.contains(&c) {
            *wall
                .alerts
                .entry((map.chains[c as usize].id.clone(), severity))
                .or_insert(0) += n;
        }
    }
    wall
}

/// Recomputes and shows the wall of partition `partition` from its monitor,
/// judged at the latest event's time (as its alerts were).
pub fn refresh(ctx: &super::Ctx, partition: i32, partitions: i32, monitor: &Monitor) {
    let chains = super::route::chains_in(&ctx.map, partition, partitions);
    let now = monitor.latest().unwrap_or_else(Utc::now);
    let wall = compute(
        monitor,
        &chains,
        ctx.config.metrics.key_nodes_per_chain,
        now,
    );
    ctx.metrics.wall.show(partition, &wall);
}

/// The severity as a number for a gauge: ok 0, watch 1, warning 2, critical 3.
pub fn level(s: Severity) -> f64 {
    match s {
        Severity::Ok => 0.0,
        Severity::Watch => 1.0,
        Severity::Warning => 2.0,
        Severity::Critical => 3.0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family {
    Supply,
    Shortfall,
    Risk,
    TimeToImpact,
    Severity,
    Info,
    Nodes,
    Alerts,
}

/// One series: its family and label values.
type Series = (Family, Vec<String>);

/// The wall's gauges, and which series each partition has set, so that a
/// partition's series can be taken back exactly.
#[derive(Clone)]
pub struct WallMetrics {
    supply: GaugeVec,
    shortfall: GaugeVec,
    risk: GaugeVec,
    time_to_impact: GaugeVec,
    severity: GaugeVec,
    info: GaugeVec,
    nodes: GaugeVec,
    alerts: GaugeVec,
    shown: Arc<Mutex<HashMap<i32, Vec<Series>>>>,
}

impl WallMetrics {
    pub fn register(registry: &Registry) -> WallMetrics {
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let g = GaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        let key = ["chain", "node"];
        WallMetrics {
            supply: gauge(
                "chainwatch_key_node_supply_ratio",
                "Supply reaching home buyers of a key node, 0..1 of normal.",
                &key,
            ),
            shortfall: gauge(
                "chainwatch_key_node_shortfall_ratio",
                "Shortfall of a key node, 0..1 of normal supply.",
                &key,
            ),
            risk: gauge(
                "chainwatch_key_node_cutoff_risk_ratio",
                "Cut-off risk of a key node, 0..1.",
                &key,
            ),
            time_to_impact: gauge(
                "chainwatch_key_node_time_to_impact_seconds",
                "Time until a key node's shortfall reaches its buyers; absent without a shortfall.",
                &key,
            ),
            severity: gauge(
                "chainwatch_key_node_severity",
                "Severity of a key node: 0 ok, 1 watch, 2 warning, 3 critical.",
                &key,
            ),
            info: gauge(
                "chainwatch_key_node_info",
                "A key node of a chain exported on this wall, with its name; always 1.",
                &["chain", "node", "name"],
            ),
            nodes: gauge(
                "chainwatch_chain_nodes",
                "Nodes (items and home firms) of a chain, by severity.",
                &["chain", "severity"],
            ),
            alerts: gauge(
                "chainwatch_active_alerts",
                "Open cut-off alerts of a chain, by severity.",
                &["chain", "severity"],
            ),
            shown: Arc::default(),
        }
    }

    fn family(&self, f: Family) -> &GaugeVec {
        match f {
            Family::Supply => &self.supply,
            Family::Shortfall => &self.shortfall,
            Family::Risk => &self.risk,
            Family::TimeToImpact => &self.time_to_impact,
            Family::Severity => &self.severity,
            Family::Info => &self.info,
            Family::Nodes => &self.nodes,
            Family::Alerts => &self.alerts,
        }
    }

    /// Shows `wall` as partition `partition`'s series, removing the ones it
    /// set before that `wall` no longer has (a time to impact that ended).
    pub fn show(&self, partition: i32, wall: &Wall) {
        let mut set: Vec<(Family, Vec<String>, f64)> = Vec::new();
        for k in &wall.key_nodes {
            let key = vec![k.chain.clone(), k.node.clone()];
            set.push((Family::Supply, key.clone(), k.supply_ratio));
            set.push((Family::Shortfall, key.clone(), k.shortfall));
            set.push((Family::Risk, key.clone(), k.cutoff_risk));
            set.push((Family::Severity, key.clone(), level(k.severity)));
            if let Some(days) = k.time_to_impact_days {
                set.push((Family::TimeToImpact, key, days * SECONDS_PER_DAY));
            }
            set.push((
                Family::Info,
                vec![k.chain.clone(), k.node.clone(), k.name.clone()],
                1.0,
            ));
        }
        for ((chain, s), n) in &wall.nodes {
            set.push((
                Family::Nodes,
                vec![chain.clone(), s.as_str().into()],
                *n as f64,
            ));
        }
        for ((chain, s), n) in &wall.alerts {
            set.push((
                Family::Alerts,
                vec![chain.clone(), s.as_str().into()],
                *n as f64,
            ));
        }
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        let before = shown.remove(&partition).unwrap_or_default();
        for (f, labels, value) in &set {
            let l: Vec<&str> = labels.iter().map(String::as_str).collect();
            self.family(*f).with_label_values(&l).set(*value);
        }
        let now: Vec<Series> = set.into_iter().map(|(f, l, _)| (f, l)).collect();
        for old in before {
            if !now.contains(&old) {
                self.remove(&old);
            }
        }
        shown.insert(partition, now);
    }

    /// Takes back every series partition `partition` set: it was revoked.
    pub fn clear(&self, partition: i32) {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        for old in shown.remove(&partition).unwrap_or_default() {
            self.remove(&old);
        }
    }

    fn remove(&self, (f, labels): &Series) {
        let l: Vec<&str> = labels.iter().map(String::as_str).collect();
        // Absent already is what we want.
        let _ = self.family(*f).remove_label_values(&l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CoreConfig;
    use crate::event::decode;
    use crate::map::load_file;

    fn monitor() -> Monitor {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/maps/cset-ic.json");
        let (_, map) = load_file(std::path::Path::new(path)).expect("map");
        Monitor::scoped(Arc::new(map), CoreConfig::default(), BTreeSet::from([0u16]))
    }

    const NL: &str = r#"{"type":"sanction","id":"nl","ts":"2023-06-30T12:00:00Z","measure":"nl","action":"add","authority":"NL-MFA","issuer_jurisdiction":"NL","targets":[],"items":["N20","N22"],"destinations":["CN"],"license_policy":"denial","effective":"2023-09-01T00:00:00Z","expected_duration_days":null}"#;

    fn apply(m: &mut Monitor, line: &str) {
        let e = decode(line.as_bytes()).unwrap();
        m.apply(&e, e.ts()).unwrap();
    }

    fn text(r: &Registry) -> String {
        let mut out = Vec::new();
        prometheus::Encoder::encode(&prometheus::TextEncoder::new(), &r.gather(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_quiet_map_shows_every_key_node_at_full_supply() {
        let m = monitor();
        let wall = compute(&m, &BTreeSet::from([0]), 100, Utc::now());
        let keys = &m.map().chains[0].key_nodes;
        assert_eq!(wall.key_nodes.len(), keys.len());
        assert!(wall.key_nodes.iter().all(|k| k.supply_ratio == 1.0
            && k.time_to_impact_days.is_none()
            && k.severity == Severity::Ok));
        let ok = wall.nodes[&("ic".to_string(), Severity::Ok)];
        assert!(ok > 0);
        assert_eq!(wall.nodes[&("ic".to_string(), Severity::Critical)], 0);
        assert_eq!(wall.alerts[&("ic".to_string(), Severity::Critical)], 0);
    }

    #[test]
    fn the_wall_agrees_with_the_assessments_and_the_alerts() {
        let mut m = monitor();
        let quiet = compute(&m, &BTreeSet::from([0]), 100, Utc::now());
        apply(&mut m, NL);
        let now = m.latest().unwrap();
        let wall = compute(&m, &BTreeSet::from([0]), 100, now);
        let euv = wall.key_nodes.iter().find(|k| k.node == "N20").unwrap();
        assert_eq!(euv.supply_ratio, 0.0);
        assert_eq!(euv.severity, Severity::Critical);
        // In force 1 September, 62.5 days after the notice, then 180 days of tools.
        assert_eq!(euv.time_to_impact_days, Some(242.5));
        // Severity counts partition the same nodes as before.
        let total = |w: &Wall| w.nodes.values().sum::<usize>();
        assert_eq!(total(&wall), total(&quiet));
        let alerts: usize = wall.alerts.values().sum();
        assert_eq!(alerts, m.open_alerts());
        assert!(wall.nodes[&("ic".to_string(), Severity::Critical)] >= 1);
    }

    #[test]
    fn key_nodes_are_capped_and_a_revoked_partition_leaves_no_series() {
        let mut m = monitor();
        apply(&mut m, NL);
        let wall = compute(&m, &BTreeSet::from([0]), 2, m.latest().unwrap());
        assert_eq!(wall.key_nodes.len(), 2);
        let registry = Registry::new();
        let metrics = WallMetrics::register(&registry);
        metrics.show(0, &wall);
        let shown = text(&registry);
        assert_eq!(
            shown
                .lines()
                .filter(|l| l.starts_with("chainwatch_key_node_info{"))
                .count(),
            2
        );
        assert!(shown.contains("chainwatch_active_alerts{chain=\"ic\",severity=\"critical\"}"));
        // A later wall without a time to impact removes that series.
        let mut calm = wall.clone();
        for k in &mut calm.key_nodes {
            k.time_to_impact_days = None;
        }
        metrics.show(0, &calm);
        assert!(!text(&registry).contains("chainwatch_key_node_time_to_impact_seconds{"));
        metrics.clear(0);
        let left = text(&registry);
        assert!(
            !left.lines().any(|l| l.starts_with("chainwatch_")),
            "{left}"
        );
    }
}
