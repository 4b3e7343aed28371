//! How far the kept values can stand from the exact fixed point, and the
//! contraction certificate that comes with knowing it.
//!
//! Propagation stores a node's new value only when it moves by more than
//! epsilon, and the full recomputation stops a cycle when nothing moves by
//! more. Either way every node ends within epsilon of its own rule applied to
//! the values it reads. How much that can add up to along the map is bounded
//! by a **gain** per node: `G = 1 + Σ_inputs g × G_input`, where `g` bounds
//! how far the node moves per unit move of an input (1 for the critical
//! inputs together, through `min`; the weight of each non-critical one; the
//! producer's weight for an item's availability). Then every value is within
//! `epsilon × G` of the exact fixed point. Gains are computed for the
//! unshocked map: losses, cuts and scarcity only shrink the factors.
//!
//! Across groups the gains follow rank order in one pass. Inside a cyclic
//! group they are the least solution of `G = c + T(G)`, found by iterating
//! from 0; the group is **certified** when an inflated solution `G'` passes
//! `c + T(G') ≤ G'`, which proves `T(G') < G'` (as `c ≥ 1`): the rules
//! contract in the `G'`-weighted max norm, so the group has a single fixed
//! point given its inputs and evaluation reaches it rising or falling. A group
//! that cannot be certified (a cycle of critical inputs can hold itself down)
//! gets an infinite gain, and so does everything it feeds: values there are
//! only known to lie in 0..1.

use crate::map::{ChainMap, Input, ItemIx};

use super::rank::Order;

/// Most rounds spent on one cyclic group; one that needs more is treated as
/// uncertified (lifting is always sound).
const ROUNDS: usize = 500;
/// Relative rise per round below which the inflated gains are tried as a
/// bound (the check, not this, is what proves it).
const SETTLED: f64 = 1e-4;
/// Headroom given to a converged solution before checking it is a bound.
const INFLATE: f64 = 1.01;

/// Per-map dead-band gains.
#[derive(Debug, Clone, Default)]
pub struct Gains {
    /// Per item: gain of its availability (infinite when its group or one
    /// upstream of it is uncertified).
    pub item: Vec<f64>,
    /// Largest gain of any production line no uncertified cycle feeds.
    pub line_max: f64,
    /// Per group: acyclic, or cyclic and certified to contract.
    pub certified: Vec<bool>,
}

impl Gains {
    /// The largest gain of any value the engine keeps.
    pub fn max(&self) -> f64 {
        self.item.iter().copied().fold(self.line_max, f64::max)
    }

    /// The largest finite gain: the bound on every value that no
    /// uncertified cycle feeds. (QA: with one such cycle anywhere, the
    /// map-wide bound reached 1 and every shortfall anywhere counted as none.)
    pub fn max_certified(&self) -> f64 {
        self.item
            .iter()
            .copied()
            .filter(|g| g.is_finite())
            .fold(self.line_max, f64::max)
    }

    /// Items whose availability an uncertified cycle feeds.
    pub fn uncertified(&self) -> Vec<ItemIx> {
        (0..self.item.len() as ItemIx)
            .filter(|i| !self.item[*i as usize].is_finite())
            .collect()
    }
}

/// Gains of every item in `order`, group by group; `weight(item, share)` is
/// a producer's weight in its item's availability.
pub fn gains(map: &ChainMap, order: &Order, weight: &impl Fn(ItemIx, f64) -> f64) -> Gains {
    let mut gains = Gains {
        item: vec![0.0; map.items.len()],
        line_max: 0.0,
        certified: vec![true; order.groups() as usize],
    };
    for g in 0..order.groups() {
        let members = order.group_items(g);
        if !order.cyclic[g as usize] {
            for &i in members {
                let (v, line) = item_gain(map, i, |j| gains.item[j as usize], weight);
                gains.item[i as usize] = v;
                // A line an uncertified cycle feeds has no bound; its item
                // says so, and the bound of the others stays finite.
                if line.is_finite() {
                    gains.line_max = gains.line_max.max(line);
                }
            }
            continue;
        }
        // Whether the group contracts does not depend on what flows in, so
        // an unbounded input is certified against as if it were bounded.
        let unbounded_input = members.iter().any(|&i| {
            inputs_of(map, i)
                .any(|j| order.group[j as usize] != g && gains.item[j as usize].is_infinite())
        });
        let line = settle_group(map, members, &mut gains.item, weight);
        gains.certified[g as usize] = line.is_some();
        match line {
            Some(line) if !unbounded_input => gains.line_max = gains.line_max.max(line),
            _ => {
                for &i in members {
                    gains.item[i as usize] = f64::INFINITY;
                }
            }
        }
    }
    gains
}

/// Every item `i`'s rules read: its recipe and its producers' `consumes`.
fn inputs_of(map: &ChainMap, i: ItemIx) -> impl Iterator<Item = ItemIx> + '_ {
    map.recipe(i).iter().map(|u| u.item).chain(
        map.producers(i)
            .iter()
            .flat_map(|line| map.consumes(line.firm).iter().map(|u| u.item)),
    )
}

/// Iterates the group's gains up from 0 (in place, so rises travel within a
/// round) until they nearly settle and an inflated solution checks out.
/// Leaves the certified gains in `item` and returns the largest line gain,
/// or `None` if uncertified.
fn settle_group(
    map: &ChainMap,
    members: &[ItemIx],
    item: &mut [f64],
    weight: &impl Fn(ItemIx, f64) -> f64,
) -> Option<f64> {
    for _ in 0..ROUNDS {
        let mut rise = 0.0f64;
        for &i in members {
            let (v, _) = item_gain(map, i, |j| finite_or_zero(item, j), weight);
            let old = item[i as usize];
            rise = rise.max((v - old) / v.max(1.0));
            item[i as usize] = v;
        }
        if !rise.is_finite() || members.iter().any(|i| item[*i as usize] > 1e12) {
            return None;
        }
        if rise < SETTLED {
            if let Some(line_max) = passes_inflated(map, members, item, weight) {
                return Some(line_max);
            }
        }
    }
    None
}

/// Raises the group's gains by `INFLATE` and checks `c + T(G) ≤ G`; on
/// success keeps them and returns the largest line gain, otherwise puts the
/// gains back so that iteration can go on.
fn passes_inflated(
    map: &ChainMap,
    members: &[ItemIx],
    item: &mut [f64],
    weight: &impl Fn(ItemIx, f64) -> f64,
) -> Option<f64> {
    for &i in members {
        item[i as usize] *= INFLATE;
    }
    let mut line_max = 0.0f64;
    for &i in members {
        let (v, line) = item_gain(map, i, |j| finite_or_zero(item, j), weight);
        if v > item[i as usize] {
            for &i in members {
                item[i as usize] /= INFLATE;
            }
            return None;
        }
        line_max = line_max.max(line);
    }
    Some(line_max)
}

/// A gain read inside a group under certification: an unbounded one from
/// upstream counts as 0, as whether the group contracts does not depend on it.
fn finite_or_zero(item: &[f64], j: ItemIx) -> f64 {
    let g = item[j as usize];
    if g.is_finite() {
        g
    } else {
        0.0
    }
}

/// One item's gain from the gains it reads, and the largest of its lines'.
fn item_gain(
    map: &ChainMap,
    i: ItemIx,
    read: impl Fn(ItemIx) -> f64,
    weight: &impl Fn(ItemIx, f64) -> f64,
) -> (f64, f64) {
    if map.is_assembled(i) {
        let g = 1.0 + reading(map.recipe(i).iter(), &read);
        return (g, 0.0);
    }
    let mut sum = 0.0;
    let mut line_max = 0.0f64;
    for line in map.producers(i) {
        let inputs = map.recipe(i).iter().chain(map.consumes(line.firm));
        let g = 1.0 + reading(inputs, &read);
        line_max = line_max.max(g);
        sum += weight(i, line.share) * g;
    }
    (1.0 + sum, line_max)
}

/// What a rule's inputs add: the largest critical gain (`min` moves by at
/// most its largest input move) plus the weighted non-critical ones.
fn reading<'a>(inputs: impl Iterator<Item = &'a Input>, read: &impl Fn(ItemIx) -> f64) -> f64 {
    let mut critical = 0.0f64;
    let mut other = 0.0;
    for input in inputs {
        let g = read(input.item);
        if input.critical {
            critical = critical.max(g);
        } else {
            other += input.weight * g;
        }
    }
    critical + other
}
