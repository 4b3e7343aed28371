//! Who reads a node: the one adjacency walk that propagation, lifting a
//! damaged cone and tracing a shock's reach all share. Each dependent comes
//! with the inventory days buffering the hop, which time to impact adds up.

use crate::map::FirmIx;

use super::{Engine, Node};

impl Engine {
    /// Pushes the dependents of `node` with the days of stock on the hop;
    /// firms that only consume (no line of their own) are reported apart.
    pub(super) fn dependents(
        &self,
        node: Node,
        out: &mut Vec<(Node, f64)>,
        consumer_firms: &mut Vec<FirmIx>,
    ) {
        let map = &*self.map;
        match node {
            Node::Line(l) => {
                let item = map.line(l).item;
                out.extend(self.live_profiles().map(|r| (Node::Avail(r, item), 0.0)));
            }
            Node::Avail(r, c) => {
                let stock = map.items[c as usize].inventory_days;
                for &i in map.recipe_users(c) {
                    if map.is_assembled(i) {
                        out.push((Node::Avail(r, i), stock));
                        continue;
                    }
                    let off = map.lines_offset(i);
                    for (k, line) in map.producers(i).iter().enumerate() {
                        if self.firm_profile[line.firm as usize] == r {
                            out.push((Node::Line(off + k as u32), stock));
                        }
                    }
                }
                for &f in map.consumers(c) {
                    if self.firm_profile[f as usize] != r {
                        continue;
                    }
                    let held = map
                        .consumes(f)
                        .iter()
                        .find(|u| u.item == c)
                        .map_or(stock, |u| u.inventory_days);
                    let lines = map.lines_of_firm(f);
                    if lines.is_empty() {
                        consumer_firms.push(f);
                    }
                    out.extend(lines.iter().map(|l| (Node::Line(*l), held)));
                }
            }
        }
    }
}
