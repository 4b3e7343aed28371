//! Who reads a node: the one adjacency walk that propagation and lifting a
//! damaged cone share, and the index of the lines that read each item.
//!
//! A node moving pushes its readers with their evaluation rank. Going from
//! an item to the firms that buy it, then to each firm's lines, then to each
//! line's item for its rank, missed the cache three times per reader on a
//! national map (the firm's line list, the line, its record); the index
//! lists each reading line with its firm and rank, in one row per item read
//! sequentially. It costs 12 bytes per (bought input, line) pair, about
//! 80 MiB at 1M firms.

use crate::map::{ChainMap, Csr, FirmIx, ItemIx, LineIx};

use super::{rank::Order, Engine, Node};

/// A line whose firm buys an item.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadingLine {
    pub line: LineIx,
    pub firm: FirmIx,
    pub rank: u32,
}

/// Per item, the lines whose firms buy it, and the buying firms that have
/// no line of their own.
#[derive(Debug)]
pub(super) struct Readers {
    lines: Csr<ReadingLine>,
    without_lines: Csr<FirmIx>,
}

impl Readers {
    pub(super) fn new(map: &ChainMap, order: &Order) -> Readers {
        let items = map.items.len();
        let mut lines = Vec::new();
        let mut without_lines = Vec::new();
        for f in 0..map.firms.len() as FirmIx {
            let own = map.lines_of_firm(f);
            for u in map.consumes(f) {
                if own.is_empty() {
                    without_lines.push((u.item, f));
                }
                lines.extend(own.iter().map(|&line| {
                    let rank = line_rank(order, map.line(line).item);
                    (
                        u.item,
                        ReadingLine {
                            line,
                            firm: f,
                            rank,
                        },
                    )
                }));
            }
        }
        Readers {
            lines: Csr::from_pairs(items, lines),
            without_lines: Csr::from_pairs(items, without_lines),
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.lines.heap_bytes() + self.without_lines.heap_bytes()
    }

    /// The lines whose firms buy `item`.
    pub(super) fn lines(&self, item: ItemIx) -> &[ReadingLine] {
        self.lines.row(item)
    }

    /// The firms that buy `item` and have no line of their own.
    pub(super) fn consumers(&self, item: ItemIx) -> &[FirmIx] {
        self.without_lines.row(item)
    }
}

/// The evaluation rank of a line of `item`: before the item's availability.
pub(super) fn line_rank(order: &Order, item: ItemIx) -> u32 {
    2 * order.rank[item as usize]
}

/// The evaluation rank of an availability of `item`.
pub(super) fn avail_rank(order: &Order, item: ItemIx) -> u32 {
    2 * order.rank[item as usize] + 1
}

impl Engine {
    /// Pushes the dependents of `node`, each with its evaluation rank; firms
    /// that only consume (no line of their own) are reported apart, as they
    /// have no node to push.
    pub(super) fn dependents(
        &self,
        node: Node,
        out: &mut Vec<(Node, u32)>,
        consumer_firms: &mut Vec<FirmIx>,
    ) {
        let map = &*self.map;
        match node {
            Node::Line(l) => {
                let item = self.line_reads.item(l);
                let rank = avail_rank(&self.order, item);
                // A blocked firm's profile keeps only the items it reads.
                out.extend(
                    self.live_profiles()
                        .filter(|r| self.profile(*r).owns(item))
                        .map(|r| (Node::Avail(r, item), rank)),
                );
            }
            Node::Avail(r, c) => {
                for &i in map.recipe_users(c) {
                    if map.is_assembled(i) {
                        if self.profile(r).owns(i) {
                            out.push((Node::Avail(r, i), avail_rank(&self.order, i)));
                        }
                        continue;
                    }
                    let rank = line_rank(&self.order, i);
                    let off = map.lines_offset(i);
                    let n = map.producers(i).len();
                    for (k, code) in self.line_reads.buyers(off, n).enumerate() {
                        if self.buyers.resolve(code) == r {
                            out.push((Node::Line(off + k as u32), rank));
                        }
                    }
                }
                for reader in self.readers.lines(c) {
                    if self.buyers.firm(reader.firm) == r {
                        out.push((Node::Line(reader.line), reader.rank));
                    }
                }
                self.push_consumers(r, c, consumer_firms);
            }
        }
    }
}
