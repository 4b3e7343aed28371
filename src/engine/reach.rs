//! How far each shock reaches: the nodes below full supply that a shock can
//! be traced to through other nodes below full supply, with the fewest days
//! of stock on the way. This names a node's drivers, gives its time to
//! impact, and tells whether a backup shares a shocked upstream node.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::map::{ItemIx, LineIx};
use crate::shock::Effect;

use super::{Engine, Node};

/// Days from each shock (by number) to each node it reaches.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    by_shock: Vec<(u32, HashMap<u64, f64>)>,
}

impl Reach {
    /// Shocks reaching `node`, with the days of stock between them and it.
    pub fn drivers(&self, node: Node) -> impl Iterator<Item = (u32, f64)> + '_ {
        let packed = node.pack();
        self.by_shock
            .iter()
            .filter_map(move |(s, d)| d.get(&packed).map(|days| (*s, *days)))
    }

    /// Nodes visited over all shocks (a cost measure).
    pub fn size(&self) -> usize {
        self.by_shock.iter().map(|(_, d)| d.len()).sum()
    }
}

impl Engine {
    /// Traces every shock in force. Cost: the sum of the shocks' footprints.
    pub fn reach(&self) -> Reach {
        let mut by_shock: Vec<(u32, HashMap<u64, f64>)> = self
            .shocks()
            .map(|a| (a.number, self.trace(a.number, &a.shock.effects)))
            .collect();
        by_shock.sort_by_key(|(s, _)| *s);
        Reach { by_shock }
    }

    /// Where a shock acts first: the nodes its effects change directly.
    fn origins(&self, number: u32, effects: &[Effect]) -> Vec<Node> {
        let map = &*self.map;
        let mut out = Vec::new();
        for effect in effects {
            match effect {
                Effect::CapacityLoss { firm, .. } => {
                    for &l in map.lines_of_firm(*firm) {
                        if self.local.line_drivers(map, l).contains(&number) {
                            out.push(Node::Line(l));
                        }
                    }
                }
                Effect::Scarcity { item, .. } => {
                    out.extend(self.live_profiles().map(|r| Node::Avail(r, *item)));
                }
                Effect::ExportControl { .. } | Effect::Listing { .. } => {
                    for r in self.live_profiles() {
                        let p = self.profile(r);
                        if !p.rules.iter().any(|rule| rule.shock == number) {
                            continue;
                        }
                        for i in 0..map.items.len() as ItemIx {
                            let cut = map
                                .producers(i)
                                .iter()
                                .any(|line| p.cutting(map, line).any(|s| s == number));
                            if cut {
                                out.push(Node::Avail(r, i));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn trace(&self, number: u32, effects: &[Effect]) -> HashMap<u64, f64> {
        let limit = 1.0 - self.epsilon();
        let mut dist: HashMap<u64, f64> = HashMap::new();
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        for node in self.origins(number, effects) {
            if self.value(node) < limit && dist.insert(node.pack(), 0.0).is_none() {
                heap.push(Reverse((0f64.to_bits(), node.pack())));
            }
        }
        let mut deps = Vec::new();
        let mut ignored = Vec::new();
        while let Some(Reverse((bits, packed))) = heap.pop() {
            let d = f64::from_bits(bits);
            if dist.get(&packed).is_some_and(|best| *best < d) {
                continue;
            }
            deps.clear();
            self.dependents(Node::unpack(packed), &mut deps, &mut ignored);
            for (dep, hop) in &deps {
                if self.value(*dep) >= limit {
                    continue;
                }
                let nd = d + hop;
                let key = dep.pack();
                if dist.get(&key).is_none_or(|best| nd < *best) {
                    dist.insert(key, nd);
                    // Non-negative floats order like their bit patterns.
                    heap.push(Reverse((nd.to_bits(), key)));
                }
            }
        }
        dist
    }

    /// Lines of `item` whose deliveries to profile `r` a measure stops, with
    /// the measures doing it.
    pub fn cut_lines(&self, r: super::ProfileIx, item: ItemIx) -> Vec<(LineIx, Vec<u32>)> {
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
