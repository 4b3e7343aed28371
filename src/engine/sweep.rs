//! The full recomputation: every value settled from full supply under the
//! shocks in force. It is the reference the incremental path is tested
//! against, and what an update falls back to when it would touch most of the
//! map.
//!
//! Groups are settled in dependency order, so an acyclic group takes one
//! pass. A cyclic group is passed over again until nothing in it moves by
//! more than epsilon, but a later pass evaluates only the items that read,
//! inside the group, an item that moved after they were last evaluated: the
//! feedback of a cycle is usually light, and passing over the whole group
//! again would cost a pass per turn of the slowest cycle.

use crate::map::{FirmIx, ItemIx, LineIx};

use super::{Engine, Node, Outcome, ProfileIx};

impl Engine {
    /// Recomputes every value from full supply: the reference the incremental
    /// path must agree with, and the way to settle after a bulk load.
    pub fn recompute_full(&mut self) -> Outcome {
        let before_items: Vec<f64> = self.home_avail().to_vec();
        let before_lines = self.line_out.clone();
        self.line_out.iter_mut().for_each(|v| *v = 1.0);
        for p in self.profiles.iter_mut().flatten() {
            p.avail.iter_mut().for_each(|v| *v = 1.0);
        }
        let live: Vec<ProfileIx> = self.live_profiles().collect();
        let mut evaluations = 0u64;
        let mut bounded = false;
        // Per item, on one clock: when it was last evaluated, when it last
        // moved by more than epsilon (0: never).
        let n = self.map.items.len();
        let mut evaluated_at = vec![0u64; n];
        let mut moved_at = vec![0u64; n];
        let mut clock = 0u64;
        for g in 0..self.order.groups() {
            let cyclic = self.order.cyclic[g as usize];
            let mut passes = 0;
            loop {
                let mut moved = false;
                for k in 0..self.order.group_items(g).len() {
                    let i = self.order.group_items(g)[k];
                    let stale = passes == 0
                        || self
                            .order
                            .group_inputs(i)
                            .iter()
                            .any(|c| moved_at[*c as usize] > evaluated_at[i as usize]);
                    if !stale {
                        continue;
                    }
                    clock += 1;
                    evaluated_at[i as usize] = clock;
                    let (count, item_moved) = self.settle_item(i, &live);
                    evaluations += count;
                    if item_moved {
                        // After its own evaluation: an item that reads
                        // itself (a firm buying what it makes) is stale now.
                        clock += 1;
                        moved_at[i as usize] = clock;
                        moved = true;
                    }
                }
                passes += 1;
                if !cyclic || !moved {
                    break;
                }
                if passes >= self.cfg.max_visits {
                    bounded = true;
                    break;
                }
            }
        }
        let eps = self.cfg.epsilon;
        let home = self.home_avail();
        let items = (0..home.len())
            .filter(|i| (home[*i] - before_items[*i]).abs() > eps)
            .map(|i| i as ItemIx)
            .collect();
        let mut firms: Vec<FirmIx> = before_lines
            .iter()
            .zip(&self.line_out)
            .enumerate()
            .filter(|(_, (a, b))| (*a - *b).abs() > eps)
            .map(|(l, _)| self.map.line(l as LineIx).firm)
            .collect();
        firms.sort_unstable();
        firms.dedup();
        Outcome {
            items,
            firms,
            evaluations,
            bounded,
            touched: Vec::new(),
            swept: true,
        }
    }

    /// Evaluates an item's lines, then its availability to every profile
    /// that keeps it. Returns the evaluations spent and whether an
    /// availability (what other items read) moved by more than epsilon.
    fn settle_item(&mut self, i: ItemIx, live: &[ProfileIx]) -> (u64, bool) {
        let eps = self.cfg.epsilon;
        let off = self.map.lines_offset(i);
        let count = self.map.producers(i).len() as LineIx;
        // As in propagation, a value moves only by more than epsilon, so
        // every value ends within epsilon of its rule (see `gain`).
        for l in off..off + count {
            let v = self.eval(Node::Line(l));
            let slot = &mut self.line_out[l as usize];
            if (v - *slot).abs() > eps {
                *slot = v;
            }
        }
        let mut evaluations = count as u64;
        let mut moved = false;
        for &r in live {
            if !self.profile(r).owns(i) {
                continue;
            }
            let v = self.eval(Node::Avail(r, i));
            evaluations += 1;
            let slot = &mut self.profile_mut(r).avail[i as usize];
            if (v - *slot).abs() > eps {
                *slot = v;
                moved = true;
            }
        }
        (evaluations, moved)
    }
}
