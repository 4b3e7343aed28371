//! Decoding against hostile input (it never panics, whatever the bytes or the
//! JSON), and one message's way from bytes to shock changes.

use chainwatch::config::CoreConfig;
use chainwatch::event::{decode, DecodeError, Event, MAX_EVENT_BYTES};
use chainwatch::map::parse_str;
use chainwatch::normalise::{Change, Normaliser};
use chainwatch::shock::{Effect, ShockKey};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Field names of every message type, so that random objects reach the
/// field readers and not only "missing field".
const KEYS: &[&str] = &[
    "id",
    "type",
    "ts",
    "measure",
    "action",
    "authority",
    "issuer_jurisdiction",
    "targets",
    "items",
    "destinations",
    "license_policy",
    "effective",
    "expected_duration_days",
    "name",
    "aliases",
    "country",
    "item",
    "price",
    "currency",
    "unit",
    "source",
    "incident",
    "firm",
    "kind",
    "capacity_loss",
    "expected_recovery_days",
];

const WORDS: &[&str] = &[
    "sanction",
    "price",
    "supplier_event",
    "add",
    "amend",
    "remove",
    "denial",
    "fire",
    "recovered",
    "*",
    "US",
    "CN",
    "2024-05-01T00:00:00Z",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop::sample::select(WORDS).prop_map(|w| json!(w)),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-z_]{0,8}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn decode_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_objects(
        fields in prop::collection::btree_map(key(), value(), 0..14),
        kind in prop::sample::select(&["sanction", "price", "supplier_event", "other"][..]),
    ) {
        let mut object: Map<String, Value> = fields.into_iter().collect();
        object.insert("type".into(), json!(kind));
        match decode(Value::Object(object).to_string().as_bytes()) {
            Ok(event) => prop_assert_eq!(event.kind(), kind),
            Err(e) => {
                prop_assert!(DecodeError::REASONS.contains(&e.reason()));
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(decode(deep.as_bytes()).unwrap_err().reason(), "not_json");
    let e = decode(&vec![b'{'; MAX_EVENT_BYTES + 1]).unwrap_err();
    assert_eq!(e.reason(), "too_large");
}

#[test]
fn from_bytes_to_a_capacity_loss() {
    let (_, map) = parse_str(
        r#"{"version": 1, "home": "CN", "chains": [],
            "items": [{"id": "N1", "name": "neon"}],
            "firms": [{"id": "P1", "name": "Gas Works", "country": "UA",
                       "produces": [{"item": "N1", "share": 0.5}]}]}"#,
        "test",
    )
    .unwrap();
    let msg = br#"{"id": "e9", "type": "supplier_event", "ts": "2024-03-01T12:00:00+02:00",
        "incident": "quake-1", "firm": "P1", "kind": "earthquake", "capacity_loss": 0.75,
        "expected_recovery_days": 120, "reporter": "field office"}"#;
    let event = decode(msg).unwrap();
    assert!(matches!(event, Event::SupplierEvent(_)));
    assert_eq!(event.ts().to_rfc3339(), "2024-03-01T10:00:00+00:00");
    let mut normaliser = Normaliser::new(&CoreConfig::default());
    let out = normaliser.normalise(&map, &event).unwrap();
    let [Change::Set(shock)] = &out.changes[..] else {
        panic!("{:?}", out.changes)
    };
    assert_eq!(shock.key, ShockKey::Incident("quake-1".into()));
    assert_eq!(shock.event_id, "e9");
    assert_eq!(
        shock.effects,
        vec![Effect::CapacityLoss {
            firm: map.firm("P1").unwrap(),
            items: None,
            loss: 0.75
        }]
    );
}
