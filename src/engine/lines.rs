//! What propagation reads of each production line, packed in line order:
//! the line's item, its firm's buyer code (see [`super::buyers`]), and a
//! copy of its firm's consumption. The map keeps lines in item order but
//! firms in their own order, so reading a line's firm cost three misses
//! (the line, the firm's profile, the firm's consumption); here it is the
//! record and the copy, and the lines of one item, which propagation takes
//! together, lie together.
//! The copy costs 16 bytes per bought input per line (about 100 MiB at 1M
//! firms).

use crate::map::{ChainMap, ItemIx, LineIx};

use super::buyers::BuyerCode;

/// One input a line's firm buys, as propagation reads it.
#[derive(Debug, Clone, Copy)]
pub struct Bought {
    pub item: ItemIx,
    pub critical: bool,
    pub weight: f64,
}

#[derive(Debug, Clone, Copy)]
struct LineRead {
    item: ItemIx,
    /// Start of the firm's consumption in `LineReads::bought`.
    from: u32,
    len: u32,
    buyer: BuyerCode,
}

#[derive(Debug, Default)]
pub struct LineReads {
    reads: Vec<LineRead>,
    bought: Vec<Bought>,
}

impl LineReads {
    /// One record per line, every firm buying under its country.
    pub fn new(map: &ChainMap) -> LineReads {
        let lines = map.line_count();
        let mut reads = Vec::with_capacity(lines);
        let mut bought = Vec::new();
        for l in 0..lines as LineIx {
            let line = map.line(l);
            let from = bought.len() as u32;
            bought.extend(map.consumes(line.firm).iter().map(|u| Bought {
                item: u.item,
                critical: u.critical,
                weight: u.weight,
            }));
            reads.push(LineRead {
                item: line.item,
                from,
                len: bought.len() as u32 - from,
                buyer: map.firms[line.firm as usize].country as BuyerCode,
            });
        }
        LineReads { reads, bought }
    }

    pub fn item(&self, line: LineIx) -> ItemIx {
        self.reads[line as usize].item
    }

    pub fn buyer(&self, line: LineIx) -> BuyerCode {
        self.reads[line as usize].buyer
    }

    pub fn set_buyer(&mut self, line: LineIx, buyer: BuyerCode) {
        self.reads[line as usize].buyer = buyer;
    }

    /// The buyer codes of lines `from..from + count` (an item's producers).
    pub fn buyers(&self, from: LineIx, count: usize) -> impl Iterator<Item = BuyerCode> + '_ {
        self.reads[from as usize..from as usize + count]
            .iter()
            .map(|r| r.buyer)
    }

    /// Every line whose code `pick` accepts, in line order.
    pub fn lines_buying<'a>(
        &'a self,
        pick: impl Fn(BuyerCode) -> bool + 'a,
    ) -> impl Iterator<Item = LineIx> + 'a {
        self.reads
            .iter()
            .enumerate()
            .filter(move |(_, r)| pick(r.buyer))
            .map(|(l, _)| l as LineIx)
    }

    /// What the line's firm buys.
    pub fn bought(&self, line: LineIx) -> &[Bought] {
        let r = &self.reads[line as usize];
        &self.bought[r.from as usize..(r.from + r.len) as usize]
    }

    pub fn heap_bytes(&self) -> usize {
        self.reads.capacity() * std::mem::size_of::<LineRead>()
            + self.bought.capacity() * std::mem::size_of::<Bought>()
    }
}
