//! Evaluation order. Items are ranked so that an item's inputs (through recipes
//! and through what its producers consume) come first; evaluating by rank lets
//! one pass settle an acyclic map and keeps re-evaluation rare on cyclic ones.

use std::collections::VecDeque;

use crate::map::{ChainMap, ItemIx};

/// Rank of every item; items on dependency cycles get ranks after their
/// acyclic inputs, in the order a breadth-first walk reaches them.
pub fn item_ranks(map: &ChainMap) -> Vec<u32> {
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
    let mut start = vec![0usize; n + 1];
    for (c, _) in &edges {
        start[*c as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut indegree = vec![0u32; n];
    for (_, i) in &edges {
        indegree[*i as usize] += 1;
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
            for (_, i) in &edges[start[c as usize]..start[c as usize + 1]] {
                let d = &mut indegree[*i as usize];
                *d = d.saturating_sub(1);
                if *d == 0 {
                    queue.push_back(*i);
                }
            }
        }
        if placed == n {
            break;
        }
        // Break a cycle at its unranked item with the fewest missing inputs.
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
