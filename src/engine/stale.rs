//! What an ordered sweep must still evaluate: one flag per item and one
//! bit per production line, read and cleared a word of 64 lines at a time
//! (an item's lines lie together, in line order).

use crate::map::{ItemIx, LineIx};

/// What a sweep must still evaluate: per item, whether any of it is
/// stale (its availability is evaluated with its stale lines); per line,
/// one bit.
pub(super) struct Stale {
    pub(super) items: Vec<bool>,
    lines: Vec<u64>,
}

impl Stale {
    pub fn none(items: usize, lines: usize) -> Stale {
        Stale {
            items: vec![false; items],
            lines: vec![0; lines.div_ceil(64)],
        }
    }

    pub(super) fn all(items: usize, lines: usize) -> Stale {
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

    /// The first stale line of `from..end`. Reads a word of 64 lines at a
    /// time: an item's lines are often only partly stale, and testing them
    /// one by one was a sixth of the sweep's own time (perf at 1M firms).
    pub(super) fn next(&self, from: LineIx, end: LineIx) -> Option<LineIx> {
        let (mut at, end) = (from as u64, end as u64);
        while at < end {
            let w = (at / 64) as usize;
            let word = self.lines[w] & (u64::MAX << (at % 64));
            if word != 0 {
                let l = w as u64 * 64 + word.trailing_zeros() as u64;
                return (l < end).then_some(l as LineIx);
            }
            at = (w as u64 + 1) * 64;
        }
        None
    }

    /// The stale lines in `from..end`.
    pub(super) fn count(&self, from: LineIx, end: LineIx) -> u64 {
        self.words(from, end)
            .map(|(w, mask)| (self.lines[w] & mask).count_ones() as u64)
            .sum()
    }

    /// The line just past the `n`th stale line of `from..end` (`from` for
    /// none; `end` when there are fewer).
    pub(super) fn after(&self, from: LineIx, end: LineIx, mut n: u64) -> LineIx {
        if n == 0 {
            return from;
        }
        for (w, mask) in self.words(from, end) {
            let mut word = self.lines[w] & mask;
            let ones = word.count_ones() as u64;
            if ones < n {
                n -= ones;
                continue;
            }
            for _ in 1..n {
                word &= word - 1;
            }
            return (w as u64 * 64 + word.trailing_zeros() as u64 + 1) as LineIx;
        }
        end
    }

    /// Makes lines `from..end` fresh.
    pub(super) fn clear_lines(&mut self, from: LineIx, end: LineIx) {
        for (w, mask) in self.words(from, end) {
            self.lines[w] &= !mask;
        }
    }

    /// Takes in what `other` marks, leaving it empty.
    pub(super) fn absorb(&mut self, other: &mut Stale) {
        for (mine, theirs) in self.lines.iter_mut().zip(&mut other.lines) {
            *mine |= std::mem::take(theirs);
        }
        for (mine, theirs) in self.items.iter_mut().zip(&mut other.items) {
            *mine |= std::mem::take(theirs);
        }
    }

    /// The words holding lines `from..end`, each with the mask of those lines.
    fn words(&self, from: LineIx, end: LineIx) -> impl Iterator<Item = (usize, u64)> {
        let (from, end) = (from as u64, end as u64);
        let first = (from / 64) as usize;
        let last = end.div_ceil(64) as usize;
        (first..last.max(first)).map(move |w| {
            let lo = (w as u64 * 64).max(from);
            let hi = ((w as u64 + 1) * 64).min(end);
            let bits = hi.saturating_sub(lo);
            let mask = if bits == 64 {
                u64::MAX
            } else {
                ((1u64 << bits) - 1) << (lo % 64)
            };
            (w, mask)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Stale;

    #[test]
    fn stale_lines_are_found_in_order_only_inside_the_range_and_cleared_by_range() {
        let mut stale = Stale::none(1, 300);
        for l in [3, 63, 64, 130, 199, 200, 299] {
            stale.line(l, 0);
        }
        let mut found = Vec::new();
        let mut from = 60;
        while let Some(l) = stale.next(from, 200) {
            found.push(l);
            from = l + 1;
        }
        assert_eq!(found, [63, 64, 130, 199]);
        assert_eq!(stale.count(60, 200), 4);
        assert_eq!(stale.count(0, 300), 7);
        assert_eq!(stale.count(64, 65), 1);
        assert_eq!(stale.after(60, 200, 0), 60);
        assert_eq!(stale.after(60, 200, 1), 64);
        assert_eq!(stale.after(60, 200, 2), 65);
        assert_eq!(stale.after(60, 200, 4), 200);
        assert_eq!(stale.after(60, 200, 9), 200);
        stale.clear_lines(63, 200);
        // What lay outside stays stale; what lay inside does not.
        assert_eq!(stale.count(0, 300), 3);
        assert_eq!(stale.next(0, 300), Some(3));
        assert_eq!(stale.next(4, 300), Some(200));
        stale.clear_lines(0, 300);
        assert_eq!(stale.next(0, 300), None);
        stale.clear_lines(5, 5);
    }
}
