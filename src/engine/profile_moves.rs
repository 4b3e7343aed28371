//! Which lines must be evaluated when firms move to another buyer profile.
//!
//! A measure that starts or ends moves the firms of its destination
//! countries to another profile. A line reads its inputs from its firm's
//! profile, so moving can change its output only where the two profiles
//! differ at an item it reads. A new country profile starts as a copy of
//! the one its buyers had, so at the moment they move nothing differs (the
//! profile's cuts then propagate as any change does); a profile that goes
//! differs from the one its buyers return to only downstream of its cuts.
//! Evaluating every line of every moved firm instead (1.6 M lines at 1M firms
//! when a control names the home country) was most of a control's cost.

use crate::map::{FirmIx, ItemIx, LineIx};

use super::{Engine, Node, Profile, ProfileKey};

/// Firms that moved between two profiles that keep every item, by pair.
#[derive(Debug, Default)]
pub(super) struct ProfileMoves {
    pairs: Vec<(ProfileKey, ProfileKey, Vec<FirmIx>)>,
}

impl ProfileMoves {
    pub(super) fn add(&mut self, from: ProfileKey, to: ProfileKey, firm: FirmIx) {
        match self.pairs.iter_mut().find(|p| p.0 == from && p.1 == to) {
            Some(pair) => pair.2.push(firm),
            None => self.pairs.push((from, to, vec![firm])),
        }
    }
}

impl Engine {
    /// Adds to `sources` the lines of moved firms that read an item whose
    /// availability differs between the profile they left (live, or among
    /// `retired`) and the one they joined; both must be current, that is,
    /// taken before propagation.
    pub(super) fn lines_of_moved_firms(
        &self,
        moves: ProfileMoves,
        retired: &[Profile],
        sources: &mut Vec<Node>,
    ) {
        let map = &*self.map;
        let mut moved = vec![0u64; map.firms.len().div_ceil(64)];
        let is_moved = |bits: &[u64], f: FirmIx| bits[f as usize / 64] & (1 << (f % 64)) != 0;
        let mut lines: Vec<LineIx> = Vec::new();
        for (from, to, firms) in moves.pairs {
            let old = retired
                .iter()
                .find(|p| p.key == from)
                .or_else(|| self.profile_index.get(&from).map(|r| self.profile(*r)));
            let new = self.profile_index.get(&to).map(|r| self.profile(*r));
            let (Some(old), Some(new)) = (old, new) else {
                // Not reached: both sides are known while profiles are rebuilt.
                lines.extend(firms.iter().flat_map(|f| map.lines_of_firm(*f)));
                continue;
            };
            let differ: Vec<ItemIx> = (0..map.items.len())
                .filter(|i| old.avail[*i] != new.avail[*i])
                .map(|i| i as ItemIx)
                .collect();
            let all: usize = firms.iter().map(|f| map.lines_of_firm(*f).len()).sum();
            let scan: usize = differ
                .iter()
                .map(|d| {
                    self.readers.lines(*d).len()
                        + map
                            .recipe_users(*d)
                            .iter()
                            .map(|i| map.producers(*i).len())
                            .sum::<usize>()
                })
                .sum();
            if scan >= all {
                lines.extend(firms.iter().flat_map(|f| map.lines_of_firm(*f)));
                continue;
            }
            for &f in &firms {
                moved[f as usize / 64] |= 1 << (f % 64);
            }
            for &d in &differ {
                for &i in map.recipe_users(d) {
                    // An item made in place has no lines; its availability
                    // in the new profile is among `differ` if it differs.
                    let off = map.lines_offset(i);
                    for (k, line) in map.producers(i).iter().enumerate() {
                        if is_moved(&moved, line.firm) {
                            lines.push(off + k as LineIx);
                        }
                    }
                }
                for reader in self.readers.lines(d) {
                    if is_moved(&moved, reader.firm) {
                        lines.push(reader.line);
                    }
                }
            }
            for &f in &firms {
                moved[f as usize / 64] = 0;
            }
        }
        lines.sort_unstable();
        lines.dedup();
        sources.extend(lines.into_iter().map(Node::Line));
    }
}
