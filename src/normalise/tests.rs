//! Normaliser tests on a small hand-written map: sanctions (matching, the 50%
//! rule, export controls), supplier incidents, and "an error changes nothing".

use serde_json::json;

use super::*;
use crate::event::decode;
use crate::map::parse_str;
use crate::shock::{Effect, ItemScope};

/// N1 wafers, N2 lithography tools, N3 chips.
/// P1 SMIC (CN, alias "SMIC", LEI "LEI-SMIC") makes N3 (and N1).
/// P3 a fab owned 60% by P1: blocked through ownership when P1 is listed.
/// P4 "Acme Litho B.V." (NL, subject to US too) makes N2; P5 "Acme Litho Inc." (US).
/// P2 "Foo Tech Co., Ltd." is in TW, and a holding H1 makes nothing.
const MAP: &str = r#"{
  "version": 1, "home": "CN", "chains": [],
  "items": [
    {"id": "N1", "name": "wafer"}, {"id": "N2", "name": "litho tool"}, {"id": "N3", "name": "chip"}
  ],
  "firms": [
    {"id": "P1", "name": "Semiconductor Manufacturing International Corporation",
     "aliases": ["SMIC"], "external_ids": {"lei": "LEI-SMIC"}, "country": "CN",
     "produces": [{"item": "N3", "share": 0.5}, {"item": "N1", "share": 0.1}]},
    {"id": "P2", "name": "Foo Tech Co., Ltd.", "country": "TW",
     "produces": [{"item": "N1", "share": 0.5}]},
    {"id": "P3", "name": "Beijing Fab", "country": "CN", "owners": [{"firm": "P1", "share": 0.6}],
     "produces": [{"item": "N3", "share": 0.2}]},
    {"id": "P4", "name": "Acme Litho B.V.", "country": "NL", "jurisdictions": ["US"],
     "produces": [{"item": "N2", "share": 0.8}]},
    {"id": "P5", "name": "Acme Litho Inc.", "country": "US",
     "produces": [{"item": "N2", "share": 0.2}]},
    {"id": "H1", "name": "Holding One", "country": "CN"}
  ]
}"#;

fn map() -> ChainMap {
    parse_str(MAP, "test").unwrap().1
}

fn ev(mut v: serde_json::Value) -> Event {
    let o = v.as_object_mut().unwrap();
    o.entry("id").or_insert(json!("e1"));
    o.entry("ts").or_insert(json!("2024-05-01T00:00:00Z"));
    decode(v.to_string().as_bytes()).unwrap()
}

fn sanction(extra: serde_json::Value) -> Event {
    let mut v = json!({"type": "sanction", "measure": "M1", "action": "add",
        "authority": "BIS", "issuer_jurisdiction": "US"});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    ev(v)
}

fn one_set(n: &Normalised) -> &Shock {
    match &n.changes[..] {
        [Change::Set(s)] => s,
        other => panic!("expected one Set, got {other:?}"),
    }
}

fn ids(map: &ChainMap, firms: &[u32]) -> Vec<String> {
    firms
        .iter()
        .map(|f| map.firms[*f as usize].id.clone())
        .collect()
}

#[test]
fn listing_matches_by_normalised_name_and_alias_and_blocks_through_ownership() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let out = n
        .normalise(
            &map,
            &sanction(json!({"targets": [
                {"name": "Semiconductor Manufacturing International Corp."},
                {"name": "Nobody Ltd", "aliases": ["Nobody"]},
            ]})),
        )
        .unwrap();
    let shock = one_set(&out);
    assert_eq!(shock.key, ShockKey::Measure("M1".into()));
    let us = map.country("US").unwrap();
    let p1 = map.firm("P1").unwrap();
    // Listing: P1 and P3 (60% owned by P1), all items, denial cuts 100%.
    // Then P1 (a producer, listed directly) loses 100% on every line.
    match &shock.effects[..] {
        [Effect::Listing {
            issuer,
            items,
            blocked,
            cut,
        }, Effect::CapacityLoss {
            firm,
            items: None,
            loss,
        }] => {
            assert_eq!((*issuer, items, *cut), (us, &ItemScope::All, 1.0));
            assert_eq!(ids(&map, blocked), ["P1", "P3"]);
            assert_eq!((*firm, *loss), (p1, 1.0));
        }
        other => panic!("{other:?}"),
    }
    let notes = out.notes.join("\n");
    assert!(
        notes.contains(
            "targets[0] \"Semiconductor Manufacturing International Corp.\" matched firm \"P1\""
        ) && notes.contains("by name (\"semiconductor manufacturing international\")"),
        "{notes}"
    );
    assert!(
        notes.contains("targets[1] \"Nobody Ltd\" matched no firm of the map"),
        "{notes}"
    );
    assert!(
        notes.contains("firm \"P3\" (\"Beijing Fab\") blocked through ownership: 60.0% held by blocked \"P1\" 60.0%"),
        "{notes}"
    );

    // The alias, full-width, matches too; and an id from a register.
    for target in [
        json!({"name": "ＳＭＩＣ"}),
        // Word breaks, and an acronym in parentheses.
        json!({"name": "Semi-Conductor Manufacturing International Corp"}),
        json!({"name": "Semi Mfg Intl Corp (SMIC)"}),
        json!({"id": "LEI-SMIC"}),
        json!({"id": "P1"}),
    ] {
        let out = n
            .normalise(&map, &sanction(json!({"targets": [target]})))
            .unwrap();
        match &one_set(&out).effects[0] {
            Effect::Listing { blocked, .. } => assert_eq!(ids(&map, blocked), ["P1", "P3"]),
            other => panic!("{other:?}"),
        }
    }
}

/// QA: a target's id won over its name even when they named different
/// firms, with nothing said. Now both are listed and the note says why.
#[test]
fn an_id_its_names_contradict_is_read_broadly() {
    let map = map();
    let listed = |target: serde_json::Value| {
        let mut n = Normaliser::new(&CoreConfig::default());
        let out = n
            .normalise(&map, &sanction(json!({"targets": [target]})))
            .unwrap();
        let blocked = match &one_set(&out).effects[0] {
            Effect::Listing { blocked, .. } => ids(&map, blocked),
            other => panic!("{other:?}"),
        };
        (blocked, out.notes.join("\n"))
    };
    let (blocked, notes) =
        listed(json!({"id": "P4", "name": "Semiconductor Manufacturing International Corp."}));
    assert_eq!(blocked, ["P1", "P3", "P4"]);
    assert!(
        notes.contains(
            "matched firm \"P4\" (\"Acme Litho B.V.\") by id (none of the target's names"
        ),
        "{notes}"
    );
    // An id with a name of its own firm, or with no name: that firm alone.
    for target in [
        json!({"id": "P4", "name": "Acme Litho"}),
        json!({"id": "P4"}),
    ] {
        let (blocked, notes) = listed(target);
        assert_eq!(blocked, ["P4"]);
        assert!(!notes.contains("none of the target's names"), "{notes}");
        assert!(!notes.contains("check the list"), "{notes}");
    }
    // An id whose firm is elsewhere than the target says so (QA).
    let (blocked, notes) = listed(json!({"id": "P4", "country": "JP"}));
    assert_eq!(blocked, ["P4"]);
    assert!(
        notes.contains("(the target is in JP, the firm in NL: check the list and the map)"),
        "{notes}"
    );
}

#[test]
fn a_name_match_must_agree_with_the_target_country() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    // "Foo Tech" is P2's name, but P2 is in TW, not CN: no match, empty shock.
    let out = n
        .normalise(
            &map,
            &sanction(json!({"targets": [{"name": "Foo Tech", "country": "CN"}]})),
        )
        .unwrap();
    assert!(one_set(&out).effects.is_empty());
    assert!(out.notes.iter().any(|x| x.contains("has no effect")));
    // Without a country it matches (P2 makes N1, so it loses capacity too).
    let out = n
        .normalise(
            &map,
            &sanction(json!({"measure": "m2", "targets": [{"name": "Foo Tech"}]})),
        )
        .unwrap();
    assert_eq!(one_set(&out).effects.len(), 2);
    // "Acme Litho" in NL is P4 only, not P5 (US), though both names fold to it.
    let out = n
        .normalise(
            &map,
            &sanction(
                json!({"measure": "m3", "targets": [{"name": "ACME LITHO", "country": "NL"}],
                "items": ["N2"], "license_policy": "case_by_case"}),
            ),
        )
        .unwrap();
    let n2 = map.item("N2").unwrap();
    match &one_set(&out).effects[..] {
        [Effect::Listing {
            blocked,
            items,
            cut,
            ..
        }, Effect::CapacityLoss {
            items: Some(lines),
            loss,
            ..
        }] => {
            assert_eq!(ids(&map, blocked), ["P4"]);
            assert_eq!(items, &ItemScope::Only(vec![n2]));
            assert_eq!((lines.clone(), *cut, *loss), (vec![n2], 0.5, 0.5));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn export_control_drops_unknown_destinations_and_unknown_issuers_bind_nothing() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let out = n
        .normalise(
            &map,
            &sanction(json!({"items": ["N2", "N1", "N2"], "destinations": ["RU", "CN"]})),
        )
        .unwrap();
    let (n1, n2) = (map.item("N1").unwrap(), map.item("N2").unwrap());
    assert_eq!(
        one_set(&out).effects,
        vec![Effect::ExportControl {
            issuer: map.country("US").unwrap(),
            items: ItemScope::Only(vec![n1, n2]),
            destinations: vec![map.country("CN").unwrap()],
            cut: 1.0,
        }]
    );
    assert!(out.notes.iter().any(|x| x.contains("destinations[0] RU")));

    // The issuer's own country is no export destination (found by QA: a CN
    // control naming CN cut CN gas makers from CN buyers).
    let out = n
        .normalise(
            &map,
            &sanction(json!({"measure": "M2", "items": ["N2"], "destinations": ["US", "CN"]})),
        )
        .unwrap();
    match &one_set(&out).effects[..] {
        [Effect::ExportControl { destinations, .. }] => {
            assert_eq!(destinations, &vec![map.country("CN").unwrap()])
        }
        other => panic!("expected one export control, got {other:?}"),
    }
    assert!(
        out.notes
            .iter()
            .any(|x| x.contains("destinations[0] US: the issuer's own country")),
        "{:?}",
        out.notes
    );

    // GB binds no firm of the map: the shock is kept (so remove works), empty.
    let out = n
        .normalise(
            &map,
            &sanction(json!({"measure": "UK-1", "issuer_jurisdiction": "GB",
                "items": ["*"], "destinations": ["CN"]})),
        )
        .unwrap();
    assert!(one_set(&out).effects.is_empty());
    let out = n
        .normalise(
            &map,
            &sanction(json!({"measure": "UK-1", "action": "remove"})),
        )
        .unwrap();
    assert_eq!(
        out.changes,
        vec![Change::End(ShockKey::Measure("UK-1".into()))]
    );
}

#[test]
fn remove_and_amend_of_unknown_measures() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    // A remove of a measure never seen ends nothing and says so; it is
    // kept, so the add it follows, delivered after it, is stale (QA: that
    // add stayed in force for good).
    let out = n
        .normalise(
            &map,
            &sanction(json!({"action": "remove", "ts": "2024-04-01T00:00:00Z"})),
        )
        .unwrap();
    assert!(out.changes.is_empty());
    assert_eq!(
        out.notes,
        [
            "measure \"M1\" is not in force (never seen): nothing to end; its removal is kept, \
          so an older notice of it arriving later is refused as stale"
        ]
    );
    let late_add = n
        .normalise(
            &map,
            &sanction(json!({"targets": [{"id": "P2"}], "ts": "2024-03-01T00:00:00Z"})),
        )
        .unwrap_err();
    assert_eq!(late_add.reason(), "stale");
    let out = n
        .normalise(
            &map,
            &sanction(json!({"action": "amend", "targets": [{"id": "P2"}],
                "effective": "2024-06-01T00:00:00Z", "expected_duration_days": 30})),
        )
        .unwrap();
    let shock = one_set(&out);
    assert_eq!(shock.since.to_rfc3339(), "2024-06-01T00:00:00+00:00");
    assert_eq!(shock.recovery_days, Some(30.0));
    assert!(out.notes[0].contains("taken as an add"));
    let removed = n
        .normalise(&map, &sanction(json!({"action": "remove"})))
        .unwrap();
    assert_eq!(
        removed.changes,
        vec![Change::End(ShockKey::Measure("M1".into()))]
    );
    let again = n
        .normalise(&map, &sanction(json!({"action": "remove"})))
        .unwrap();
    assert!(again.changes.is_empty());
    assert!(
        again.notes[0].contains("(removed already)"),
        "{:?}",
        again.notes
    );
}

#[test]
fn unknown_items_are_refused_with_their_path_and_nothing_changes() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let before = n.state.clone();
    let err = n
        .normalise(
            &map,
            &sanction(json!({"items": ["N1", "N999"], "destinations": ["CN"]})),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "items[1]: unknown item \"N999\"");
    assert_eq!(err.reason(), "unknown_id");
    assert_eq!(n.state, before);
    // The measure was not recorded: removing it ends nothing.
    assert!(n
        .normalise(&map, &sanction(json!({"action": "remove"})))
        .unwrap()
        .changes
        .is_empty());

    // Prices: an unknown item leaves the history alone.
    for day in 1..=3 {
        let p = json!({"type": "price", "id": format!("p{day}"), "item": "N1", "price": 10,
            "currency": "USD", "unit": "kg", "source": "t"});
        n.normalise(&map, &ev(p)).unwrap();
    }
    let before = n.state.clone();
    let bad = ev(json!({"type": "price", "item": "N9", "price": 99,
        "currency": "USD", "unit": "kg", "source": "t"}));
    assert_eq!(n.normalise(&map, &bad).unwrap_err().reason(), "unknown_id");
    assert_eq!(n.state, before);
}

#[test]
fn supplier_incidents_set_replace_and_end() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let fire = |items: serde_json::Value| {
        ev(
            json!({"type": "supplier_event", "incident": "I1", "firm": "P1", "kind": "fire",
            "capacity_loss": 0.4, "expected_recovery_days": 60, "items": items}),
        )
    };
    let out = n.normalise(&map, &fire(json!(["N3", "N1"]))).unwrap();
    let (n1, n3) = (map.item("N1").unwrap(), map.item("N3").unwrap());
    let shock = one_set(&out);
    assert_eq!(shock.key, ShockKey::Incident("I1".into()));
    assert_eq!(shock.recovery_days, Some(60.0));
    assert_eq!(
        shock.effects,
        vec![Effect::CapacityLoss {
            firm: map.firm("P1").unwrap(),
            items: Some(vec![n1.min(n3), n1.max(n3)]),
            loss: 0.4,
        }]
    );

    // P1 does not make N2; N999 is no item; P99999 is no firm. State unchanged.
    let before = n.state.clone();
    let err = n.normalise(&map, &fire(json!(["N3", "N2"]))).unwrap_err();
    assert_eq!(
        (err.to_string().as_str(), err.reason()),
        ("items[1]: firm \"P1\" does not produce \"N2\"", "invalid")
    );
    let err = n.normalise(&map, &fire(json!(["N999"]))).unwrap_err();
    assert_eq!(err.to_string(), "items[0]: unknown item \"N999\"");
    let err = n
        .normalise(
            &map,
            &ev(
                json!({"type": "supplier_event", "incident": "I2", "firm": "P99999",
                "kind": "flood", "capacity_loss": 1}),
            ),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "firm: unknown firm \"P99999\"");
    assert_eq!(n.state, before);

    let recovered = ev(
        json!({"type": "supplier_event", "incident": "I1", "firm": "P1",
        "kind": "recovered"}),
    );
    let out = n.normalise(&map, &recovered).unwrap();
    assert_eq!(
        out.changes,
        vec![Change::End(ShockKey::Incident("I1".into()))]
    );
    // Again: nothing open, nothing ends.
    let again = n.normalise(&map, &recovered).unwrap();
    assert!(again.changes.is_empty());
    assert!(
        again.notes[0].contains("is not open at \"P1\""),
        "{:?}",
        again.notes
    );
}

/// One incident reported at several firms (an earthquake) is a shock per
/// firm: a second firm adds to the first instead of replacing it, and each
/// recovers on its own (found by QA: a shared Tohoku incident id cancelled
/// Shin-Etsu's outage when SUMCO's was reported).
#[test]
fn one_incident_at_several_firms_is_a_shock_per_firm() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let report = |id: &str, ts: &str, firm: &str| {
        ev(
            json!({"type": "supplier_event", "id": id, "ts": ts, "incident": "quake", "firm": firm,
            "kind": "earthquake", "capacity_loss": 1.0}),
        )
    };
    let recovered = |firm: &str| {
        ev(
            json!({"type": "supplier_event", "incident": "quake", "firm": firm, "kind": "recovered"}),
        )
    };
    let first = one_set(
        &n.normalise(&map, &report("e1", "2024-01-01T00:00:00Z", "P1"))
            .unwrap(),
    )
    .clone();
    let second = one_set(
        &n.normalise(&map, &report("e2", "2024-01-03T00:00:00Z", "P3"))
            .unwrap(),
    )
    .clone();
    assert_eq!(first.key, ShockKey::Incident("quake".into()));
    assert_eq!(second.key, ShockKey::Incident("quake at P3".into()));
    // The quake struck when first reported, whichever firm was named then.
    assert_eq!(second.began, first.began);
    // A restatement at P3 restates its own part.
    let again = one_set(
        &n.normalise(&map, &report("e3", "2024-01-05T00:00:00Z", "P3"))
            .unwrap(),
    )
    .clone();
    assert_eq!(again.key, second.key);
    // Two parts open: a recovery at a third firm ends neither, and says
    // where the incident is open.
    let out = n.normalise(&map, &recovered("P2")).unwrap();
    assert!(out.changes.is_empty());
    assert!(
        out.notes[0].starts_with("incident \"quake\" is open at firms P1, P3, not at \"P2\""),
        "{:?}",
        out.notes
    );
    let out = n.normalise(&map, &recovered("P3")).unwrap();
    assert_eq!(out.changes, vec![Change::End(second.key.clone())]);
    // One part left: a recovery naming another firm ends nothing either
    // (QA: it ended P1's outage, and P1's own recovery was then refused).
    let out = n.normalise(&map, &recovered("P2")).unwrap();
    assert!(out.changes.is_empty());
    assert!(
        out.notes[0].starts_with("incident \"quake\" is open at firm P1, not at \"P2\""),
        "{:?}",
        out.notes
    );
    let out = n.normalise(&map, &recovered("P1")).unwrap();
    assert_eq!(out.changes, vec![Change::End(first.key.clone())]);
    assert!(n
        .normalise(&map, &recovered("P1"))
        .unwrap()
        .changes
        .is_empty());
}

/// A `recovered` that names no firm ends the incident wherever it is open:
/// the incident id alone identifies it, as the message contract says.
#[test]
fn a_recovery_naming_no_firm_ends_the_whole_incident() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    for (id, firm) in [("e1", "P1"), ("e2", "P3")] {
        n.normalise(
            &map,
            &ev(
                json!({"type": "supplier_event", "id": id, "incident": "quake", "firm": firm,
                "kind": "earthquake", "capacity_loss": 1.0}),
            ),
        )
        .unwrap();
    }
    let recovered = ev(
        json!({"type": "supplier_event", "id": "e3", "incident": "quake",
        "kind": "recovered"}),
    );
    let out = n.normalise(&map, &recovered).unwrap();
    assert_eq!(
        out.changes,
        vec![
            Change::End(ShockKey::Incident("quake".into())),
            Change::End(ShockKey::Incident("quake at P3".into())),
        ]
    );
    assert!(n.normalise(&map, &recovered).unwrap().changes.is_empty());
    // A report older than the whole-incident recovery, delivered after it,
    // is stale at any firm.
    let late = ev(
        json!({"type": "supplier_event", "id": "e0", "ts": "2024-01-01T00:00:00Z",
        "incident": "quake", "firm": "P2", "kind": "earthquake", "capacity_loss": 1.0}),
    );
    let recovered_at = match &recovered {
        Event::SupplierEvent(e) => e.ts,
        _ => unreachable!(),
    };
    assert!(late.ts() < recovered_at);
    assert_eq!(n.normalise(&map, &late).unwrap_err().reason(), "stale");
    // Any other kind still needs its firm.
    let fire = json!({"type": "supplier_event", "id": "e4", "ts": "2024-01-01T00:00:00Z",
        "incident": "i", "kind": "fire", "capacity_loss": 0.5});
    let err = decode(fire.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing field \"firm\" (required unless kind is \"recovered\")"
    );
}

/// Time to impact counts from when a disruption began: a later report or an
/// amend restates the recovery (`since`) but not the start (`began`).
#[test]
fn restated_incidents_and_amended_measures_keep_when_they_began() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let report = |id: &str, ts: &str, days: u32| {
        ev(
            json!({"type": "supplier_event", "id": id, "ts": ts, "incident": "I1", "firm": "P1",
            "kind": "fire", "capacity_loss": 0.4, "expected_recovery_days": days}),
        )
    };
    let first = n
        .normalise(&map, &report("r1", "2024-05-01T00:00:00Z", 60))
        .unwrap();
    assert_eq!(one_set(&first).began, one_set(&first).since);
    let later = n
        .normalise(&map, &report("r2", "2024-05-20T00:00:00Z", 90))
        .unwrap();
    let shock = one_set(&later);
    assert_eq!(shock.since.to_rfc3339(), "2024-05-20T00:00:00+00:00");
    assert_eq!(shock.began.to_rfc3339(), "2024-05-01T00:00:00+00:00");

    // A measure begins on its effective date, not on the notice's.
    let add = sanction(json!({"items": ["N2"], "destinations": ["CN"],
        "ts": "2024-05-01T00:00:00Z", "effective": "2024-06-01T00:00:00Z"}));
    let shock = one_set(&n.normalise(&map, &add).unwrap()).clone();
    assert_eq!(shock.began.to_rfc3339(), "2024-06-01T00:00:00+00:00");
    // An amend without an `effective` keeps the one in force: its expected
    // duration still counts from 1 June.
    let amend = sanction(json!({"action": "amend", "id": "e2", "items": ["N2", "N1"],
        "destinations": ["CN"], "ts": "2024-07-01T00:00:00Z"}));
    let shock = one_set(&n.normalise(&map, &amend).unwrap()).clone();
    assert_eq!(shock.since.to_rfc3339(), "2024-06-01T00:00:00+00:00");
    assert_eq!(shock.began.to_rfc3339(), "2024-06-01T00:00:00+00:00");
    // QA: amended before it took effect, to a later date, it begins on that
    // date; amended once in force, it keeps its start whatever date is given.
    let m2 = |id: &str, action: &str, ts: &str, effective: &str| {
        sanction(
            json!({"measure": "M2", "action": action, "id": id, "items": ["N2"],
            "destinations": ["CN"], "ts": ts, "effective": effective}),
        )
    };
    let began = |n: &mut Normaliser, e: &Event| one_set(&n.normalise(&map, e).unwrap()).began;
    let notice = m2("m2a", "add", "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z");
    began(&mut n, &notice);
    let postponed = m2(
        "m2b",
        "amend",
        "2024-05-15T00:00:00Z",
        "2024-08-01T00:00:00Z",
    );
    assert_eq!(
        began(&mut n, &postponed).to_rfc3339(),
        "2024-08-01T00:00:00+00:00"
    );
    let late = m2(
        "m2c",
        "amend",
        "2024-09-01T00:00:00Z",
        "2024-10-01T00:00:00Z",
    );
    assert_eq!(
        began(&mut n, &late).to_rfc3339(),
        "2024-08-01T00:00:00+00:00"
    );
    // QA: amended before it took effect with no date of its own, it keeps
    // its date (it used to start at the amend's own time).
    let m3 = |id: &str, action: &str, ts: &str| {
        let mut v = json!({"measure": "M3", "action": action, "id": id, "items": ["N2"],
            "destinations": ["CN"], "ts": ts});
        if action == "add" {
            v["effective"] = json!("2024-06-01T00:00:00Z");
        }
        sanction(v)
    };
    began(&mut n, &m3("m3a", "add", "2024-05-01T00:00:00Z"));
    let undated = m3("m3b", "amend", "2024-05-10T00:00:00Z");
    assert_eq!(
        began(&mut n, &undated).to_rfc3339(),
        "2024-06-01T00:00:00+00:00"
    );

    // Removed and added again, it begins afresh.
    n.normalise(
        &map,
        &sanction(json!({"action": "remove", "ts": "2024-08-01T00:00:00Z"})),
    )
    .unwrap();
    let again = sanction(json!({"id": "e3", "items": ["N2"], "destinations": ["CN"],
        "ts": "2024-09-01T00:00:00Z"}));
    let shock = one_set(&n.normalise(&map, &again).unwrap()).clone();
    assert_eq!(shock.began.to_rfc3339(), "2024-09-01T00:00:00+00:00");
}

/// QA: the same history in reverse order ended under the older add's
/// terms: a notice older than the form of a measure in force is refused.
#[test]
fn a_late_copy_of_an_earlier_notice_does_not_undo_a_later_one() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let notice = |id: &str, action: &str, ts: &str, policy: &str| {
        sanction(
            json!({"id": id, "action": action, "ts": ts, "items": ["N2"],
            "destinations": ["CN"], "license_policy": policy}),
        )
    };
    n.normalise(&map, &notice("e1", "add", "2024-05-01T00:00:00Z", "denial"))
        .unwrap();
    n.normalise(
        &map,
        &notice("e2", "amend", "2024-06-01T00:00:00Z", "case_by_case"),
    )
    .unwrap();
    let before = n.state.clone();
    let err = n
        .normalise(
            &map,
            &notice("e1b", "add", "2024-05-01T00:00:00Z", "denial"),
        )
        .unwrap_err();
    assert_eq!(
        (err.path(), err.to_string().as_str()),
        (
            "ts",
            "ts: 2024-05-01T00:00:00+00:00 is older than the form of measure \"M1\" in force \
             (event \"e2\") (2024-06-01T00:00:00+00:00): a late copy must not undo a later \
             fact; not applied"
        )
    );
    assert_eq!(err.reason(), "stale");
    assert_eq!(n.state, before);
    // The same time, or later, is taken.
    n.normalise(
        &map,
        &notice("e3", "amend", "2024-06-01T00:00:00Z", "denial"),
    )
    .unwrap();
    // QA: a 2024 remove arriving after a 2025 re-add lifted it; and once
    // removed, an older notice does not bring the measure back.
    let remove = |id: &str, ts: &str| sanction(json!({"id": id, "action": "remove", "ts": ts}));
    let err = n
        .normalise(&map, &remove("r0", "2024-05-15T00:00:00Z"))
        .unwrap_err();
    assert_eq!(err.reason(), "stale");
    n.normalise(&map, &remove("r1", "2024-07-01T00:00:00Z"))
        .unwrap();
    let before = n.state.clone();
    let err = n
        .normalise(
            &map,
            &notice("e4", "amend", "2024-06-15T00:00:00Z", "denial"),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is older than the removal of measure \"M1\""),
        "{err}"
    );
    assert_eq!(n.state, before);
    n.normalise(&map, &notice("e5", "add", "2024-07-02T00:00:00Z", "denial"))
        .unwrap();
}

/// QA: a late January report undid a September one, and a late
/// `recovered` ended a newer outage: an incident's reports and recovery
/// are taken in time order, whatever the order they arrive in.
#[test]
fn late_incident_reports_do_not_undo_later_ones() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let report = |id: &str, ts: &str, loss: f64| {
        ev(
            json!({"type": "supplier_event", "id": id, "ts": ts, "incident": "i", "firm": "P1",
            "kind": "fire", "capacity_loss": loss}),
        )
    };
    let recovered = |id: &str, ts: &str| {
        ev(
            json!({"type": "supplier_event", "id": id, "ts": ts, "incident": "i",
            "firm": "P1", "kind": "recovered"}),
        )
    };
    n.normalise(&map, &report("a", "2024-01-01T00:00:00Z", 0.2))
        .unwrap();
    n.normalise(&map, &report("c", "2024-01-20T00:00:00Z", 1.0))
        .unwrap();
    let before = n.state.clone();
    for late in [
        report("b", "2024-01-10T00:00:00Z", 0.2),
        recovered("r0", "2024-01-15T00:00:00Z"),
    ] {
        let err = n.normalise(&map, &late).unwrap_err();
        assert_eq!((err.reason(), err.path()), ("stale", "ts"), "{err}");
        assert_eq!(n.state, before);
    }
    n.normalise(&map, &recovered("r1", "2024-02-01T00:00:00Z"))
        .unwrap();
    // Recovered on 1 February: a January report arriving now is stale too,
    // while a later one opens the incident again.
    let err = n
        .normalise(&map, &report("d", "2024-01-25T00:00:00Z", 1.0))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("older than the recovery of incident \"i\" at P1"),
        "{err}"
    );
    n.normalise(&map, &report("e", "2024-03-01T00:00:00Z", 1.0))
        .unwrap();
}

#[test]
fn the_index_follows_the_map() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    n.set_map(&map);
    let out = n
        .normalise(&map, &sanction(json!({"targets": [{"name": "SMIC"}]})))
        .unwrap();
    assert!(!one_set(&out).effects.is_empty());
    // Another map without P1: the index is rebuilt, nothing matches.
    let other = parse_str(
        r#"{"version": 1, "home": "CN", "chains": [], "items": [],
            "firms": [{"id": "Q1", "name": "Other", "country": "US"}]}"#,
        "other",
    )
    .unwrap()
    .1;
    let out = n
        .normalise(&other, &sanction(json!({"targets": [{"name": "SMIC"}]})))
        .unwrap();
    assert!(one_set(&out).effects.is_empty());
}

/// QA (twice): an amend made after a measure took effect, with a date of
/// its own, restates the measure; its expected duration still runs from
/// when it took effect, as its time to impact does, and a note says so.
#[test]
fn an_amend_of_a_measure_in_force_keeps_its_start() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let notice = |id: &str, action: &str, ts: &str, effective: &str| {
        sanction(
            json!({"id": id, "action": action, "ts": ts, "effective": effective,
            "items": ["N2"], "destinations": ["CN"], "expected_duration_days": 90}),
        )
    };
    n.normalise(
        &map,
        &notice("a", "add", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
    )
    .unwrap();
    let out = n
        .normalise(
            &map,
            &notice("b", "amend", "2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        )
        .unwrap();
    let shock = one_set(&out);
    assert_eq!(shock.since.to_rfc3339(), "2024-01-01T00:00:00+00:00");
    assert_eq!(shock.began.to_rfc3339(), "2024-01-01T00:00:00+00:00");
    assert!(
        out.notes.iter().any(|t| t.contains("is not a new start")),
        "{:?}",
        out.notes
    );
}

/// QA16 F4: a listed producer listed for items it does not make keeps
/// supplying, and says so rather than nothing.
#[test]
fn a_producer_listed_for_items_it_does_not_make_is_noted() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    let out = n
        .normalise(
            &map,
            &sanction(json!({"targets": [{"name": "Foo Tech"}], "items": ["N2"]})),
        )
        .unwrap();
    assert!(!one_set(&out)
        .effects
        .iter()
        .any(|e| matches!(e, Effect::CapacityLoss { .. })));
    assert!(
        out.notes
            .iter()
            .any(|x| x.contains("listed for items it does not make: its own lines (N1)")),
        "{:?}",
        out.notes
    );
}

/// QA17 F8: widening a listing notes the new target's match, not again
/// those listed before.
#[test]
fn a_widening_add_notes_only_its_new_targets() {
    let map = map();
    let mut n = Normaliser::new(&CoreConfig::default());
    n.normalise(&map, &sanction(json!({"targets": [{"name": "Foo Tech"}]})))
        .unwrap();
    let out = n
        .normalise(
            &map,
            &sanction(json!({"id": "e2", "ts": "2024-06-01T00:00:00Z",
                "targets": [{"name": "ACME LITHO", "country": "NL"}]})),
        )
        .unwrap();
    assert!(
        out.notes[0].contains("widens its targets"),
        "{:?}",
        out.notes
    );
    assert!(
        !out.notes.iter().any(|x| x.starts_with("targets[0] ")),
        "{:?}",
        out.notes
    );
    assert!(
        out.notes.iter().any(|x| x.starts_with("targets[1] ")),
        "{:?}",
        out.notes
    );
}
