//! Scratch space for one propagation, kept between propagations so that the
//! hot path allocates nothing: dense per-node stamps instead of hash sets, and
//! a bucket queue by evaluation rank instead of a binary heap.
//!
//! A node's dense index is its line index, or `lines + slot × items + item`
//! for an availability. Stamps compare against an epoch that advances per
//! propagation, so nothing is cleared between runs.

use super::node::{Node, ProfileIx};

/// One node's stamps, kept together: a node queued is soon visited and
/// saved, so one cache line serves all three.
#[derive(Debug, Default, Clone, Copy)]
struct Stamp {
    /// Epoch in which the node was queued and not yet popped.
    queued: u32,
    /// Epoch of the node's visit count; counts from older epochs are stale.
    visit_epoch: u32,
    visits: u32,
    /// Epoch in which the node's value before this propagation was saved.
    saved: u32,
}

/// Lists at least this long are made distinct through a bitset.
const BITSET_FROM: usize = 4096;

#[derive(Debug, Default)]
pub struct Work {
    lines: usize,
    items: usize,
    epoch: u32,
    stamps: Vec<Stamp>,
    /// (dense index, value before this propagation) of every node changed.
    pub originals: Vec<(u32, f64)>,
    buckets: Vec<Vec<u32>>,
    cursor: usize,
    pending: usize,
    /// One bit per index for [`Work::sorted_distinct`]; all clear between calls.
    seen: Vec<u64>,
}

impl Work {
    pub fn new(lines: usize, items: usize, ranks: usize) -> Work {
        Work {
            lines,
            items,
            buckets: vec![Vec::new(); ranks],
            cursor: ranks,
            ..Work::default()
        }
    }

    /// Starts a propagation over `slots` profile slots.
    pub fn begin(&mut self, slots: usize) {
        let size = self.lines + slots * self.items;
        if self.stamps.len() < size {
            self.stamps.resize(size, Stamp::default());
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // After 4 billion propagations, stamps could alias: clear once.
            self.stamps.iter_mut().for_each(|s| *s = Stamp::default());
            self.epoch = 1;
        }
        self.originals.clear();
        self.cursor = self.buckets.len();
        self.pending = 0;
    }

    pub fn index(&self, node: Node) -> u32 {
        match node {
            Node::Line(l) => l,
            Node::Avail(r, i) => (self.lines + r as usize * self.items + i as usize) as u32,
        }
    }

    pub fn node(&self, index: u32) -> Node {
        let ix = index as usize;
        if ix < self.lines {
            Node::Line(index)
        } else {
            let rest = ix - self.lines;
            Node::Avail((rest / self.items) as ProfileIx, (rest % self.items) as u32)
        }
    }

    /// Queues a node unless it is already waiting; returns whether it was queued.
    pub fn push(&mut self, index: u32, rank: u32) -> bool {
        let slot = &mut self.stamps[index as usize].queued;
        if *slot == self.epoch {
            return false;
        }
        *slot = self.epoch;
        let r = rank as usize;
        self.buckets[r].push(index);
        self.pending += 1;
        if r < self.cursor {
            self.cursor = r;
        }
        true
    }

    /// How many nodes wait.
    pub fn queued(&self) -> usize {
        self.pending
    }

    /// The waiting node of lowest rank.
    pub fn pop(&mut self) -> Option<u32> {
        if self.pending == 0 {
            return None;
        }
        while self.cursor < self.buckets.len() {
            if let Some(index) = self.buckets[self.cursor].pop() {
                self.pending -= 1;
                self.stamps[index as usize].queued = 0;
                return Some(index);
            }
            self.cursor += 1;
        }
        None
    }

    /// Empties the queue, handing each node waiting to `f` with its rank.
    /// Their stamps are left as they are: nothing is queued again in this
    /// propagation, and the next one starts a new epoch.
    pub fn drain(&mut self, mut f: impl FnMut(Node, u32)) {
        for r in self.cursor..self.buckets.len() {
            let bucket = std::mem::take(&mut self.buckets[r]);
            for &index in &bucket {
                f(self.node(index), r as u32);
            }
            // Keep the bucket's allocation for the next propagation.
            self.buckets[r] = bucket;
            self.buckets[r].clear();
        }
        self.pending = 0;
        self.cursor = self.buckets.len();
    }

    /// Counts a visit; returns the count so far in this propagation.
    pub fn visit(&mut self, index: u32) -> u32 {
        let i = index as usize;
        let s = &mut self.stamps[i];
        if s.visit_epoch != self.epoch {
            s.visit_epoch = self.epoch;
            s.visits = 0;
        }
        s.visits += 1;
        s.visits
    }

    /// Remembers a node's value before its first change in this propagation.
    pub fn save(&mut self, index: u32, value: f64) {
        let i = index as usize;
        if self.stamps[i].saved != self.epoch {
            self.stamps[i].saved = self.epoch;
            self.originals.push((index, value));
        }
    }

    /// Marks a node seen for a walk (shares the `saved` stamp's meaning only
    /// within one call; walks use their own epoch via `begin`).
    pub fn mark(&mut self, index: u32) -> bool {
        let i = index as usize;
        let s = &mut self.stamps[i];
        if s.visit_epoch == self.epoch {
            return false;
        }
        s.visit_epoch = self.epoch;
        s.visits = 0;
        true
    }

    /// `ids` sorted, each once. A long list goes through a bitset, whose
    /// scan yields the ids in order: sorting the 1.5 M firms the largest
    /// updates at 1M firms move (with repeats) took 90 ms of 450.
    pub fn sorted_distinct(&mut self, mut ids: Vec<u32>) -> Vec<u32> {
        if ids.len() < BITSET_FROM {
            ids.sort_unstable();
            ids.dedup();
            return ids;
        }
        let words = ids.iter().max().map_or(0, |m| *m as usize / 64 + 1);
        if self.seen.len() < words {
            self.seen.resize(words, 0);
        }
        for id in &ids {
            self.seen[*id as usize / 64] |= 1 << (id % 64);
        }
        ids.clear();
        for (w, word) in self.seen[..words].iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                ids.push((w * 64) as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        ids
    }

    pub fn heap_bytes(&self) -> usize {
        self.seen.capacity() * 8
            + self.stamps.capacity() * std::mem::size_of::<Stamp>()
            + self.originals.capacity() * 12
            + self
                .buckets
                .iter()
                .map(|b| b.capacity() * 4 + 24)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_rank_and_dedups() {
        let mut w = Work::new(4, 3, 10);
        w.begin(2);
        assert!(w.push(2, 5));
        assert!(!w.push(2, 5));
        assert!(w.push(1, 3));
        assert!(w.push(w.index(Node::Avail(1, 2)), 7));
        assert_eq!(w.pop(), Some(1));
        assert_eq!(w.pop(), Some(2));
        // A back edge: a lower rank pushed later is popped next.
        assert!(w.push(0, 1));
        assert_eq!(w.pop(), Some(0));
        let last = w.pop().unwrap();
        assert_eq!(w.node(last), Node::Avail(1, 2));
        assert_eq!(w.pop(), None);
        w.begin(2);
        assert!(w.push(2, 5), "a new propagation starts clean");
    }

    #[test]
    fn distinct_ids_come_sorted_either_way() {
        let mut w = Work::new(4, 2, 3);
        assert_eq!(w.sorted_distinct(vec![5, 1, 5, 0]), vec![0, 1, 5]);
        let long: Vec<u32> = (0..10_000u32).map(|k| (k * 7919) % 5000).collect();
        let mut expected = long.clone();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(w.sorted_distinct(long.clone()), expected);
        // The bitset is clear again: a second call sees only its own ids.
        assert_eq!(w.sorted_distinct(vec![3; 5000]), vec![3]);
    }

    #[test]
    fn visits_restart_each_propagation() {
        let mut w = Work::new(2, 1, 2);
        w.begin(1);
        assert_eq!(w.visit(0), 1);
        assert_eq!(w.visit(0), 2);
        w.begin(1);
        assert_eq!(w.visit(0), 1);
    }
}
