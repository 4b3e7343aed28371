//! The 50% rule across listings: OFAC blocks a firm owned 50% or more in
//! aggregate by blocked persons, whichever listing blocked each of them. One
//! listing's own spread (see [`super::ownership`]) sees only its targets; this
//! file finds the firms only an issuer's listings together block, and the
//! shock that cuts each of them.
//!
//! Listings may cover different items, so the rule is read per class of
//! items: the items covered by the same listings. In a class, the listings
//! that cover it are pooled; a firm they block only together is cut from
//! those items at the strictest licence policy whose listings (with the
//! stricter ones) still block it, from the first moment listings in effect
//! blocked it. It stays blocked
//! until listings ending in turn (earliest expected end first) leave too
//! little: that is its expected recovery.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::ownership::OwnedBy;
use crate::map::{ChainMap, CountryIx, FirmIx, ItemIx};
use crate::shock::{Effect, ItemScope, Part, Reached, Shock, ShockKey};

/// What a listing in force blocks, kept for the aggregation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listed {
    pub issuer: CountryIx,
    pub issuer_code: String,
    /// Firms the targets matched. Sorted.
    pub direct: Vec<FirmIx>,
    /// `direct` and what they control alone. Sorted.
    pub blocked: Vec<FirmIx>,
    pub scope: ItemScope,
    pub cut: f64,
}

/// One listing of the issuer as the aggregation reads it.
pub(crate) struct Form<'a> {
    pub measure: &'a str,
    pub event_id: &'a str,
    pub since: DateTime<Utc>,
    pub began: DateTime<Utc>,
    pub recovery_days: Option<f64>,
    pub listed: &'a Listed,
    /// Its reach part by part, when an amend widened it (see [`Part`]).
    pub parts: &'a [Part],
}

impl Form<'_> {
    /// When it began to cut the items of `scope`: an amend that widened it
    /// to them began them later (QA: widening a pooled listing from Y to
    /// every item dated the new block from the pool's first day).
    fn began_in(&self, scope: &ItemScope) -> DateTime<Utc> {
        self.parts
            .iter()
            .filter(|p| match (scope, p.item) {
                (_, None) => true,
                (ItemScope::All, Some(_)) => false,
                (ItemScope::Only(items), Some(i)) => items.binary_search(&i).is_ok(),
            })
            .map(|p| p.began)
            .min()
            .unwrap_or(self.began)
    }

    fn ends(&self) -> Option<DateTime<Utc>> {
        self.recovery_days
            .map(|d| self.since + chrono::Duration::seconds((d * 86_400.0).round() as i64))
    }
}

/// A firm blocked only together, in one class of items.
struct Held {
    /// The listings its blocked holders rest on (indices into the forms).
    on: BTreeSet<usize>,
    /// The listings of all its blocked owners, for the drivers.
    named: BTreeSet<usize>,
    /// The listings covering the class: any of them may keep it blocked
    /// when one it rests on ends.
    cover: Vec<usize>,
    share: f64,
    holders: Vec<(FirmIx, f64)>,
}

/// A firm's shock at one licence level, and the note that says why, when it
/// is blocked only by the issuer's listings together.
pub(crate) struct Together {
    pub shock: Shock,
    pub note: String,
}

/// For every firm that `forms` (every listing in force of one issuer) block
/// only together: one shock per licence level it is blocked at, keyed by
/// issuer, firm and level (the level's cut, as [`f64::to_bits`]), caused by
/// `event_id`.
///
/// A level's listings are those at its cut or stricter. The strictest level
/// that blocks the firm cuts it that much; each looser level that also
/// blocks it carries the part of the cut down to it, with its own start and
/// recovery: 30% held under a year-long denial and 25% under a year-long
/// case-by-case listing block it case by case for the year, and 25% more
/// under a 10-day denial block it outright for those 10 days only (QA
/// round 12: one shock at the strictest level took the year for the whole
/// cut, and a 10-day listing raised a warning).
pub(crate) fn across(
    map: &ChainMap,
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    event_id: &str,
) -> BTreeMap<(FirmIx, u64), Together> {
    let mut out = BTreeMap::new();
    if forms.len() < 2 {
        return out;
    }
    // Per firm: the classes it is blocked in (scope, what it rests on).
    let mut blocked: BTreeMap<FirmIx, Vec<(ItemScope, Held)>> = BTreeMap::new();
    for (cover, scope) in classes(forms) {
        for (firm, held) in pooled(map, owned_by, forms, &cover) {
            blocked.entry(firm).or_default().push((scope.clone(), held));
        }
    }
    for (firm, found) in blocked {
        for (level, at) in levels(owned_by, forms, firm, &found) {
            if let Some(together) = level_shock(map, owned_by, forms, firm, level, at, event_id) {
                out.insert((firm, level), together);
            }
        }
    }
    out
}

/// The licence levels `firm` is blocked at, each with the classes blocked
/// at it: their holders cut down to the level's listings, and the cut the
/// level adds to the looser one below it in that class (a level's cut
/// `c` over the looser `b` adds `1 − (1 − c) / (1 − b)`, so the levels
/// together cut `c`).
fn levels(
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    firm: FirmIx,
    found: &[(ItemScope, Held)],
) -> BTreeMap<u64, Vec<(ItemScope, Held, f64)>> {
    let mut out: BTreeMap<u64, Vec<(ItemScope, Held, f64)>> = BTreeMap::new();
    for (scope, held) in found {
        let mut cuts: Vec<f64> = held.cover.iter().map(|k| forms[*k].listed.cut).collect();
        cuts.sort_by(|a, b| b.total_cmp(a));
        cuts.dedup();
        // A level's listings are a superset of every stricter level's, so
        // once one blocks, every looser one does.
        let blocking: Vec<(f64, Vec<usize>)> = cuts
            .into_iter()
            .filter_map(|c| {
                let left: Vec<usize> = held
                    .cover
                    .iter()
                    .copied()
                    .filter(|k| forms[*k].listed.cut >= c)
                    .collect();
                blocks(owned_by, forms, &left, firm).then_some((c, left))
            })
            .collect();
        for (j, (cut, left)) in blocking.iter().enumerate() {
            let below = blocking.get(j + 1).map_or(0.0, |b| b.0);
            let adds = if below >= 1.0 {
                0.0
            } else {
                1.0 - (1.0 - cut) / (1.0 - below)
            };
            let keep = |set: &BTreeSet<usize>| -> BTreeSet<usize> {
                set.iter().copied().filter(|k| left.contains(k)).collect()
            };
            let (share, holders) = owned_by
                .spread(&direct_of(forms, left))
                .controlled
                .into_iter()
                .find(|c| c.firm == firm)
                .map_or((held.share, held.holders.clone()), |c| (c.share, c.holders));
            let at = Held {
                on: keep(&held.on),
                named: keep(&held.named),
                cover: left.clone(),
                share,
                holders,
            };
            out.entry(cut.to_bits())
                .or_default()
                .push((scope.clone(), at, adds));
        }
    }
    out
}

/// The shock on `firm` at one licence `level` (see [`levels`]), from the
/// classes blocked at it.
fn level_shock(
    map: &ChainMap,
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    firm: FirmIx,
    level: u64,
    mut found: Vec<(ItemScope, Held, f64)>,
    event_id: &str,
) -> Option<Together> {
    // When each class's block began: a narrower class may have begun
    // before the block on every item, and keeps its start.
    let mut starts: Vec<(DateTime<Utc>, DateTime<Utc>, ItemScope)> = found
        .iter()
        .filter_map(|(scope, held, _)| {
            first_blocked(owned_by, forms, &held.cover, firm, scope)
                .map(|(since, began)| (since, began, scope.clone()))
        })
        .collect();
    // Within a block on every item, items a listing named before it was
    // widened to all may have been blocked since earlier.
    for (scope, held, _) in &found {
        let Some(all) = starts
            .iter()
            .find(|(_, _, s)| s == scope && *s == ItemScope::All)
            .map(|(_, began, _)| *began)
        else {
            continue;
        };
        let named: BTreeSet<ItemIx> = held
            .cover
            .iter()
            .flat_map(|k| forms[*k].parts.iter().filter_map(|p| p.item))
            .collect();
        for item in named {
            let one = ItemScope::Only(vec![item]);
            if let Some((since, began)) = first_blocked(owned_by, forms, &held.cover, firm, &one) {
                if began < all {
                    starts.push((since, began, one));
                }
            }
        }
    }
    // Blocked from every item, it needs no narrower cut besides.
    if let Some(k) = found.iter().position(|(s, _, _)| *s == ItemScope::All) {
        found = vec![found.swap_remove(k)];
    }
    let mut by_cut: BTreeMap<u64, Vec<ItemIx>> = BTreeMap::new();
    let mut all_cut = None;
    let mut on: BTreeSet<usize> = BTreeSet::new();
    let mut named: BTreeSet<usize> = BTreeSet::new();
    let mut ends: Vec<Option<DateTime<Utc>>> = Vec::new();
    for (scope, held, cut) in &found {
        match scope {
            ItemScope::All => all_cut = Some(*cut),
            ItemScope::Only(items) => by_cut
                .entry(cut.to_bits())
                .or_default()
                .extend(items.iter().copied()),
        }
        on.extend(held.on.iter().copied());
        named.extend(held.named.iter().copied());
        ends.push(blocked_until(owned_by, forms, &held.cover, firm));
    }
    let issuer = forms[0].listed.issuer;
    let mut effects: Vec<Effect> = Vec::new();
    if let Some(cut) = all_cut {
        effects.push(Effect::Listing {
            issuer,
            items: ItemScope::All,
            blocked: vec![firm],
            cut,
        });
    }
    for (cut, mut items) in by_cut {
        items.sort_unstable();
        items.dedup();
        effects.push(Effect::Listing {
            issuer,
            items: ItemScope::Only(items),
            blocked: vec![firm],
            cut: f64::from_bits(cut),
        });
    }
    // Recovery runs from when the block on every item, if any, began.
    let whole = starts.iter().find(|(_, _, scope)| *scope == ItemScope::All);
    let since = whole
        .map(|(since, _, _)| *since)
        .or_else(|| starts.iter().map(|(since, _, _)| *since).max())?;
    let began = starts
        .iter()
        .map(|(_, began, _)| *began)
        .min()
        .unwrap_or(since);
    // Classes blocked from different days keep their own (see
    // [`Shock::parts`]).
    let parts: Vec<Part> = if starts.iter().all(|(_, b, _)| *b == began) {
        Vec::new()
    } else {
        starts
            .iter()
            .flat_map(|(_, b, scope)| {
                let items: Vec<Option<ItemIx>> = match scope {
                    ItemScope::All => vec![None],
                    ItemScope::Only(items) => items.iter().copied().map(Some).collect(),
                };
                items.into_iter().map(move |item| Part {
                    item,
                    reached: Reached::Firm(firm),
                    began: *b,
                })
            })
            .collect()
    };
    // Unknown in any class is unknown for the firm.
    let end = ends.iter().try_fold(None::<DateTime<Utc>>, |latest, e| {
        e.map(|e| Some(latest.map_or(e, |l| l.max(e))))
    });
    let recovery_days = end
        .flatten()
        .map(|e| ((e - since).num_seconds() as f64 / 86_400.0).max(0.0));
    // Caused by the event at hand if it is one it rests on, else by the
    // latest of those (an unrelated listing can re-read the pool).
    let primary = named
        .iter()
        .map(|k| forms[*k].event_id)
        .find(|e| *e == event_id)
        .or_else(|| {
            on.iter()
                .max_by_key(|k| (forms[**k].since, forms[**k].event_id))
                .map(|k| forms[*k].event_id)
        })
        .unwrap_or(event_id);
    let mut also: Vec<String> = named
        .iter()
        .map(|k| forms[*k].event_id.to_string())
        .filter(|e| e != primary)
        .collect();
    also.sort();
    also.dedup();
    let f = &map.firms[firm as usize];
    let (share, holders) = found
        .iter()
        .map(|(_, h, _)| (h.share, &h.holders))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(s, h)| (s, h.clone()))
        .unwrap_or_default();
    let holders: Vec<String> = holders
        .iter()
        .map(|(h, share)| {
            let measures: Vec<&str> = forms
                .iter()
                .filter(|x| x.listed.blocked.binary_search(h).is_ok())
                .map(|x| x.measure)
                .collect();
            let why = if measures.is_empty() {
                " (blocked in aggregate itself)".to_string()
            } else {
                format!(" ({})", measures.join(", "))
            };
            format!("{:?} {:.1}%{why}", map.firms[*h as usize].id, share * 100.0)
        })
        .collect();
    let cut = f64::from_bits(level);
    let note = format!(
        "firm {:?} ({:?}) blocked through ownership in aggregate across the {} \
         listings cutting {}% or more: {:.1}% held by blocked {}",
        f.id,
        f.name,
        forms[0].listed.issuer_code,
        percent(cut),
        share * 100.0,
        holders.join(", ")
    );
    Some(Together {
        shock: Shock {
            key: ShockKey::Ownership {
                issuer: forms[0].listed.issuer_code.clone(),
                firm: f.id.clone(),
                cut: cut.to_string(),
            },
            event_id: primary.to_string(),
            also,
            since,
            began,
            recovery_days,
            effects,
            parts,
        },
        note,
    })
}

/// A cut as a percentage, to a hundredth of a percent: "50", "12.5".
fn percent(cut: f64) -> String {
    ((cut * 10_000.0).round() / 100.0).to_string()
}

/// Classes of items by the listings covering them (at least two), each
/// with its scope: the items every `Only` listing names, one by one, and
/// the rest, covered by the listings of every item.
fn classes(forms: &[Form<'_>]) -> Vec<(Vec<usize>, ItemScope)> {
    let every: Vec<usize> = (0..forms.len())
        .filter(|k| forms[*k].listed.scope == ItemScope::All)
        .collect();
    let named: BTreeSet<ItemIx> = forms
        .iter()
        .filter_map(|f| match &f.listed.scope {
            ItemScope::Only(items) => Some(items.iter().copied()),
            ItemScope::All => None,
        })
        .flatten()
        .collect();
    let mut by_cover: BTreeMap<Vec<usize>, Vec<ItemIx>> = BTreeMap::new();
    for item in named {
        let cover: Vec<usize> = (0..forms.len())
            .filter(|k| forms[*k].listed.scope.covers(item))
            .collect();
        by_cover.entry(cover).or_default().push(item);
    }
    let mut out: Vec<(Vec<usize>, ItemScope)> = by_cover
        .into_iter()
        .map(|(cover, items)| (cover, ItemScope::Only(items)))
        .collect();
    out.push((every, ItemScope::All));
    out.retain(|(cover, _)| cover.len() >= 2);
    out
}

/// Firms the listings `cover` block pooled but none of them alone, with
/// the listings each rests on. The walk reaches a holder before what it
/// holds, so a holder's listings are known when they are needed.
fn pooled(
    map: &ChainMap,
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    cover: &[usize],
) -> Vec<(FirmIx, Held)> {
    let mut on: HashMap<FirmIx, BTreeSet<usize>> = HashMap::new();
    for &k in cover {
        for &firm in &forms[k].listed.blocked {
            on.entry(firm).or_default().insert(k);
        }
    }
    // Firms a listing blocks alone, grouped by the listings that do: the
    // others may block them too, together, for longer (QA: a direct
    // listing for 10 days on top of a pool for 30 threw the pool away).
    let mut alone: BTreeMap<Vec<usize>, BTreeSet<FirmIx>> = BTreeMap::new();
    for (firm, ks) in &on {
        alone
            .entry(ks.iter().copied().collect())
            .or_default()
            .insert(*firm);
    }
    let spread = owned_by.spread(&direct_of(forms, cover));
    let mut out = Vec::new();
    for (by, firms) in alone {
        let rest: Vec<usize> = cover.iter().copied().filter(|k| !by.contains(k)).collect();
        if rest.len() < 2 {
            continue;
        }
        out.extend(
            pooled(map, owned_by, forms, &rest)
                .into_iter()
                .filter(|(f, _)| firms.contains(f)),
        );
    }
    for c in spread.controlled {
        if on.contains_key(&c.firm) {
            continue;
        }
        let rests: BTreeSet<usize> = c
            .holders
            .iter()
            .filter_map(|(h, _)| on.get(h))
            .flatten()
            .copied()
            .collect();
        // Drivers name every blocked owner's listing, not only those the
        // walk had met when the share reached 50% (QA: a third holder's
        // listing was left out, while the recovery waited for it).
        let named: BTreeSet<usize> = map.firms[c.firm as usize]
            .owners
            .iter()
            .filter_map(|(h, _)| on.get(h))
            .flatten()
            .copied()
            .chain(rests.iter().copied())
            .collect();
        on.insert(c.firm, rests.clone());
        out.push((
            c.firm,
            Held {
                on: rests,
                named,
                cover: cover.to_vec(),
                share: c.share,
                holders: c.holders,
            },
        ));
    }
    out
}

fn direct_of(forms: &[Form<'_>], listings: &[usize]) -> Vec<FirmIx> {
    let mut direct: Vec<FirmIx> = listings
        .iter()
        .flat_map(|k| forms[*k].listed.direct.iter().copied())
        .collect();
    direct.sort_unstable();
    direct.dedup();
    direct
}

/// Whether the listings `left` block `firm`, alone or together.
fn blocks(owned_by: &OwnedBy, forms: &[Form<'_>], left: &[usize], firm: FirmIx) -> bool {
    owned_by
        .spread(&direct_of(forms, left))
        .blocked
        .binary_search(&firm)
        .is_ok()
}

/// When `firm` became blocked, and when what blocked it was announced: the
/// listings in `cover` taken in the order they took effect, the first
/// that block it together (QA: the latest of the holders the walk met
/// first, which could be later).
fn first_blocked(
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    cover: &[usize],
    firm: FirmIx,
    scope: &ItemScope,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut order: Vec<usize> = cover.to_vec();
    order.sort_by_key(|k| (forms[*k].since, *k));
    (1..=order.len()).find_map(|n| {
        let left = &order[..n];
        blocks(owned_by, forms, left, firm).then(|| {
            let began = left.iter().map(|k| forms[*k].began_in(scope)).max();
            (
                forms[order[n - 1]].since,
                began.unwrap_or(forms[order[n - 1]].since),
            )
        })
    })
}

/// When `firm` stops being blocked as the listings in `cover` end in turn,
/// earliest expected end first; `None` if it stays blocked by listings
/// without an expected end.
fn blocked_until(
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    cover: &[usize],
    firm: FirmIx,
) -> Option<DateTime<Utc>> {
    let mut left: Vec<usize> = cover.to_vec();
    let mut ending: Vec<(DateTime<Utc>, usize)> = left
        .iter()
        .filter_map(|k| forms[*k].ends().map(|e| (e, *k)))
        .collect();
    ending.sort();
    for (end, k) in ending {
        left.retain(|x| *x != k);
        if !blocks(owned_by, forms, &left, firm) {
            return Some(end);
        }
    }
    None
}

/// Whether two forms of a firm's aggregate shock cut the same and rest on
/// the same events, whatever event set them: an event that leaves it as it
/// was changes nothing.
pub(crate) fn same_cut(a: &Shock, b: &Shock) -> bool {
    fn events(s: &Shock) -> Vec<&String> {
        let mut e: Vec<&String> = std::iter::once(&s.event_id).chain(&s.also).collect();
        e.sort();
        e
    }
    a.since == b.since
        && a.began == b.began
        && a.recovery_days == b.recovery_days
        && a.effects == b.effects
        && a.parts == b.parts
        && events(a) == events(b)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::config::CoreConfig;
    use crate::event::decode;
    use crate::map::{parse_str, ChainMap};
    use crate::normalise::{Change, Normalised, Normaliser};
    use crate::shock::{Effect, ItemScope, Shock, ShockKey};

    /// Holdings A, B and C (CN) own 30%, 25% and 25% of fab F; F owns 60%
    /// of G. U (US) makes tools N1 and N3; F and G make chips N2.
    const MAP: &str = r#"{
      "version": 1, "home": "CN", "chains": [],
      "items": [{"id": "N1", "name": "tool"}, {"id": "N2", "name": "chip"}, {"id": "N3", "name": "other tool"}],
      "firms": [
        {"id": "A", "name": "Alpha Holdings", "country": "CN"},
        {"id": "B", "name": "Beta Holdings", "country": "CN"},
        {"id": "C", "name": "Gamma Holdings", "country": "CN"},
        {"id": "F", "name": "Fab", "country": "CN",
         "owners": [{"firm": "A", "share": 0.3}, {"firm": "B", "share": 0.25}, {"firm": "C", "share": 0.25}],
         "produces": [{"item": "N2", "share": 0.5}], "consumes": [{"item": "N1"}, {"item": "N3"}]},
        {"id": "G", "name": "Fab Two", "country": "CN", "owners": [{"firm": "F", "share": 0.6}],
         "produces": [{"item": "N2", "share": 0.5}], "consumes": [{"item": "N1"}]},
        {"id": "U", "name": "Tool Co", "country": "US",
         "produces": [{"item": "N1", "share": 1}, {"item": "N3", "share": 1}]}
      ]
    }"#;

    fn listing(
        id: &str,
        measure: &str,
        action: &str,
        extra: serde_json::Value,
    ) -> crate::event::Event {
        let mut v = json!({"type": "sanction", "id": id, "ts": "2024-05-01T00:00:00Z",
            "measure": measure, "action": action, "issuer_jurisdiction": "US", "items": ["*"]});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        decode(v.to_string().as_bytes()).unwrap()
    }

    fn keys(n: &Normalised) -> Vec<String> {
        n.changes
            .iter()
            .map(|c| match c {
                Change::Set(s) => format!("set {:?}", s.key),
                Change::End(k) => format!("end {k:?}"),
            })
            .collect()
    }

    fn set_on<'n>(n: &'n Normalised, firm: &str) -> &'n Shock {
        n.changes
            .iter()
            .find_map(|c| match c {
                Change::Set(s) if format!("{:?}", s.key).contains(&format!("firm: {firm:?}")) => {
                    Some(s)
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no shock on {firm}: {:?}", keys(n)))
    }

    /// The shock set on `firm` at the licence level cutting `cut` or more.
    fn set_at<'n>(n: &'n Normalised, firm: &str, cut: &str) -> &'n Shock {
        n.changes
            .iter()
            .find_map(|c| match c {
                Change::Set(s) => match &s.key {
                    ShockKey::Ownership {
                        firm: f, cut: c, ..
                    } if f == firm && c == cut => Some(s),
                    _ => None,
                },
                _ => None,
            })
            .unwrap_or_else(|| panic!("no shock on {firm} at {cut}: {:?}", keys(n)))
    }

    fn only(map: &ChainMap, ids: &[&str]) -> ItemScope {
        ItemScope::Only(ids.iter().map(|i| map.item(i).unwrap()).collect())
    }

    #[test]
    fn two_listings_of_one_issuer_block_what_they_own_together() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        let mut n = Normaliser::new(&CoreConfig::default());
        let first = n
            .normalise(
                &map,
                &listing("e1", "M1", "add", json!({"targets": [{"id": "A"}]})),
            )
            .unwrap();
        // 30% alone is under 50%: F stays free.
        assert_eq!(keys(&first), ["set Measure(\"M1\")"]);

        // B's 25% under another measure of the same issuer makes 55%: F is
        // blocked, and G through F (60%). The second listing covers N1 only
        // and expires in 100 days: F and G are cut from N1, for 100 days.
        let second = n
            .normalise(
                &map,
                &listing(
                    "e2",
                    "M2",
                    "add",
                    json!({"targets": [{"id": "B"}], "items": ["N1"],
                    "ts": "2024-06-01T00:00:00Z", "expected_duration_days": 100}),
                ),
            )
            .unwrap();
        assert_eq!(
            keys(&second),
            [
                "set Measure(\"M2\")",
                "set Ownership { issuer: \"US\", firm: \"F\", cut: \"1\" }",
                "set Ownership { issuer: \"US\", firm: \"G\", cut: \"1\" }"
            ]
        );
        let f = set_on(&second, "F");
        let g = map.firm("G").unwrap();
        assert_eq!(
            (f.event_id.as_str(), &f.also[..]),
            ("e2", &["e1".to_string()][..])
        );
        assert_eq!(f.recovery_days, Some(100.0));
        assert_eq!(f.since.to_rfc3339(), "2024-06-01T00:00:00+00:00");
        match &f.effects[..] {
            [Effect::Listing {
                items,
                blocked,
                cut,
                ..
            }] => {
                assert_eq!(items, &only(&map, &["N1"]));
                assert_eq!(blocked, &vec![map.firm("F").unwrap()]);
                assert_eq!(*cut, 1.0, "denial");
            }
            other => panic!("one listing effect, got {other:?}"),
        }
        assert!(matches!(&set_on(&second, "G").effects[..],
            [Effect::Listing { blocked, .. }] if blocked == &vec![g]));
        let notes = second.notes.join("\n");
        assert!(
            notes.contains(
                "firm \"F\" (\"Fab\") blocked through ownership in aggregate across the US \
                 listings cutting 100% or more: 55.0% held by blocked \"A\" 30.0% (M1), \"B\" 25.0% (M2)"
            ),
            "{notes}"
        );

        // A listing by another issuer does not add to the US pool, and
        // restating M2 as it was leaves the pool alone.
        let gb = n
            .normalise(
                &map,
                &listing(
                    "e3",
                    "UK1",
                    "add",
                    json!({"targets": [{"id": "B"}], "issuer_jurisdiction": "GB"}),
                ),
            )
            .unwrap();
        assert_eq!(keys(&gb), ["set Measure(\"UK1\")"]);
        let again = n
            .normalise(
                &map,
                &listing(
                    "e4",
                    "M2",
                    "amend",
                    json!({"targets": [{"id": "B"}], "items": ["N1"],
                    "ts": "2024-06-02T00:00:00Z", "expected_duration_days": 100}),
                ),
            )
            .unwrap();
        // The amend is what M2 now rests on: the drivers follow it.
        assert_eq!(
            keys(&again),
            [
                "set Measure(\"M2\")",
                "set Ownership { issuer: \"US\", firm: \"F\", cut: \"1\" }",
                "set Ownership { issuer: \"US\", firm: \"G\", cut: \"1\" }"
            ]
        );
        assert_eq!(set_on(&again, "F").event_id, "e4");

        // Removing either listing frees F and G.
        let end = n
            .normalise(
                &map,
                &listing("e5", "M1", "remove", json!({"ts": "2024-07-01T00:00:00Z"})),
            )
            .unwrap();
        assert_eq!(
            keys(&end),
            [
                "end Measure(\"M1\")",
                "end Ownership { issuer: \"US\", firm: \"F\", cut: \"1\" }",
                "end Ownership { issuer: \"US\", firm: \"G\", cut: \"1\" }"
            ]
        );
    }

    /// QA: M1 (A 30%, N1 and N3), M2 (B 25%, N1) and M3 (C 25%, N3) block F
    /// from N1 (A + B) and from N3 (A + C); the pool must not stop at the
    /// first pair. With every listing covering every item, M1 ending in 10
    /// days leaves B + C at exactly 50%: F stays blocked until M2 ends.
    #[test]
    fn every_pool_of_listings_counts_and_recovery_waits_for_the_last_that_keeps_it() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        let mut scoped = Normaliser::new(&CoreConfig::default());
        let mut last = Normalised::default();
        for (id, m, target, items) in [
            ("e1", "M1", "A", json!(["N1", "N3"])),
            ("e2", "M2", "B", json!(["N1"])),
            ("e3", "M3", "C", json!(["N3"])),
        ] {
            last = scoped
                .normalise(
                    &map,
                    &listing(
                        id,
                        m,
                        "add",
                        json!({"targets": [{"id": target}], "items": items}),
                    ),
                )
                .unwrap();
        }
        let f = set_on(&last, "F");
        let cut_items: Vec<ItemScope> = f
            .effects
            .iter()
            .map(|e| match e {
                Effect::Listing { items, .. } => items.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(cut_items, [only(&map, &["N1", "N3"])]);
        let mut drivers = vec![f.event_id.clone()];
        drivers.extend(f.also.iter().cloned());
        drivers.sort();
        assert_eq!(drivers, ["e1", "e2", "e3"]);

        let mut whole = Normaliser::new(&CoreConfig::default());
        let mut last = Normalised::default();
        for (id, m, target, days) in [
            ("e1", "M1", "A", 10),
            ("e2", "M2", "B", 400),
            ("e3", "M3", "C", 500),
        ] {
            last = whole
                .normalise(
                    &map,
                    &listing(
                        id,
                        m,
                        "add",
                        json!({"targets": [{"id": target}],
                    "expected_duration_days": days}),
                    ),
                )
                .unwrap();
        }
        let f = set_on(&last, "F");
        assert_eq!(f.recovery_days, Some(400.0), "B + C hold 50% after M1 ends");
        // A + B reach 50% first; C's listing is named too (QA).
        let mut drivers = vec![f.event_id.clone()];
        drivers.extend(f.also.iter().cloned());
        drivers.sort();
        assert_eq!(drivers, ["e1", "e2", "e3"]);
    }

    /// QA: listing F directly (10 days) on top of the pool that blocks it
    /// (A's 30% for 30 days, B's 25% for 200) threw the pool's shock away,
    /// so F's block seemed to end with the direct listing. The pool's stays.
    #[test]
    fn a_direct_listing_on_top_of_a_pool_keeps_the_pool() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        let mut n = Normaliser::new(&CoreConfig::default());
        for (id, m, target, days) in [("e1", "M1", "A", 30), ("e2", "M2", "B", 200)] {
            n.normalise(
                &map,
                &listing(
                    id,
                    m,
                    "add",
                    json!({"targets": [{"id": target}],
                "expected_duration_days": days}),
                ),
            )
            .unwrap();
        }
        let direct = n
            .normalise(
                &map,
                &listing(
                    "e3",
                    "M3",
                    "add",
                    json!({"targets": [{"id": "F"}],
                "expected_duration_days": 10}),
                ),
            )
            .unwrap();
        assert_eq!(keys(&direct), ["set Measure(\"M3\")"], "{:?}", direct.notes);
        assert!(direct
            .notes
            .iter()
            .all(|n| !n.contains("no longer blocked")));
        // Ending the direct listing leaves the pool as it was too.
        let end = n
            .normalise(
                &map,
                &listing("e4", "M3", "remove", json!({"ts": "2024-05-02T00:00:00Z"})),
            )
            .unwrap();
        assert_eq!(keys(&end), ["end Measure(\"M3\")"]);
        // The pool blocks F until A's 30 days are over (B alone: 25%).
        let again = n
            .normalise(
                &map,
                &listing(
                    "e5",
                    "M1",
                    "amend",
                    json!({"targets": [{"id": "A"}],
                "ts": "2024-05-03T00:00:00Z", "expected_duration_days": 40}),
                ),
            )
            .unwrap();
        assert_eq!(set_on(&again, "F").recovery_days, Some(40.0));
    }

    /// A (30%) under a denial, B (25%) under a case-by-case listing and C
    /// (25%) under another denial: A + B reach 50% first in F's owner list,
    /// but A + C hold 55% under denials, so F is denied, not half cut. And
    /// with C's denial in effect from June and B's only from September, F
    /// is blocked from June (A + C), not from when B's listing starts.
    #[test]
    fn a_pooled_firm_is_cut_as_strictly_and_as_early_as_some_of_its_holders_block_it() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        let mut n = Normaliser::new(&CoreConfig::default());
        let mut last = Normalised::default();
        for (id, m, target, policy, effective) in [
            ("e1", "M1", "A", "denial", "2024-05-01T00:00:00Z"),
            ("e2", "M2", "B", "case_by_case", "2024-09-01T00:00:00Z"),
            ("e3", "M3", "C", "denial", "2024-06-01T00:00:00Z"),
        ] {
            last = n
                .normalise(
                    &map,
                    &listing(
                        id,
                        m,
                        "add",
                        json!({"targets": [{"id": target}], "license_policy": policy,
                            "effective": effective}),
                    ),
                )
                .unwrap();
        }
        // Two levels: A + C, both denials, block F outright; with B's
        // case-by-case listing all three block it case by case. The denial
        // level adds the rest of the cut to the case-by-case one's half.
        let denial = set_at(&last, "F", "1");
        let case_by_case = set_at(&last, "F", "0.5");
        for (level, cut, events) in [
            (denial, 1.0, vec!["e1", "e3"]),
            (case_by_case, 0.5, vec!["e1", "e2", "e3"]),
        ] {
            match &level.effects[..] {
                [Effect::Listing { cut: c, .. }] => assert_eq!(*c, cut, "{:?}", level.key),
                other => panic!("one listing effect, got {other:?}"),
            }
            // A (1 May) and C (1 June) block F together from 1 June.
            assert_eq!(level.since.to_rfc3339(), "2024-06-01T00:00:00+00:00");
            assert_eq!(level.began.to_rfc3339(), "2024-06-01T00:00:00+00:00");
            let mut drivers = vec![level.event_id.as_str()];
            drivers.extend(level.also.iter().map(String::as_str));
            drivers.sort();
            assert_eq!(drivers, events, "{:?}", level.key);
        }

        // Lifted to case by case, C's listing no longer keeps the denial:
        // that level ends, and A + B + C keep F case by case.
        let eased = n
            .normalise(
                &map,
                &listing(
                    "e4",
                    "M3",
                    "amend",
                    json!({"targets": [{"id": "C"}], "license_policy": "case_by_case",
                        "effective": "2024-06-01T00:00:00Z"}),
                ),
            )
            .unwrap();
        let keys = keys(&eased);
        assert!(
            keys.contains(&r#"end Ownership { issuer: "US", firm: "F", cut: "1" }"#.to_string()),
            "{keys:?}"
        );
        match &set_at(&eased, "F", "0.5").effects[..] {
            [Effect::Listing { cut, .. }] => assert_eq!(*cut, 0.5, "case by case"),
            other => panic!("one listing effect, got {other:?}"),
        }
    }

    /// QA round 12, N2: A's listing covers every item, B's only N1, so F is
    /// pooled out of N1 from 1 May. B's listing, amended on 1 July to every
    /// item, blocks F from the rest then, not from 1 May: the block on N1
    /// keeps its start beside the later block on every item.
    #[test]
    fn a_pool_widened_by_an_amend_starts_its_new_items_then() {
        let (_, map) = parse_str(MAP, "test").unwrap();
        let mut n = Normaliser::new(&CoreConfig::default());
        n.normalise(
            &map,
            &listing("e1", "M1", "add", json!({"targets": [{"id": "A"}]})),
        )
        .unwrap();
        let narrow = n
            .normalise(
                &map,
                &listing(
                    "e2",
                    "M2",
                    "add",
                    json!({"targets": [{"id": "B"}], "items": ["N1"]}),
                ),
            )
            .unwrap();
        assert!(set_on(&narrow, "F").parts.is_empty());
        let wide = n
            .normalise(
                &map,
                &listing(
                    "e3",
                    "M2",
                    "amend",
                    json!({"targets": [{"id": "B"}], "ts": "2024-07-01T00:00:00Z"}),
                ),
            )
            .unwrap();
        let f = set_on(&wide, "F");
        let firm = map.firm("F").unwrap();
        let n1 = map.item("N1").unwrap();
        let n3 = map.item("N3").unwrap();
        let day = |d: &str| -> chrono::DateTime<chrono::Utc> {
            format!("{d}T00:00:00Z").parse().unwrap()
        };
        assert_eq!(f.began, day("2024-05-01"));
        let reached = [crate::shock::Reached::Firm(firm)];
        assert_eq!(f.began_for(n1, &reached), day("2024-05-01"));
        assert_eq!(f.began_for(n3, &reached), day("2024-07-01"));
    }
}
