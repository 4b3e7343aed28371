//! Builds a drivers trace's [`Overlap`] from the engine: one gate per traced
//! node that a part can reach, with what each part acting on the node takes
//! there on its own, and the reads of the traced nodes it is made from.

use rustc_hash::FxHashMap;

use super::overlap::{Gate, Maker, Overlap, Part, Read};
use super::{Engine, Node, Upstream};

/// One shock acting on one traced node: the node (packed), the shock and
/// the day its part reaches the traced target.
pub(super) struct Acting {
    pub node: u64,
    pub shock: u32,
    pub day: Option<f64>,
}

impl Engine {
    /// The overlap of `target`'s drivers over the nodes in `reach`, given
    /// the shocks acting on them (`acting`, those of one node together).
    /// `None` when no gate leads to the target.
    pub(super) fn overlap(
        &self,
        target: Node,
        reach: &FxHashMap<u64, f64>,
        acting: &[Acting],
    ) -> Option<Overlap> {
        let mut at: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
        let mut k = 0;
        while k < acting.len() {
            let start = k;
            while k < acting.len() && acting[k].node == acting[start].node {
                k += 1;
            }
            at.insert(acting[start].node, (start as u32, k as u32));
        }
        let mut order: Vec<(u32, u64)> = reach
            .keys()
            .filter(|p| **p != target.pack())
            .map(|&p| (self.rank(Node::unpack(p)), p))
            .collect();
        order.sort_unstable();
        order.push((u32::MAX, target.pack()));
        let mut out = Overlap {
            parts: acting
                .iter()
                .map(|a| Part {
                    shock: a.shock,
                    day: a.day,
                })
                .collect(),
            gates: Vec::new(),
        };
        let mut gate_of: FxHashMap<u64, u32> = FxHashMap::default();
        let mut next: Vec<Upstream> = Vec::new();
        for (_, packed) in order {
            let node = Node::unpack(packed);
            let parts = at.get(&packed).map_or(0..0, |(a, b)| *a..*b);
            let gate = self.gate(node, reach[&packed], parts, acting, &gate_of, &mut next);
            if let Some(gate) = gate {
                out.gates.push(gate);
                gate_of.insert(packed, out.gates.len() as u32 - 1);
            }
        }
        gate_of.contains_key(&target.pack()).then_some(out)
    }

    /// `node`'s gate, or `None` when nothing traced can make it short.
    fn gate(
        &self,
        node: Node,
        phi: f64,
        parts: std::ops::Range<u32>,
        acting: &[Acting],
        gate_of: &FxHashMap<u64, u32>,
        next: &mut Vec<Upstream>,
    ) -> Option<Gate> {
        let map = &*self.map;
        let reads = |next: &[Upstream]| -> Vec<Read> {
            next.iter()
                .filter_map(|u| {
                    gate_of.get(&u.node.pack()).map(|g| Read {
                        gate: *g,
                        critical: u.critical,
                        weight: u.weight,
                    })
                })
                .collect()
        };
        let scarcity = |item| -> Vec<(u32, f64)> {
            let list = self.local.scarcity.get(&item);
            parts
                .clone()
                .filter_map(|p| {
                    let s = acting[p as usize].shock;
                    let kept: f64 = list
                        .into_iter()
                        .flatten()
                        .filter(|(x, _)| *x == s)
                        .map(|(_, loss)| 1.0 - loss)
                        .product();
                    (kept < 1.0).then_some((p, 1.0 - kept))
                })
                .collect()
        };
        let gate = match node {
            Node::Line(_) => {
                self.upstream(node, next);
                let own: Vec<(u32, f64)> = parts
                    .clone()
                    .map(|p| (p, self.own_drop_by(node, acting[p as usize].shock)))
                    .filter(|(_, loss)| *loss > 0.0)
                    .collect();
                let inputs = reads(next);
                if own.is_empty() && inputs.is_empty() {
                    return None;
                }
                Gate::Line { own, inputs }
            }
            Node::Avail(_, i) if map.is_assembled(i) => {
                self.upstream(node, next);
                let (inputs, scarcity) = (reads(next), scarcity(i));
                if inputs.is_empty() && scarcity.is_empty() {
                    return None;
                }
                Gate::Made { inputs, scarcity }
            }
            Node::Avail(r, i) => {
                let p = self.profile(r);
                let off = map.lines_offset(i) as usize;
                let producers = map.producers(i);
                // The makers the trace reached, by position among the item's.
                self.upstream_within(node, phi, next);
                let mut makers: Vec<(u32, Maker)> = next
                    .iter()
                    .filter_map(|u| {
                        let Node::Line(l) = u.node else { return None };
                        gate_of.get(&u.node.pack()).map(|g| {
                            let maker = Maker {
                                gate: Some(*g),
                                weight: u.weight,
                                cuts: Vec::new(),
                            };
                            (l - off as u32, maker)
                        })
                    })
                    .collect();
                if !p.rules.is_empty() && !parts.is_empty() {
                    // Only the cut makers: under an export control to the
                    // home country every home supply has rules.
                    let cut: Vec<u32> = if p.owns(i) {
                        p.cuts.of(i).iter().map(|(k, _)| *k).collect()
                    } else {
                        (0..producers.len() as u32)
                            .filter(|k| p.cut(map, &producers[*k as usize]) > 0.0)
                            .collect()
                    };
                    for k in cut {
                        let line = &producers[k as usize];
                        let subject = &map.firms[line.firm as usize].subject_to;
                        let cuts: Vec<(u32, f64)> = parts
                            .clone()
                            .filter_map(|part| {
                                let s = acting[part as usize].shock;
                                let kept: f64 = p
                                    .rules
                                    .iter()
                                    .filter(|rule| {
                                        rule.shock == s
                                            && rule.items.covers(line.item)
                                            && subject.contains(&rule.issuer)
                                    })
                                    .map(|rule| 1.0 - rule.cut)
                                    .product();
                                (kept < 1.0).then_some((part, 1.0 - kept))
                            })
                            .collect();
                        if cuts.is_empty() {
                            continue;
                        }
                        match makers.iter_mut().find(|(at, _)| *at == k) {
                            Some((_, maker)) => maker.cuts = cuts,
                            None => makers.push((
                                k,
                                Maker {
                                    gate: None,
                                    weight: self.line_weight[off + k as usize],
                                    cuts,
                                },
                            )),
                        }
                    }
                }
                let makers: Vec<Maker> = makers.into_iter().map(|(_, m)| m).collect();
                let scarcity = scarcity(i);
                if makers.is_empty() && scarcity.is_empty() {
                    return None;
                }
                let full = self.line_weight[off..off + producers.len()]
                    .iter()
                    .sum::<f64>()
                    + self.unrecorded[i as usize];
                Gate::Supply {
                    full,
                    makers,
                    scarcity,
                }
            }
        };
        Some(gate)
    }
}
