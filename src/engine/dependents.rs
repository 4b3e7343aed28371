//! Who reads a node: the one adjacency walk that propagation and lifting a
//! damaged cone share.

use crate::map::FirmIx;

use super::{Engine, Node};

impl Engine {
    /// Pushes the dependents of `node`; firms that only consume (no line of
    /// their own) are reported apart, as they have no node to push.
    pub(super) fn dependents(
        &self,
        node: Node,
        out: &mut Vec<Node>,
        consumer_firms: &mut Vec<FirmIx>,
    ) {
        let map = &*self.map;
        match node {
            Node::Line(l) => {
                let item = self.line_reads.item(l);
                // A blocked firm's profile keeps only the items it reads.
                out.extend(
                    self.live_profiles()
                        .filter(|r| self.profile(*r).owns(item))
                        .map(|r| Node::Avail(r, item)),
                );
            }
            Node::Avail(r, c) => {
                for &i in map.recipe_users(c) {
                    if map.is_assembled(i) {
                        if self.profile(r).owns(i) {
                            out.push(Node::Avail(r, i));
                        }
                        continue;
                    }
                    let off = map.lines_offset(i);
                    let n = map.producers(i).len();
                    for (k, p) in self.line_reads.profiles(off, n).enumerate() {
                        if p == r {
                            out.push(Node::Line(off + k as u32));
                        }
                    }
                }
                for &f in map.consumers(c) {
                    if self.firm_profile[f as usize] != r {
                        continue;
                    }
                    let lines = map.lines_of_firm(f);
                    if lines.is_empty() {
                        consumer_firms.push(f);
                    }
                    out.extend(lines.iter().map(|l| Node::Line(*l)));
                }
            }
        }
    }
}
