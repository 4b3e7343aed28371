//! Evaluation order. Items are grouped into strongly connected groups (items
//! that feed each other through a cycle) and the groups ranked so that every
//! group's inputs come first; inside a group, items are ranked so that an
//! item's inputs come first wherever a cycle does not forbid it. Evaluating by
//! rank settles an acyclic map in one pass, and a group is never evaluated
//! before everything upstream of it has settled, which is what lets a lifted
//! group descend to its greatest fixed point.
//!
//! Each cyclic group is also checked for a **contraction certificate** (see
//! [`super::gain`]): with one, the group has a single fixed point given its
//! inputs, and evaluation from any state, rising or falling, reaches it. Only
//! groups without a certificate (a cycle of critical inputs can hold itself
//! down) need lifting before values may rise.

use std::collections::VecDeque;

use crate::map::{ChainMap, ItemIx};

use super::gain::{self, Gains};
use super::waves::Waves;

/// The evaluation order of a map's items.
#[derive(Debug, Clone, Default)]
pub struct Order {
    /// Rank of every item: groups are contiguous and in dependency order.
    pub rank: Vec<u32>,
    /// Items by rank.
    pub items: Vec<ItemIx>,
    /// Group of every item, numbered in dependency order.
    pub group: Vec<u32>,
    /// Where each group starts in `items` (one extra entry closes the last).
    pub group_start: Vec<u32>,
    /// Per group: whether it contains a cycle (or an item feeding itself).
    pub cyclic: Vec<bool>,
    /// Per group: cyclic and without a contraction certificate, so values
    /// may only rise there after a lift to full supply.
    pub lift: Vec<bool>,
    /// The sweep's plan: which items it may settle at once.
    pub waves: Waves,
}

impl Order {
    pub fn group_items(&self, g: u32) -> &[ItemIx] {
        &self.items
            [self.group_start[g as usize] as usize..self.group_start[g as usize + 1] as usize]
    }

    pub fn groups(&self) -> u32 {
        self.cyclic.len() as u32
    }

    pub fn needs_lift(&self, item: ItemIx) -> bool {
        self.lift[self.group[item as usize] as usize]
    }

    pub fn any_lift(&self) -> bool {
        self.lift.iter().any(|l| *l)
    }

    pub fn heap_bytes(&self) -> usize {
        self.rank.capacity() * 4
            + self.items.capacity() * 4
            + self.group.capacity() * 4
            + self.group_start.capacity() * 4
            + self.cyclic.capacity()
            + self.lift.capacity()
            + self.waves.heap_bytes()
    }
}

/// Item dependency edges (input, user), sorted and deduplicated, as a CSR
/// by input: through recipes and through what each producer consumes.
struct Graph {
    start: Vec<usize>,
    users: Vec<ItemIx>,
}

fn graph(map: &ChainMap) -> Graph {
    let n = map.items.len();
    let mut edges: Vec<(ItemIx, ItemIx)> = Vec::new();
    for i in 0..n as ItemIx {
        for input in map.recipe(i) {
            edges.push((input.item, i));
        }
        for line in map.producers(i) {
            for input in map.consumes(line.firm) {
                edges.push((input.item, i));
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    Graph::from_sorted(n, edges)
}

impl Graph {
    /// The adjacency of `n` items from (input, user) pairs sorted by input.
    fn from_sorted(n: usize, edges: Vec<(u32, u32)>) -> Graph {
        let mut start = vec![0usize; n + 1];
        for (c, _) in &edges {
            start[*c as usize + 1] += 1;
        }
        for k in 0..n {
            start[k + 1] += start[k];
        }
        Graph {
            start,
            users: edges.into_iter().map(|(_, u)| u).collect(),
        }
    }
}

impl Graph {
    fn users(&self, c: usize) -> &[ItemIx] {
        &self.users[self.start[c]..self.start[c + 1]]
    }
}

/// The evaluation order of `map`'s items, and their dead-band gains (which
/// certify the cyclic groups that contract); `weight(item, share)` is a
/// producer's weight in its item's availability.
pub fn order(map: &ChainMap, weight: impl Fn(ItemIx, f64) -> f64) -> (Order, Gains) {
    let n = map.items.len();
    let g = graph(map);
    let hint = kahn_ranks(&g, n);
    let (comp, count) = tarjan(&g, n);
    // Tarjan numbers groups sinks first; dependency order is the reverse.
    let group: Vec<u32> = comp.iter().map(|c| count - 1 - c).collect();
    let mut items: Vec<ItemIx> = (0..n as ItemIx).collect();
    items.sort_by_key(|i| (group[*i as usize], hint[*i as usize], *i));
    let mut rank = vec![0u32; n];
    for (r, i) in items.iter().enumerate() {
        rank[*i as usize] = r as u32;
    }
    let mut group_start = vec![0u32; count as usize + 1];
    for i in 0..n {
        group_start[group[i] as usize + 1] += 1;
    }
    for k in 0..count as usize {
        group_start[k + 1] += group_start[k];
    }
    let mut cyclic = vec![false; count as usize];
    for c in 0..n {
        if g.users(c).iter().any(|u| group[*u as usize] == group[c]) {
            cyclic[group[c] as usize] = true;
        }
    }
    let mut order = Order {
        rank,
        items,
        group,
        group_start,
        cyclic,
        lift: Vec::new(),
        waves: Waves::default(),
    };
    order.waves = Waves::plan(&order, |i| g.users(i as usize));
    let gains = gain::gains(map, &order, &weight);
    order.lift = (0..count)
        .map(|k| order.cyclic[k as usize] && !gains.certified[k as usize])
        .collect();
    (order, gains)
}

/// Ranks by a breadth-first walk from items without inputs, breaking each
/// cycle at its unranked item with the fewest missing inputs: inside a group,
/// an order that follows most edges.
fn kahn_ranks(g: &Graph, n: usize) -> Vec<u32> {
    let mut indegree = vec![0u32; n];
    for &u in &g.users {
        indegree[u as usize] += 1;
    }
    let mut rank = vec![u32::MAX; n];
    let mut queue: VecDeque<ItemIx> = (0..n as ItemIx)
        .filter(|i| indegree[*i as usize] == 0)
        .collect();
    let mut next = 0u32;
    let mut placed = 0usize;
    loop {
        while let Some(c) = queue.pop_front() {
            if rank[c as usize] != u32::MAX {
                continue;
            }
            rank[c as usize] = next;
            next += 1;
            placed += 1;
            for &i in g.users(c as usize) {
                let d = &mut indegree[i as usize];
                *d = d.saturating_sub(1);
                if *d == 0 {
                    queue.push_back(i);
                }
            }
        }
        if placed == n {
            break;
        }
        let stuck = (0..n)
            .filter(|i| rank[*i] == u32::MAX)
            .min_by_key(|i| (indegree[*i], *i))
            .map(|i| i as ItemIx);
        match stuck {
            Some(i) => {
                indegree[i as usize] = 0;
                queue.push_back(i);
            }
            None => break,
        }
    }
    rank
}

/// Strongly connected components (Tarjan, iterative so that long chains do
/// not overflow the stack); components are numbered sinks first.
fn tarjan(g: &Graph, n: usize) -> (Vec<u32>, u32) {
    const NONE: u32 = u32::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut next = 0u32;
    let mut count = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        calls.push((root, 0));
        while let Some(&(v, edge)) = calls.last() {
            let vu = v as usize;
            if edge == 0 && index[vu] == NONE {
                index[vu] = next;
                low[vu] = next;
                next += 1;
                stack.push(v);
                on_stack[vu] = true;
            }
            let users = g.users(vu);
            if edge < users.len() {
                let w = users[edge];
                if let Some(top) = calls.last_mut() {
                    top.1 += 1;
                }
                let wu = w as usize;
                if index[wu] == NONE {
                    calls.push((w, 0));
                } else if on_stack[wu] {
                    low[vu] = low[vu].min(index[wu]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let p = parent as usize;
                low[p] = low[p].min(low[vu]);
            }
            if low[vu] == index[vu] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = count;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    (comp, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(n: usize, edges: &[(u32, u32)]) -> Graph {
        let mut e = edges.to_vec();
        e.sort_unstable();
        Graph::from_sorted(n, e)
    }

    #[test]
    fn tarjan_groups_cycles_and_numbers_sinks_first() {
        // 0 -> 1 -> 2 -> 1, 2 -> 3
        let g = graph_of(4, &[(0, 1), (1, 2), (2, 1), (2, 3)]);
        let (comp, count) = tarjan(&g, 4);
        assert_eq!(count, 3);
        assert_eq!(comp[1], comp[2]);
        assert!(comp[3] < comp[1] && comp[1] < comp[0]);
    }

    /// The sweep's waves on a generated map, whose one large cyclic group
    /// holds most lines: no two neighbours share a wave, and every pair of
    /// neighbours in a segment is swept in the order of their ranks, which
    /// is what makes a sweep by waves compute what a sweep by rank does.
    #[test]
    fn waves_keep_every_pair_of_neighbours_apart_and_in_rank_order() {
        let (map, _) = crate::bench::prepare(&crate::genmap::GenSpec::new(10_000, 5))
            .expect("generated map is valid");
        let (order, _) = order(&map, |_, share| share);
        let g = graph(&map);
        let n = map.items.len();
        let (mut wave, mut segment, mut position) = (vec![0; n], vec![0; n], vec![0; n]);
        let mut at = 0;
        let mut waves = 0;
        for s in 0..order.waves.segments() {
            for w in order.waves.segment(s) {
                for &i in order.waves.wave(w) {
                    (wave[i as usize], segment[i as usize], position[i as usize]) = (w, s, at);
                    at += 1;
                }
                waves += 1;
            }
        }
        assert_eq!(at, n, "every item is in one wave");
        assert!(waves < n / 4, "{waves} waves for {n} items");
        assert!((0..order.groups())
            .any(|k| order.cyclic[k as usize] && order.group_items(k).len() > 100));
        for c in 0..n {
            for &u in g.users(c) {
                let u = u as usize;
                if u == c {
                    continue;
                }
                if segment[u] != segment[c] {
                    assert!(
                        segment[c] < segment[u],
                        "item {u} is swept before its input {c}"
                    );
                    continue;
                }
                assert_ne!(wave[u], wave[c], "items {c} and {u} read each other");
                assert_eq!(
                    position[c] < position[u],
                    order.rank[c] < order.rank[u],
                    "items {c} and {u} swap places"
                );
            }
        }
    }
}
