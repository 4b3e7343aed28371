//! Which drivers traces a change can have altered, so that the monitor can
//! keep the traces of open alerts nothing reached.
//!
//! A trace from a node takes in an upstream node only when the node's reach
//! to it (the largest product of weights along a path, see [`drivers`])
//! times its shortfall is at least [`ATTRIBUTION_FLOOR`]. A change alters
//! what a trace sees only at the nodes it touched (see [`Outcome::touched`]):
//! where neither the shortfall before nor the one after passes that test,
//! the trace turns the node away both times and everything else it does is
//! the same. So a trace can differ only if it starts at a touched node, or
//! some touched node lies upstream with reach × (the larger shortfall) at
//! least the floor. An item's **influence** bounds that from above: the
//! largest, over touched nodes, of that shortfall times the product along a
//! path of each hop's weight or a bound on it (the heaviest producer's
//! weight where a recipe input enters an item's lines), taken over items
//! rather than buyer profiles, so one search over the item graph serves
//! every node.
//!
//! A trace also turns away a critical input that does not bind (stands above
//! the least of its reader's critical inputs). Whether one binds changes
//! only when it or a sibling is touched, and that sibling, binding, lies in
//! the trace with the reach the bound above already counts; the open-alerts
//! test (`tests/open_alerts.rs`) checks the two stay in step.
//!
//! [`drivers`]: super::drivers
//! [`Outcome::touched`]: super::Outcome::touched

use std::collections::BinaryHeap;

use rustc_hash::FxHashSet;

use crate::map::{FirmIx, Input, ItemIx, NodeRef};

use super::{Engine, Node, ATTRIBUTION_FLOOR};

/// What one or more changes can have reached.
#[derive(Debug, Clone, Default)]
pub struct Influence {
    /// Everything may have changed (a full sweep, a change of measures).
    everything: bool,
    /// Per item, the bound on reach from anything touched (0: none).
    strength: Vec<f64>,
    /// Firms with a line the changes touched, and items with an
    /// availability they touched: traces that start there changed.
    firms: FxHashSet<FirmIx>,
    items: FxHashSet<ItemIx>,
}

impl Influence {
    /// Influence that reaches every node.
    pub fn everything() -> Influence {
        Influence {
            everything: true,
            ..Influence::default()
        }
    }

    /// Whether the drivers trace of `node` can have changed.
    pub fn reaches(&self, engine: &Engine, node: NodeRef) -> bool {
        if self.everything {
            return true;
        }
        let map = engine.map();
        let strong = |u: &Input| self.at(u.item) * weight(u) >= ATTRIBUTION_FLOOR;
        match node {
            NodeRef::Item(i) => self.items.contains(&i) || self.at(i) >= ATTRIBUTION_FLOOR,
            NodeRef::Firm(f) => {
                let lines = map.lines_of_firm(f);
                if lines.is_empty() {
                    // A firm that only buys is traced from what it buys.
                    return map.consumes(f).iter().any(|u| {
                        self.items.contains(&u.item) || self.at(u.item) >= ATTRIBUTION_FLOOR
                    });
                }
                self.firms.contains(&f)
                    || map.consumes(f).iter().any(strong)
                    || lines
                        .iter()
                        .any(|l| map.recipe(map.line(*l).item).iter().any(strong))
            }
        }
    }

    fn at(&self, item: ItemIx) -> f64 {
        self.strength.get(item as usize).copied().unwrap_or(0.0)
    }
}

fn weight(u: &Input) -> f64 {
    if u.critical {
        1.0
    } else {
        u.weight
    }
}

impl Engine {
    /// The influence of the changes that touched `touched` (see the module
    /// header); `swept` when they may have changed anything.
    pub fn influence<'a>(
        &self,
        touched: impl Iterator<Item = &'a (Node, f64)>,
        swept: bool,
    ) -> Influence {
        if swept {
            return Influence::everything();
        }
        let map = &*self.map;
        let mut strength = vec![0.0f64; map.items.len()];
        let mut firms = FxHashSet::default();
        let mut items = FxHashSet::default();
        let mut heap: BinaryHeap<(u64, ItemIx)> = BinaryHeap::new();
        let raise = |strength: &mut [f64], heap: &mut BinaryHeap<_>, i: ItemIx, s: f64| {
            if s >= ATTRIBUTION_FLOOR && s > strength[i as usize] {
                strength[i as usize] = s;
                // Non-negative floats order like their bit patterns.
                heap.push((s.to_bits(), i));
            }
        };
        for &(node, short) in touched {
            match node {
                Node::Line(l) => {
                    firms.insert(map.line(l).firm);
                    let weight = self.line_weight[l as usize];
                    raise(&mut strength, &mut heap, map.line(l).item, weight * short);
                }
                Node::Avail(_, i) => {
                    items.insert(i);
                    raise(&mut strength, &mut heap, i, short);
                }
            }
        }
        while let Some((bits, i)) = heap.pop() {
            let s = f64::from_bits(bits);
            if s < strength[i as usize] {
                continue;
            }
            // Items made from `i`: in place, or by lines whose heaviest
            // weighs the most any of them can.
            for &j in map.recipe_users(i) {
                let Some(u) = map.recipe(j).iter().find(|u| u.item == i) else {
                    continue;
                };
                let into = if map.is_assembled(j) {
                    1.0
                } else {
                    self.heaviest_weight(j)
                };
                raise(&mut strength, &mut heap, j, s * weight(u) * into);
            }
            // Items made by firms that buy `i`.
            for &f in map.consumers(i) {
                let Some(u) = map.consumes(f).iter().find(|u| u.item == i) else {
                    continue;
                };
                for &l in map.lines_of_firm(f) {
                    let into = self.line_weight[l as usize];
                    raise(
                        &mut strength,
                        &mut heap,
                        map.line(l).item,
                        s * weight(u) * into,
                    );
                }
            }
        }
        Influence {
            everything: false,
            strength,
            firms,
            items,
        }
    }

    /// The largest weight among `item`'s producers (0 with none).
    fn heaviest_weight(&self, item: ItemIx) -> f64 {
        let off = self.map.lines_offset(item) as usize;
        if self.map.producers(item).is_empty() {
            return 0.0;
        }
        self.line_weight[off + self.heaviest_first[off] as usize]
    }
}
