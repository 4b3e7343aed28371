//! Assessments: for one node, its supply ratio, shortfall, time to impact,
//! recovery, cut-off risk, severity, the events driving it and its backups.
//! Read-only over the engine; the clock is passed in.

mod backup;
mod many;
mod risk;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::CoreConfig;
use crate::engine::{
    bulk_arrival, by_day, day_number, gathered, Arrival, Engine, Node, Overlap, ProfileIx, Trace,
};
use crate::map::{FirmIx, ItemIx, NodeRef};

pub use backup::{Backup, RejectedBackup};

/// What a node's risk is judged from, apart from the clock and its
/// shortfall: its drivers and the day the shortage reaches it (days since
/// 1970-01-01, see [`Trace::arrives`]). A node no change has reached since
/// can keep them (see `engine::Influence`) while its time to impact and
/// recovery age with the clock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposure {
    pub drivers: Trace,
    pub impact_day: Option<f64>,
}
pub use many::{exposures, risks, risks_on};
pub use risk::{cutoff_risk, layered_risk, overlapped_risk, reaches, Layer, Severity};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    #[serde(skip)]
    pub node: NodeRef,
    pub node_id: String,
    pub node_name: String,
    #[serde(serialize_with = "round6")]
    pub supply_ratio: f64,
    #[serde(serialize_with = "round6")]
    pub shortfall: f64,
    /// Days until the shortfall reaches the node's buyers; none without one.
    #[serde(serialize_with = "round6_opt")]
    pub time_to_impact_days: Option<f64>,
    /// Days until the driving shocks are expected to end; none when unknown.
    #[serde(serialize_with = "round6_opt")]
    pub recovery_days: Option<f64>,
    #[serde(serialize_with = "round6")]
    pub cutoff_risk: f64,
    pub severity: Severity,
    /// Ids of the events behind the shocks that reach this node.
    pub drivers: Vec<String>,
    pub backups: Vec<Backup>,
    pub rejected_backups: Vec<RejectedBackup>,
}

/// Assesses nodes against one snapshot of the engine and one instant.
pub struct Assessor<'a> {
    engine: &'a Engine,
    config: &'a CoreConfig,
    /// Drivers already traced, by node: backups and firms ask again.
    traced: RefCell<HashMap<Node, Trace>>,
    now: DateTime<Utc>,
}

impl<'a> Assessor<'a> {
    pub fn new(engine: &'a Engine, config: &'a CoreConfig, now: DateTime<Utc>) -> Self {
        Assessor {
            traced: RefCell::new(HashMap::new()),
            engine,
            config,
            now,
        }
    }

    pub fn engine(&self) -> &Engine {
        self.engine
    }

    /// Shocks behind a node and when the first shortage reaches it (memoised).
    pub(super) fn drivers(&self, node: Node) -> Trace {
        if let Some(known) = self.traced.borrow().get(&node) {
            return known.clone();
        }
        let found = self.engine.drivers(node);
        self.traced.borrow_mut().insert(node, found.clone());
        found
    }

    /// [`Self::drivers`] with the overlap built, for a reader to compose.
    fn drivers_overlapped(&self, node: Node) -> Trace {
        if let Some(known) = self.traced.borrow().get(&node) {
            if known.overlap.is_some() || known.arrivals.is_empty() {
                return known.clone();
            }
        }
        let found = self.engine.drivers_overlapped(node);
        self.traced.borrow_mut().insert(node, found.clone());
        found
    }

    pub fn assess(&self, node: NodeRef) -> Assessment {
        match node {
            NodeRef::Item(i) => self.assess_item(i),
            NodeRef::Firm(f) => self.assess_firm(f),
        }
    }

    /// A shortfall within the engine's error bound cannot be told from
    /// none (values may stand that far from exact), so it counts as none.
    fn shortfall(&self, supply: f64) -> f64 {
        let s = 1.0 - supply;
        if s <= self.engine.error_bound() {
            0.0
        } else {
            s
        }
    }

    /// Supply, shortfall, drivers and the day the shortage reaches a node
    /// (its own stock included): everything its risk needs, without the
    /// backups.
    fn exposure(&self, node: NodeRef) -> (f64, f64, Trace, Option<f64>) {
        let map = self.engine.map();
        match node {
            NodeRef::Item(item) => {
                let home = self.engine.home_profile();
                let supply = self.engine.availability(home, item);
                let shortfall = self.shortfall(supply);
                let drivers = if shortfall > 0.0 {
                    self.drivers(Node::Avail(home, item))
                } else {
                    Trace::default()
                };
                let stock = map.items[item as usize].inventory_days;
                let impact_day = drivers.arrives.map(|d| d + stock);
                let mut drivers = drivers;
                for a in &mut drivers.arrivals {
                    a.day = a.day.map(|d| d + stock);
                }
                drivers.overlap = drivers
                    .overlap
                    .map(|o| Arc::new(Overlap::clone(&o).delayed(stock)));
                let impact_day = arrived(&drivers, shortfall).or(impact_day);
                (supply, shortfall, drivers, impact_day)
            }
            NodeRef::Firm(firm) => {
                let supply = self.engine.firm_supply(firm);
                let shortfall = self.shortfall(supply);
                let r = self.engine.firm_profile(firm);
                let mut drivers = Trace::default();
                if shortfall > 0.0 {
                    let lines = map.lines_of_firm(firm);
                    if lines.is_empty() {
                        let traced: Vec<Trace> = map
                            .consumes(firm)
                            .iter()
                            .map(|u| self.drivers_overlapped(Node::Avail(r, u.item)))
                            .collect();
                        for (u, t) in map.consumes(firm).iter().zip(&traced) {
                            drivers.merge(t, u.inventory_days);
                        }
                        let bought = Overlap::bought(
                            map.consumes(firm).iter().zip(&traced).filter_map(|(u, t)| {
                                t.overlap
                                    .as_deref()
                                    .map(|o| (o, u.inventory_days, u.critical, u.weight))
                            }),
                        );
                        drivers.overlap = Some(Arc::new(bought));
                    } else {
                        // Its supply is its lines' mean: each line's
                        // shortage is its part of the firm's, and so is
                        // each shock's weight on it.
                        let n = lines.len() as f64;
                        let mut arrivals = Vec::with_capacity(lines.len());
                        let mut weight: BTreeMap<u32, f64> = BTreeMap::new();
                        let mut parts: Vec<Arrival> = Vec::new();
                        let mut overlaps: Vec<Option<Arc<Overlap>>> = Vec::new();
                        for &l in lines {
                            let line = self.drivers(Node::Line(l));
                            overlaps.push(line.overlap.clone());
                            for (s, w) in line.weighted() {
                                *weight.entry(s).or_default() += w / n;
                            }
                            parts.extend(line.arrivals.iter().map(|a| Arrival {
                                weight: a.weight / n,
                                ..*a
                            }));
                            if let Some(day) = line.arrives {
                                let part = (1.0 - self.engine.line_output(l)) / n;
                                arrivals.push((day, part));
                            }
                        }
                        (drivers.shocks, drivers.weights) = weight.into_iter().unzip();
                        drivers.arrivals = gathered(parts);
                        drivers.arrives = bulk_arrival(arrivals, shortfall);
                        let whole = Overlap::default();
                        drivers.overlap = Some(Arc::new(Overlap::mean(
                            overlaps.iter().map(|o| o.as_deref().unwrap_or(&whole)),
                        )));
                    }
                }
                let impact_day = arrived(&drivers, shortfall).or(drivers.arrives);
                (supply, shortfall, drivers, impact_day)
            }
        }
    }

    /// What `node`'s risk is judged from apart from the clock and its
    /// shortfall: its drivers and the day the shortage reaches it.
    pub fn exposure_of(&self, node: NodeRef) -> Exposure {
        let (_, _, drivers, impact_day) = self.exposure(node);
        Exposure {
            drivers,
            impact_day,
        }
    }

    /// Days from this assessor's clock until `impact_day`; 0 once it has
    /// passed (the shortage has arrived).
    fn days_until(&self, impact_day: Option<f64>) -> Option<f64> {
        impact_day.map(|d| (d - day_number(self.now)).max(0.0))
    }

    /// The cut-off risk of `node` judged from a kept `exposure`, at its
    /// shortfall now and this assessor's clock: time to impact and recovery
    /// age, drivers and the day of impact stay as they were traced.
    pub fn risk_with(&self, node: NodeRef, exposure: &Exposure) -> f64 {
        self.risk_from(
            self.shortfall(self.engine.supply(node)),
            &exposure.drivers,
            exposure.impact_day,
        )
    }

    /// The cut-off risk of a node alone: what its severity is judged from,
    /// at a fraction of an assessment's cost (no backups are searched).
    pub fn risk(&self, node: NodeRef) -> f64 {
        let (_, shortfall, drivers, impact_day) = self.exposure(node);
        self.risk_from(shortfall, &drivers, impact_day)
    }

    fn risk_from(&self, shortfall: f64, drivers: &Trace, impact_day: Option<f64>) -> f64 {
        if shortfall > 0.0 {
            let impact = self.days_until(impact_day).unwrap_or(0.0);
            if let Some(overlap) = &drivers.overlap {
                let mut lasts: rustc_hash::FxHashMap<u32, Option<f64>> = Default::default();
                let race: Vec<f64> = overlap
                    .parts
                    .iter()
                    .map(|p| {
                        let recovery = *lasts
                            .entry(p.shock)
                            .or_insert_with(|| self.remaining(p.shock));
                        cutoff_risk(1.0, self.days_until(p.day).unwrap_or(impact), recovery)
                    })
                    .collect();
                if let Some(risk) = overlapped_risk(shortfall, &overlap.levels(&race)) {
                    return risk;
                }
            }
            let mut recovery: Option<(u32, Option<f64>)> = None;
            let layers: Vec<Layer> = drivers
                .arrivals
                .iter()
                .map(|a| {
                    // Parts come by shock: one lookup per shock.
                    let lasts = match recovery {
                        Some((s, r)) if s == a.shock => r,
                        _ => self.remaining(a.shock),
                    };
                    recovery = Some((a.shock, lasts));
                    Layer {
                        recovery: lasts,
                        weight: a.weight,
                        // Unknown only without a start: the bulk's.
                        impact: self.days_until(a.day).unwrap_or(impact),
                    }
                })
                .collect();
            layered_risk(shortfall, impact, &layers)
        } else {
            0.0
        }
    }

    fn assess_item(&self, item: ItemIx) -> Assessment {
        let home = self.engine.home_profile();
        let (supply, shortfall, drivers, impact_day) = self.exposure(NodeRef::Item(item));
        let (backups, rejected) = if shortfall > 0.0 {
            self.backups_through(item, home)
        } else {
            (Vec::new(), Vec::new())
        };
        self.finish(
            NodeRef::Item(item),
            supply,
            shortfall,
            &drivers,
            impact_day,
            backups,
            rejected,
        )
    }

    /// Backups for `item` short to profile `r`: its own (or, made in place,
    /// those of what binds it, see [`Self::backup_source`]); where every way
    /// around it is hit but it is short through an input, that input's,
    /// followed down as far as the shortage goes (QA: an item cut through
    /// its input said "none found" while the input had a backup, and then
    /// a finished product two makers above the cut one did). The rejections
    /// of every level passed stay, saying why nothing nearer helps.
    fn backups_through(&self, item: ItemIx, r: ProfileIx) -> (Vec<Backup>, Vec<RejectedBackup>) {
        let map = self.engine.map();
        let mut rejected: Vec<RejectedBackup> = Vec::new();
        let mut seen: Vec<ItemIx> = Vec::new();
        let mut at = item;
        // A chain of makers is a few tiers; the bound only guards cycles.
        for _ in 0..map.items.len().min(64) {
            let source = self.backup_source(at, r);
            if seen.contains(&source) {
                break;
            }
            seen.push(source);
            let drivers = self.drivers(Node::Avail(r, source));
            let (backups, refused) = self.item_backups(source, r, &numbers(&drivers));
            for x in refused {
                if !rejected.contains(&x) {
                    rejected.push(x);
                }
            }
            if !backups.is_empty() || map.is_assembled(source) {
                return (backups, rejected);
            }
            // Its recipe, and what its makers buy besides.
            let inputs = map.recipe(source).iter().chain(
                map.producers(source)
                    .iter()
                    .flat_map(|line| map.consumes(line.firm).iter()),
            );
            match self.most_short(r, inputs) {
                Some(input) => at = input,
                None => break,
            }
        }
        (Vec::new(), rejected)
    }

    /// Where backups for `item` are to be found. An item made in place with
    /// no substitutes of its own (a process step, a finished chip, a family
    /// aggregate) is helped by backing up the input that binds it hardest, so
    /// follow binding inputs down to an item with suppliers or substitutes.
    fn backup_source(&self, item: ItemIx, r: ProfileIx) -> ItemIx {
        let map = self.engine.map();
        let mut at = item;
        // A chain of process steps is short; the bound only guards cycles.
        for _ in 0..map.items.len().min(64) {
            if !map.is_assembled(at) || !map.substitutes(at).is_empty() {
                return at;
            }
            let binding = self.most_short(r, map.recipe(at).iter());
            match binding {
                Some(next) => at = next,
                None => return at,
            }
        }
        at
    }

    fn assess_firm(&self, firm: FirmIx) -> Assessment {
        let r = self.engine.firm_profile(firm);
        let (supply, shortfall, drivers, impact_day) = self.exposure(NodeRef::Firm(firm));
        // The input that binds hardest is where a backup helps.
        let (backups, rejected) = match self.binding_input(firm, r) {
            Some(input) if shortfall > 0.0 => self.backups_through(input, r),
            _ => (Vec::new(), Vec::new()),
        };
        self.finish(
            NodeRef::Firm(firm),
            supply,
            shortfall,
            &drivers,
            impact_day,
            backups,
            rejected,
        )
    }

    fn binding_input(&self, firm: FirmIx, r: ProfileIx) -> Option<ItemIx> {
        let map = self.engine.map();
        let recipe = map
            .lines_of_firm(firm)
            .iter()
            .flat_map(|l| map.recipe(map.line(*l).item).iter());
        self.most_short(r, recipe.chain(map.consumes(firm)))
    }

    /// The input with the lowest availability to profile `r`, if any is short.
    fn most_short<'i>(
        &self,
        r: ProfileIx,
        inputs: impl Iterator<Item = &'i crate::map::Input>,
    ) -> Option<ItemIx> {
        let limit = 1.0 - self.engine.error_bound();
        // What each short input takes from output: a critical one all it
        // lacks, another its weight of that (QA: a family short through
        // EUV tools, 44% of it, took the backups of imprint tools, 0.14%,
        // which were shorter).
        inputs
            .map(|u| (self.engine.availability(r, u.item), u))
            .filter(|(a, _)| *a < limit)
            .map(|(a, u)| {
                let takes = if u.critical {
                    1.0 - a
                } else {
                    u.weight * (1.0 - a)
                };
                (takes, a, u.item)
            })
            .max_by(|x, y| {
                x.0.total_cmp(&y.0)
                    .then(y.1.total_cmp(&x.1))
                    .then(y.2.cmp(&x.2))
            })
            .map(|(_, _, i)| i)
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        node: NodeRef,
        supply: f64,
        shortfall: f64,
        drivers: &Trace,
        impact_day: Option<f64>,
        backups: Vec<Backup>,
        rejected_backups: Vec<RejectedBackup>,
    ) -> Assessment {
        let map = self.engine.map();
        let tti = self.days_until(impact_day);
        let recovery = if shortfall > 0.0 {
            self.recovery(drivers, shortfall)
        } else {
            Some(0.0)
        };
        let risk = self.risk_from(shortfall, drivers, impact_day);
        let events: BTreeSet<String> = drivers
            .shocks
            .iter()
            .filter_map(|s| self.engine.shock(*s))
            .flat_map(|a| std::iter::once(&a.shock.event_id).chain(&a.shock.also))
            .cloned()
            .collect();
        Assessment {
            node,
            node_id: map.node_id(node).to_string(),
            node_name: map.node_name(node).to_string(),
            supply_ratio: supply,
            shortfall,
            time_to_impact_days: tti,
            recovery_days: if shortfall > 0.0 { recovery } else { None },
            cutoff_risk: risk,
            severity: Severity::of(risk, &self.config.thresholds),
            drivers: events.into_iter().collect(),
            backups,
            rejected_backups,
        }
    }

    /// The drivers' (remaining days, None when unknown; weight), longest
    /// first.
    fn lasting(&self, drivers: &Trace) -> Vec<(Option<f64>, f64)> {
        let mut left: Vec<(Option<f64>, f64)> = drivers
            .weighted()
            .map(|(s, weight)| (self.remaining(s), weight))
            .collect();
        left.sort_by(|a, b| match (a.0, b.0) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => y.total_cmp(&x),
        });
        left
    }

    /// How long until the bulk of the shortage is over: the remaining
    /// expected duration after which the drivers still in force weigh less
    /// than half of the `shortfall` (see [`crate::engine::bulk`]). With one
    /// driver, or drivers alike, that is the longest; a side shock too light
    /// to hold half the shortfall cannot stretch it (nor, with no expected
    /// end, make it unknown). A driver's remaining duration is unknown if it
    /// has no expected end, or has reached it and is still in force. A
    /// measure not yet in effect has its wait still to come as well (its
    /// duration counts from its `effective` date).
    fn recovery(&self, drivers: &Trace, shortfall: f64) -> Option<f64> {
        if let Some(overlap) = &drivers.overlap {
            let left: Vec<Option<f64>> = overlap
                .parts
                .iter()
                .map(|p| self.remaining(p.shock))
                .collect();
            if let Some(days) = overlap.bulk(&left, |a, b| by_day(*a, *b).reverse(), shortfall) {
                return days;
            }
        }
        let left = self.lasting(drivers);
        let needed = shortfall.min(left.iter().map(|l| l.1).sum());
        let mut still_on = 0.0;
        for (days, weight) in &left {
            still_on += weight;
            if crate::engine::bulk(still_on, needed) {
                return *days;
            }
        }
        // Weights that fall short of half still name the longest.
        left.first().map_or(Some(0.0), |l| l.0)
    }

    /// Days left until shock `number`'s expected end, from this assessor's
    /// clock; unknown without one, or once it has passed with the shock
    /// still in force (it has slipped: 0 days would make its risk 0).
    fn remaining(&self, number: u32) -> Option<f64> {
        let active = self.engine.shock(number)?;
        let days = active.shock.recovery_days?;
        let elapsed = (self.now - active.shock.since).num_seconds() as f64 / 86_400.0;
        (elapsed < days).then_some(days - elapsed)
    }
}

/// The day the bulk of the shortage reaches the node, from how its parts
/// overlap (see [`Overlap::bulk`]); `None` without an overlap, or when the
/// bulk comes with a part of unknown day.
fn arrived(drivers: &Trace, shortfall: f64) -> Option<f64> {
    let overlap = drivers.overlap.as_ref()?;
    let days: Vec<Option<f64>> = overlap.parts.iter().map(|p| p.day).collect();
    overlap.bulk(&days, |a, b| by_day(*a, *b), shortfall)?
}

fn numbers(drivers: &Trace) -> BTreeSet<u32> {
    drivers.shocks.iter().copied().collect()
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn round6<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round(*v))
}

fn round6_opt<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_f64(round(*v)),
        None => s.serialize_none(),
    }
}
