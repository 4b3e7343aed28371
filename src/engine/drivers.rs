//! Which shocks stand behind a node, and when the nearest shortage reaches
//! it (the day a shock began plus the days of stock between it and the
//! node): traced backwards from the node through inputs that are short, as
//! far as they still matter to it. This names a node's drivers, gives its
//! time to impact, and tells whether a backup shares a shocked upstream node.
//!
//! What matters is measured from the node: an upstream node's **reach** is
//! the largest product of weights along a path to it (1 through a critical
//! input, the weight through a non-critical one, the producer's weight
//! through an item's supply), which bounds how far the node moves per unit
//! move upstream. An upstream node is traced only while reach × its own
//! shortfall is at least [`ATTRIBUTION_FLOOR`]. Cost: the node's materially
//! short upstream, which on a national map is a few tiers, not the map.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::map::{ChainMap, ItemIx, LineIx};

use super::gates::Acting;
use super::overlap::Overlap;
use super::{Engine, Node, ProfileIx, ProfileKey};
use crate::shock::Reached;

/// Contributions below this share of supply are not traced: they cannot move
/// a risk that is judged in percent, and tracing them would walk the map.
pub const ATTRIBUTION_FLOOR: f64 = 1e-4;

/// A critical input that does not bind is traced only if it is short by at
/// least this: one left out moves the reader's risk by less than its
/// shortfall, and on a national map there are many (at 100k firms, 0.01
/// doubled the cost of a risk against 0.05, see [`Engine::keep_binding`]).
pub const UNBOUND_FLOOR: f64 = 0.05;

/// One node a node reads: its weight in the reader and the days of stock
/// held on the hop.
pub(super) struct Upstream {
    pub node: Node,
    pub weight: f64,
    pub days: f64,
    /// A critical input: the reader takes the least of these.
    pub critical: bool,
}

/// What stands behind a node: the shocks (by number, ascending), each with
/// its **weight** (the most of the node's supply it can account for: reach
/// × shortfall at a node it acts on, at most 1), and the day the bulk of the
/// shortage reaches it, in days since 1970-01-01 (UTC): the earliest day by
/// which shocked nodes that can account for half of the node's shortfall
/// have reached it, each on the day its earliest shock began plus the fewest
/// days of stock between it and the node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    pub shocks: Vec<u32>,
    /// Parallel to `shocks`.
    pub weights: Vec<f64>,
    pub arrives: Option<f64>,
    /// Each shock's weight split by the day its part reaches the node (by
    /// shock, then day): one part per day on which nodes it acts on reach
    /// the node, each on the day it began there plus the days of stock
    /// between. A near shock's part arrives on its own day, whatever a far
    /// one does (QA: a far tool fire holding half the shortfall moved a near
    /// gas outage's part to its day 300), and so does a near part of one
    /// shock (QA: widening a control from a gas 5 days away to a tool 300
    /// days away moved the gas's part to day 300 and resolved a warning).
    pub arrivals: Vec<Arrival>,
    /// How the parts overlap at the node (see [`Overlap`]), which its risk
    /// is judged by; `None` when nothing traced leads to it.
    pub overlap: Option<Arc<Overlap>>,
}

/// Part of a shock's weight at a node, and the day it reaches the node
/// (unknown if the shock has no start on record).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    pub shock: u32,
    pub weight: f64,
    pub day: Option<f64>,
}

impl Trace {
    /// Adds what stands behind one more path into the node, `days` of stock
    /// further away. Each shock keeps the weight and the parts of the path
    /// on which it weighs most.
    pub fn merge(&mut self, other: &Trace, days: f64) {
        let mut both: Vec<(u32, f64)> = self.weighted().chain(other.weighted()).collect();
        let (shocks, weights) = heaviest_per_shock(&mut both);
        let from_other = |s: u32| {
            let weight = |t: &Trace| {
                t.shocks
                    .binary_search(&s)
                    .map_or(f64::NEG_INFINITY, |k| t.weights[k])
            };
            weight(other) > weight(self)
        };
        let mut arrivals: Vec<Arrival> = self
            .arrivals
            .iter()
            .filter(|a| !from_other(a.shock))
            .copied()
            .chain(
                other
                    .arrivals
                    .iter()
                    .filter(|a| from_other(a.shock))
                    .map(|a| Arrival {
                        day: a.day.map(|d| d + days),
                        ..*a
                    }),
            )
            .collect();
        arrivals.sort_by(|a, b| a.shock.cmp(&b.shock).then(by_day(a.day, b.day)));
        (self.shocks, self.weights, self.arrivals) = (shocks, weights, arrivals);
        if let Some(d) = other.arrives {
            let d = d + days;
            self.arrives = Some(self.arrives.map_or(d, |n| n.min(d)));
        }
    }

    /// The shocks with their weights.
    pub fn weighted(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.shocks
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
    }
}

/// Per part (shocked node, shock, day it began there, weight), the day it
/// reaches the target: the day it began plus the days of stock between.
/// A shock acting on one item from one day is one part, whichever buyers'
/// profile the node belongs to, and arrives by the nearest of them. The
/// engine keeps one node per item for all buyers no measure sets apart, so
/// a price spike reaching a fab directly in 5 days and through a foreign
/// tool maker in 105 is one part there, arriving on day 5; a measure that
/// sets the fab's country apart (even one cutting nothing it buys) splits
/// that node in two, and timing each on its own gave the far path day 105
/// and halved the fab's risk (QA round 15, H2: 0.5221 → 0.2709 from a
/// control on an item nobody in the issuer's country makes). Taking the
/// nearest errs early, as the weights do.
fn one_day_per_item(
    parts: &[(u64, u32, Option<f64>, f64)],
    away: &FxHashMap<u64, f64>,
) -> Vec<Option<f64>> {
    let mut days: Vec<Option<f64>> = parts
        .iter()
        .map(|&(p, _, began, _)| began.and_then(|b| away.get(&p).map(|d| b + d)))
        .collect();
    let item_of = |p: u64| match Node::unpack(p) {
        Node::Avail(_, i) => Some(i),
        Node::Line(_) => None,
    };
    let mut nearest: FxHashMap<(u32, ItemIx, u64), f64> = FxHashMap::default();
    for (&(p, shock, began, _), day) in parts.iter().zip(&days) {
        if let (Some(i), Some(b), Some(d)) = (item_of(p), began, day) {
            let e = nearest.entry((shock, i, b.to_bits())).or_insert(*d);
            *e = e.min(*d);
        }
    }
    for (&(p, shock, began, _), day) in parts.iter().zip(days.iter_mut()) {
        if let (Some(i), Some(b)) = (item_of(p), began) {
            if let Some(d) = nearest.get(&(shock, i, b.to_bits())) {
                *day = Some(*d);
            }
        }
    }
    days
}

/// Known days first, ascending; unknown last (reversed, an unknown
/// recovery is the longest).
pub fn by_day(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// Parts by shock and day, those of one shock on one day summed. They are
/// not scaled down where they sum to more than the shock's weight (at most
/// 1): the fill stops at the shortfall anyway, and shrinking them all would
/// shrink a near part that fills it alone (QA round 14: widening a control
/// from a gas to a tool scaled the gas's 0.65 to 0.52 and took a chip from
/// critical to warning).
pub fn gathered(mut parts: Vec<Arrival>) -> Vec<Arrival> {
    parts.sort_by(|a, b| a.shock.cmp(&b.shock).then(by_day(a.day, b.day)));
    let mut out: Vec<Arrival> = Vec::with_capacity(parts.len());
    for p in parts {
        match out.last_mut() {
            Some(last) if last.shock == p.shock && last.day == p.day => last.weight += p.weight,
            _ => out.push(p),
        }
    }
    out
}

/// Shocks ascending, each once with the sum of its weights, at most 1.
fn summed_per_shock(found: &mut [(u32, f64)]) -> (Vec<u32>, Vec<f64>) {
    found.sort_unstable_by_key(|a| a.0);
    let mut shocks: Vec<u32> = Vec::with_capacity(found.len());
    let mut weights: Vec<f64> = Vec::with_capacity(found.len());
    for &(s, w) in found.iter() {
        if shocks.last() == Some(&s) {
            if let Some(last) = weights.last_mut() {
                *last = (*last + w).min(1.0);
            }
        } else {
            shocks.push(s);
            weights.push(w);
        }
    }
    (shocks, weights)
}

/// Shocks ascending, each once with its largest weight.
fn heaviest_per_shock(found: &mut [(u32, f64)]) -> (Vec<u32>, Vec<f64>) {
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut shocks = Vec::with_capacity(found.len());
    let mut weights = Vec::with_capacity(found.len());
    for &(s, w) in found.iter() {
        if shocks.last() != Some(&s) {
            shocks.push(s);
            weights.push(w);
        }
    }
    (shocks, weights)
}

/// Whether weights summing to `sum` account for the bulk (half) of
/// `needed`: the point at which a shortage counts as arrived, or as over.
/// Weights are bounds, so a side shock that cannot account for half (a 1%
/// producer, a non-critical gas of weight 0.02) never decides it alone (QA:
/// either set a whole tool shortage's time to impact to its own 0 or 2 days).
pub fn bulk(sum: f64, needed: f64) -> bool {
    sum + 1e-9 >= 0.5 * needed
}

/// The day the bulk of a shortfall has arrived, from arrivals given as
/// (day, weight): the earliest day by which arrivals weighing half of
/// `shortfall` (or of their sum, if less) are in. Serves a firm, whose
/// lines each bring their own shortage (QA: a 2% fire on one line timed
/// the whole firm).
pub fn bulk_arrival(mut arrivals: Vec<(f64, f64)>, shortfall: f64) -> Option<f64> {
    arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let needed = shortfall.min(arrivals.iter().map(|a| a.1).sum());
    let mut arrived = 0.0;
    for (day, weight) in &arrivals {
        arrived += weight;
        if bulk(arrived, needed) {
            return Some(*day);
        }
    }
    arrivals.last().map(|a| a.0)
}

/// A time as days since 1970-01-01 (UTC), the unit of [`Trace::arrives`].
pub fn day_number(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 86_400_000.0
}

impl Engine {
    /// The shocks behind `target`, as far as they matter to it, and when
    /// their shortage reaches it.
    ///
    /// Two searches over the node's upstream: [`Engine::reach`] finds what
    /// matters (and so the shocks), then a search by days of stock within it
    /// finds how far each shocked node is.
    pub fn drivers(&self, target: Node) -> Trace {
        // A line's overlap serves its firm's, the mean of its lines'.
        self.trace(target, matches!(target, Node::Line(_)))
    }

    /// [`Engine::drivers`] with the overlap built even where its parts all
    /// race alike: a reader composes it with others'.
    pub fn drivers_overlapped(&self, target: Node) -> Trace {
        self.trace(target, true)
    }

    fn trace(&self, target: Node, overlapped: bool) -> Trace {
        let reach = self.reach(target);
        let spread = self.spread(target, &reach);
        let mut found: Vec<(u32, f64)> = Vec::new();
        // Per shocked node and shock: the day it began there, its weight.
        let mut parts: Vec<(u64, u32, Option<f64>, f64)> = Vec::new();
        let mut here: Vec<u32> = Vec::new();
        // Per shocked node with a known start, its weight.
        let mut shocked: Vec<(u64, f64)> = Vec::new();
        for (&packed, &phi) in &reach {
            let node = Node::unpack(packed);
            here.clear();
            self.shocks_at(node, phi, &mut here);
            // A measure cutting several makers of the item is named once
            // per maker: it weighs what it takes there once (QA: a control
            // on two Japanese makers counted twice).
            here.sort_unstable();
            here.dedup();
            if here.is_empty() {
                continue;
            }
            let share = spread.get(&packed).map_or(phi, |s| s.min(1.0).max(phi));
            let weight = (share * self.own_drop(node)).clamp(0.0, 1.0);
            // Each shock weighs what it takes there on its own: a one-day
            // strike beside a two-month fire at one plant is not the whole
            // of the plant's loss (QA: it was, and took the fire's recovery).
            let first = found.len();
            if here.len() == 1 {
                found.push((here[0], weight));
            } else {
                found.extend(
                    here.iter()
                        .map(|s| (*s, (share * self.own_drop_by(node, *s)).clamp(0.0, 1.0))),
                );
            }
            let mut started = false;
            for &(s, w) in &found[first..] {
                let day = self.began(s, node);
                started |= day.is_some();
                parts.push((packed, s, day, w));
            }
            if started {
                shocked.push((packed, weight));
            }
        }
        // A shock acting on several nodes (a control on two tool grades)
        // weighs what it takes at all of them (QA: taken at its heaviest
        // node alone, the Dutch control held half of the finished chip's
        // shortfall no longer once an ASML fire joined it).
        let (shocks, weights) = summed_per_shock(&mut found);
        let away = self.days_away(target, &reach, shocked.iter().map(|s| s.0));
        let days = one_day_per_item(&parts, &away);
        // Each shocked node arrives with its earliest part.
        let mut earliest: FxHashMap<u64, f64> = FxHashMap::default();
        for (&(p, ..), day) in parts.iter().zip(&days) {
            if let Some(d) = day {
                let e = earliest.entry(p).or_insert(*d);
                *e = e.min(*d);
            }
        }
        let arrives = bulk_arrival(
            shocked
                .iter()
                .filter_map(|(p, w)| earliest.get(p).map(|d| (*d, *w)))
                .collect(),
            1.0 - self.value_of(target),
        );
        let arrivals = parts
            .iter()
            .zip(&days)
            .map(|(&(_, shock, _, weight), &day)| Arrival { shock, weight, day })
            .collect();
        let acting: Vec<Acting> = parts
            .iter()
            .zip(&days)
            .map(|(&(node, shock, _, _), &day)| Acting { node, shock, day })
            .collect();
        let arrivals = gathered(arrivals);
        // Parts that all race alike (one shock arriving on one day) fill
        // the shortfall as one: the overlap cannot change their risk.
        let overlap = if overlapped || arrivals.len() > 1 {
            self.overlap(target, &reach, &acting).map(Arc::new)
        } else {
            None
        };
        Trace {
            arrivals,
            shocks,
            weights,
            arrives,
            overlap,
        }
    }

    /// How many days of stock lie between `target` and each of `nodes`,
    /// through what matters to it (`reach`): a search by days of stock,
    /// nearest first, until every one of them is reached.
    fn days_away(
        &self,
        target: Node,
        reach: &FxHashMap<u64, f64>,
        nodes: impl Iterator<Item = u64>,
    ) -> FxHashMap<u64, f64> {
        let mut pending: rustc_hash::FxHashSet<u64> = nodes.collect();
        let mut away: FxHashMap<u64, f64> = FxHashMap::default();
        let mut dist: FxHashMap<u64, f64> = FxHashMap::default();
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        dist.insert(target.pack(), 0.0);
        heap.push(Reverse((0f64.to_bits(), target.pack())));
        let mut next: Vec<Upstream> = Vec::new();
        while let Some(Reverse((bits, packed))) = heap.pop() {
            if pending.is_empty() {
                break;
            }
            let d = f64::from_bits(bits);
            if dist.get(&packed).is_some_and(|known| *known < d) {
                continue;
            }
            if pending.remove(&packed) {
                away.insert(packed, d);
            }
            self.upstream(Node::unpack(packed), &mut next);
            for u in &next {
                let key = u.node.pack();
                if !reach.contains_key(&key) {
                    continue;
                }
                let nd = d + u.days;
                if dist.get(&key).is_none_or(|known| nd < *known) {
                    dist.insert(key, nd);
                    // Non-negative floats order like their bit patterns.
                    heap.push(Reverse((nd.to_bits(), key)));
                }
            }
        }
        away
    }

    /// The day shock `number` began to act on `node`, if it is in force:
    /// a part a measure gained later began later.
    fn began(&self, number: u32, node: Node) -> Option<f64> {
        let shock = &self.shock(number)?.shock;
        if shock.parts.is_empty() {
            return Some(day_number(shock.began));
        }
        let map = &*self.map;
        // A blocked firm's profile also faces its country's controls.
        let (item, reached) = match node {
            Node::Line(l) => (map.line(l).item, [Reached::Firm(map.line(l).firm); 2]),
            Node::Avail(r, i) => match self.profile(r).key {
                ProfileKey::Country(c) => (i, [Reached::Country(c); 2]),
                ProfileKey::Firm(f) => (
                    i,
                    [
                        Reached::Firm(f),
                        Reached::Country(map.firms[f as usize].country),
                    ],
                ),
                ProfileKey::Open => return Some(day_number(shock.began)),
            },
        };
        Some(day_number(shock.began_for(item, &reached)))
    }

    /// The shocks acting on `node` itself: capacity lost on a line, scarcity
    /// of an item, and measures cutting a producer for these buyers, named
    /// as far as the cut matters to the target (`phi`: the node's reach).
    fn shocks_at(&self, node: Node, phi: f64, out: &mut Vec<u32>) {
        match node {
            Node::Line(l) => out.extend(self.local.line_drivers(&self.map, l)),
            Node::Avail(r, i) => {
                out.extend(self.local.item_drivers(i));
                let p = self.profile(r);
                if !self.map.is_assembled(i) && !p.rules.is_empty() {
                    let off = self.map.lines_offset(i) as usize;
                    for (k, line) in self.map.producers(i).iter().enumerate() {
                        let w = self.line_weight[off + k] * p.cut(&self.map, line);
                        if w > 0.0 && phi * w >= ATTRIBUTION_FLOOR {
                            out.extend(p.cutting(&self.map, line));
                        }
                    }
                }
            }
        }
    }

    /// The upstream of `target` that matters to it, with each node's reach
    /// (see the module header): a search that always extends the path of
    /// largest reach first, so each node is expanded at its largest reach.
    fn reach(&self, target: Node) -> FxHashMap<u64, f64> {
        let mut reach: FxHashMap<u64, f64> = FxHashMap::default();
        let mut heap: BinaryHeap<(u64, u64)> = BinaryHeap::new();
        reach.insert(target.pack(), 1.0);
        heap.push((1f64.to_bits(), target.pack()));
        let mut next: Vec<Upstream> = Vec::new();
        while let Some((bits, packed)) = heap.pop() {
            let phi = f64::from_bits(bits);
            if reach.get(&packed).is_some_and(|best| *best > phi) {
                continue;
            }
            self.upstream_within(Node::unpack(packed), phi, &mut next);
            for u in &next {
                let via = phi * u.weight;
                if via * (1.0 - self.value_of(u.node)) < ATTRIBUTION_FLOOR {
                    continue;
                }
                let key = u.node.pack();
                if reach.get(&key).is_none_or(|best| via > *best) {
                    reach.insert(key, via);
                    heap.push((via.to_bits(), key));
                }
            }
        }
        reach
    }

    /// Each node's share in `target` over every path within `reach` (the sum
    /// of the path products; reach keeps the largest): what a shocked node
    /// can account for. A fire at a wafer maker reaches a die through each
    /// of the die's makers, so its largest path alone undercounts it against
    /// a strike at one die maker. Readers come before their inputs by rank;
    /// inside a cycle a node may be passed before all its readers are, and
    /// keeps the part it had (the weight never goes below the reach).
    fn spread(&self, target: Node, reach: &FxHashMap<u64, f64>) -> FxHashMap<u64, f64> {
        let mut order: Vec<(u32, u64)> = reach
            .keys()
            .map(|&p| (self.rank(Node::unpack(p)), p))
            .collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        let mut share: FxHashMap<u64, f64> = FxHashMap::default();
        share.insert(target.pack(), 1.0);
        let mut next: Vec<Upstream> = Vec::new();
        for (_, packed) in order {
            let Some(&s) = share.get(&packed) else {
                continue;
            };
            let s = s.min(1.0);
            self.upstream_within(Node::unpack(packed), s, &mut next);
            for u in &next {
                let key = u.node.pack();
                if key != packed && reach.contains_key(&key) {
                    *share.entry(key).or_insert(0.0) += s * u.weight;
                }
            }
        }
        share
    }

    /// What `node` reads that can matter to a target `phi` away: the
    /// producers of a bought item only down to the first whose weight alone
    /// puts it under the floor (they are taken heaviest first; on a national
    /// map most producers are small); everything else, as [`Engine::upstream`].
    pub(super) fn upstream_within(&self, node: Node, phi: f64, out: &mut Vec<Upstream>) {
        let map = &*self.map;
        match node {
            Node::Avail(_, i) if !map.is_assembled(i) => {
                out.clear();
                let off = map.lines_offset(i) as usize;
                let n = map.producers(i).len();
                for &k in &self.heaviest_first[off..off + n] {
                    let weight = self.line_weight[off + k as usize];
                    if phi * weight < ATTRIBUTION_FLOOR {
                        break;
                    }
                    out.push(Upstream {
                        node: Node::Line((off + k as usize) as LineIx),
                        weight,
                        days: 0.0,
                        critical: false,
                    });
                }
            }
            _ => self.upstream(node, out),
        }
    }

    /// What `node` reads: a line its recipe inputs (the input item's stock
    /// on the hop) and its firm's own consumption (the firm's stock); an
    /// item made in place its recipe; any other item its producers' lines.
    pub(super) fn upstream(&self, node: Node, out: &mut Vec<Upstream>) {
        let map = &*self.map;
        out.clear();
        let input = |r: ProfileIx, item: ItemIx, critical: bool, weight: f64, days: f64| Upstream {
            node: Node::Avail(r, item),
            weight: if critical { 1.0 } else { weight },
            days,
            critical,
        };
        match node {
            Node::Line(l) => {
                let line = map.line(l);
                let r = self.line_profile(l);
                out.extend(map.recipe(line.item).iter().map(|u| {
                    let days = map.items[u.item as usize].inventory_days;
                    input(r, u.item, u.critical, u.weight, days)
                }));
                out.extend(
                    map.consumes(line.firm)
                        .iter()
                        .map(|u| input(r, u.item, u.critical, u.weight, u.inventory_days)),
                );
                self.keep_binding(out);
            }
            Node::Avail(r, i) if map.is_assembled(i) => {
                out.extend(map.recipe(i).iter().map(|u| {
                    let days = map.items[u.item as usize].inventory_days;
                    input(r, u.item, u.critical, u.weight, days)
                }));
                self.keep_binding(out);
            }
            Node::Avail(_, i) => {
                let off = map.lines_offset(i);
                let n = map.producers(i).len();
                out.extend(
                    self.line_weight[off as usize..off as usize + n]
                        .iter()
                        .enumerate()
                        .map(|(k, w)| Upstream {
                            node: Node::Line(off + k as LineIx),
                            weight: *w,
                            days: 0.0,
                            critical: false,
                        }),
                );
            }
        }
    }

    /// Drops the critical inputs that do not bind and are short by less
    /// than [`UNBOUND_FLOOR`]. A reader takes the least of its critical
    /// inputs, so one standing above that least passes none of its
    /// shortfall on while the least lasts; but the least may come late or
    /// end soon, and until it comes, or once it is over, the other is the
    /// shortage: a fab cut from gas with 5 days of stock (60% left) and from
    /// tools with 300 (0% left, for 30 days) runs at 60% from day 5 (QA:
    /// dropping the gas, or keeping it only when short by half the fab's
    /// shortfall, gave a risk that fell when the tool fire grew). Each part
    /// is timed on its own (see [`Trace::arrivals`]), so a slight one cannot
    /// time the shortage; left out, one moves the risk by less than its
    /// shortfall (before, a 1% strike at a gas maker, 0.07% short where the
    /// tools were 44% short, was named a driver of photolithography and set
    /// its time to impact).
    fn keep_binding(&self, out: &mut Vec<Upstream>) {
        let least = out
            .iter()
            .filter(|u| u.critical)
            .map(|u| self.value_of(u.node))
            .fold(f64::INFINITY, f64::min);
        if least.is_finite() {
            let limit = least + self.error_bound();
            out.retain(|u| {
                let v = self.value_of(u.node);
                !u.critical || v <= limit || 1.0 - v >= UNBOUND_FLOOR
            });
        }
    }

    /// What the shocks acting on `node` itself take from it on their own,
    /// its inputs at full: a line's lost capacity, an item's scarcity and
    /// cuts. Not its shortfall: a strike of 1% at a maker whose input is 80%
    /// short takes 1%, not the 80% it inherits from upstream (QA: weighed by
    /// its shortfall, it held half of every shortage below it and set its
    /// timing). And not what is left after another shock at the same place:
    /// a control on a tool whose only maker is burnt out would still cut it
    /// all when the fire is over, so it weighs all, not nothing.
    fn own_drop(&self, node: Node) -> f64 {
        self.drop_by(node, None)
    }

    /// What shock `number` alone takes from `node`, its inputs at full (see
    /// [`Engine::own_drop`]).
    pub(super) fn own_drop_by(&self, node: Node, number: u32) -> f64 {
        self.drop_by(node, Some(number))
    }

    /// What the shocks at `node` take from it, its inputs at full: all of
    /// them, or only shock `only`.
    fn drop_by(&self, node: Node, only: Option<u32>) -> f64 {
        let map = &*self.map;
        let counts = |s: u32| only.is_none_or(|o| o == s);
        let drop = match node {
            Node::Line(l) if only.is_none() => self.line_loss[l as usize],
            Node::Line(l) => {
                let line = map.line(l);
                let kept: f64 = self
                    .local
                    .firm_losses
                    .get(&line.firm)
                    .into_iter()
                    .flatten()
                    .filter(|(s, items, _)| {
                        counts(*s)
                            && items
                                .as_ref()
                                .is_none_or(|items| items.binary_search(&line.item).is_ok())
                    })
                    .map(|(_, _, loss)| 1.0 - loss)
                    .product();
                1.0 - kept
            }
            Node::Avail(r, i) => {
                let scarce: f64 = if only.is_none() {
                    self.item_factor[i as usize]
                } else {
                    self.local
                        .scarcity
                        .get(&i)
                        .into_iter()
                        .flatten()
                        .filter(|(s, _)| counts(*s))
                        .map(|(_, loss)| 1.0 - loss)
                        .product()
                };
                let kept = if map.is_assembled(i) {
                    1.0
                } else {
                    let p = self.profile(r);
                    let off = map.lines_offset(i) as usize;
                    map.producers(i)
                        .iter()
                        .enumerate()
                        .map(|(k, line)| {
                            let cut = if only.is_none() {
                                p.cut(map, line)
                            } else {
                                let subject = &map.firms[line.firm as usize].subject_to;
                                let kept: f64 = p
                                    .rules
                                    .iter()
                                    .filter(|rule| {
                                        counts(rule.shock)
                                            && rule.items.covers(line.item)
                                            && subject.contains(&rule.issuer)
                                    })
                                    .map(|rule| 1.0 - rule.cut)
                                    .product();
                                1.0 - kept
                            };
                            self.line_weight[off + k] * (1.0 - cut)
                        })
                        .sum::<f64>()
                        + self.unrecorded[i as usize]
                };
                1.0 - (kept * scarce).clamp(0.0, 1.0)
            }
        };
        drop.clamp(0.0, 1.0)
    }

    /// A node's value: a line's output, or an item's availability to a
    /// profile (computed for a value a sparse profile does not keep).
    fn value_of(&self, node: Node) -> f64 {
        match node {
            Node::Line(l) => self.line_out[l as usize],
            Node::Avail(r, i) => self.availability(r, i),
        }
    }

    /// Lines of `item` whose deliveries to profile `r` a measure cuts, with
    /// the fraction cut and the measures doing it.
    pub fn cut_lines(&self, r: ProfileIx, item: ItemIx) -> Vec<(LineIx, f64, Vec<u32>)> {
        let map = &*self.map;
        let p = self.profile(r);
        let off = map.lines_offset(item);
        map.producers(item)
            .iter()
            .enumerate()
            .filter_map(|(k, line)| {
                let by: Vec<u32> = p.cutting(map, line).collect();
                (!by.is_empty()).then(|| (off + k as u32, p.cut(map, line), by))
            })
            .collect()
    }
}

/// Per item, its producers' positions from the item's first line, by
/// falling weight (ties by position), laid out like the lines.
pub(super) fn heaviest_first(map: &ChainMap, line_weight: &[f64]) -> Vec<u32> {
    let mut order = Vec::with_capacity(map.line_count());
    for i in 0..map.items.len() as ItemIx {
        let off = map.lines_offset(i) as usize;
        let weights = &line_weight[off..off + map.producers(i).len()];
        let start = order.len();
        order.extend(0..weights.len() as u32);
        order[start..].sort_by(|a, b| {
            weights[*b as usize]
                .total_cmp(&weights[*a as usize])
                .then(a.cmp(b))
        });
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::parse_str;

    #[test]
    fn parts_of_a_shock_on_one_day_add_up_and_keep_their_weights() {
        let part = |shock, weight, day| Arrival { shock, weight, day };
        // Shock 1 acts on three nodes, two reaching on day 5: 0.3 + 0.2 on
        // day 5, and 0.6 on day 300, kept though they sum to 1.1. An
        // unknown day goes last.
        let got = gathered(vec![
            part(2, 0.1, None),
            part(1, 0.6, Some(300.0)),
            part(1, 0.3, Some(5.0)),
            part(2, 0.2, Some(7.0)),
            part(1, 0.2, Some(5.0)),
        ]);
        assert_eq!(
            got,
            [
                part(1, 0.5, Some(5.0)),
                part(1, 0.6, Some(300.0)),
                part(2, 0.2, Some(7.0)),
                part(2, 0.1, None),
            ]
        );
    }

    #[test]
    fn producers_are_taken_heaviest_first_ties_in_map_order() {
        let json = r#"{
          "version": 1, "home": "CN",
          "chains": [{"id": "ic", "name": "test"}],
          "items": [
            {"id": "X", "name": "x", "inventory_days": 0, "chains": ["ic"]},
            {"id": "Y", "name": "y", "inventory_days": 0, "chains": ["ic"]}
          ],
          "firms": [
            {"id": "A", "name": "A", "country": "JP", "produces": [{"item": "X", "share": 0.1}, {"item": "Y", "share": 0.2}]},
            {"id": "B", "name": "B", "country": "JP", "produces": [{"item": "X", "share": 0.6}]},
            {"id": "C", "name": "C", "country": "JP", "produces": [{"item": "X", "share": 0.1}, {"item": "Y", "share": 0.7}]}
          ]
        }"#;
        let (_, map) = parse_str(json, "test").expect("valid map");
        let weights: Vec<f64> = (0..map.line_count() as LineIx)
            .map(|l| map.line(l).share)
            .collect();
        let order = heaviest_first(&map, &weights);
        let firms = |i: ItemIx| -> Vec<&str> {
            let off = map.lines_offset(i) as usize;
            order[off..off + map.producers(i).len()]
                .iter()
                .map(|k| {
                    map.firms[map.line((off + *k as usize) as LineIx).firm as usize]
                        .id
                        .as_str()
                })
                .collect()
        };
        assert_eq!(firms(map.item("X").unwrap()), ["B", "A", "C"]);
        assert_eq!(firms(map.item("Y").unwrap()), ["C", "A"]);
        assert_eq!(order.len(), map.line_count());
    }
}
