//! The nodes propagation evaluates: a production line's output ratio, and an
//! item's availability to one buyer profile. Packed into a `u64` so the work
//! queue and visit counts stay flat.

use crate::map::{ItemIx, LineIx};

/// Index of a buyer profile; profile 0 is the unrestricted buyer.
pub type ProfileIx = u16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Line(LineIx),
    Avail(ProfileIx, ItemIx),
}

const AVAIL_BIT: u64 = 1 << 63;

impl Node {
    pub fn pack(self) -> u64 {
        match self {
            Node::Line(l) => l as u64,
            Node::Avail(r, i) => AVAIL_BIT | ((r as u64) << 32) | i as u64,
        }
    }

    pub fn unpack(packed: u64) -> Node {
        if packed & AVAIL_BIT == 0 {
            Node::Line(packed as u32)
        } else {
            Node::Avail(((packed >> 32) & 0xffff) as u16, packed as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        for node in [
            Node::Line(0),
            Node::Line(u32::MAX),
            Node::Avail(0, 0),
            Node::Avail(7, 123_456),
            Node::Avail(u16::MAX, u32::MAX),
        ] {
            assert_eq!(Node::unpack(node.pack()), node);
        }
    }
}
