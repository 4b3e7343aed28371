//! Decoding tests: one per kind of failure, with the exact text a dead letter
//! would carry, and the happy paths of each message type.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;

fn dec(v: serde_json::Value) -> Result<Event, DecodeError> {
    decode(v.to_string().as_bytes())
}

fn err(v: serde_json::Value) -> (String, &'static str) {
    let e = dec(v).expect_err("should fail");
    (e.to_string(), e.reason())
}

fn sanction_add() -> serde_json::Value {
    json!({
        "id": "e1", "type": "sanction", "ts": "2024-05-01T08:00:00+08:00",
        "measure": "BIS-2024-17", "action": "add", "authority": "BIS",
        "issuer_jurisdiction": "US",
        "targets": [{"name": "Foo Tech", "aliases": ["FT"], "country": "CN"}, {"id": "LEI-1"}],
        "items": ["N1", "N2"], "destinations": ["CN"],
        "license_policy": "case_by_case", "effective": "2024-05-15T00:00:00Z",
        "expected_duration_days": null, "unknown_extra": {"whatever": [1, 2]}
    })
}

#[test]
fn decodes_a_sanction_with_defaults_and_ignores_unknown_fields() {
    let Ok(Event::Sanction(s)) = dec(sanction_add()) else {
        panic!("not a sanction")
    };
    // 08:00 at +08:00 is midnight UTC.
    assert_eq!(s.ts, Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap());
    assert_eq!(s.measure, "BIS-2024-17");
    assert_eq!(s.action, SanctionAction::Add);
    assert_eq!(s.issuer_jurisdiction.as_deref(), Some("US"));
    assert_eq!(s.targets.len(), 2);
    assert_eq!(s.targets[0].aliases, vec!["FT".to_string()]);
    assert_eq!(s.targets[1].id.as_deref(), Some("LEI-1"));
    assert_eq!(s.license_policy, LicensePolicy::CaseByCase);
    assert_eq!(s.expected_duration_days, None);
    assert!(s.effective.is_some());

    let mut v = sanction_add();
    v.as_object_mut().unwrap().remove("license_policy");
    let Ok(Event::Sanction(s)) = dec(v) else {
        panic!("not a sanction")
    };
    assert_eq!(s.license_policy, LicensePolicy::Denial);
}

#[test]
fn a_byte_order_mark_before_the_json_is_no_error() {
    let text = format!("\u{feff}{}", sanction_add());
    let e = decode(text.as_bytes()).expect("a leading BOM is skipped");
    assert_eq!(e.id(), "e1");
    // Anywhere else it is still not JSON.
    let text = format!("{}\u{feff}", sanction_add());
    assert_eq!(decode(text.as_bytes()).unwrap_err().reason(), "not_json");
}

#[test]
fn a_remove_needs_only_measure_and_action() {
    let e = dec(
        json!({"id": "e2", "type": "sanction", "ts": "2024-06-01T00:00:00Z",
        "measure": "M1", "action": "remove"}),
    )
    .unwrap();
    assert_eq!(e.kind(), "sanction");
    assert_eq!(e.id(), "e2");
}

/// `authority` is for people; where it starts with a country code it also
/// says whose jurisdiction the measure binds, so it may stand for
/// `issuer_jurisdiction`, which wins when both are given.
#[test]
fn the_issuer_can_be_read_off_the_authority() {
    let issuer = |authority: Option<&str>, given: Option<&str>| {
        let mut v = sanction_add();
        let o = v.as_object_mut().unwrap();
        o.remove("issuer_jurisdiction");
        o.remove("authority");
        if let Some(a) = authority {
            o.insert("authority".into(), json!(a));
        }
        if let Some(g) = given {
            o.insert("issuer_jurisdiction".into(), json!(g));
        }
        match dec(v) {
            Ok(Event::Sanction(s)) => Ok(s.issuer_jurisdiction.unwrap()),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.to_string()),
        }
    };
    assert_eq!(issuer(Some("US-BIS"), None), Ok("US".into()));
    assert_eq!(issuer(Some("EU"), None), Ok("EU".into()));
    assert_eq!(issuer(Some("JP METI"), None), Ok("JP".into()));
    assert_eq!(issuer(Some("NL-MFA"), Some("US")), Ok("US".into()));
    assert_eq!(issuer(None, Some("NL")), Ok("NL".into()));
    for unreadable in [Some("BIS"), Some("Us-BIS"), None] {
        assert_eq!(
            issuer(unreadable, None),
            Err(
                "missing field \"issuer_jurisdiction\" (required to add or amend a measure, \
                 unless \"authority\" starts with a country code, as in \"US-BIS\")"
                    .into()
            ),
            "{unreadable:?}"
        );
    }
}

#[test]
fn missing_field_names_it() {
    let mut v = sanction_add();
    v.as_object_mut().unwrap().remove("measure");
    assert_eq!(
        err(v),
        ("missing field \"measure\"".into(), "missing_field")
    );
    let e = dec(json!({"type": "price", "ts": "2024-01-01T00:00:00Z"})).unwrap_err();
    assert_eq!(e.to_string(), "missing field \"id\"");
    assert_eq!(e.path().as_deref(), Some("id"));
    assert_eq!(
        err(json!({"id": "x", "ts": "2024-01-01T00:00:00Z"})),
        ("missing field \"type\"".into(), "missing_field")
    );
}

#[test]
fn wrong_type_at_a_nested_path() {
    let mut v = sanction_add();
    v["targets"] = json!([{"name": "A"}, {"name": "B"}, {"name": "C", "country": 7}]);
    let e = dec(v).unwrap_err();
    assert_eq!(
        e.to_string(),
        "targets[2].country: expected an ISO 3166-1 alpha-2 code (two capital letters), got 7"
    );
    assert_eq!(e.reason(), "bad_field");
    assert_eq!(e.path().as_deref(), Some("targets[2].country"));

    let mut v = sanction_add();
    v["targets"] = json!([{"name": "A", "aliases": ["x", 3]}]);
    assert_eq!(err(v).0, "targets[0].aliases[1]: expected a string, got 3");
    let mut v = sanction_add();
    v["targets"] = json!([5]);
    assert_eq!(err(v).0, "targets[0]: expected an object, got 5");
    let mut v = sanction_add();
    v["items"] = json!("N1");
    assert_eq!(err(v).0, "items: expected a list, got \"N1\"");
    let mut v = sanction_add();
    v["measure"] = json!("");
    assert_eq!(err(v).0, "measure: must not be empty");
}

#[test]
fn a_target_needs_an_id_or_a_name() {
    let mut v = sanction_add();
    v["targets"] = json!([{"name": "A"}, {"country": "CN"}]);
    let e = dec(v).unwrap_err();
    assert_eq!(
        e.to_string(),
        "targets[1]: missing field \"name\" (a target needs an \"id\" or a \"name\")"
    );
    assert_eq!(e.reason(), "missing_field");
}

#[test]
fn bad_times() {
    let mut v = sanction_add();
    v["ts"] = json!("yesterday");
    assert_eq!(
        err(v),
        (
            "ts: \"yesterday\" is not a time (RFC 3339, or a UTC date such as 2023-06-30)".into(),
            "bad_field"
        )
    );
    let mut v = sanction_add();
    v["effective"] = json!(20240501);
    assert_eq!(
        err(v).0,
        "effective: expected an RFC 3339 time string, got 20240501"
    );
    let mut v = sanction_add();
    v["ts"] = json!("2023-02-30");
    assert_eq!(err(v).1, "bad_field", "no 30 February");
}

/// Historical notices carry a date, and feeds often drop the offset: both
/// are read as UTC rather than losing the event.
#[test]
fn dates_and_times_without_offset_are_utc() {
    for (written, meant) in [
        ("2023-06-30", "2023-06-30T00:00:00Z"),
        ("2023-06-30T08:15:00", "2023-06-30T08:15:00Z"),
        ("2023-06-30 08:15:00.5", "2023-06-30T08:15:00.500Z"),
        ("2023-06-30T08:15", "2023-06-30T08:15:00Z"),
        ("2023-06-30T08:15:00+08:00", "2023-06-30T00:15:00Z"),
    ] {
        let mut v = sanction_add();
        v["ts"] = json!(written);
        v["effective"] = json!(written);
        let e = dec(v).unwrap();
        let want: chrono::DateTime<chrono::Utc> = meant.parse().unwrap();
        assert_eq!(e.ts(), want, "{written}");
    }
}

#[test]
fn closed_word_sets_list_what_they_accept() {
    let mut v = sanction_add();
    v["license_policy"] = json!("maybe");
    assert_eq!(
        err(v),
        (
            "license_policy: unknown licence policy \"maybe\", accepted: denial, case_by_case, approval"
                .into(),
            "bad_field"
        )
    );
    let mut v = sanction_add();
    v["action"] = json!("delete");
    assert_eq!(
        err(v).0,
        "action: unknown action \"delete\", accepted: add, amend, remove"
    );
    let e = err(
        json!({"id": "e", "type": "supplier_event", "ts": "2024-01-01T00:00:00Z",
        "incident": "i", "firm": "P1", "kind": "volcano", "capacity_loss": 0.5}),
    );
    assert_eq!(
        e.0,
        "kind: unknown kind \"volcano\", accepted: fire, earthquake, flood, bankruptcy, \
         capacity_cut, logistics, strike, cyberattack, recovered"
    );
}

#[test]
fn unknown_and_ill_typed_message_types() {
    assert_eq!(
        err(json!({"id": "e", "type": "weather", "ts": "2024-01-01T00:00:00Z"})),
        (
            "type: unknown message type \"weather\", accepted: sanction, price, supplier_event"
                .into(),
            "unknown_type"
        )
    );
    assert_eq!(
        err(json!({"id": "e", "type": ["price"], "ts": "2024-01-01T00:00:00Z"})),
        ("type: expected a string, got a list".into(), "bad_field")
    );
}

#[test]
fn a_sanction_that_would_do_nothing_is_refused() {
    let mut v = sanction_add();
    let o = v.as_object_mut().unwrap();
    o.remove("targets");
    o.remove("destinations");
    assert_eq!(
        err(v),
        (
            "sanction add of measure \"BIS-2024-17\" would do nothing: it needs \"targets\", \
             or both \"items\" and \"destinations\""
                .into(),
            "no_effect"
        )
    );
    let mut v = sanction_add();
    v.as_object_mut().unwrap().remove("issuer_jurisdiction");
    assert_eq!(
        err(v).0,
        "missing field \"issuer_jurisdiction\" (required to add or amend a measure, \
         unless \"authority\" starts with a country code, as in \"US-BIS\")"
    );
}

#[test]
fn star_must_stand_alone() {
    let mut v = sanction_add();
    v["items"] = json!(["N1", "*"]);
    assert_eq!(
        err(v).0,
        "items[1]: \"*\" (every item) must be the only entry"
    );
}

#[test]
fn price_rules() {
    let ok = json!({"id": "p1", "type": "price", "ts": "2024-01-01T00:00:00Z", "item": "N1",
        "price": 12.5, "currency": "USD", "unit": "kg", "source": "SMM"});
    let Ok(Event::Price(p)) = dec(ok.clone()) else {
        panic!("not a price")
    };
    assert_eq!((p.price, p.currency.as_deref()), (12.5, Some("USD")));
    for (bad, text) in [
        (json!(0), "price: must be above 0, got 0"),
        (json!(-3), "price: must be above 0, got -3"),
        (json!("12"), "price: expected a number, got \"12\""),
        (json!(null), "price: expected a number, got null"),
    ] {
        let mut v = ok.clone();
        v["price"] = bad;
        assert_eq!(err(v).0, text);
    }
    // Currency, unit and source may be left out; item and price may not.
    let mut v = ok.clone();
    for k in ["currency", "unit", "source"] {
        v.as_object_mut().unwrap().remove(k);
    }
    let Ok(Event::Price(p)) = dec(v.clone()) else {
        panic!("not a price")
    };
    assert_eq!((p.currency, p.unit, p.source), (None, None, None));
    v.as_object_mut().unwrap().remove("item");
    assert_eq!(err(v).0, "missing field \"item\"");
}

#[test]
fn supplier_event_rules() {
    let ok = json!({"id": "s1", "type": "supplier_event", "ts": "2024-01-01T00:00:00Z",
        "incident": "fire-7", "firm": "P1", "kind": "fire", "capacity_loss": 0.4,
        "expected_recovery_days": null, "items": []});
    let Ok(Event::SupplierEvent(s)) = dec(ok.clone()) else {
        panic!("not a supplier event")
    };
    assert_eq!(s.capacity_loss, Some(0.4));
    assert_eq!(s.items, None, "an empty list reads as every line");
    let mut v = ok.clone();
    v["capacity_loss"] = json!(1.5);
    assert_eq!(err(v).0, "capacity_loss: must be from 0 to 1, got 1.5");
    let mut v = ok.clone();
    v["expected_recovery_days"] = json!(-1);
    assert_eq!(
        err(v).0,
        "expected_recovery_days: days must be zero or more, got -1"
    );
    // QA: 1e308 days was taken, and shown as "unknown".
    let mut v = ok.clone();
    v["expected_recovery_days"] = json!(1e308);
    assert!(err(v).0.starts_with(
        "expected_recovery_days: days must be at most 36525 (100 years; leave it out or null when unknown), got 1"
    ));
    let mut v = ok.clone();
    v.as_object_mut().unwrap().remove("capacity_loss");
    assert_eq!(
        err(v.clone()),
        (
            "missing field \"capacity_loss\" (required unless kind is \"recovered\")".into(),
            "missing_field"
        )
    );
    v["kind"] = json!("recovered");
    assert!(dec(v).is_ok());
}

#[test]
fn not_json_not_utf8_not_object_too_large() {
    let e = decode(b"{\"id\": ").unwrap_err();
    assert_eq!(e.reason(), "not_json");
    assert!(e.to_string().starts_with("message is not JSON: "), "{e}");
    let e = decode(b"").unwrap_err();
    assert_eq!(e.reason(), "not_json");
    let e = decode(b"{\"id\": \"\xff\"}").unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.reason()),
        ("message is not UTF-8: invalid byte at offset 8", "not_utf8")
    );
    let e = decode(b"[1, 2]").unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.reason()),
        ("message is not a JSON object, got a list", "not_object")
    );
    let big = vec![b' '; MAX_EVENT_BYTES + 1];
    let e = decode(&big).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.reason()),
        (
            "message is 1048577 bytes, over the limit of 1048576 bytes",
            "too_large"
        )
    );
}

#[test]
fn long_strings_are_cut_in_messages() {
    let mut v = sanction_add();
    v["ts"] = json!("x".repeat(1000));
    let text = err(v).0;
    assert!(text.len() < 120, "{text}");
    assert!(text.contains('…'));
}

#[test]
fn every_reason_is_listed() {
    for e in [
        decode(b"").unwrap_err(),
        decode(b"1").unwrap_err(),
        decode(b"\xff").unwrap_err(),
        decode(&vec![b' '; MAX_EVENT_BYTES + 1]).unwrap_err(),
    ] {
        assert!(DecodeError::REASONS.contains(&e.reason()));
    }
}
