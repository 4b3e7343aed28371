//! The full recomputation: every value settled from full supply under the
//! shocks in force. It is the reference the incremental path is tested
//! against; and the ordered sweep an update finishes with once it has
//! touched much of the map.
//!
//! Groups are settled in dependency order, so an acyclic group takes one
//! pass. Only what is stale is evaluated: everything at first in a full
//! recomputation; what an update left queued when it turns to a sweep; and
//! whatever reads an availability that moved by more than epsilon. Stale
//! lines are bits, read in line order as an item's lines are evaluated, so
//! a sweep costs a fraction of what the same evaluations cost node by node
//! from a queue. A cyclic group is passed over again while any of its items
//! is stale: the feedback of a cycle is usually light, and passing over the
//! whole group again would cost a pass per turn of the slowest cycle.
//!
//! Items are settled a wave at a time ([`super::waves`]): items of a wave
//! neither read nor feed each other, so their lines, then their
//! availabilities, are evaluated on several cores when there are many,
//! with the values one core gives.

use crate::map::{FirmIx, ItemIx, LineIx};

use super::stale::Stale;
use super::waves::{on_cores, Wave};
use super::{work::Work, Engine, Node, Outcome, ProfileIx};

/// Where a sweep finishing an update records what it moved, as
/// propagation does: values before their first change, and the firms
/// without lines whose inputs moved.
pub(super) struct Moves<'a> {
    pub work: &'a mut Work,
    pub consumers: &'a mut Vec<FirmIx>,
}

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
        let mut stale = Stale::all(self.map.items.len(), self.map.line_count());
        let (evaluations, bounded) = self.sweep_groups(&mut stale, None);
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

    /// Settles the groups in dependency order from the values they hold,
    /// evaluating what is `stale` (groups with nothing stale cost a look at
    /// each item), and records what moved in `moves` when given. Returns
    /// the evaluations spent and whether a cyclic group hit `max_visits`
    /// passes before settling.
    pub(super) fn sweep_groups(
        &mut self,
        stale: &mut Stale,
        mut moves: Option<Moves>,
    ) -> (u64, bool) {
        let live: Vec<ProfileIx> = self.live_profiles().collect();
        let mut wave = Wave::new(self.cfg.sweep_threads);
        let mut evaluations = 0u64;
        let mut bounded = false;
        for s in 0..self.order.waves.segments() {
            let cyclic = self.order.waves.cyclic(s);
            let mut passes = 0;
            loop {
                for w in self.order.waves.segment(s) {
                    wave.items.clear();
                    for &i in self.order.waves.wave(w) {
                        if std::mem::take(&mut stale.items[i as usize]) {
                            wave.items.push(i);
                        }
                    }
                    evaluations += self.settle_wave(&mut wave, &live, stale, moves.as_mut());
                }
                passes += 1;
                // An item that moved marked what reads it in its group, an
                // item reading itself (a firm buying what it makes) included.
                let segment = self.order.waves.segment_items(s);
                let unsettled = cyclic && segment.iter().any(|i| stale.items[*i as usize]);
                if !unsettled {
                    break;
                }
                if passes >= self.cfg.max_visits {
                    bounded = true;
                    for &i in segment {
                        stale.items[i as usize] = false;
                        let off = self.map.lines_offset(i);
                        stale.clear_lines(off, off + self.map.producers(i).len() as LineIx);
                    }
                    break;
                }
            }
        }
        (evaluations, bounded)
    }

    /// Settles the stale items of one wave: their stale lines first, then
    /// each item's availability to every profile that keeps it; an
    /// availability moving by more than epsilon makes what reads it stale.
    /// No item of a wave reads or feeds another, so this is what settling
    /// them one by one in rank order gives. Both steps are split over
    /// cores when the wave is large: each core writes what moved, and what
    /// it makes stale, to its own buffers, merged here in item order.
    fn settle_wave(
        &mut self,
        wave: &mut Wave,
        live: &[ProfileIx],
        stale: &mut Stale,
        mut moves: Option<&mut Moves>,
    ) -> u64 {
        if wave.items.is_empty() {
            return 0;
        }
        let split_from = self.cfg.sweep_split_from as u64;
        let eps = self.cfg.epsilon;
        let lines = |i: ItemIx| {
            let off = self.map.lines_offset(i);
            (off, off + self.map.producers(i).len() as LineIx)
        };
        let bounds = wave.line_spans(split_from, lines, stale);
        wave.lines_moved.iter_mut().for_each(Vec::clear);
        // As in propagation, a value moves only by more than epsilon, so
        // every value ends within epsilon of its rule (see `gain`).
        let mut evaluations = on_cores(
            &wave.spans,
            &bounds,
            &mut wave.lines_moved,
            |spans, moved| {
                let mut evaluations = 0;
                for &(mut from, end) in spans {
                    while let Some(l) = stale.next(from, end) {
                        from = l + 1;
                        evaluations += 1;
                        let v = self.eval(Node::Line(l));
                        if (v - self.line_out[l as usize]).abs() > eps {
                            moved.push((l, v));
                        }
                    }
                }
                evaluations
            },
        );
        for &(l, v) in wave.lines_moved.iter().flatten() {
            let slot = &mut self.line_out[l as usize];
            if let Some(m) = moves.as_deref_mut() {
                m.work.save(l, *slot);
            }
            *slot = v;
        }
        for &(from, end) in &wave.spans {
            stale.clear_lines(from, end);
        }
        // Marking what reads a moved item is most of this step.
        let bounds = wave.split(split_from, |i| {
            (self.readers.lines(i).len() + self.map.recipe_users(i).len()) as u64
        });
        let cores = bounds.len() - 1;
        let mut outs = Wave::avail_buffers(
            &mut wave.avail_moved,
            &mut wave.marked,
            stale,
            &self.map,
            cores,
        );
        evaluations += on_cores(&wave.items, &bounds, &mut outs, |items, (moved, stale)| {
            items
                .iter()
                .map(|&i| self.item_avail(i, live, moved, stale))
                .sum()
        });
        drop(outs);
        for others in wave.marked.iter_mut().take(cores - 1) {
            stale.absorb(others);
        }
        for &(r, i, v) in wave.avail_moved.iter().flatten() {
            let before = std::mem::replace(&mut self.profile_mut(r).avail[i as usize], v);
            if let Some(m) = moves.as_deref_mut() {
                m.work.save(m.work.index(Node::Avail(r, i)), before);
                self.push_consumers(r, i, m.consumers);
            }
        }
        evaluations
    }

    /// Item `i`'s availability to every live profile that keeps it, from
    /// its lines as they stand: those that moved go to `moved`, and what
    /// reads the item is marked in `stale` when one did.
    fn item_avail(
        &self,
        i: ItemIx,
        live: &[ProfileIx],
        moved: &mut Vec<(ProfileIx, ItemIx, f64)>,
        stale: &mut Stale,
    ) -> u64 {
        let eps = self.cfg.epsilon;
        let mut evaluations = 0;
        let before = moved.len();
        let uncut = (!self.map.is_assembled(i)).then(|| self.uncut_supply(i));
        for &r in live {
            if !self.profile(r).owns(i) {
                continue;
            }
            let v = match uncut {
                Some(uncut) => self.produced_avail(r, i, uncut),
                None => self.eval(Node::Avail(r, i)),
            };
            evaluations += 1;
            if (v - self.profile(r).avail[i as usize]).abs() > eps {
                moved.push((r, i, v));
            }
        }
        if moved.len() > before {
            self.mark_readers(i, stale);
        }
        evaluations
    }

    /// Makes `node`, of evaluation `rank`, stale. The rank names a line's
    /// item, so marking reads no line record (see `stale_from_queue`).
    pub(super) fn mark_stale(&self, node: Node, rank: u32, stale: &mut Stale) {
        match node {
            Node::Line(l) => stale.line(l, self.order.items[rank as usize / 2]),
            Node::Avail(_, i) => stale.item(i),
        }
    }

    /// The firms without lines that buy item `i` under profile `r`.
    pub(super) fn push_consumers(&self, r: ProfileIx, i: ItemIx, firms: &mut Vec<FirmIx>) {
        firms.extend(
            self.readers
                .consumers(i)
                .iter()
                .filter(|f| self.buyers.firm(**f) == r),
        );
    }

    /// Makes stale what reads item `c`'s availability to some profile: the
    /// items made from it and their lines, and the lines of the firms
    /// buying it.
    pub(super) fn mark_readers(&self, c: ItemIx, stale: &mut Stale) {
        let map = &*self.map;
        for &i in map.recipe_users(c) {
            stale.item(i);
            let off = map.lines_offset(i);
            for l in off..off + map.producers(i).len() as LineIx {
                stale.line(l, i);
            }
        }
        // Buyers under another profile are marked too: a needless
        // evaluation costs less than looking up every buyer's profile.
        for reader in self.readers.lines(c) {
            stale.line(reader.line, self.order.items[reader.rank as usize / 2]);
        }
    }
}
