//! Which shocks stand behind a node, and how many days of stock lie between
//! each and the node: traced backwards from the node through inputs that
//! are short, skipping inputs whose contribution (weight × shortfall) is
//! below a floor. This names a node's drivers, gives its time to impact, and
//! tells whether a backup shares a shocked upstream node. Cost: the node's
//! materially short upstream, not the whole map.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use crate::map::{Input, ItemIx, LineIx};

use super::{Engine, Node, ProfileIx};

/// Contributions below this share of supply are not traced: they cannot move
/// a risk that is judged in percent, and tracing them would walk the map.
pub const ATTRIBUTION_FLOOR: f64 = 1e-4;

impl Engine {
    /// Shocks (by number) behind `target`, each with the fewest days of
    /// stock between it and the target, in shock order.
    pub fn drivers(&self, target: Node) -> Vec<(u32, f64)> {
        let map = &*self.map;
        let mut found: BTreeMap<u32, f64> = BTreeMap::new();
        let mut dist: HashMap<u64, f64> = HashMap::new();
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        dist.insert(target.pack(), 0.0);
        heap.push(Reverse((0f64.to_bits(), target.pack())));
        let mut note = |found: &mut BTreeMap<u32, f64>, shock: u32, d: f64| {
            let best = found.entry(shock).or_insert(d);
            if d < *best {
                *best = d;
            }
        };
        let mut next: Vec<(Node, f64)> = Vec::new();
        while let Some(Reverse((bits, packed))) = heap.pop() {
            let d = f64::from_bits(bits);
            if dist.get(&packed).is_some_and(|best| *best < d) {
                continue;
            }
            next.clear();
            match Node::unpack(packed) {
                Node::Line(l) => {
                    for s in self.local.line_drivers(map, l) {
                        note(&mut found, s, d);
                    }
                    let line = map.line(l);
                    let r = self.firm_profile[line.firm as usize];
                    self.short_inputs(r, map.recipe(line.item), true, &mut next);
                    self.short_inputs(r, map.consumes(line.firm), false, &mut next);
                }
                Node::Avail(r, i) => {
                    for s in self.local.item_drivers(i) {
                        note(&mut found, s, d);
                    }
                    if map.is_assembled(i) {
                        self.short_inputs(r, map.recipe(i), true, &mut next);
                    } else {
                        self.short_producers(r, i, d, &mut found, &mut note, &mut next);
                    }
                }
            }
            for (node, hop) in &next {
                let nd = d + hop;
                let key = node.pack();
                if dist.get(&key).is_none_or(|best| nd < *best) {
                    dist.insert(key, nd);
                    // Non-negative floats order like their bit patterns.
                    heap.push(Reverse((nd.to_bits(), key)));
                }
            }
        }
        found.into_iter().collect()
    }

    /// Inputs short enough to matter, with the stock days on the hop: the
    /// input item's own for a recipe, the buyer's for its own consumption.
    fn short_inputs(
        &self,
        r: ProfileIx,
        inputs: &[Input],
        recipe: bool,
        out: &mut Vec<(Node, f64)>,
    ) {
        for u in inputs {
            let short = 1.0 - self.availability(r, u.item);
            let weight = if u.critical { 1.0 } else { u.weight };
            if weight * short >= ATTRIBUTION_FLOOR {
                let hop = if recipe {
                    self.map.items[u.item as usize].inventory_days
                } else {
                    u.inventory_days
                };
                out.push((Node::Avail(r, u.item), hop));
            }
        }
    }

    fn short_producers(
        &self,
        r: ProfileIx,
        item: ItemIx,
        d: f64,
        found: &mut BTreeMap<u32, f64>,
        note: &mut impl FnMut(&mut BTreeMap<u32, f64>, u32, f64),
        out: &mut Vec<(Node, f64)>,
    ) {
        let map = &*self.map;
        let p = self.profile(r);
        let producers = map.producers(item);
        let off = map.lines_offset(item);
        for (k, line) in producers.iter().enumerate() {
            let w = self.producer_weight(item, line.share);
            let cut = p.cut(map, line);
            if w * cut >= ATTRIBUTION_FLOOR {
                for s in p.cutting(map, line) {
                    note(found, s, d);
                }
            }
            let l: LineIx = off + k as u32;
            if w * (1.0 - self.line_out[l as usize]) >= ATTRIBUTION_FLOOR {
                out.push((Node::Line(l), 0.0));
            }
        }
    }

    /// Lines of `item` whose deliveries to profile `r` a measure stops, with
    /// the measures doing it.
    pub fn cut_lines(&self, r: ProfileIx, item: ItemIx) -> Vec<(LineIx, Vec<u32>)> {
        let map = &*self.map;
        let p = self.profile(r);
        let off = map.lines_offset(item);
        map.producers(item)
            .iter()
            .enumerate()
            .filter_map(|(k, line)| {
                let by: Vec<u32> = p.cutting(map, line).collect();
                (!by.is_empty()).then_some((off + k as u32, by))
            })
            .collect()
    }
}
