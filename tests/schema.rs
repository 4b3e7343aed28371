//! `schema/chain-map.schema.json` against the code: the schema is valid JSON
//! with every object closed, it declares exactly the keys `src/map/doc.rs`
//! writes with the same defaults, and the CSET importer's output conforms.
//!
//! A small structural checker stands in for a JSON Schema library (no new
//! dependency): it knows the keywords the schema uses and fails on any other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use chainwatch::import::{import_cset, Overlay};
use chainwatch::map::{validate, ChainMapDoc};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let path = root().join("schema/chain-map.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

/// Keywords the checker understands; anything else in the schema fails the
/// test rather than being skipped silently.
const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "default",
    "type",
    "const",
    "enum",
    "minimum",
    "maximum",
    "pattern",
    "properties",
    "required",
    "additionalProperties",
    "items",
];

struct Checker<'a> {
    root: &'a Value,
    errors: Vec<String>,
    /// Keys met in the instance, per schema definition (`#` for the top level).
    seen: BTreeMap<String, BTreeSet<String>>,
}

impl Checker<'_> {
    fn resolve(&self, reference: &str) -> Option<(String, &Value)> {
        let name = reference.strip_prefix("#/$defs/")?;
        Some((name.to_string(), self.root.get("$defs")?.get(name)?))
    }

    fn check(&mut self, value: &Value, schema: &Value, at: &str, def: &str) {
        let Some(s) = schema.as_object() else {
            self.errors.push(format!("{at}: schema is not an object"));
            return;
        };
        for key in s.keys() {
            if !KNOWN.contains(&key.as_str()) {
                self.errors
                    .push(format!("{at}: schema keyword {key:?} not understood"));
            }
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some((name, target)) => {
                    let target = target.clone();
                    self.check(value, &target, at, &name);
                }
                None => self.errors.push(format!("{at}: unresolved $ref {r}")),
            }
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !types.iter().any(|t| is_type(value, t)) {
                self.errors
                    .push(format!("{at}: {value} is not of type {types:?}"));
                return;
            }
        }
        if let Some(c) = s.get("const") {
            if c != value {
                self.errors.push(format!("{at}: {value} is not {c}"));
            }
        }
        if let Some(Value::Array(options)) = s.get("enum") {
            if !options.contains(value) {
                self.errors
                    .push(format!("{at}: {value} not in {options:?}"));
            }
        }
        if let Some(x) = value.as_f64() {
            if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
                if x < min {
                    self.errors.push(format!("{at}: {x} below {min}"));
                }
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
                if x > max {
                    self.errors.push(format!("{at}: {x} above {max}"));
                }
            }
        }
        if let (Some(p), Some(text)) = (s.get("pattern").and_then(Value::as_str), value.as_str()) {
            match p {
                "^[A-Z]{2}$" => {
                    if !(text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase())) {
                        self.errors
                            .push(format!("{at}: {text:?} does not match {p}"));
                    }
                }
                "\\S" => {
                    if text.trim().is_empty() {
                        self.errors.push(format!("{at}: {text:?} is blank"));
                    }
                }
                _ => self
                    .errors
                    .push(format!("{at}: pattern {p} not understood")),
            }
        }
        if let Value::Object(fields) = value {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = s.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !fields.contains_key(r) {
                        self.errors
                            .push(format!("{at}: required key {r:?} missing"));
                    }
                }
            }
            for (key, v) in fields {
                let here = format!("{at}.{key}");
                match props.and_then(|p| p.get(key)) {
                    Some(sub) => {
                        self.seen
                            .entry(def.to_string())
                            .or_default()
                            .insert(key.clone());
                        let sub = sub.clone();
                        self.check(v, &sub, &here, &format!("{def}.{key}"));
                    }
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            self.errors.push(format!("{here}: key not declared"))
                        }
                        Some(extra @ Value::Object(_)) => {
                            let extra = extra.clone();
                            self.check(v, &extra, &here, def);
                        }
                        _ => {}
                    },
                }
            }
        }
        if let (Value::Array(list), Some(items)) = (value, s.get("items")) {
            let items = items.clone();
            for (i, v) in list.iter().enumerate() {
                self.check(v, &items, &format!("{at}[{i}]"), def);
            }
        }
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|x| x.fract() == 0.0),
        _ => false,
    }
}

fn conform(value: &Value, schema: &Value) -> (Vec<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut c = Checker {
        root: schema,
        errors: Vec::new(),
        seen: BTreeMap::new(),
    };
    c.check(value, schema, "$", "#");
    (c.errors, c.seen)
}

/// Every object schema: (definition name, its declared keys), top level as `#`.
fn declared(schema: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let keys = |s: &Value| -> BTreeSet<String> {
        s.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    out.insert("#".to_string(), keys(schema));
    if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
        for (name, d) in defs {
            if d.get("properties").is_some() {
                out.insert(name.clone(), keys(d));
            }
        }
    }
    out
}

#[test]
fn schema_is_json_2020_12_with_closed_objects() {
    let s = schema();
    assert_eq!(
        s["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "draft"
    );
    let defs = s["$defs"].as_object().cloned().unwrap_or_default();
    let mut objects = vec![("#".to_string(), s.clone())];
    objects.extend(defs.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (name, o) in objects {
        let Some(props) = o.get("properties").and_then(Value::as_object) else {
            continue;
        };
        assert_eq!(o["type"], "object", "{name}");
        assert_eq!(o["additionalProperties"], false, "{name} must be closed");
        for r in o["required"].as_array().cloned().unwrap_or_default() {
            let r = r.as_str().unwrap_or_default();
            assert!(props.contains_key(r), "{name}: required {r} not declared");
        }
    }
    // Every $ref resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&s, &mut all);
    for r in all {
        let name = r.trim_start_matches("#/$defs/");
        assert!(defs.contains_key(name), "unresolved {r}");
    }
}

#[test]
fn the_cset_excerpt_import_conforms() {
    let dir = root().join("tests/data/cset-excerpt");
    let imported = import_cset(Path::new(&dir), &Overlay::default())
        .unwrap_or_else(|e| panic!("excerpt import: {e}"));
    assert!(validate(&imported.doc).is_empty());
    let value = serde_json::to_value(&imported.doc).unwrap_or_else(|e| panic!("{e}"));
    let s = schema();
    let (errors, seen) = conform(&value, &s);
    assert!(errors.is_empty(), "{errors:#?}");
    // The importer writes these objects; each of their keys was declared
    // (additionalProperties false above), and they were all met.
    for def in [
        "#",
        "chain",
        "item",
        "input",
        "firm",
        "produces",
        "substitute",
    ] {
        assert!(seen.contains_key(def), "import wrote no {def}");
    }
}

/// A document with every optional field of `doc.rs` set to a non-default value.
fn everything() -> Value {
    json!({
        "version": 1,
        "home": "CN",
        "source": "test",
        "chains": [{"id": "ic", "name": "IC", "key_nodes": ["A"], "roster": {"a": "x"}}],
        "items": [
            {"id": "A", "name": "a", "family": "B", "grade": 2, "inventory_days": 3.5,
             "inputs": [{"item": "B", "critical": false, "weight": 0.5}], "chains": ["ic"]},
            {"id": "B", "name": "b", "inventory_days": 0.0}
        ],
        "firms": [
            {"id": "F", "name": "f", "aliases": ["eff"], "external_ids": {"lei": "123"},
             "country": "JP", "jurisdictions": ["US"], "owners": [{"firm": "G", "share": 0.6}],
             "produces": [{"item": "A", "share": 0.5, "spare": 0.2}],
             "consumes": [{"item": "B", "inventory_days": 10.0, "critical": false, "weight": 0.3}]},
            {"id": "G", "name": "g", "country": "XX"}
        ],
        "substitutes": [
            {"from": "A", "to": "B", "grade": "downgraded", "switch_days": 30.0, "coverage": 0.4}
        ]
    })
}

#[test]
fn the_schema_declares_exactly_what_doc_rs_writes() {
    let doc: ChainMapDoc =
        serde_json::from_value(everything()).unwrap_or_else(|e| panic!("doc.rs rejects: {e}"));
    assert!(validate(&doc).is_empty(), "{:?}", validate(&doc));
    // Round trip through the Rust types, so the keys are the ones serde writes.
    let written = serde_json::to_value(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written, everything(), "doc.rs dropped or renamed a key");
    let s = schema();
    let (errors, seen) = conform(&written, &s);
    assert!(errors.is_empty(), "{errors:#?}");
    // And nothing declared is stale: every declared key occurs in the document.
    for (def, keys) in declared(&s) {
        let met = seen.get(&def).cloned().unwrap_or_default();
        let stale: Vec<&String> = keys.difference(&met).collect();
        assert!(
            stale.is_empty(),
            "{def}: declared but never written: {stale:?}"
        );
    }
}

/// JSON equality where 1 and 1.0 are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[test]
fn schema_defaults_are_doc_rs_defaults() {
    // Only the required keys (and one of each nested object); serde fills the
    // rest and writes back what it does not skip.
    let minimal = json!({
        "version": 1, "home": "CN",
        "chains": [{"id": "ic", "name": "IC"}],
        "items": [{"id": "A", "name": "a", "inputs": [{"item": "B"}]}, {"id": "B", "name": "b"}],
        "firms": [{"id": "F", "name": "f", "country": "JP",
                   "produces": [{"item": "A", "share": 1.0}], "consumes": [{"item": "B"}]}]
    });
    let doc: ChainMapDoc =
        serde_json::from_value(minimal.clone()).unwrap_or_else(|e| panic!("{e}"));
    let written = serde_json::to_value(&doc).unwrap_or_else(|e| panic!("{e}"));
    let s = schema();
    let defs = &s["$defs"];
    // For each key the minimal document left out: what serde wrote (or
    // skipped) must be the schema's default.
    let check = |def: &str, given: &Value, object: &Value| {
        for (key, prop) in defs[def]["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
        {
            let Some(default) = prop.get("default") else {
                continue;
            };
            if given.get(&key).is_some() {
                continue;
            }
            match object.get(&key) {
                Some(v) => assert!(same(v, default), "{def}.{key}: {v} vs {default}"),
                None => assert!(
                    default == &json!([]) || default == &json!({}),
                    "{def}.{key}: serde skipped it but the schema default is {default}"
                ),
            }
        }
    };
    let pick = |v: &Value, path: &[&str]| -> Value {
        let mut cur = v;
        for p in path {
            cur = match p.parse::<usize>() {
                Ok(i) => &cur[i],
                Err(_) => &cur[*p],
            };
        }
        cur.clone()
    };
    for (def, path) in [
        ("chain", &["chains", "0"][..]),
        ("item", &["items", "0"][..]),
        ("item", &["items", "1"][..]),
        ("input", &["items", "0", "inputs", "0"][..]),
        ("firm", &["firms", "0"][..]),
        ("produces", &["firms", "0", "produces", "0"][..]),
        ("consumes", &["firms", "0", "consumes", "0"][..]),
    ] {
        check(def, &pick(&minimal, path), &pick(&written, path));
    }
    assert_eq!(
        written["substitutes"],
        s["properties"]["substitutes"]["default"]
    );
}

#[test]
fn the_checker_catches_what_the_schema_forbids() {
    let s = schema();
    let mut bad = everything();
    bad["items"][0]["colour"] = json!("red");
    bad["firms"][0]["country"] = json!("JPN");
    bad["firms"][0]["produces"][0]["share"] = json!(1.5);
    bad["substitutes"][0]["grade"] = json!("better");
    bad["version"] = json!(2);
    let (errors, _) = conform(&bad, &s);
    let text = errors.join("\n");
    for expected in [
        "$.items[0].colour: key not declared",
        "$.firms[0].country: \"JPN\" does not match",
        "$.firms[0].produces[0].share: 1.5 above 1",
        "$.substitutes[0].grade",
        "$.version: 2 is not 1",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}
