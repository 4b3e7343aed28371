//! The 50% rule across listings: OFAC blocks a firm owned 50% or more in
//! aggregate by blocked persons, whichever listing blocked each of them. One
//! listing's own spread (see [`super::ownership`]) sees only its targets; this
//! file finds the firms only the issuer's listings together block, and the
//! form of the shock that cuts them.
//!
//! Such a firm is cut under what all the listings behind it agree on: the
//! items every one covers, at the mildest licence policy, from when the last
//! of them took effect until the first of them is expected to end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::ownership::OwnedBy;
use crate::map::{ChainMap, CountryIx, FirmIx, ItemIx};
use crate::shock::{Effect, ItemScope, Shock, ShockKey};

/// Firms blocked in aggregate named one by one in the notes.
const MAX_NOTES: usize = 20;

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
    pub since: DateTime<Utc>,
    pub began: DateTime<Utc>,
    pub recovery_days: Option<f64>,
    pub listed: &'a Listed,
}

/// The shock on the firms that `forms` (every listing in force of one
/// issuer) block only together, or `None` when there are none. Notes name
/// each such firm and the measures behind it.
pub(crate) fn across(
    map: &ChainMap,
    owned_by: &OwnedBy,
    forms: &[Form<'_>],
    event_id: &str,
    notes: &mut Vec<String>,
) -> Option<Shock> {
    let first = forms.first()?;
    if forms.len() < 2 {
        return None;
    }
    let mut direct: Vec<FirmIx> = forms
        .iter()
        .flat_map(|f| f.listed.direct.iter().copied())
        .collect();
    direct.sort_unstable();
    direct.dedup();
    // Which listings each blocked firm owes its blocking to.
    let mut behind: HashMap<FirmIx, BTreeSet<usize>> = HashMap::new();
    for (k, f) in forms.iter().enumerate() {
        for &firm in &f.listed.blocked {
            behind.entry(firm).or_default().insert(k);
        }
    }
    let spread = owned_by.spread(&direct);
    // Firms only the aggregate blocks, with their listings; the walk reaches
    // a holder before what it holds, so a holder's listings are known.
    let mut together: Vec<(FirmIx, BTreeSet<usize>)> = Vec::new();
    for c in &spread.controlled {
        if behind.contains_key(&c.firm) {
            continue;
        }
        let listings: BTreeSet<usize> = c
            .holders
            .iter()
            .filter_map(|(h, _)| behind.get(h))
            .flatten()
            .copied()
            .collect();
        if together.len() < MAX_NOTES {
            let holders: Vec<String> = c
                .holders
                .iter()
                .map(|(h, share)| {
                    let why = behind.get(h).map_or(String::new(), |ks| {
                        let ms: Vec<&str> = ks.iter().map(|k| forms[*k].measure).collect();
                        format!(" ({})", ms.join(", "))
                    });
                    format!("{:?} {:.1}%{why}", map.firms[*h as usize].id, share * 100.0)
                })
                .collect();
            notes.push(format!(
                "firm {:?} ({:?}) blocked through ownership in aggregate across the {} \
                 listings: {:.1}% held by blocked {}",
                map.firms[c.firm as usize].id,
                map.firms[c.firm as usize].name,
                first.listed.issuer_code,
                c.share * 100.0,
                holders.join(", ")
            ));
        }
        behind.insert(c.firm, listings.clone());
        together.push((c.firm, listings));
    }
    if together.len() > MAX_NOTES {
        notes.push(format!(
            "… and {} more firms blocked through ownership in aggregate",
            together.len() - MAX_NOTES
        ));
    }
    let mut effects: BTreeMap<(Vec<ItemIx>, bool, u64), Vec<FirmIx>> = BTreeMap::new();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for (firm, listings) in &together {
        let scope = listings
            .iter()
            .map(|k| forms[*k].listed.scope.clone())
            .reduce(|a, b| intersect(&a, &b))
            .unwrap_or(ItemScope::All);
        if matches!(&scope, ItemScope::Only(items) if items.is_empty()) {
            notes.push(format!(
                "firm {:?}: the listings that block it together cover no item in common; \
                 nothing cut",
                map.firms[*firm as usize].id
            ));
            continue;
        }
        let cut = listings
            .iter()
            .map(|k| forms[*k].listed.cut)
            .fold(f64::INFINITY, f64::min);
        used.extend(listings.iter().copied());
        let (items, all) = match scope {
            ItemScope::All => (Vec::new(), true),
            ItemScope::Only(items) => (items, false),
        };
        effects
            .entry((items, all, cut.to_bits()))
            .or_default()
            .push(*firm);
    }
    if effects.is_empty() {
        return None;
    }
    let since = used.iter().map(|k| forms[*k].since).max()?;
    let began = used.iter().map(|k| forms[*k].began).max()?;
    let ends = used
        .iter()
        .filter_map(|k| {
            let f = &forms[*k];
            f.recovery_days
                .map(|d| f.since + chrono::Duration::seconds((d * 86_400.0) as i64))
        })
        .min();
    let recovery_days = ends.map(|end| ((end - since).num_seconds() as f64 / 86_400.0).max(0.0));
    let effects = effects
        .into_iter()
        .map(|((items, all, cut), mut blocked)| {
            blocked.sort_unstable();
            Effect::Listing {
                issuer: first.listed.issuer,
                items: if all {
                    ItemScope::All
                } else {
                    ItemScope::Only(items)
                },
                blocked,
                cut: f64::from_bits(cut),
            }
        })
        .collect();
    Some(Shock {
        key: ShockKey::Ownership(first.listed.issuer_code.clone()),
        event_id: event_id.to_string(),
        since,
        began,
        recovery_days,
        effects,
    })
}

/// Items both scopes cover.
fn intersect(a: &ItemScope, b: &ItemScope) -> ItemScope {
    match (a, b) {
        (ItemScope::All, x) | (x, ItemScope::All) => x.clone(),
        (ItemScope::Only(x), ItemScope::Only(y)) => ItemScope::Only(
            x.iter()
                .filter(|i| y.binary_search(i).is_ok())
                .copied()
                .collect(),
        ),
    }
}

/// Whether two forms of the aggregate shock cut the same, whatever event
/// set them: an event that leaves the aggregate as it was changes nothing.
pub(crate) fn same_cut(a: &Shock, b: &Shock) -> bool {
    a.since == b.since
        && a.began == b.began
        && a.recovery_days == b.recovery_days
        && a.effects == b.effects
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::config::CoreConfig;
    use crate::event::decode;
    use crate::map::parse_str;
    use crate::normalise::{Change, Normalised, Normaliser};
    use crate::shock::{Effect, ItemScope};

    /// Holdings A and B (CN) own 30% and 25% of fab F; F owns 60% of G.
    /// U (US) makes tools N1; F and G make chips N2 and buy N1.
    const MAP: &str = r#"{
      "version": 1, "home": "CN", "chains": [],
      "items": [{"id": "N1", "name": "tool"}, {"id": "N2", "name": "chip"}],
      "firms": [
        {"id": "A", "name": "Alpha Holdings", "country": "CN"},
        {"id": "B", "name": "Beta Holdings", "country": "CN"},
        {"id": "F", "name": "Fab", "country": "CN",
         "owners": [{"firm": "A", "share": 0.3}, {"firm": "B", "share": 0.25}],
         "produces": [{"item": "N2", "share": 0.5}], "consumes": [{"item": "N1"}]},
        {"id": "G", "name": "Fab Two", "country": "CN", "owners": [{"firm": "F", "share": 0.6}],
         "produces": [{"item": "N2", "share": 0.5}], "consumes": [{"item": "N1"}]},
        {"id": "U", "name": "Tool Co", "country": "US", "produces": [{"item": "N1", "share": 1}]}
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
        // and expires in 100 days: the aggregate cuts N1, for 100 days.
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
            ["set Measure(\"M2\")", "set Ownership(\"US\")"]
        );
        let Change::Set(together) = &second.changes[1] else {
            unreachable!()
        };
        let f = map.firm("F").unwrap();
        let g = map.firm("G").unwrap();
        let n1 = map.item("N1").unwrap();
        assert_eq!(together.event_id, "e2");
        assert_eq!(together.recovery_days, Some(100.0));
        assert_eq!(together.since.to_rfc3339(), "2024-06-01T00:00:00+00:00");
        match &together.effects[..] {
            [Effect::Listing {
                items,
                blocked,
                cut,
                ..
            }] => {
                assert_eq!(items, &ItemScope::Only(vec![n1]));
                assert_eq!(blocked, &vec![f, g]);
                assert_eq!(*cut, 1.0, "denial");
            }
            other => panic!("one listing effect, got {other:?}"),
        }
        let notes = second.notes.join("\n");
        assert!(
            notes.contains(
                "firm \"F\" (\"Fab\") blocked through ownership in aggregate across the US \
                 listings: 55.0% held by blocked \"A\" 30.0% (M1), \"B\" 25.0% (M2)"
            ),
            "{notes}"
        );

        // A listing by another issuer does not add to the US aggregate, and
        // restating M2 as it was leaves the aggregate alone.
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
        assert_eq!(keys(&again), ["set Measure(\"M2\")"]);

        // Removing either listing frees F and G.
        let end = n
            .normalise(
                &map,
                &listing("e5", "M1", "remove", json!({"ts": "2024-07-01T00:00:00Z"})),
            )
            .unwrap();
        assert_eq!(keys(&end), ["end Measure(\"M1\")", "end Ownership(\"US\")"]);
    }
}
