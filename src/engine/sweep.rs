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

use crate::map::{FirmIx, ItemIx, LineIx};

use super::{work::Work, Engine, Node, Outcome, ProfileIx};

/// What a sweep must still evaluate: per item, whether any of it is
/// stale (its availability is evaluated with its stale lines); per line,
/// one bit.
pub(super) struct Stale {
    items: Vec<bool>,
    lines: Vec<u64>,
}

impl Stale {
    pub fn none(items: usize, lines: usize) -> Stale {
        Stale {
            items: vec![false; items],
            lines: vec![0; lines.div_ceil(64)],
        }
    }

    fn all(items: usize, lines: usize) -> Stale {
        Stale {
            items: vec![true; items],
            lines: vec![u64::MAX; lines.div_ceil(64)],
        }
    }

    pub fn item(&mut self, i: ItemIx) {
        self.items[i as usize] = true;
    }

    pub fn line(&mut self, l: LineIx, item: ItemIx) {
        self.lines[l as usize / 64] |= 1 << (l % 64);
        self.items[item as usize] = true;
    }

    /// The first stale line of `from..end`, which no longer is. Reads a
    /// word of 64 lines at a time: an item's lines are often only partly
    /// stale, and testing them one by one was a sixth of the sweep's own
    /// time (perf at 1M firms).
    fn take_next(&mut self, from: LineIx, end: LineIx) -> Option<LineIx> {
        let (mut at, end) = (from as u64, end as u64);
        while at < end {
            let w = (at / 64) as usize;
            let word = self.lines[w] & (u64::MAX << (at % 64));
            if word != 0 {
                let l = w as u64 * 64 + word.trailing_zeros() as u64;
                if l >= end {
                    return None;
                }
                self.lines[w] &= !(1u64 << (l % 64));
                return Some(l as LineIx);
            }
            at = (w as u64 + 1) * 64;
        }
        None
    }

    /// Whether line `l` was stale; it no longer is.
    fn take_line(&mut self, l: LineIx) -> bool {
        let word = &mut self.lines[l as usize / 64];
        let bit = 1u64 << (l % 64);
        let was = *word & bit != 0;
        *word &= !bit;
        was
    }
}

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
        let mut evaluations = 0u64;
        let mut bounded = false;
        for g in 0..self.order.groups() {
            let cyclic = self.order.cyclic[g as usize];
            let mut passes = 0;
            loop {
                for k in 0..self.order.group_items(g).len() {
                    let i = self.order.group_items(g)[k];
                    if !std::mem::take(&mut stale.items[i as usize]) {
                        continue;
                    }
                    evaluations += self.settle_item(i, &live, stale, moves.as_mut());
                }
                passes += 1;
                // An item that moved marked what reads it in its group, an
                // item reading itself (a firm buying what it makes) included.
                let unsettled = cyclic
                    && self
                        .order
                        .group_items(g)
                        .iter()
                        .any(|i| stale.items[*i as usize]);
                if !unsettled {
                    break;
                }
                if passes >= self.cfg.max_visits {
                    bounded = true;
                    for &i in self.order.group_items(g) {
                        stale.items[i as usize] = false;
                        let off = self.map.lines_offset(i);
                        for l in off..off + self.map.producers(i).len() as LineIx {
                            stale.take_line(l);
                        }
                    }
                    break;
                }
            }
        }
        (evaluations, bounded)
    }

    /// Evaluates an item's stale lines, then its availability to every
    /// profile that keeps it; an availability moving by more than epsilon
    /// makes what reads it stale. Returns the evaluations spent.
    fn settle_item(
        &mut self,
        i: ItemIx,
        live: &[ProfileIx],
        stale: &mut Stale,
        mut moves: Option<&mut Moves>,
    ) -> u64 {
        let eps = self.cfg.epsilon;
        let off = self.map.lines_offset(i);
        let count = self.map.producers(i).len() as LineIx;
        let mut evaluations = 0;
        // As in propagation, a value moves only by more than epsilon, so
        // every value ends within epsilon of its rule (see `gain`).
        let mut from = off;
        while let Some(l) = stale.take_next(from, off + count) {
            from = l + 1;
            evaluations += 1;
            let v = self.eval(Node::Line(l));
            let slot = &mut self.line_out[l as usize];
            if (v - *slot).abs() > eps {
                if let Some(m) = moves.as_deref_mut() {
                    m.work.save(l, *slot);
                }
                *slot = v;
            }
        }
        let mut moved = false;
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
            let slot = &mut self.profile_mut(r).avail[i as usize];
            if (v - *slot).abs() <= eps {
                continue;
            }
            let before = std::mem::replace(slot, v);
            if let Some(m) = moves.as_deref_mut() {
                m.work.save(m.work.index(Node::Avail(r, i)), before);
                self.push_consumers(r, i, m.consumers);
            }
            moved = true;
        }
        if moved {
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

#[cfg(test)]
mod tests {
    use super::Stale;

    #[test]
    fn stale_lines_are_taken_in_order_once_and_only_inside_the_range() {
        let mut stale = Stale::none(1, 300);
        for l in [3, 63, 64, 130, 199, 200, 299] {
            stale.line(l, 0);
        }
        let mut taken = Vec::new();
        let mut from = 60;
        while let Some(l) = stale.take_next(from, 200) {
            taken.push(l);
            from = l + 1;
        }
        assert_eq!(taken, [63, 64, 130, 199]);
        // What lay outside stays stale; what was taken does not.
        assert!(stale.take_line(3) && stale.take_line(200) && stale.take_line(299));
        assert!(!stale.take_line(64));
        assert_eq!(stale.take_next(0, 300), None);
    }
}
