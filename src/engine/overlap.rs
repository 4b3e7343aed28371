//! How the parts of a node's drivers overlap at it: a small copy of the
//! propagation rules over the upstream a drivers trace found, which gives
//! the node's shortfall with only some of the parts in force.
//!
//! A reader takes the least of its critical inputs, so the shortages of two
//! of them overlap: a fab cut 25% from each of three gases is 25% short, not
//! 75%. Adding up each driver's part (the fill before QA round 14) made it
//! critical. Evaluating the same rules the engine propagates with, on the
//! traced nodes alone and with a chosen set of parts in force, composes
//! them as the engine does: the most at a critical input, the sum over
//! makers, the weighted sum over non-critical inputs.
//!
//! Pure: built from the engine once per trace, then evaluated without it, so
//! a kept trace can be judged again as the clock moves.

use super::Mix;

/// One driver's part: a shock acting on one traced node, and the day it
/// reaches the node the overlap was built for (unknown without a start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    pub shock: u32,
    pub day: Option<f64>,
}

/// An input read by a gate: the gate evaluating it, and how it is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Read {
    pub gate: u32,
    pub critical: bool,
    pub weight: f64,
}

/// One maker of an item bought from makers, as the item's supply reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Maker {
    /// Its line's gate; `None` for a maker that is only cut (its output is
    /// whole as far as the trace goes).
    pub gate: Option<u32>,
    pub weight: f64,
    /// The measures cutting it for these buyers: (part, fraction cut).
    pub cuts: Vec<(u32, f64)>,
}

/// One traced node, with what the parts acting on it take on their own.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    /// A production line: its own capacity lost per part, then its inputs.
    Line {
        own: Vec<(u32, f64)>,
        inputs: Vec<Read>,
    },
    /// An item bought from makers: `full` is its supply with every maker
    /// whole (1 unless no maker has a share), less what each traced maker
    /// lacks, times what price scarcity leaves.
    Supply {
        full: f64,
        makers: Vec<Maker>,
        scarcity: Vec<(u32, f64)>,
    },
    /// An item made in place from its recipe (times what price scarcity
    /// leaves), or a firm that only buys.
    Made {
        inputs: Vec<Read>,
        scarcity: Vec<(u32, f64)>,
    },
    /// A firm: the mean of its lines.
    Mean { of: Vec<u32> },
}

/// Most sweeps spent settling one cycle of an overlap; the engine's cycles
/// contract, so this is only a safety bound.
const SETTLE_ROUNDS: usize = 1_000;
/// A sweep moving no gate by more than this has settled: far inside the
/// engine's own error bound (epsilon 1e-4 times the map's gain), and risks
/// are reported to four places. (1e-12 made the risk per node at 10k firms,
/// where feedback edges put most traces in a cycle, 70% dearer.)
const SETTLED: f64 = 1e-9;

/// The gates, inputs before readers where the map allows, and the node
/// itself last. Where the traced nodes close a cycle (a tool maker using
/// the chips its tools make), the reads closing it point at later gates;
/// each run of gates such reads span is a cycle in `cycles`, swept until it
/// settles, as the engine propagates, while the gates outside any are
/// evaluated once. (Until QA round 15 those reads were left out, so the overlap
/// fell short of the node's shortfall and the gap was spread over every
/// part: a chip cut from gas and tools, whose tool maker uses the chip,
/// read 0.4810 where 0.4215 is right.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlap {
    pub parts: Vec<Part>,
    pub gates: Vec<Gate>,
    /// First and last gate of each run closed by reads of later gates,
    /// ascending and disjoint.
    pub cycles: Vec<(u32, u32)>,
}

impl Overlap {
    /// The node's shortfall with only the parts marked in `active` in force.
    pub fn shortfall(&self, active: &[bool], values: &mut Vec<f64>) -> f64 {
        self.shortfall_from(0, active, values)
    }

    /// [`Overlap::shortfall`], re-evaluating only the gates from `start`
    /// on: `values` holds those before it, which the parts newly in force
    /// cannot move (gates come inputs first).
    fn shortfall_from(&self, start: usize, active: &[bool], values: &mut Vec<f64>) -> f64 {
        if !self.cycles.is_empty() {
            return self.settle(start, active, values);
        }
        values.truncate(start);
        for gate in &self.gates[values.len()..] {
            let v = self.supply_at(gate, active, values);
            values.push(v.clamp(0.0, 1.0));
        }
        values.last().map_or(0.0, |v| 1.0 - v)
    }

    /// [`Overlap::shortfall_from`] where reads close cycles: the gates from
    /// `start` on (from the first of a cycle `start` falls in) are evaluated
    /// in order, each cycle swept until none of its gates moves. Values
    /// start from full supply when `start` is 0, else from `values`, the
    /// settled values with fewer parts in force: parts only take, so those
    /// stand above the new fixed point and the sweeps come down to it, as
    /// the engine's propagation does.
    fn settle(&self, start: usize, active: &[bool], values: &mut Vec<f64>) -> f64 {
        if start == 0 || values.len() != self.gates.len() {
            values.clear();
            values.resize(self.gates.len(), 1.0);
        }
        let mut g = self
            .cycles
            .iter()
            .find(|(a, b)| (*a as usize..=*b as usize).contains(&start))
            .map_or(start, |(a, _)| *a as usize);
        let mut next_cycle = self.cycles.iter().position(|(a, _)| *a as usize >= g);
        while g < self.gates.len() {
            match next_cycle.map(|k| self.cycles[k]) {
                Some((a, b)) if a as usize == g => {
                    let run = a as usize..=b as usize;
                    for _ in 0..SETTLE_ROUNDS {
                        let mut moved = 0.0f64;
                        for k in run.clone() {
                            let v = self
                                .supply_at(&self.gates[k], active, values)
                                .clamp(0.0, 1.0);
                            moved = moved.max((v - values[k]).abs());
                            values[k] = v;
                        }
                        if moved <= SETTLED {
                            break;
                        }
                    }
                    g = b as usize + 1;
                    next_cycle = next_cycle.map(|k| k + 1).filter(|k| *k < self.cycles.len());
                }
                _ => {
                    values[g] = self
                        .supply_at(&self.gates[g], active, values)
                        .clamp(0.0, 1.0);
                    g += 1;
                }
            }
        }
        values.last().map_or(0.0, |v| 1.0 - v)
    }

    /// The runs of gates closed by reads of later gates (see
    /// [`Overlap::cycles`]), found from the gates.
    pub fn find_cycles(&mut self) {
        let mut spans: Vec<(u32, u32)> = Vec::new();
        for (g, gate) in self.gates.iter().enumerate() {
            let g = g as u32;
            let last = reads_of(gate).filter(|r| *r >= g).max();
            if let Some(last) = last {
                spans.push((g, last));
            }
        }
        spans.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for (a, b) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.cycles = merged;
    }

    /// Per part, the first gate it acts at.
    fn first_gates(&self) -> Vec<usize> {
        let mut first = vec![usize::MAX; self.parts.len()];
        let mut mark = |list: &[(u32, f64)], g: usize| {
            for (p, _) in list {
                first[*p as usize] = first[*p as usize].min(g);
            }
        };
        for (g, gate) in self.gates.iter().enumerate() {
            match gate {
                Gate::Line { own, .. } => mark(own, g),
                Gate::Made { scarcity, .. } => mark(scarcity, g),
                Gate::Supply {
                    makers, scarcity, ..
                } => {
                    mark(scarcity, g);
                    for m in makers {
                        mark(&m.cuts, g);
                    }
                }
                Gate::Mean { .. } => {}
            }
        }
        first
    }

    fn supply_at(&self, gate: &Gate, active: &[bool], values: &[f64]) -> f64 {
        let kept = |own: &[(u32, f64)]| -> f64 {
            own.iter()
                .filter(|(p, _)| active[*p as usize])
                .map(|(_, loss)| 1.0 - loss)
                .product()
        };
        let mix = |inputs: &[Read]| -> f64 {
            inputs
                .iter()
                .fold(Mix::FULL, |m, u| {
                    m.read(u.critical, u.weight, values[u.gate as usize])
                })
                .value()
        };
        match gate {
            Gate::Line { own, inputs } => kept(own) * mix(inputs),
            Gate::Made { inputs, scarcity } => mix(inputs) * kept(scarcity),
            Gate::Supply {
                full,
                makers,
                scarcity,
            } => {
                let lacking: f64 = makers
                    .iter()
                    .map(|m| {
                        let out = m.gate.map_or(1.0, |g| values[g as usize]);
                        m.weight * (1.0 - out * kept(&m.cuts))
                    })
                    .sum();
                (full - lacking) * kept(scarcity)
            }
            Gate::Mean { of } => {
                if of.is_empty() {
                    1.0
                } else {
                    of.iter().map(|g| values[*g as usize]).sum::<f64>() / of.len() as f64
                }
            }
        }
    }

    /// The node's shortfall by level: for each distinct race (see
    /// `assess::cutoff_risk`) of the parts, worst first, the shortfall with
    /// the parts whose race is at least that in force. `race` is parallel
    /// to `parts`.
    pub fn levels(&self, race: &[f64]) -> Vec<(f64, f64)> {
        let mut order: Vec<usize> = (0..self.parts.len()).collect();
        order.sort_by(|a, b| race[*b].total_cmp(&race[*a]));
        let first = self.first_gates();
        let mut active = vec![false; self.parts.len()];
        let mut values = Vec::with_capacity(self.gates.len());
        let mut levels: Vec<(f64, f64)> = Vec::new();
        let mut k = 0;
        while k < order.len() {
            let level = race[order[k]];
            let mut start = usize::MAX;
            while k < order.len() && race[order[k]] == level {
                active[order[k]] = true;
                start = start.min(first[order[k]]);
                k += 1;
            }
            if start == usize::MAX {
                // Parts acting at no gate add nothing.
                start = self.gates.len();
            }
            let start = start.min(values.len());
            levels.push((level, self.shortfall_from(start, &active, &mut values)));
        }
        levels
    }

    /// The first of `keys` (one per part, taken in the order `cmp`) by
    /// which the parts taken so far make half of what all of them make (or
    /// of `shortfall`, if less; see [`super::bulk`]): with days, when the
    /// bulk of the shortage has arrived; with remaining durations, longest
    /// first, how long the bulk of it stays on. Parts make what they make
    /// together, so three gases short at once from one control count as
    /// the 25% they take, not 75%. `None` when the parts make no shortfall.
    pub fn bulk<K: Copy>(
        &self,
        keys: &[K],
        cmp: impl Fn(&K, &K) -> std::cmp::Ordering,
        shortfall: f64,
    ) -> Option<K> {
        let mut values = Vec::with_capacity(self.gates.len());
        let all = self.shortfall(&vec![true; self.parts.len()], &mut values);
        let needed = shortfall.min(all);
        if needed <= 0.0 {
            return None;
        }
        let mut order: Vec<usize> = (0..self.parts.len()).collect();
        order.sort_by(|a, b| cmp(&keys[*a], &keys[*b]));
        let first = self.first_gates();
        let mut active = vec![false; self.parts.len()];
        values.clear();
        let mut k = 0;
        while k < order.len() {
            let key = keys[order[k]];
            let mut start = self.gates.len();
            while k < order.len() && cmp(&keys[order[k]], &key).is_eq() {
                active[order[k]] = true;
                start = start.min(first[order[k]]);
                k += 1;
            }
            let start = start.min(values.len());
            if super::bulk(self.shortfall_from(start, &active, &mut values), needed) {
                return Some(key);
            }
        }
        order.last().map(|p| keys[*p])
    }

    /// Every part `days` later: the overlap seen from a reader that many
    /// days of stock further on.
    pub fn delayed(mut self, days: f64) -> Overlap {
        for p in &mut self.parts {
            p.day = p.day.map(|d| d + days);
        }
        self
    }

    /// Copies `other`'s gates and parts (its parts `days` later) in front of
    /// the node; returns the gate of `other`'s node.
    fn append(&mut self, other: &Overlap, days: f64) -> Option<u32> {
        if other.gates.is_empty() {
            return None;
        }
        let gate_base = self.gates.len() as u32;
        let part_base = self.parts.len() as u32;
        self.cycles.extend(
            other
                .cycles
                .iter()
                .map(|(a, b)| (a + gate_base, b + gate_base)),
        );
        self.parts.extend(other.parts.iter().map(|p| Part {
            shock: p.shock,
            day: p.day.map(|d| d + days),
        }));
        let own = |list: &[(u32, f64)]| -> Vec<(u32, f64)> {
            list.iter().map(|(p, l)| (p + part_base, *l)).collect()
        };
        let reads = |list: &[Read]| -> Vec<Read> {
            list.iter()
                .map(|r| Read {
                    gate: r.gate + gate_base,
                    ..*r
                })
                .collect()
        };
        self.gates.extend(other.gates.iter().map(|g| {
            match g {
                Gate::Line { own: o, inputs } => Gate::Line {
                    own: own(o),
                    inputs: reads(inputs),
                },
                Gate::Made { inputs, scarcity } => Gate::Made {
                    inputs: reads(inputs),
                    scarcity: own(scarcity),
                },
                Gate::Supply {
                    full,
                    makers,
                    scarcity,
                } => Gate::Supply {
                    full: *full,
                    makers: makers
                        .iter()
                        .map(|m| Maker {
                            gate: m.gate.map(|x| x + gate_base),
                            weight: m.weight,
                            cuts: own(&m.cuts),
                        })
                        .collect(),
                    scarcity: own(scarcity),
                },
                Gate::Mean { of } => Gate::Mean {
                    of: of.iter().map(|x| x + gate_base).collect(),
                },
            }
        }));
        Some(self.gates.len() as u32 - 1)
    }

    /// A firm's overlap from its lines': their mean.
    pub fn mean<'a>(lines: impl Iterator<Item = &'a Overlap>) -> Overlap {
        let mut out = Overlap::default();
        let mut of = Vec::new();
        let mut count = 0;
        for line in lines {
            count += 1;
            if let Some(g) = out.append(line, 0.0) {
                of.push(g);
            }
        }
        // A line with nothing traced is whole: it counts in the mean.
        let whole = count - of.len();
        if whole > 0 {
            out.gates.push(Gate::Made {
                inputs: Vec::new(),
                scarcity: Vec::new(),
            });
            let g = out.gates.len() as u32 - 1;
            of.extend(std::iter::repeat_n(g, whole));
        }
        out.gates.push(Gate::Mean { of });
        out
    }

    /// A firm that only buys, from what it buys: each input's overlap
    /// `days` of the firm's stock later, read as the firm reads it.
    pub fn bought<'a>(inputs: impl Iterator<Item = (&'a Overlap, f64, bool, f64)>) -> Overlap {
        let mut out = Overlap::default();
        let mut reads = Vec::new();
        for (input, days, critical, weight) in inputs {
            if let Some(gate) = out.append(input, days) {
                reads.push(Read {
                    gate,
                    critical,
                    weight,
                });
            }
        }
        out.gates.push(Gate::Made {
            inputs: reads,
            scarcity: Vec::new(),
        });
        out
    }
}

/// The gates a gate reads (without allocating: it runs per gate while a
/// trace is built).
pub(super) fn reads_of(gate: &Gate) -> impl Iterator<Item = u32> + '_ {
    let (inputs, makers, of): (&[Read], &[Maker], &[u32]) = match gate {
        Gate::Line { inputs, .. } | Gate::Made { inputs, .. } => (inputs, &[], &[]),
        Gate::Supply { makers, .. } => (&[], makers, &[]),
        Gate::Mean { of } => (&[], &[], of),
    };
    inputs
        .iter()
        .map(|r| r.gate)
        .chain(makers.iter().filter_map(|m| m.gate))
        .chain(of.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(shock: u32) -> Part {
        Part {
            shock,
            day: Some(0.0),
        }
    }

    /// Y = min(A, B) over two makers' supplies: A's only maker lost 30%,
    /// B's 20% (one part each).
    fn two_critical_inputs() -> Overlap {
        let line = |p: u32, loss: f64| Gate::Line {
            own: vec![(p, loss)],
            inputs: vec![],
        };
        let supply = |g: u32| Gate::Supply {
            full: 1.0,
            makers: vec![Maker {
                gate: Some(g),
                weight: 1.0,
                cuts: vec![],
            }],
            scarcity: vec![],
        };
        let read = |gate| Read {
            gate,
            critical: true,
            weight: 1.0,
        };
        Overlap {
            cycles: Vec::new(),
            parts: vec![part(1), part(2)],
            gates: vec![
                line(0, 0.3),
                supply(0),
                line(1, 0.2),
                supply(2),
                Gate::Made {
                    inputs: vec![read(1), read(3)],
                    scarcity: vec![],
                },
            ],
        }
    }

    #[test]
    fn critical_inputs_overlap_and_levels_add_parts_worst_first() {
        let o = two_critical_inputs();
        let mut v = Vec::new();
        // Both in force: min(0.7, 0.8) = 0.7, so 30% short, not 50%.
        assert!((o.shortfall(&[true, true], &mut v) - 0.3).abs() < 1e-12);
        assert!((o.shortfall(&[false, true], &mut v) - 0.2).abs() < 1e-12);
        assert_eq!(o.shortfall(&[false, false], &mut v), 0.0);
        // Part 2 races at 0.9, part 1 at 0.5: 20% from the first level,
        // 30% once both are in.
        let levels = o.levels(&[0.5, 0.9]);
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0].0, 0.9);
        assert!((levels[0].1 - 0.2).abs() < 1e-12);
        assert!((levels[1].1 - 0.3).abs() < 1e-12);
    }

    #[test]
    fn the_bulk_is_what_the_parts_make_together() {
        // Part 1 (30%) on day 100, part 2 (20%) on day 5: together 30%
        // short, so part 2's 20% is past half of it on day 5.
        let o = two_critical_inputs();
        let days = [100.0, 5.0];
        let by_day = |a: &f64, b: &f64| a.total_cmp(b);
        assert_eq!(o.bulk(&days, by_day, 1.0), Some(5.0));
        // Part 2 at 10% would not be: day 100.
        let mut weaker = o.clone();
        if let Gate::Line { own, .. } = &mut weaker.gates[2] {
            own[0].1 = 0.1;
        }
        assert_eq!(weaker.bulk(&days, by_day, 1.0), Some(100.0));
        // Nothing short: no bulk.
        let none = Overlap::default();
        assert_eq!(none.bulk(&[] as &[f64], by_day, 1.0), None);
    }

    #[test]
    fn a_firm_is_the_mean_of_its_lines_and_a_whole_line_counts() {
        let o = two_critical_inputs();
        let firm = Overlap::mean([&o, &Overlap::default()].into_iter());
        let mut v = Vec::new();
        // One line 30% short, the other whole: 15%.
        assert!((firm.shortfall(&[true, true], &mut v) - 0.15).abs() < 1e-12);
        assert_eq!(firm.parts.len(), 2);
    }

    #[test]
    fn makers_add_up_and_a_cut_takes_from_what_a_maker_still_makes() {
        // Two makers of 0.5 each: one lost half its capacity (part 0), the
        // other is cut by 40% for these buyers (part 1), over 90% of
        // recorded supply (full 1 with 10% unrecorded, not listed).
        let o = Overlap {
            cycles: Vec::new(),
            parts: vec![part(1), part(2)],
            gates: vec![
                Gate::Line {
                    own: vec![(0, 0.5)],
                    inputs: vec![],
                },
                Gate::Supply {
                    full: 1.0,
                    makers: vec![
                        Maker {
                            gate: Some(0),
                            weight: 0.45,
                            cuts: vec![],
                        },
                        Maker {
                            gate: None,
                            weight: 0.45,
                            cuts: vec![(1, 0.4)],
                        },
                    ],
                    scarcity: vec![],
                },
            ],
        };
        let mut v = Vec::new();
        // 0.45 × 0.5 + 0.45 × 0.4 = 0.405.
        assert!((o.shortfall(&[true, true], &mut v) - 0.405).abs() < 1e-12);
        let later = o.clone().delayed(10.0);
        assert_eq!(later.parts[0].day, Some(10.0));
    }
}
