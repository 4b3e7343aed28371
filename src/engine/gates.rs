//! Builds a drivers trace's [`Overlap`] from the engine: one gate per traced
//! node that a part can reach, with what each part acting on the node takes
//! there on its own, and the reads of the traced nodes it is made from.

use rustc_hash::FxHashMap;

use super::overlap::{reads_of, Gate, Maker, Overlap, Part, Read};
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
            cycles: Vec::new(),
        };
        // Every traced node gets a slot first, so a read closing a cycle
        // finds the later node it reads.
        let slot_of: FxHashMap<u64, u32> = order
            .iter()
            .enumerate()
            .map(|(k, (_, packed))| (*packed, k as u32))
            .collect();
        let mut next: Vec<Upstream> = Vec::new();
        let slots: Vec<Option<Gate>> = order
            .iter()
            .map(|(_, packed)| {
                let node = Node::unpack(*packed);
                let parts = at.get(packed).map_or(0..0, |(a, b)| *a..*b);
                self.gate(node, reach[packed], parts, acting, &slot_of, &mut next)
            })
            .collect();
        let live = live(&slots);
        if !live.last().copied().unwrap_or(false) {
            return None;
        }
        // Slots that no part reaches stay whole: reading them changes
        // nothing, so they are left out and the rest renumbered.
        let mut gate_of = vec![u32::MAX; slots.len()];
        let mut n = 0;
        for (k, l) in live.iter().enumerate() {
            if *l {
                gate_of[k] = n;
                n += 1;
            }
        }
        for (k, slot) in slots.into_iter().enumerate() {
            let Some(mut gate) = slot.filter(|_| live[k]) else {
                continue;
            };
            renumber(&mut gate, &gate_of);
            out.gates.push(gate);
        }
        out.find_cycles();
        Some(out)
    }

    /// `node`'s gate, or `None` when nothing traced can make it short.
    fn gate(
        &self,
        node: Node,
        phi: f64,
        parts: std::ops::Range<u32>,
        acting: &[Acting],
        slot_of: &FxHashMap<u64, u32>,
        next: &mut Vec<Upstream>,
    ) -> Option<Gate> {
        let map = &*self.map;
        let reads = |next: &[Upstream]| -> Vec<Read> {
            next.iter()
                .filter_map(|u| {
                    slot_of.get(&u.node.pack()).map(|g| Read {
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
                        slot_of.get(&u.node.pack()).map(|g| {
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

/// Whether a part acts on the gate itself.
fn acted_on(gate: &Gate) -> bool {
    match gate {
        Gate::Line { own, .. } => !own.is_empty(),
        Gate::Made { scarcity, .. } => !scarcity.is_empty(),
        Gate::Supply {
            makers, scarcity, ..
        } => !scarcity.is_empty() || makers.iter().any(|m| !m.cuts.is_empty()),
        Gate::Mean { .. } => false,
    }
}

/// Per slot, whether a part can make it short: one acts on it, or on a slot
/// it reads. Cycles make this a fixed point, found by sweeping.
fn live(slots: &[Option<Gate>]) -> Vec<bool> {
    let mut live: Vec<bool> = slots
        .iter()
        .map(|s| s.as_ref().is_some_and(acted_on))
        .collect();
    loop {
        let mut grew = false;
        for (k, slot) in slots.iter().enumerate() {
            if !live[k]
                && slot
                    .as_ref()
                    .is_some_and(|g| reads_of(g).any(|r| live[r as usize]))
            {
                live[k] = true;
                grew = true;
            }
        }
        if !grew {
            return live;
        }
    }
}

/// Points a live gate's reads at the renumbered gates, dropping reads of
/// slots left out (whole) and makers left with neither a gate nor a cut.
fn renumber(gate: &mut Gate, gate_of: &[u32]) {
    let kept = |g: u32| (gate_of[g as usize] != u32::MAX).then(|| gate_of[g as usize]);
    match gate {
        Gate::Line { inputs, .. } | Gate::Made { inputs, .. } => {
            inputs.retain_mut(|r| kept(r.gate).map(|g| r.gate = g).is_some());
        }
        Gate::Supply { makers, .. } => {
            for m in makers.iter_mut() {
                m.gate = m.gate.and_then(kept);
            }
            makers.retain(|m| m.gate.is_some() || !m.cuts.is_empty());
        }
        // Never built from the engine (a firm's mean is composed from whole
        // overlaps in `Overlap::mean`), so no read of it is ever dropped.
        Gate::Mean { of } => {
            of.retain_mut(|g| kept(*g).map(|k| *g = k).is_some());
        }
    }
}
