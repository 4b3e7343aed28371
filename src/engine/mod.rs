//! Propagation of shocks through the chain map: production lines' output
//! ratios and items' availability to each buyer profile, kept at the greatest
//! fixed point of the propagation contract (DESIGN.md) under the active shocks.
//!
//! Incremental: a change evaluates only what lies downstream of it, in rank
//! order (see [`rank`]), from the current state. A new shock can only lower
//! values. An amend or end may raise them; where a cycle could hold itself
//! down (a group without a contraction certificate) the damaged part of that
//! group is first lifted back to 1 so that it descends to the greatest fixed
//! point; everywhere else the fixed point given the inputs is unique and
//! evaluation rises to it. Both end where a full sweep from 1 ends, cycles
//! included, which the tests check against [`Engine::recompute_full`].
//!
//! A change goes node by node from a queue by rank while it stays small;
//! one that reaches a sixty-fourth of the map turns to an ordered sweep of
//! what is stale (see [`sweep`]), which evaluates the same nodes for a
//! fraction of the cost each.

mod buyers;
mod dependents;
mod drivers;
mod gain;
mod gates;
mod influence;
mod lines;
mod node;
mod overlap;
mod profile_moves;
mod profiles;
mod rank;
mod stale;
mod state;
mod sweep;
mod waves;
mod work;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::PropagationConfig;
use crate::map::{ChainMap, FirmIx, Input, ItemIx, LineIx, NodeRef};
use crate::shock::{Effect, Shock, ShockKey};

use buyers::{BuyerCode, Buyers};
use dependents::Readers;
use drivers::Upstream;
pub use drivers::{
    bulk, bulk_arrival, by_day, day_number, gathered, Arrival, Trace, ATTRIBUTION_FLOOR,
    UNBOUND_FLOOR,
};
pub use influence::Influence;
use lines::LineReads;
pub use node::{Node, ProfileIx};
pub use overlap::Overlap;
use profile_moves::ProfileMoves;
pub use profiles::{Profile, ProfileKey, Rule};
use state::LocalLosses;
use work::Work;

#[derive(Debug, Clone)]
pub struct Active {
    pub number: u32,
    pub shock: Shock,
}

/// What one change did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Items whose availability to home buyers moved.
    pub items: Vec<ItemIx>,
    /// Firms whose output (or, for pure consumers, input) moved.
    pub firms: Vec<FirmIx>,
    /// Node evaluations spent.
    pub evaluations: u64,
    /// True when some node hit `max_visits` on a cycle before settling.
    pub bounded: bool,
    /// Nodes whose own state the change set (a line's loss, an item's
    /// scarcity, a line whose new buyer profile sees one of its inputs
    /// differently) or whose stored value moved, each
    /// with the larger of its shortfalls before and after: all a drivers
    /// trace can have seen change (see [`Engine::influence`]).
    pub touched: Vec<(Node, f64)>,
    /// True when anything may have changed: after a full recomputation, or
    /// a change of measures (which can move buyers, home buyers included,
    /// between profiles).
    pub swept: bool,
}

impl Outcome {
    pub fn nodes(&self) -> impl Iterator<Item = NodeRef> + '_ {
        self.items
            .iter()
            .map(|i| NodeRef::Item(*i))
            .chain(self.firms.iter().map(|f| NodeRef::Firm(*f)))
    }
}

/// Maps with fewer nodes than this never finish an update by a sweep.
const SWEEP_MIN_NODES: usize = 4096;
/// An update that has evaluated or queued more than this share of the
/// nodes turns to an ordered sweep of what is stale. A node evaluated from
/// the queue costs several times one evaluated in a sweep (its stamps, its
/// readers' pushes, a cache miss each: about 400 against 100 ns at 1M
/// firms), so a large update is cheaper swept. `chainwatch bench` at 1M
/// firms (mean, p99, max of 100 updates in ms): 1/8 gave 57, 465, 571;
/// 1/16 46, 447, 476; 1/32 47, 444, 446. Once sweeps ran on two cores the
/// balance moved again (30 November, two runs each, mean and p90): 1/16
/// 21.7-26.2 and 58-77, 1/64 18.9-20.3 and 50-52, 1/256 18.6-18.8 and
/// 50-51, p99 and full recomputation within noise; at 10k firms 1/64 was
/// 4% faster on the mean, at 100k within noise.
const SWEEP_AFTER_SHARE: usize = 64;

pub struct Engine {
    map: Arc<ChainMap>,
    cfg: PropagationConfig,
    order: rank::Order,
    /// Largest dead-band gain of the map (see [`gain`]).
    gain: f64,
    /// Largest finite one, and the items past any certificate.
    certified_gain: f64,
    uncertified: Vec<ItemIx>,
    share_total: Vec<f64>,
    /// Every line's weight in its item's availability, worked out once.
    line_weight: Vec<f64>,
    /// Per item, the supply no recorded producer accounts for (shares
    /// summing under 1): other makers, untouched by any shock on a maker.
    unrecorded: Vec<f64>,
    /// Per item, its producers' positions (from the item's first line) by
    /// falling weight: a drivers trace stops at the first that cannot matter.
    heaviest_first: Vec<u32>,
    shocks: BTreeMap<ShockKey, Active>,
    by_number: HashMap<u32, ShockKey>,
    next_number: u32,
    local: LocalLosses,
    line_loss: Vec<f64>,
    item_factor: Vec<f64>,
    line_out: Vec<f64>,
    /// Stable slots: a profile keeps its index while it lives.
    profiles: Vec<Option<Profile>>,
    profile_index: BTreeMap<ProfileKey, ProfileIx>,
    /// Who buys under which profile (see [`buyers`]).
    buyers: Buyers,
    /// What evaluating a line reads, in line order (see [`lines`]).
    line_reads: LineReads,
    /// Per item, the lines that read it (see [`dependents`]).
    readers: Readers,
    home: ProfileIx,
    work: Work,
    /// Evaluations (and queued nodes) after which an update turns to an
    /// ordered sweep of what is stale, when set; otherwise a share of the
    /// node count (see `propagate`).
    sweep_after: Option<u64>,
}

impl Engine {
    /// An engine with no shock: every node at full supply.
    pub fn new(map: Arc<ChainMap>, cfg: PropagationConfig) -> Engine {
        let n_items = map.items.len();
        let share_total: Vec<f64> = (0..n_items as ItemIx)
            .map(|i| map.producers(i).iter().map(|l| l.share).sum())
            .collect();
        let line_weight: Vec<f64> = (0..map.line_count() as LineIx)
            .map(|l| {
                let line = map.line(l);
                producer_weight(&map, share_total[line.item as usize], line.item, line.share)
            })
            .collect();
        let unrecorded: Vec<f64> = share_total
            .iter()
            .map(|t| if *t > 0.0 { (1.0 - t).max(0.0) } else { 0.0 })
            .collect();
        let heaviest_first = drivers::heaviest_first(&map, &line_weight);
        let mut profile_index = BTreeMap::new();
        profile_index.insert(ProfileKey::Open, 0);
        let (order, gains) = rank::order(&map, |i, share| {
            producer_weight(&map, share_total[i as usize], i, share)
        });
        let work = Work::new(map.line_count(), n_items, 2 * n_items + 2);
        let readers = Readers::new(&map, &order);
        Engine {
            work,
            order,
            gain: gains.max(),
            certified_gain: gains.max_certified(),
            uncertified: gains.uncertified(),
            share_total,
            line_weight,
            unrecorded,
            heaviest_first,
            shocks: BTreeMap::new(),
            by_number: HashMap::new(),
            next_number: 0,
            local: LocalLosses::default(),
            line_loss: vec![0.0; map.line_count()],
            item_factor: vec![1.0; n_items],
            line_out: vec![1.0; map.line_count()],
            profiles: vec![Some(Profile::new(
                &map,
                ProfileKey::Open,
                Vec::new(),
                vec![1.0; n_items],
            ))],
            profile_index,
            buyers: Buyers::new(&map),
            line_reads: LineReads::new(&map),
            readers,
            home: 0,
            sweep_after: None,
            cfg,
            map,
        }
    }

    pub fn map(&self) -> &Arc<ChainMap> {
        &self.map
    }

    pub fn set_config(&mut self, cfg: PropagationConfig) {
        self.cfg = cfg;
    }

    /// Sets the evaluations (and queued nodes) after which an update stops
    /// going node by node and sweeps what is stale instead (`None`: a
    /// sixty-fourth of the map's node count, and never on maps under 4096
    /// nodes). Lets tests exercise the sweep.
    pub fn set_sweep_after(&mut self, evaluations: Option<u64>) {
        self.sweep_after = evaluations;
    }

    /// Puts a shock in force, replacing any shock with the same key.
    pub fn set(&mut self, shock: Shock) -> Outcome {
        let key = shock.key.clone();
        let mut touched = Touched::default();
        let replaced = self.shocks.remove(&key);
        if let Some(old) = &replaced {
            self.by_number.remove(&old.number);
            touched.add(self.local.remove(old.number, &old.shock.effects));
        }
        let number = self.next_number;
        self.next_number += 1;
        touched.add(self.local.add(number, &shock.effects));
        let measure_changed = has_measure(&shock.effects)
            || replaced
                .as_ref()
                .is_some_and(|old| has_measure(&old.shock.effects));
        self.by_number.insert(number, key.clone());
        self.shocks.insert(key, Active { number, shock });
        self.settle(touched, measure_changed, replaced.is_some())
    }

    /// Ends a shock; nothing happens if it is not in force.
    pub fn end(&mut self, key: &ShockKey) -> Outcome {
        let Some(old) = self.shocks.remove(key) else {
            return Outcome::default();
        };
        self.by_number.remove(&old.number);
        let touched = Touched::from(self.local.remove(old.number, &old.shock.effects));
        self.settle(touched, has_measure(&old.shock.effects), true)
    }

    /// Brings profiles and local losses up to date, then propagates. Profiles
    /// go first so that sources name only profiles that still exist.
    fn settle(&mut self, touched: Touched, measure_changed: bool, lift: bool) -> Outcome {
        let mut sources = Vec::new();
        let home_before = measure_changed.then(|| self.home_avail().to_vec());
        if measure_changed {
            self.rebuild_profiles(&mut sources);
        }
        self.refresh_local(&touched.firms, &touched.items, &mut sources);
        let mut outcome = self.propagate(sources, lift);
        outcome.swept |= measure_changed;
        match home_before {
            Some(before) => self.with_home_moves(outcome, &before),
            None => outcome,
        }
    }

    /// A measure can move home buyers to another profile; then items move for
    /// home buyers without any node changing value, so compare the views.
    fn with_home_moves(&self, mut outcome: Outcome, before: &[f64]) -> Outcome {
        let eps = self.cfg.epsilon;
        let now = self.home_avail();
        outcome.items = (0..now.len())
            .filter(|i| (now[*i] - before[*i]).abs() > eps)
            .map(|i| i as ItemIx)
            .collect();
        outcome
    }

    // ---- reading ----

    pub fn shocks(&self) -> impl Iterator<Item = &Active> {
        self.shocks.values()
    }

    pub fn shock(&self, number: u32) -> Option<&Active> {
        self.by_number.get(&number).and_then(|k| self.shocks.get(k))
    }

    pub fn home_profile(&self) -> ProfileIx {
        self.home
    }

    pub fn profile(&self, r: ProfileIx) -> &Profile {
        self.profiles[r as usize]
            .as_ref()
            .expect("profile indices handed out are live")
    }

    fn profile_mut(&mut self, r: ProfileIx) -> &mut Profile {
        self.profiles[r as usize]
            .as_mut()
            .expect("profile indices handed out are live")
    }

    pub fn live_profiles(&self) -> impl Iterator<Item = ProfileIx> + '_ {
        self.profiles
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_some())
            .map(|(r, _)| r as ProfileIx)
    }

    pub fn firm_profile(&self, firm: FirmIx) -> ProfileIx {
        self.buyers.firm(firm)
    }

    /// The profile line `l` reads its inputs under: its firm's.
    fn line_profile(&self, l: LineIx) -> ProfileIx {
        self.buyers.resolve(self.line_reads.buyer(l))
    }

    /// Availability of each item to buyers in the home country.
    pub fn home_avail(&self) -> &[f64] {
        &self.profile(self.home).avail
    }

    /// Availability of `item` to buyers of profile `r`. A blocked firm's
    /// profile keeps only what the firm reads; other items are computed here
    /// from the producers' current output, which is what keeping them would
    /// have given.
    pub fn availability(&self, r: ProfileIx, item: ItemIx) -> f64 {
        let p = self.profile(r);
        if p.owns(item) {
            p.avail[item as usize]
        } else {
            self.availability_on_demand(r, item)
        }
    }

    /// A value a sparse profile does not keep, settled the way a full
    /// recomputation settles it: the items it is made from in place (if any)
    /// that the profile does not keep either, swept by rank from full supply,
    /// and swept again only if they close a cycle.
    fn availability_on_demand(&self, r: ProfileIx, item: ItemIx) -> f64 {
        let map = &*self.map;
        let p = self.profile(r);
        let mut vals: HashMap<ItemIx, f64> = HashMap::new();
        let mut stack = vec![item];
        while let Some(i) = stack.pop() {
            if p.owns(i) || vals.contains_key(&i) {
                continue;
            }
            vals.insert(i, 1.0);
            if map.is_assembled(i) {
                stack.extend(map.recipe(i).iter().map(|u| u.item));
            }
        }
        let mut order: Vec<ItemIx> = vals.keys().copied().collect();
        order.sort_unstable_by_key(|i| self.order.rank[*i as usize]);
        let cyclic = order
            .iter()
            .any(|i| self.order.cyclic[self.order.group[*i as usize] as usize]);
        let eps = self.cfg.epsilon;
        let mut sweeps = 0;
        loop {
            let mut moved = false;
            for &i in &order {
                let v = self.avail_rule(r, i, |j| {
                    vals.get(&j).copied().unwrap_or(p.avail[j as usize])
                });
                let slot = vals.get_mut(&i).expect("collected above");
                moved |= (v - *slot).abs() > eps;
                *slot = v;
            }
            sweeps += 1;
            if !cyclic || !moved || sweeps >= self.cfg.max_visits {
                break;
            }
        }
        vals[&item]
    }

    pub fn line_output(&self, line: LineIx) -> f64 {
        self.line_out[line as usize]
    }

    pub fn line_loss(&self, line: LineIx) -> f64 {
        self.line_loss[line as usize]
    }

    pub fn local(&self) -> &LocalLosses {
        &self.local
    }

    /// A node's supply ratio as it is assessed: an item's availability to
    /// home buyers, a firm's [`Engine::firm_supply`].
    pub fn supply(&self, node: NodeRef) -> f64 {
        match node {
            NodeRef::Item(i) => self.availability(self.home, i),
            NodeRef::Firm(f) => self.firm_supply(f),
        }
    }

    /// A firm's supply ratio: the mean output ratio of its lines, or for a
    /// firm that only consumes, what its inputs allow.
    pub fn firm_supply(&self, firm: FirmIx) -> f64 {
        let lines = self.map.lines_of_firm(firm);
        if lines.is_empty() {
            let a = &self.profile(self.buyers.firm(firm)).avail;
            return combine(self.map.consumes(firm).iter(), a);
        }
        lines
            .iter()
            .map(|l| self.line_out[*l as usize])
            .sum::<f64>()
            / lines.len() as f64
    }

    /// A producer's weight in its item's supply: its share of world supply
    /// (equal weights when no producer has a share). Shares summing under 1
    /// leave the rest to makers the map does not record, which no shock on
    /// a maker reaches.
    pub fn producer_weight(&self, item: ItemIx, share: f64) -> f64 {
        producer_weight(&self.map, self.share_total[item as usize], item, share)
    }

    pub fn value(&self, node: Node) -> f64 {
        match node {
            Node::Line(l) => self.line_out[l as usize],
            Node::Avail(r, i) => self.profile(r).avail[i as usize],
        }
    }

    pub fn epsilon(&self) -> f64 {
        self.cfg.epsilon
    }

    /// How far any kept value can stand from the exact fixed point of the
    /// shocks in force: epsilon times the map's largest dead-band gain (see
    /// [`gain`]), and never more than 1. Values an uncertified cycle feeds
    /// ([`Engine::uncertified_items`]) have no bound below 1; they are left
    /// out, so that such a cycle does not blind the rest of the map.
    pub fn error_bound(&self) -> f64 {
        (self.cfg.epsilon * self.certified_gain).min(1.0)
    }

    /// Items whose availability a cycle that cannot be certified to contract
    /// feeds (a cycle of critical inputs only, a firm that needs its own
    /// product): their values are only known to lie in 0..1.
    pub fn uncertified_items(&self) -> &[ItemIx] {
        &self.uncertified
    }

    /// The map's largest dead-band gain: the error bound per unit of epsilon.
    pub fn deadband_gain(&self) -> f64 {
        self.gain
    }

    /// Bytes held by the per-node state (map excluded).
    pub fn state_bytes(&self) -> usize {
        let profiles: usize = self
            .profiles
            .iter()
            .flatten()
            .map(|p| {
                p.avail.capacity() * 8
                    + p.cuts.heap_bytes()
                    + p.own.as_ref().map_or(0, |o| o.heap_bytes())
            })
            .sum();
        self.line_loss.capacity() * 8
            + self.line_out.capacity() * 8
            + self.item_factor.capacity() * 8
            + self.share_total.capacity() * 8
            + self.line_weight.capacity() * 8
            + self.unrecorded.capacity() * 8
            + self.heaviest_first.capacity() * 4
            + self.order.heap_bytes()
            + self.buyers.heap_bytes()
            + self.line_reads.heap_bytes()
            + self.readers.heap_bytes()
            + self.work.heap_bytes()
            + profiles
    }

    // ---- evaluation ----

    /// What line `l`'s inputs allow it to make, before its own loss.
    #[inline]
    fn line_inputs(&self, l: LineIx) -> f64 {
        let map = &*self.map;
        let reads = &self.line_reads;
        let a = &self.profile(self.line_profile(l)).avail;
        let mut mix = Mix::FULL;
        for u in map.recipe(reads.item(l)) {
            mix = mix.read(u.critical, u.weight, a[u.item as usize]);
        }
        for u in reads.bought(l) {
            mix = mix.read(u.critical, u.weight, a[u.item as usize]);
        }
        mix.value()
    }

    fn eval(&self, node: Node) -> f64 {
        match node {
            Node::Line(l) => (1.0 - self.line_loss[l as usize]) * self.line_inputs(l),
            Node::Avail(r, i) => {
                let avail = &self.profile(r).avail;
                self.avail_rule(r, i, |j| avail[j as usize])
            }
        }
    }

    /// An item's availability to profile `r`, reading the availability of
    /// what it is made from (for an item made in place) through `read`.
    fn avail_rule(&self, r: ProfileIx, i: ItemIx, read: impl Fn(ItemIx) -> f64) -> f64 {
        let map = &*self.map;
        if map.is_assembled(i) {
            let base = combine_with(map.recipe(i).iter(), read);
            (base * self.item_factor[i as usize]).clamp(0.0, 1.0)
        } else {
            self.produced_avail(r, i, self.uncut_supply(i))
        }
    }

    /// Σ weight × output over produced item `i`'s recorded makers: what a
    /// buyer no measure cuts gets of them, and what every profile's
    /// availability starts from. A sweep computes it once for all profiles
    /// (summing every maker once per live profile cost 19 passes over an
    /// item's makers at 1M firms).
    fn uncut_supply(&self, i: ItemIx) -> f64 {
        let map = &*self.map;
        let off = map.lines_offset(i) as usize;
        let n = map.producers(i).len();
        self.line_weight[off..off + n]
            .iter()
            .zip(&self.line_out[off..off + n])
            .map(|(w, o)| w * o)
            .sum()
    }

    /// Produced item `i`'s availability to profile `r`, given its
    /// [`uncut_supply`](Self::uncut_supply): that less what the profile's
    /// cuts stop, plus the makers the map does not record, under scarcity.
    fn produced_avail(&self, r: ProfileIx, i: ItemIx, uncut: f64) -> f64 {
        let map = &*self.map;
        let p = self.profile(r);
        let off = map.lines_offset(i) as usize;
        let stopped = |k: usize, cut: f64| self.line_weight[off + k] * self.line_out[off + k] * cut;
        let cut: f64 = if p.owns(i) {
            p.cuts
                .of(i)
                .iter()
                .map(|&(k, c)| stopped(k as usize, c))
                .sum()
        } else {
            // A sparse profile lists cuts only where propagation reads them;
            // an uncut maker adds an exact zero, so both sums agree.
            map.producers(i)
                .iter()
                .enumerate()
                .map(|(k, line)| stopped(k, p.cut(map, line)))
                .sum()
        };
        let base = uncut - cut + self.unrecorded[i as usize];
        (base * self.item_factor[i as usize]).clamp(0.0, 1.0)
    }

    fn rank(&self, node: Node) -> u32 {
        match node {
            Node::Line(l) => dependents::line_rank(&self.order, self.line_reads.item(l)),
            Node::Avail(_, i) => dependents::avail_rank(&self.order, i),
        }
    }

    fn needs_lift(&self, node: Node) -> bool {
        match node {
            Node::Line(l) => self.order.needs_lift(self.map.line(l).item),
            Node::Avail(_, i) => self.order.needs_lift(i),
        }
    }

    fn set_value(&mut self, node: Node, v: f64) {
        match node {
            Node::Line(l) => self.line_out[l as usize] = v,
            Node::Avail(r, i) => self.profile_mut(r).avail[i as usize] = v,
        }
    }

    /// Settles the values downstream of `sources`; with `lift`, first raises
    /// their damaged cone to 1 so that values may rise as well as fall.
    fn propagate(&mut self, sources: Vec<Node>, lift: bool) -> Outcome {
        let eps = self.cfg.epsilon;
        let mut work = std::mem::take(&mut self.work);
        let slots = self.profiles.len();
        let mut outcome = Outcome::default();
        let mut touched_firms: Vec<FirmIx> = Vec::new();

        let cone = if lift && self.order.any_lift() {
            self.damaged_cone(&mut work, &sources)
        } else {
            Vec::new()
        };
        // Past this many evaluations an ordered sweep of what is left, at a
        // fraction of the cost per node, is cheaper than carrying on node by
        // node. Small maps never sweep: it saves nothing there, and the
        // node-by-node path stays the one their tests exercise.
        let nodes = self.map.line_count() + self.live_profiles().count() * self.map.items.len();
        let budget = match self.sweep_after {
            Some(b) => b,
            None if nodes < SWEEP_MIN_NODES => u64::MAX,
            None => (nodes / SWEEP_AFTER_SHARE) as u64,
        };
        // So many sources that queueing them costs more than sweeping.
        let sweep_now = (sources.len() + 2 * cone.len()) as u64 > budget;
        work.begin(slots);
        for node in &cone {
            let ix = work.index(*node);
            work.save(ix, self.value(*node));
            self.set_value(*node, 1.0);
        }
        // What is left to sweep, once the update turns to sweeping.
        let mut rest: Option<stale::Stale> = None;
        if sweep_now {
            let mut stale = stale::Stale::none(self.map.items.len(), self.map.line_count());
            for node in sources.iter().chain(&cone) {
                self.mark_stale(*node, self.rank(*node), &mut stale);
            }
            // As below: what reads a lifted node must hear of the lift.
            for node in &cone {
                if let Node::Avail(r, i) = *node {
                    self.mark_readers(i, &mut stale);
                    self.push_consumers(r, i, &mut touched_firms);
                }
            }
            rest = Some(stale);
        }
        let mut dependents = Vec::new();
        if !sweep_now {
            for node in sources.iter().chain(&cone) {
                work.push(work.index(*node), self.rank(*node));
            }
            // Readers outside the cone must hear of the lift: a lifted node
            // that settles back at 1 moves no further, so nothing else would
            // tell them (QA: what an uncertified cycle fed stayed collapsed
            // after it recovered).
            for node in &cone {
                dependents.clear();
                self.dependents(*node, &mut dependents, &mut touched_firms);
                for &(dep, rank) in &dependents {
                    work.push(work.index(dep), rank);
                }
            }
        }
        while let Some(ix) = work.pop() {
            let node = work.node(ix);
            if outcome.evaluations + work.queued() as u64 > budget {
                // The queue pops by rank, so every group before this node's
                // has settled: sweeping what is queued and what it reaches
                // finishes the update and keeps what was done. (Undoing the
                // update and recomputing everything cost up to the budget,
                // at 5 to 7 times a sweep's cost per node, plus a whole
                // sweep: 1.6 s at 1M firms, where a sweep takes 0.3 s.)
                rest = Some(self.stale_from_queue(&mut work, [(node, self.rank(node))]));
                break;
            }
            if work.visit(ix) > self.cfg.max_visits {
                outcome.bounded = true;
                continue;
            }
            let new = self.eval(node);
            outcome.evaluations += 1;
            let old = self.value(node);
            // A move within epsilon is not stored either: readers keep the
            // value they were computed from, so every node stays within
            // epsilon of its rule and small moves cannot pile up unseen
            // over many updates (see `gain`).
            if (new - old).abs() <= eps {
                continue;
            }
            work.save(ix, old);
            self.set_value(node, new);
            dependents.clear();
            self.dependents(node, &mut dependents, &mut touched_firms);
            // A big maker's item can have a hundred thousand readers:
            // queueing them, to sweep them at the next pop, cost 20-30 ms
            // at 1M firms.
            if outcome.evaluations + (work.queued() + dependents.len()) as u64 > budget {
                rest = Some(self.stale_from_queue(&mut work, dependents.iter().copied()));
                break;
            }
            for &(dep, rank) in &dependents {
                work.push(work.index(dep), rank);
            }
        }

        if let Some(mut stale) = rest {
            let moves = sweep::Moves {
                work: &mut work,
                consumers: &mut touched_firms,
            };
            let (evaluations, bounded) = self.sweep_groups(&mut stale, Some(moves));
            outcome.evaluations += evaluations;
            outcome.bounded |= bounded;
        }

        // What a trace may have seen change: the sources, then every node
        // that moved with the larger of its shortfalls (a source that also
        // moved is listed again with its value before).
        let home = self.home;
        let mut touched = Vec::with_capacity(sources.len() + work.originals.len());
        touched.extend(sources.iter().map(|n| (*n, 1.0 - self.value(*n))));
        for &(ix, before) in &work.originals {
            let node = work.node(ix);
            let now = self.value(node);
            touched.push((node, (1.0 - before).max(1.0 - now)));
            if (now - before).abs() <= eps {
                continue;
            }
            match node {
                Node::Line(l) => touched_firms.push(self.map.line(l).firm),
                Node::Avail(r, i) if r == home => outcome.items.push(i),
                Node::Avail(..) => {}
            }
        }
        outcome.touched = touched;
        outcome.firms = work.sorted_distinct(touched_firms);
        self.work = work;
        outcome.items.sort_unstable();
        outcome
    }

    /// Turns what is left of an update to sweeping: `first` and whatever is
    /// still queued become stale, each with its rank (which names a line's
    /// item without reading the line's record: marking the 200 000 nodes
    /// queued when a big update turns cost 17-30 ms at 1M firms, two cache
    /// misses each). The queue pops by rank, so every group before the first
    /// of them has settled and nothing done is lost.
    fn stale_from_queue(
        &self,
        work: &mut Work,
        first: impl IntoIterator<Item = (Node, u32)>,
    ) -> stale::Stale {
        let mut stale = stale::Stale::none(self.map.items.len(), self.map.line_count());
        for (node, rank) in first {
            self.mark_stale(node, rank, &mut stale);
        }
        work.drain(|node, rank| self.mark_stale(node, rank, &mut stale));
        stale
    }

    /// Nodes downstream of `sources` that stand below full supply (sources
    /// included) and lie in a group that may hold itself down (see
    /// [`rank`]): the only ones that must be lifted before they can rise.
    /// Elsewhere the fixed point given the inputs is unique, so evaluation
    /// from the current state rises to it.
    fn damaged_cone(&self, work: &mut Work, sources: &[Node]) -> Vec<Node> {
        let limit = 1.0 - self.cfg.epsilon;
        work.begin(self.profiles.len());
        let mut stack: Vec<Node> = Vec::new();
        let mut cone = Vec::new();
        for node in sources {
            if work.mark(work.index(*node)) {
                stack.push(*node);
                // The sources themselves may sit on a cycle that holds them down.
                if self.value(*node) < limit && self.needs_lift(*node) {
                    cone.push(*node);
                }
            }
        }
        let mut deps = Vec::new();
        let mut ignored = Vec::new();
        while let Some(node) = stack.pop() {
            deps.clear();
            self.dependents(node, &mut deps, &mut ignored);
            for &(dep, _) in &deps {
                if self.value(dep) < limit && work.mark(work.index(dep)) {
                    if self.needs_lift(dep) {
                        cone.push(dep);
                    }
                    stack.push(dep);
                }
            }
        }
        cone
    }

    // ---- shocks to sources ----

    fn refresh_local(&mut self, firms: &[FirmIx], items: &[ItemIx], sources: &mut Vec<Node>) {
        for &f in firms {
            for &l in self.map.lines_of_firm(f) {
                self.line_loss[l as usize] = self.local.line_loss(&self.map, l);
                sources.push(Node::Line(l));
            }
        }
        let live: Vec<ProfileIx> = self.live_profiles().collect();
        for &i in items {
            self.item_factor[i as usize] = self.local.item_factor(i);
            sources.extend(
                live.iter()
                    .filter(|r| self.profile(**r).owns(i))
                    .map(|r| Node::Avail(*r, i)),
            );
        }
    }

    /// Re-derives buyer profiles from the measures in force. New profiles
    /// start from the values of the profile their buyers had, which lie above
    /// the new fixed point, so descending from them is sound.
    fn rebuild_profiles(&mut self, sources: &mut Vec<Node>) {
        let map = Arc::clone(&self.map);
        let wanted = profiles::rules_by_key(
            &map,
            self.shocks
                .values()
                .flat_map(|a| a.shock.effects.iter().map(move |e| (a.number, e))),
        );
        let n_items = map.items.len() as ItemIx;
        let covered = |rules: &[Rule], i: ItemIx| rules.iter().any(|r| r.items.covers(i));
        let old_keys: Vec<Option<ProfileKey>> = self
            .profiles
            .iter()
            .map(|p| p.as_ref().map(|p| p.key))
            .collect();

        // Seed new profiles while every old slot is still alive.
        let mut fresh: Vec<(ProfileKey, Vec<Rule>, Vec<f64>)> = Vec::new();
        let mut touched_countries = Vec::new();
        let mut touched_firms = Vec::new();
        for (key, rules) in wanted.iter() {
            match self.profile_index.get(key) {
                Some(&r) => {
                    if &self.profile(r).rules != rules {
                        let old = self.profile_mut(r).set_rules(&map, rules.clone());
                        let p = self.profile(r);
                        sources.extend(
                            (0..n_items)
                                .filter(|i| p.owns(*i) && (covered(&old, *i) || covered(rules, *i)))
                                .map(|i| Node::Avail(r, i)),
                        );
                    }
                }
                None => {
                    let from = match key {
                        ProfileKey::Firm(f) => self.buyers.firm(*f),
                        _ => 0,
                    };
                    // `from` keeps every item: a firm buys under a blocked
                    // firm's profile only if it is that firm, and this key
                    // is new.
                    fresh.push((*key, rules.clone(), self.profile(from).avail.clone()));
                }
            }
        }
        let gone: Vec<(ProfileKey, ProfileIx)> = self
            .profile_index
            .iter()
            .filter(|(k, _)| !wanted.contains_key(k))
            .map(|(k, r)| (*k, *r))
            .collect();
        // Kept until their buyers' lines are compared with where they go.
        let mut retired = Vec::new();
        for (key, r) in gone {
            self.profile_index.remove(&key);
            retired.extend(self.profiles[r as usize].take());
            match key {
                ProfileKey::Country(c) => touched_countries.push(c),
                ProfileKey::Firm(f) => touched_firms.push(f),
                ProfileKey::Open => {}
            }
        }
        for (key, rules, avail) in fresh {
            let slot = match self.profiles.iter().position(|p| p.is_none()) {
                Some(s) => s,
                None => {
                    self.profiles.push(None);
                    self.profiles.len() - 1
                }
            };
            let r = slot as ProfileIx;
            let profile = Profile::new(&map, key, rules, avail);
            sources.extend(
                (0..n_items)
                    .filter(|i| profile.owns(*i) && covered(&profile.rules, *i))
                    .map(|i| Node::Avail(r, i)),
            );
            self.profiles[slot] = Some(profile);
            self.profile_index.insert(key, r);
            match key {
                ProfileKey::Country(c) => touched_countries.push(c),
                ProfileKey::Firm(f) => touched_firms.push(f),
                ProfileKey::Open => {}
            }
        }

        // Where each touched firm bought before anything moves.
        touched_firms.sort_unstable();
        touched_firms.dedup();
        let before_of = |r: ProfileIx| old_keys.get(r as usize).copied().flatten();
        let firms_before: Vec<(FirmIx, Option<ProfileKey>)> = touched_firms
            .iter()
            .map(|f| (*f, before_of(self.buyers.firm(*f))))
            .collect();
        let mut moves = ProfileMoves::default();
        // A country's unblocked firms move with one entry of the table.
        touched_countries.sort_unstable();
        touched_countries.dedup();
        for c in touched_countries {
            let before = before_of(self.buyers.country(c));
            let r = self
                .profile_index
                .get(&ProfileKey::Country(c))
                .copied()
                .unwrap_or(0);
            self.buyers.set_country(c, r);
            let after = self.profile(r).key;
            match before {
                Some(b) if b == after => {}
                Some(b) => moves.add_country(b, after, c),
                // Not reached: every old slot has its key.
                None => sources.extend(
                    self.line_reads
                        .lines_buying(|code| code == c as BuyerCode)
                        .map(Node::Line),
                ),
            }
        }
        for (f, before) in firms_before {
            let own = self.profile_index.get(&ProfileKey::Firm(f)).copied();
            let code = self.buyers.place(f, map.firms[f as usize].country, own);
            for &l in map.lines_of_firm(f) {
                self.line_reads.set_buyer(l, code);
            }
            let after = self.profile(self.buyers.firm(f)).key;
            match before {
                Some(b) if b == after => {}
                Some(b) if b.keeps_every_item() && after.keeps_every_item() => {
                    moves.add_firm(b, after, f);
                }
                // A blocked firm's profile keeps only what it reads.
                _ => sources.extend(map.lines_of_firm(f).iter().map(|l| Node::Line(*l))),
            }
        }
        self.lines_of_moved_firms(moves, &retired, sources);
        self.home = self
            .profile_index
            .get(&ProfileKey::Country(map.home))
            .copied()
            .unwrap_or(0);
    }
}

/// Firms and items whose local losses changed.
#[derive(Debug, Default)]
struct Touched {
    firms: Vec<FirmIx>,
    items: Vec<ItemIx>,
}

impl Touched {
    fn add(&mut self, (firms, items): (Vec<FirmIx>, Vec<ItemIx>)) {
        self.firms.extend(firms);
        self.items.extend(items);
    }
}

impl From<(Vec<FirmIx>, Vec<ItemIx>)> for Touched {
    fn from(pair: (Vec<FirmIx>, Vec<ItemIx>)) -> Self {
        let mut t = Touched::default();
        t.add(pair);
        t
    }
}

fn producer_weight(map: &ChainMap, total: f64, item: ItemIx, share: f64) -> f64 {
    if total > 0.0 {
        share
    } else {
        1.0 / map.producers(item).len().max(1) as f64
    }
}

fn has_measure(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::ExportControl { .. } | Effect::Listing { .. }))
}

/// Leontief over critical inputs, proportional loss over the others.
pub(crate) fn combine<'a>(inputs: impl Iterator<Item = &'a Input>, avail: &[f64]) -> f64 {
    combine_with(inputs, |i| avail[i as usize])
}

/// [`combine`], reading each input's availability through `read`.
fn combine_with<'a>(inputs: impl Iterator<Item = &'a Input>, read: impl Fn(ItemIx) -> f64) -> f64 {
    inputs
        .fold(Mix::FULL, |mix, u| {
            mix.read(u.critical, u.weight, read(u.item))
        })
        .value()
}

/// [`combine`] one input at a time, for inputs kept in more than one list.
#[derive(Debug, Clone, Copy)]
struct Mix {
    critical: f64,
    other: f64,
}

impl Mix {
    const FULL: Mix = Mix {
        critical: 1.0,
        other: 1.0,
    };

    fn read(self, critical: bool, weight: f64, availability: f64) -> Mix {
        if critical {
            Mix {
                critical: self.critical.min(availability),
                ..self
            }
        } else {
            Mix {
                other: self.other - weight * (1.0 - availability),
                ..self
            }
        }
    }

    fn value(self) -> f64 {
        self.critical * self.other.max(0.0)
    }
}
