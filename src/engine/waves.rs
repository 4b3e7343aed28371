//! Waves: the order in which a sweep settles items, cut into sets whose
//! items it may settle on several cores at once.
//!
//! Items that neither read nor feed each other can be evaluated in either
//! order with the same result. A wave is such a set: no item of it reads
//! another (or is read by it) through a recipe or a bought input. Waves are
//! assigned greedily along the evaluation order, each item one past the
//! waves of its neighbours ranked before it, so every pair of neighbours
//! keeps the order the ranks give them and a sweep by waves computes
//! exactly what a sweep by rank does. Waves are planned inside a
//! *segment*: a cyclic group, which a sweep passes over until it settles,
//! or a run of acyclic groups, which one pass settles. At 1M firms the
//! 25 000 items fall into 15 waves over 3 segments; the largest wave holds
//! 913 000 of the 2.8 M lines.
//!
//! Also here: the buffers a wave is settled with, per core, and the run
//! of a wave's items over cores.

use crate::map::{ChainMap, ItemIx, LineIx};

use super::{rank::Order, stale::Stale, ProfileIx};

/// The sweep's plan: items by segment, wave and rank.
#[derive(Debug, Clone, Default)]
pub struct Waves {
    items: Vec<ItemIx>,
    /// Where each wave starts in `items`; one extra entry closes the last.
    wave_start: Vec<u32>,
    /// Each segment's first wave; one extra entry closes the last.
    segment_start: Vec<u32>,
    /// Per segment: a cyclic group, passed over until it settles.
    cyclic: Vec<bool>,
}

impl Waves {
    /// Plans the waves of `order`, given each item's users (the items that
    /// read it, through a recipe or a bought input).
    pub fn plan<'a>(order: &Order, users: impl Fn(ItemIx) -> &'a [ItemIx]) -> Waves {
        let n = order.items.len();
        let mut cyclic = Vec::new();
        let segment: Vec<u32> = (0..order.cyclic.len())
            .map(|g| {
                let alone = order.cyclic[g];
                if g == 0 || alone || order.cyclic[g - 1] {
                    cyclic.push(alone);
                }
                cyclic.len() as u32 - 1
            })
            .collect();
        let segment_of = |i: ItemIx| segment[order.group[i as usize] as usize];
        // `floor[i]`: one past the waves of the neighbours ranked before i
        // that feed it; those it feeds are read from their wave directly.
        let mut wave = vec![0u32; n];
        let mut floor = vec![0u32; n];
        for (r, &i) in order.items.iter().enumerate() {
            let s = segment_of(i);
            let mut w = floor[i as usize];
            for &u in users(i) {
                if u != i && segment_of(u) == s && (order.rank[u as usize] as usize) < r {
                    w = w.max(wave[u as usize] + 1);
                }
            }
            wave[i as usize] = w;
            for &u in users(i) {
                if segment_of(u) == s && order.rank[u as usize] as usize > r {
                    let f = &mut floor[u as usize];
                    *f = (*f).max(w + 1);
                }
            }
        }
        let mut items = order.items.clone();
        items.sort_by_key(|i| (segment_of(*i), wave[*i as usize], order.rank[*i as usize]));
        let mut wave_start = Vec::new();
        let mut segment_start = Vec::new();
        for (k, &i) in items.iter().enumerate() {
            let key = (segment_of(i), wave[i as usize]);
            let first_of_wave = k == 0 || {
                let p = items[k - 1];
                (segment_of(p), wave[p as usize]) != key
            };
            if first_of_wave {
                if k == 0 || segment_of(items[k - 1]) != key.0 {
                    segment_start.push(wave_start.len() as u32);
                }
                wave_start.push(k as u32);
            }
        }
        wave_start.push(n as u32);
        segment_start.push(wave_start.len() as u32 - 1);
        Waves {
            items,
            wave_start,
            segment_start,
            cyclic,
        }
    }

    pub fn segments(&self) -> usize {
        self.cyclic.len()
    }

    pub fn cyclic(&self, s: usize) -> bool {
        self.cyclic[s]
    }

    /// The waves of segment `s`, as indices for [`Waves::wave`].
    pub fn segment(&self, s: usize) -> std::ops::Range<usize> {
        self.segment_start[s] as usize..self.segment_start[s + 1] as usize
    }

    /// The items of segment `s`.
    pub fn segment_items(&self, s: usize) -> &[ItemIx] {
        let waves = self.segment(s);
        &self.items[self.wave_start[waves.start] as usize..self.wave_start[waves.end] as usize]
    }

    pub fn wave(&self, w: usize) -> &[ItemIx] {
        &self.items[self.wave_start[w] as usize..self.wave_start[w + 1] as usize]
    }

    pub fn heap_bytes(&self) -> usize {
        self.items.capacity() * 4
            + self.wave_start.capacity() * 4
            + self.segment_start.capacity() * 4
            + self.cyclic.capacity()
    }
}

/// A sweep's buffers for one wave, kept between waves: its stale items,
/// and per core what moved and what it made stale.
pub(super) struct Wave {
    pub items: Vec<ItemIx>,
    pub lines_moved: Vec<Vec<(LineIx, f64)>>,
    pub avail_moved: Vec<Vec<(ProfileIx, ItemIx, f64)>>,
    /// What the cores other than this thread's made stale, merged after
    /// each wave (made when first needed: a sweep that never splits
    /// allocates none).
    pub marked: Vec<Stale>,
    /// Spans of lines to evaluate, for [`Wave::line_spans`].
    pub spans: Vec<(LineIx, LineIx)>,
    /// Each item's weight, for [`Wave::split`].
    weights: Vec<u64>,
}

impl Wave {
    pub fn new(cores: usize) -> Wave {
        let cores = cores.max(1);
        Wave {
            items: Vec::new(),
            lines_moved: vec![Vec::new(); cores],
            avail_moved: vec![Vec::new(); cores],
            marked: Vec::new(),
            spans: Vec::new(),
            weights: Vec::new(),
        }
    }

    /// Cuts the items into runs of about equal `weight`, one per core, as
    /// boundaries into `items` (first 0, last `items.len()`); one run when
    /// their weight is under `split_from`.
    pub fn split(&mut self, split_from: u64, weight: impl Fn(ItemIx) -> u64) -> Vec<usize> {
        let n = self.items.len();
        let cores = self.lines_moved.len();
        if cores == 1 {
            return vec![0, n];
        }
        self.weights.clear();
        self.weights.extend(self.items.iter().map(|&i| weight(i)));
        let total: u64 = self.weights.iter().sum();
        if total < split_from {
            return vec![0, n];
        }
        let mut bounds = vec![0];
        let mut acc = 0;
        for (k, c) in self.weights.iter().enumerate() {
            acc += c;
            if acc * cores as u64 >= total * bounds.len() as u64 && bounds.len() < cores {
                bounds.push(k + 1);
            }
        }
        bounds.resize(cores, n);
        bounds.push(n);
        bounds
    }

    /// Cuts the stale lines of the items into spans of lines, in item
    /// order, and the spans into runs of about equal stale lines, one per
    /// core (boundaries into `spans`, as for [`Wave::split`]). An item's
    /// lines may be cut between cores: lines read only availabilities, and
    /// one hub item can hold most of a wave's stale lines.
    pub fn line_spans(
        &mut self,
        split_from: u64,
        lines: impl Fn(ItemIx) -> (LineIx, LineIx),
        stale: &Stale,
    ) -> Vec<usize> {
        self.spans.clear();
        let cores = self.lines_moved.len() as u64;
        // Counting stale lines costs a pass over the wave's words: skipped
        // when even all of its lines would be too few to split.
        let all: u64 = self
            .items
            .iter()
            .map(|&i| lines(i))
            .map(|(f, e)| u64::from(e - f))
            .sum();
        let total: u64 = if cores == 1 || all < split_from {
            0
        } else {
            self.weights.clear();
            self.weights.extend(self.items.iter().map(|&i| {
                let (from, end) = lines(i);
                stale.count(from, end)
            }));
            self.weights.iter().sum()
        };
        if cores == 1 || total < split_from {
            self.spans.extend(self.items.iter().map(|&i| lines(i)));
            return vec![0, self.spans.len()];
        }
        let mut bounds = vec![0];
        let mut taken = 0;
        for (k, &i) in self.items.iter().enumerate() {
            let (mut from, end) = lines(i);
            let mut left = self.weights[k];
            while (bounds.len() as u64) < cores {
                let target = total * bounds.len() as u64 / cores;
                if taken + left < target {
                    break;
                }
                let cut = stale.after(from, end, target - taken);
                self.spans.push((from, cut));
                bounds.push(self.spans.len());
                left -= target - taken;
                taken = target;
                from = cut;
            }
            self.spans.push((from, end));
            taken += left;
        }
        bounds.resize(cores as usize, self.spans.len());
        bounds.push(self.spans.len());
        bounds
    }

    /// Per core, empty lists for the availabilities that move and where
    /// to mark what reads them: this thread's core marks `stale` itself.
    pub fn avail_buffers<'a>(
        moved: &'a mut [Vec<(ProfileIx, ItemIx, f64)>],
        marked: &'a mut Vec<Stale>,
        stale: &'a mut Stale,
        map: &ChainMap,
        cores: usize,
    ) -> Vec<AvailBuffer<'a>> {
        while marked.len() + 1 < cores {
            marked.push(Stale::none(map.items.len(), map.line_count()));
        }
        moved.iter_mut().for_each(Vec::clear);
        let marks = std::iter::once(stale).chain(marked.iter_mut());
        moved.iter_mut().zip(marks).take(cores).collect()
    }
}

/// One core's availabilities that moved, and where it marks what reads
/// them.
pub(super) type AvailBuffer<'a> = (&'a mut Vec<(ProfileIx, ItemIx, f64)>, &'a mut Stale);

/// Runs `work` over the runs of `items` that `bounds` cut, each with its
/// own output: the first on this thread, each other on a thread of its
/// own. Returns the sum of what they return.
pub(super) fn on_cores<T: Sync, O: Send>(
    items: &[T],
    bounds: &[usize],
    outs: &mut [O],
    work: impl Fn(&[T], &mut O) -> u64 + Sync,
) -> u64 {
    let run = |k: usize| &items[bounds[k]..bounds[k + 1]];
    if bounds.len() <= 2 {
        return work(items, &mut outs[0]);
    }
    let work = &work;
    let (mut total, refused) = std::thread::scope(|scope| {
        let mut outs = outs.iter_mut().enumerate();
        let Some((_, first_out)) = outs.next() else {
            return (0, Vec::new());
        };
        let mut others = Vec::new();
        let mut refused = Vec::new();
        for (k, out) in outs.take(bounds.len() - 2) {
            let run = run(k);
            match spawn(scope, move || work(run, out)) {
                Ok(other) => others.push(other),
                Err(_) => refused.push(k),
            }
        }
        let mut total = work(run(0), first_out);
        for other in others {
            total += other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        (total, refused)
    });
    // A run the OS gave no thread to is done here once the others are:
    // each run writes only its own output, so the order changes nothing.
    for k in refused {
        total += work(run(k), &mut outs[k]);
    }
    total
}

fn spawn<'scope, 'env, R: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> R + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, R>> {
    #[cfg(test)]
    if tests::REFUSE_THREADS.with(std::cell::Cell::get) {
        return Err(std::io::Error::other("threads refused by the test"));
    }
    std::thread::Builder::new().spawn_scoped(scope, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Makes [`spawn`] fail on this thread, as when the OS refuses one.
        pub(super) static REFUSE_THREADS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    fn squares_on_cores(bounds: &[usize]) -> (u64, Vec<Vec<u64>>) {
        let items: Vec<u64> = (0..100).collect();
        let mut outs = vec![Vec::new(); bounds.len() - 1];
        let total = on_cores(&items, bounds, &mut outs, |run, out: &mut Vec<u64>| {
            out.extend(run.iter().map(|i| i * i));
            run.len() as u64
        });
        (total, outs)
    }

    #[test]
    fn runs_the_os_gives_no_thread_are_done_on_the_caller() {
        let bounds = [0, 30, 60, 100];
        let threaded = squares_on_cores(&bounds);
        REFUSE_THREADS.with(|r| r.set(true));
        let refused = squares_on_cores(&bounds);
        REFUSE_THREADS.with(|r| r.set(false));
        assert_eq!(threaded.0, 100);
        assert_eq!(refused, threaded);
        assert_eq!(refused.1[2], (60..100).map(|i| i * i).collect::<Vec<u64>>());
    }

    /// Items 0..7 in rank order: groups {0} {1} {2,3} {4} {5} {6}, the
    /// pair a cycle. Edges (input -> user): 0->2, 1->3, 2->3, 3->2, 3->4,
    /// 3->5, 4->5, 3->6.
    #[test]
    fn neighbours_never_share_a_wave_and_keep_their_rank_order() {
        let users: Vec<Vec<ItemIx>> = vec![
            vec![2],
            vec![3],
            vec![3],
            vec![2, 4, 5, 6],
            vec![5],
            vec![],
            vec![],
        ];
        let group = vec![0, 1, 2, 2, 3, 4, 5];
        let order = Order {
            rank: (0..7).collect(),
            items: (0..7).collect(),
            group,
            group_start: vec![0, 1, 2, 4, 5, 6, 7],
            cyclic: vec![false, false, true, false, false, false],
            lift: vec![false; 6],
            waves: Waves::default(),
        };
        let waves = Waves::plan(&order, |i| &users[i as usize]);
        let all: Vec<Vec<ItemIx>> = (0..5).map(|w| waves.wave(w).to_vec()).collect();
        // 0 and 1 feed neither each other; 4 and 6 both read only 3, which
        // an earlier segment settles.
        assert_eq!(all, [vec![0, 1], vec![2], vec![3], vec![4, 6], vec![5]]);
        assert_eq!(waves.segments(), 3);
        assert_eq!(
            (0..3).map(|s| waves.segment(s)).collect::<Vec<_>>(),
            [0..1, 1..3, 3..5]
        );
        assert_eq!(
            (0..3).map(|s| waves.cyclic(s)).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert_eq!(waves.segment_items(2), [4, 6, 5]);
    }

    #[test]
    fn a_wave_is_cut_into_runs_of_about_equal_stale_lines() {
        let mut wave = Wave::new(2);
        wave.items = vec![0, 1, 2, 3];
        let lines = [10u64, 10, 30, 10];
        assert_eq!(wave.split(1, |i| lines[i as usize]), [0, 3, 4]);
        assert_eq!(wave.split(100, |i| lines[i as usize]), [0, 4]);
        let mut three = Wave::new(3);
        three.items = vec![0, 1, 2, 3];
        assert_eq!(three.split(1, |i| lines[i as usize]), [0, 2, 3, 4]);
        let mut alone = Wave::new(1);
        alone.items = vec![0, 1];
        assert_eq!(alone.split(1, |_| 1000), [0, 2]);
    }

    #[test]
    fn a_hub_item_s_stale_lines_are_cut_between_cores() {
        // Item 0 holds lines 0..100, all stale; item 1 lines 100..110, of
        // which 4 are stale.
        let mut stale = Stale::none(2, 110);
        for l in (0..100).chain([100, 103, 105, 109]) {
            stale.line(l, if l < 100 { 0 } else { 1 });
        }
        let lines = |i: ItemIx| if i == 0 { (0, 100) } else { (100, 110) };
        let mut wave = Wave::new(2);
        wave.items = vec![0, 1];
        // 104 stale lines: the first core takes 52 of item 0's.
        let bounds = wave.line_spans(1, lines, &stale);
        assert_eq!(bounds, [0, 1, 3]);
        assert_eq!(wave.spans, [(0, 52), (52, 100), (100, 110)]);
        // Three cores: cuts after 34 and 69 stale lines; the second falls
        // on item 0's last stale line, so item 1 goes whole to the third.
        let mut three = Wave::new(3);
        three.items = vec![0, 1];
        let bounds = three.line_spans(1, lines, &stale);
        assert_eq!(three.spans, [(0, 34), (34, 69), (69, 100), (100, 110)]);
        assert_eq!(bounds, [0, 1, 2, 4]);
        // Too few stale lines to split: one span per item.
        assert_eq!(wave.line_spans(1000, lines, &stale), [0, 2]);
        assert_eq!(wave.spans, [(0, 100), (100, 110)]);
    }
}
