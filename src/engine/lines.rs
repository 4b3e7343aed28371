//! What propagation reads of each production line, packed in line order.
//! A line's item, its firm's buyer profile and where its firm's consumption
//! lies sit in one 16-byte record, so evaluating a line costs one miss for
//! the record instead of one each for the line, the firm's profile and the
//! firm's consumption offsets, which lie in firm order.

use std::ops::Range;

use crate::map::{ChainMap, ItemIx, LineIx};

use super::ProfileIx;

#[derive(Debug, Clone, Copy)]
pub struct LineRead {
    pub item: ItemIx,
    /// Start of the firm's consumption in `ChainMap::consumes_all`.
    from: u32,
    len: u32,
    pub profile: ProfileIx,
}

impl LineRead {
    pub fn consumes(&self) -> Range<usize> {
        self.from as usize..self.from as usize + self.len as usize
    }
}

/// One record per line, every firm buying under the open profile.
pub fn line_reads(map: &ChainMap) -> Vec<LineRead> {
    (0..map.line_count() as LineIx)
        .map(|l| {
            let line = map.line(l);
            let span = map.consumes_span(line.firm);
            LineRead {
                item: line.item,
                from: span.start,
                len: span.end - span.start,
                profile: 0,
            }
        })
        .collect()
}
