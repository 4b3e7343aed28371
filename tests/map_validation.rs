//! Every chain map rule, with the exact message and path a user sees.

use chainwatch::map::{parse_str, MapError};
use proptest::prelude::*;

const GOOD: &str = r#"{
  "version": 1, "home": "CN",
  "chains": [{"id": "ic", "name": "chips", "key_nodes": ["A"]}],
  "items": [
    {"id": "A", "name": "wafer", "inventory_days": 10, "chains": ["ic"]},
    {"id": "B", "name": "chip", "inputs": [{"item": "A"}], "chains": ["ic"]}
  ],
  "firms": [
    {"id": "F1", "name": "One", "country": "JP", "produces": [{"item": "A", "share": 0.6}]},
    {"id": "F2", "name": "Two", "country": "KR", "produces": [{"item": "A", "share": 0.4}],
     "owners": [{"firm": "F1", "share": 0.3}]}
  ],
  "substitutes": []
}"#;

fn problems(json: &str) -> Vec<String> {
    match parse_str(json, "m.json") {
        Ok(_) => Vec::new(),
        Err(MapError::Invalid { problems, .. }) => problems.iter().map(|p| p.to_string()).collect(),
        Err(e) => vec![e.to_string()],
    }
}

fn with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "fixture lacks {from}");
    GOOD.replacen(from, to, 1)
}

#[test]
fn the_fixture_is_sound() {
    assert_eq!(problems(GOOD), Vec::<String>::new());
}

#[test]
fn each_rule_names_its_place() {
    let cases: Vec<(String, &str)> = vec![
        (
            with(r#""version": 1"#, r#""version": 2"#),
            "version: unsupported schema version 2, this build reads 1",
        ),
        (
            with(r#"{"id": "F1""#, r#"{"id": " ""#),
            "firms[0].id: an id must not be empty",
        ),
        (
            with(r#""home": "CN""#, r#""home": "China""#),
            r#"home: "China" is not an ISO 3166-1 alpha-2 code"#,
        ),
        (
            with(r#""key_nodes": ["A"]"#, r#""key_nodes": ["Z"]"#),
            r#"chains[0].key_nodes[0]: unknown node "Z""#,
        ),
        (
            with(r#"{"item": "A"}"#, r#"{"item": "N999"}"#),
            r#"items[1].inputs[0].item: unknown item "N999""#,
        ),
        (
            with(r#""inventory_days": 10"#, r#""inventory_days": -1"#),
            "items[0].inventory_days: days must be zero or more, got -1",
        ),
        (
            with(r#""inventory_days": 10"#, r#""inventory_days": 40000"#),
            "items[0].inventory_days: days must be at most 36525 (100 years), got 40000",
        ),
        (
            with(
                r#"{"item": "A", "share": 0.6}"#,
                r#"{"item": "N999", "share": 0.6}"#,
            ),
            r#"firms[0].produces[0].item: unknown item "N999""#,
        ),
        (
            with(
                r#"{"item": "A", "share": 0.6}"#,
                r#"{"item": "A", "share": 1.5}"#,
            ),
            "firms[0].produces[0].share: 1.5 is outside 0..1",
        ),
        (
            with(
                r#"{"item": "A", "share": 0.6}"#,
                r#"{"item": "A", "share": 0.7}"#,
            ),
            r#"items[0]: producer shares of "A" sum to 110.0% (over 100%)"#,
        ),
        (
            with(r#""id": "F2""#, r#""id": "F1""#),
            r#"firms[1].id: duplicate id "F1", first used at firms[0]"#,
        ),
        (
            with(r#""id": "F2""#, r#""id": "A""#),
            r#"firms[1].id: duplicate id "A", first used at items[0]"#,
        ),
        (
            with(r#""country": "JP""#, r#""country": "jp""#),
            r#"firms[0].country: "jp" is not an ISO 3166-1 alpha-2 code"#,
        ),
        (
            with(
                r#"{"firm": "F1", "share": 0.3}"#,
                r#"{"firm": "F9", "share": 0.3}"#,
            ),
            r#"firms[1].owners[0].firm: unknown firm "F9""#,
        ),
        (
            with(
                r#"{"firm": "F1", "share": 0.3}"#,
                r#"{"firm": "F1", "share": 0.7}, {"firm": "F1", "share": 0.6}"#,
            ),
            "firms[1].owners: owner shares sum to 130.0% (over 100%)",
        ),
        (
            with(r#""chains": ["ic"]}"#, r#""chains": ["nev"]}"#),
            r#"items[0].chains[0]: unknown chain "nev""#,
        ),
        (
            with(
                r#""substitutes": []"#,
                r#""substitutes": [{"from": "A", "to": "B", "grade": "same_grade", "switch_days": -3, "coverage": 0.5}]"#,
            ),
            "substitutes[0].switch_days: days must be zero or more, got -3",
        ),
        (
            with(
                r#""substitutes": []"#,
                r#""substitutes": [{"from": "A", "to": "A", "grade": "downgraded", "switch_days": 3, "coverage": 0.5}]"#,
            ),
            "substitutes[0].to: an item cannot substitute for itself",
        ),
        (
            with(
                r#""inputs": [{"item": "A"}]"#,
                r#""inputs": [{"item": "A", "critical": false}, {"item": "A", "critical": false, "weight": 0.5}]"#,
            ),
            "items[1].inputs: non-critical weights sum to 1.500, over 1",
        ),
        (
            with(
                r#""owners": [{"firm": "F1", "share": 0.3}]"#,
                r#""owners": [{"firm": "F1", "share": 0.3}],
                   "consumes": [{"item": "B", "critical": false, "weight": 0.6},
                                {"item": "A", "critical": false, "weight": 0.5}]"#,
            ),
            r#"firms[1].consumes: non-critical weights sum to 1.100 with the recipe of "A" (produces[0]), over 1"#,
        ),
    ];
    for (json, expected) in cases {
        let got = problems(&json);
        assert!(
            got.iter().any(|p| p.starts_with(expected)),
            "expected {expected:?} among {got:?}"
        );
    }
}

#[test]
fn circular_majority_ownership_is_refused() {
    let json = with(
        r#""country": "JP", "produces""#,
        r#""country": "JP", "owners": [{"firm": "F2", "share": 0.6}], "produces""#,
    )
    .replace(
        r#"{"firm": "F1", "share": 0.3}"#,
        r#"{"firm": "F1", "share": 0.6}"#,
    );
    let got = problems(&json);
    assert!(
        got.iter()
            .any(|p| p.contains("circular majority ownership")),
        "{got:?}"
    );
}

#[test]
fn all_problems_are_reported_not_just_the_first() {
    let json = with(r#""home": "CN""#, r#""home": "cn""#)
        .replace(r#"{"item": "A"}"#, r#"{"item": "N999"}"#);
    assert_eq!(problems(&json).len(), 2);
}

/// QA: a map followed by more text loaded as the map alone, and a JSON
/// array was reported in serde's words.
#[test]
fn a_map_is_one_json_object_and_nothing_more() {
    for tail in [" garbage", " {}", "]"] {
        let err = problems(&format!("{GOOD}{tail}"));
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with("chain map m.json is not valid JSON for schema version 1 at the end: trailing characters"),
            "{err:?}"
        );
    }
    // A byte-order mark in front is no problem.
    assert_eq!(problems(&format!("\u{feff}{GOOD}")), Vec::<String>::new());
    assert_eq!(
        problems("[]"),
        vec![
            "chain map m.json is not valid JSON for schema version 1 at the top level: \
             expected a JSON object (a chain map starts with `{`)"
                .to_string()
        ]
    );
}

#[test]
fn syntax_errors_name_the_path() {
    let json = with(r#""inventory_days": 10"#, r#""inventory_days": "ten""#);
    let err = parse_str(&json, "m.json").unwrap_err().to_string();
    assert!(err.contains("items[0].inventory_days"), "{err}");
    let unknown = with(r#""name": "wafer""#, r#""name": "wafer", "colour": "blue""#);
    let err = parse_str(&unknown, "m.json").unwrap_err().to_string();
    assert!(err.contains("unknown field `colour`"), "{err}");
}

proptest! {
    /// Whatever bytes arrive, loading a map returns, never panics.
    #[test]
    fn loading_never_panics(cut in 0usize..GOOD.len(), junk in ".{0,8}") {
        let mut text = GOOD[..cut].to_string();
        text.push_str(&junk);
        text.push_str(&GOOD[cut..]);
        let _ = parse_str(&text, "fuzz");
    }
}
