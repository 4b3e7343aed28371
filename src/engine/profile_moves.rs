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

use crate::map::{CountryIx, FirmIx, ItemIx, LineIx};

use super::buyers::BuyerCode;
use super::{Engine, Node, Profile, ProfileKey};

/// Who moved between two profiles that keep every item, by pair: whole
/// countries (their unblocked firms) and single firms.
#[derive(Debug, Default)]
pub(super) struct ProfileMoves {
    pairs: Vec<Moved>,
}

#[derive(Debug)]
struct Moved {
    from: ProfileKey,
    to: ProfileKey,
    countries: Vec<CountryIx>,
    firms: Vec<FirmIx>,
}

impl ProfileMoves {
    fn pair(&mut self, from: ProfileKey, to: ProfileKey) -> &mut Moved {
        match self.pairs.iter().position(|p| p.from == from && p.to == to) {
            Some(k) => &mut self.pairs[k],
            None => {
                self.pairs.push(Moved {
                    from,
                    to,
                    countries: Vec::new(),
                    firms: Vec::new(),
                });
                self.pairs.last_mut().expect("just pushed")
            }
        }
    }

    pub(super) fn add_country(&mut self, from: ProfileKey, to: ProfileKey, c: CountryIx) {
        self.pair(from, to).countries.push(c);
    }

    pub(super) fn add_firm(&mut self, from: ProfileKey, to: ProfileKey, f: FirmIx) {
        self.pair(from, to).firms.push(f);
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
        let mut moved_country = vec![false; self.buyers.countries()];
        let mut lines: Vec<LineIx> = Vec::new();
        for pair in moves.pairs {
            let old = retired
                .iter()
                .find(|p| p.key == pair.from)
                .or_else(|| self.profile_index.get(&pair.from).map(|r| self.profile(*r)));
            let new = self.profile_index.get(&pair.to).map(|r| self.profile(*r));
            for &c in &pair.countries {
                moved_country[c as usize] = true;
            }
            for &f in &pair.firms {
                moved[f as usize / 64] |= 1 << (f % 64);
            }
            // A line moved if its firm did, or if it buys under a country
            // that did (a blocked firm's line carries its own profile).
            let with_country = |code: BuyerCode| {
                self.buyers
                    .country_of(code)
                    .is_some_and(|c| moved_country[c as usize])
            };
            let is_moved = |line: LineIx, firm: FirmIx| {
                moved[firm as usize / 64] & (1 << (firm % 64)) != 0
                    || with_country(self.line_reads.buyer(line))
            };
            let all_lines = |lines: &mut Vec<LineIx>| {
                lines.extend(pair.firms.iter().flat_map(|f| map.lines_of_firm(*f)));
                lines.extend(self.line_reads.lines_buying(with_country));
            };
            match (old, new) {
                (Some(old), Some(new)) => {
                    let differ: Vec<ItemIx> = (0..map.items.len())
                        .filter(|i| old.avail[*i] != new.avail[*i])
                        .map(|i| i as ItemIx)
                        .collect();
                    let all: usize = pair
                        .firms
                        .iter()
                        .map(|f| map.lines_of_firm(*f).len())
                        .chain(pair.countries.iter().map(|c| self.buyers.lines_in(*c)))
                        .sum();
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
                        all_lines(&mut lines);
                    } else {
                        for &d in &differ {
                            for &i in map.recipe_users(d) {
                                // An item made in place has no lines; its
                                // availability in the new profile is among
                                // `differ` if it differs.
                                let off = map.lines_offset(i);
                                for (k, line) in map.producers(i).iter().enumerate() {
                                    if is_moved(off + k as LineIx, line.firm) {
                                        lines.push(off + k as LineIx);
                                    }
                                }
                            }
                            for reader in self.readers.lines(d) {
                                if is_moved(reader.line, reader.firm) {
                                    lines.push(reader.line);
                                }
                            }
                        }
                    }
                }
                // Not reached: both sides are known while profiles are
                // rebuilt.
                _ => all_lines(&mut lines),
            }
            for &f in &pair.firms {
                moved[f as usize / 64] = 0;
            }
            for &c in &pair.countries {
                moved_country[c as usize] = false;
            }
        }
        lines.sort_unstable();
        lines.dedup();
        sources.extend(lines.into_iter().map(Node::Line));
    }
}
