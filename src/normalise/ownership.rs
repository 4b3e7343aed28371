//! The 50% rule (OFAC): a firm owned 50% or more, in aggregate, by blocked
//! entities is blocked too, and so on through chains of ownership.
//!
//! The walk goes outward from the blocked firms only, over an owner → owned
//! index built once per map, so its cost is the size of what it reaches, not
//! of the map: a listing of one firm in a million-firm map touches only that
//! firm's holdings.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::map::{ChainMap, Csr, FirmIx};

/// Aggregate share of blocked owners at which a firm is blocked.
pub const CONTROL_SHARE: f64 = 0.5;

/// Shares are sums of rounded fractions (0.3 + 0.2); a sum this close to
/// [`CONTROL_SHARE`] counts as reaching it.
const SHARE_TOLERANCE: f64 = 1e-9;

/// Firms each firm holds shares in, with the share: the map's `owners`
/// relation turned around.
#[derive(Clone, Default)]
pub struct OwnedBy {
    holdings: Csr<(FirmIx, f64)>,
}

/// A firm blocked through ownership: the aggregated share and who holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Controlled {
    pub firm: FirmIx,
    pub share: f64,
    /// Blocked owners and their shares, in the order they were blocked.
    pub holders: Vec<(FirmIx, f64)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spread {
    /// Every blocked firm (the given ones and the controlled), sorted.
    pub blocked: Vec<FirmIx>,
    /// Firms blocked through ownership, in the order the walk reached them.
    pub controlled: Vec<Controlled>,
}

impl std::fmt::Debug for OwnedBy {
    // Sizes only, as for the name index.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedBy")
            .field("holdings", &self.holdings.len())
            .finish()
    }
}

impl OwnedBy {
    pub fn build(map: &ChainMap) -> OwnedBy {
        let pairs = map
            .firms
            .iter()
            .enumerate()
            .flat_map(|(owned, f)| {
                f.owners
                    .iter()
                    .map(move |&(owner, share)| (owner, (owned as FirmIx, share)))
            })
            .collect();
        OwnedBy {
            holdings: Csr::from_pairs(map.firms.len(), pairs),
        }
    }

    /// Blocks `direct` and, until nothing changes, every firm whose blocked
    /// owners together hold at least [`CONTROL_SHARE`]. A firm's share counts
    /// once its owner is blocked, whether that owner was listed or is itself
    /// controlled, so ownership through chains needs no special case.
    pub fn spread(&self, direct: &[FirmIx]) -> Spread {
        let mut blocked: HashSet<FirmIx> = HashSet::new();
        let mut queue: VecDeque<FirmIx> = VecDeque::new();
        for &f in direct {
            if (f as usize) < self.holdings.rows() && blocked.insert(f) {
                queue.push_back(f);
            }
        }
        // Candidates seen so far and the blocked holders of each.
        let mut held: HashMap<FirmIx, Vec<(FirmIx, f64)>> = HashMap::new();
        let mut controlled = Vec::new();
        while let Some(owner) = queue.pop_front() {
            for &(owned, share) in self.holdings.row(owner) {
                if blocked.contains(&owned) {
                    continue;
                }
                let holders = held.entry(owned).or_default();
                holders.push((owner, share));
                let total: f64 = holders.iter().map(|(_, s)| s).sum();
                if total + SHARE_TOLERANCE >= CONTROL_SHARE {
                    blocked.insert(owned);
                    queue.push_back(owned);
                    controlled.push(Controlled {
                        firm: owned,
                        share: total,
                        holders: held.remove(&owned).unwrap_or_default(),
                    });
                }
            }
        }
        let mut blocked: Vec<FirmIx> = blocked.into_iter().collect();
        blocked.sort_unstable();
        Spread {
            blocked,
            controlled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::parse_str;

    /// A and B are listed. A holds 30% of C and B 25%: 55% ≥ 50%, so C is
    /// blocked. C holds 60% of D: D is blocked through C. A holds 49% of E:
    /// below 50%, E stays free. F is held 50% by D exactly: blocked (≥).
    /// G is held 30% by E (free) and 30% by A: only A's 30% counts, G is free.
    const MAP: &str = r#"{
      "version": 1, "home": "CN", "chains": [], "items": [],
      "firms": [
        {"id": "A", "name": "A", "country": "US"},
        {"id": "B", "name": "B", "country": "US"},
        {"id": "C", "name": "C", "country": "CN",
         "owners": [{"firm": "A", "share": 0.3}, {"firm": "B", "share": 0.25}]},
        {"id": "D", "name": "D", "country": "CN", "owners": [{"firm": "C", "share": 0.6}]},
        {"id": "E", "name": "E", "country": "CN", "owners": [{"firm": "A", "share": 0.49}]},
        {"id": "F", "name": "F", "country": "CN", "owners": [{"firm": "D", "share": 0.5}]},
        {"id": "G", "name": "G", "country": "CN",
         "owners": [{"firm": "E", "share": 0.3}, {"firm": "A", "share": 0.3}]}
      ]
    }"#;

    #[test]
    fn aggregates_blocked_owners_and_follows_chains() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        let ix = |id: &str| map.firm(id).unwrap();
        let spread = OwnedBy::build(&map).spread(&[ix("A"), ix("B")]);
        let ids: Vec<&str> = spread
            .blocked
            .iter()
            .map(|f| map.firms[*f as usize].id.as_str())
            .collect();
        assert_eq!(ids, ["A", "B", "C", "D", "F"]);
        let c = &spread.controlled[0];
        assert_eq!(c.firm, ix("C"));
        assert!((c.share - 0.55).abs() < 1e-12);
        assert_eq!(c.holders, vec![(ix("A"), 0.3), (ix("B"), 0.25)]);
        assert_eq!(spread.controlled[1].firm, ix("D"));
        assert_eq!(spread.controlled[2].firm, ix("F"));
        assert_eq!(spread.controlled.len(), 3);
    }

    /// Firm i+1 is held 100% by firm i, for `n` firms: listing firm 0
    /// blocks all of them, through a chain far deeper than any stack.
    fn chain_map(n: usize) -> ChainMap {
        use crate::map::{ChainMapDoc, FirmDoc, OwnerDoc};
        let firms = (0..n)
            .map(|i| FirmDoc {
                id: format!("F{i}"),
                name: format!("Firm {i}"),
                aliases: vec![],
                external_ids: Default::default(),
                country: "CN".into(),
                jurisdictions: vec![],
                owners: if i == 0 {
                    vec![]
                } else {
                    vec![OwnerDoc {
                        firm: format!("F{}", i - 1),
                        share: 1.0,
                    }]
                },
                produces: vec![],
                consumes: vec![],
            })
            .collect();
        ChainMap::compile(&ChainMapDoc {
            version: 1,
            home: "CN".into(),
            source: None,
            chains: vec![],
            items: vec![],
            firms,
            substitutes: vec![],
        })
    }

    #[test]
    fn deep_chains_need_no_recursion() {
        let map = chain_map(100_000);
        let owned_by = OwnedBy::build(&map);
        assert_eq!(owned_by.spread(&[0]).blocked.len(), 100_000);
        // From the middle: only what lies below it is reached.
        assert_eq!(owned_by.spread(&[99_990]).blocked.len(), 10);
    }

    #[test]
    fn nothing_listed_nothing_blocked() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        assert_eq!(OwnedBy::build(&map).spread(&[]), Spread::default());
    }
}
