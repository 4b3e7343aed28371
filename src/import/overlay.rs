//! The CSET overlay: the judgements a chain map needs that the CSET data does
//! not hold — grade orders within item families (with their sources), days of
//! stock by kind of input, substitute switching terms, spare capacity, the key
//! nodes to watch, and edges to soften.
//!
//! One source of truth: `config/cset-overlay.json`, embedded at build time for
//! [`Overlay::default`] and readable from any path with [`load_overlay`].
//! Every number is explained in the file's `notes` and in `docs/chain-map.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ImportError;

/// The built-in overlay, as shipped in `config/cset-overlay.json`.
pub const BUILTIN_OVERLAY: &str = include_str!("../../config/cset-overlay.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Why each number is what it is; free text keyed by the setting it explains.
    #[serde(default)]
    pub notes: BTreeMap<String, String>,
    /// Alpha-2 code of the country whose buyers the imported map watches over.
    pub home: String,
    /// Item or firm ids of the chain's key nodes; ids absent from the data are
    /// skipped and listed in the report.
    #[serde(default)]
    pub key_nodes: Vec<String>,
    /// Spare capacity of every producer line, as a fraction of its output
    /// (CSET has no capacity data, so this is an assumption).
    pub default_spare: f64,
    /// Spare capacity by firm id where it is known to differ.
    #[serde(default)]
    pub spare_by_firm: BTreeMap<String, f64>,
    /// Further names of a firm, by firm id: the legal names sanction lists
    /// write for firms CSET knows by a short name ("SMIC").
    #[serde(default)]
    pub aliases_by_firm: BTreeMap<String, Vec<String>>,
    pub inventory_days: InventoryDays,
    /// Grade orders, one per family.
    #[serde(default)]
    pub grades: Vec<GradeOrder>,
    pub substitutes: SubstituteRules,
    /// Recipe edges (`goes_into` rows) that are not Leontief-critical.
    #[serde(default)]
    pub edges: Vec<EdgeOverride>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryDays {
    /// By CSET `type` (tool_resource, material_resource, process,
    /// design_resource, ultimate_output); a type missing here is an error.
    pub by_type: BTreeMap<String, f64>,
    /// By item id; wins over the type.
    #[serde(default)]
    pub by_item: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeOrder {
    /// The family (parent) item id.
    pub family: String,
    /// Where the order comes from; required, a grade order is a claim.
    pub source: String,
    /// Member id → grade, 1 the most capable; equal grades are same-grade.
    pub grades: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstituteRules {
    /// Between members of equal grade.
    pub same_grade: SubstituteTerms,
    /// From a lower-grade member to a more capable one (emitted as
    /// `same_grade`: the better item meets the spec, its capacity is the limit).
    pub upgrade: SubstituteTerms,
    /// From a more capable member to a less capable one.
    pub downgraded: DowngradeTerms,
    /// Between members of a family without a grade order (emitted as `same_grade`).
    pub ungraded: SubstituteTerms,
    /// Families whose members do different jobs (complements, not
    /// alternatives): no substitutes are emitted among their members.
    #[serde(default)]
    pub not_substitutes: Vec<String>,
    /// Terms for specific pairs, replacing the defaults above.
    #[serde(default)]
    pub overrides: Vec<SubstituteOverride>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstituteTerms {
    pub switch_days: f64,
    /// Share of the short item's demand the substitute can cover, 0..1.
    pub coverage: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DowngradeTerms {
    pub switch_days: f64,
    /// Coverage one grade down.
    pub coverage: f64,
    /// Each further grade down multiplies the coverage by this, 0..1.
    pub step_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstituteOverride {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch_days: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeOverride {
    /// The `input_id` of the sequence row.
    pub input: String,
    /// Its `goes_into_id`.
    pub into: String,
    pub critical: bool,
    /// For a non-critical edge: the share of output that depends on the input.
    #[serde(default = "one")]
    pub weight: f64,
    /// Why; kept with the override so the reason travels with it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

fn one() -> f64 {
    1.0
}

impl Overlay {
    /// The overlay shipped with this build.
    pub fn builtin() -> Result<Overlay, ImportError> {
        Overlay::parse(BUILTIN_OVERLAY, "config/cset-overlay.json (built in)")
    }

    /// Parses and checks an overlay; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Overlay, ImportError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let overlay: Overlay =
            serde_path_to_error::deserialize(de).map_err(|e| ImportError::Overlay {
                origin: origin.to_string(),
                message: format!("at {}: {}", e.path(), e.inner()),
            })?;
        overlay.check(origin)?;
        Ok(overlay)
    }

    /// Range checks that serde cannot express, each naming its key.
    pub fn check(&self, origin: &str) -> Result<(), ImportError> {
        let mut bad = Vec::new();
        let mut days = |at: String, v: f64| {
            if !v.is_finite() || v < 0.0 {
                bad.push(format!("{at}: days must be zero or more, got {v}"));
            }
        };
        for (t, v) in &self.inventory_days.by_type {
            days(format!("inventory_days.by_type.{t}"), *v);
        }
        for (i, v) in &self.inventory_days.by_item {
            days(format!("inventory_days.by_item.{i}"), *v);
        }
        let s = &self.substitutes;
        for (name, t) in [
            ("same_grade", &s.same_grade),
            ("upgrade", &s.upgrade),
            ("ungraded", &s.ungraded),
        ] {
            days(format!("substitutes.{name}.switch_days"), t.switch_days);
        }
        days(
            "substitutes.downgraded.switch_days".into(),
            s.downgraded.switch_days,
        );
        for (k, o) in s.overrides.iter().enumerate() {
            if let Some(d) = o.switch_days {
                days(format!("substitutes.overrides[{k}].switch_days"), d);
            }
        }

        let mut fraction = |at: String, v: f64| {
            if !(0.0..=1.0).contains(&v) {
                bad.push(format!("{at}: {v} is outside 0..1"));
            }
        };
        for (name, t) in [
            ("same_grade", &s.same_grade),
            ("upgrade", &s.upgrade),
            ("ungraded", &s.ungraded),
        ] {
            fraction(format!("substitutes.{name}.coverage"), t.coverage);
        }
        fraction(
            "substitutes.downgraded.coverage".into(),
            s.downgraded.coverage,
        );
        fraction(
            "substitutes.downgraded.step_factor".into(),
            s.downgraded.step_factor,
        );
        for (k, o) in s.overrides.iter().enumerate() {
            if let Some(c) = o.coverage {
                fraction(format!("substitutes.overrides[{k}].coverage"), c);
            }
        }
        for (k, e) in self.edges.iter().enumerate() {
            fraction(format!("edges[{k}].weight"), e.weight);
        }

        if !crate::map::is_country_code(&self.home) {
            bad.push(format!(
                "home: {:?} is not an ISO 3166-1 alpha-2 code",
                self.home
            ));
        }
        let spares = std::iter::once(("default_spare".to_string(), self.default_spare)).chain(
            self.spare_by_firm
                .iter()
                .map(|(f, v)| (format!("spare_by_firm.{f}"), *v)),
        );
        for (at, v) in spares {
            if !v.is_finite() || v < 0.0 {
                bad.push(format!(
                    "{at}: spare capacity must be zero or more, got {v}"
                ));
            }
        }
        for (f, names) in &self.aliases_by_firm {
            for (k, name) in names.iter().enumerate() {
                if crate::normalise::normalise_name(name).is_empty() {
                    bad.push(format!(
                        "aliases_by_firm.{f}[{k}]: {name:?} has no letters or digits to match on"
                    ));
                }
            }
        }
        let mut families = BTreeSet::new();
        for (k, g) in self.grades.iter().enumerate() {
            if !families.insert(g.family.as_str()) {
                bad.push(format!(
                    "grades[{k}].family: {:?} has a grade order already",
                    g.family
                ));
            }
            if g.source.trim().is_empty() {
                bad.push(format!(
                    "grades[{k}].source: a grade order needs its source"
                ));
            }
            for (item, grade) in &g.grades {
                if *grade == 0 {
                    bad.push(format!(
                        "grades[{k}].grades.{item}: grades start at 1 (the most capable)"
                    ));
                }
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Overlay {
                origin: origin.to_string(),
                message: bad.join("; "),
            })
        }
    }

    /// The grade `item` has within `family`, if the overlay orders that family.
    pub fn grade(&self, family: &str, item: &str) -> Option<u32> {
        self.grade_order(family)
            .and_then(|g| g.grades.get(item).copied())
    }

    pub fn grade_order(&self, family: &str) -> Option<&GradeOrder> {
        self.grades.iter().find(|g| g.family == family)
    }
}

impl Default for Overlay {
    /// The built-in overlay. The embedded file is part of the build, not
    /// input: a unit test parses it, so this cannot fail in a tested build.
    fn default() -> Self {
        match Overlay::builtin() {
            Ok(o) => o,
            Err(e) => panic!("the built-in config/cset-overlay.json is broken: {e}"),
        }
    }
}

/// Reads an overlay from a JSON file (unknown keys rejected, ranges checked).
pub fn load_overlay(path: &Path) -> Result<Overlay, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Overlay::parse(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_overlay_parses_and_checks() {
        let o = Overlay::builtin().expect("built-in overlay");
        assert_eq!(o.home, "CN");
        assert_eq!(o.grade("N19", "N20"), Some(1));
        assert_eq!(o.grade("N19", "N22"), Some(2));
        assert_eq!(o.grade("N19", "N21"), Some(3));
        assert_eq!(o.grade("N19", "N105"), Some(4));
        assert_eq!(o.grade("N19", "N106"), Some(5));
        assert!(!o.grade_order("N19").map_or("", |g| &g.source).is_empty());
        for t in [
            "tool_resource",
            "material_resource",
            "process",
            "design_resource",
            "ultimate_output",
        ] {
            assert!(o.inventory_days.by_type.contains_key(t), "{t}");
        }
        assert_eq!(Overlay::default(), o);
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_path() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_OVERLAY).unwrap();
        v["substitutes"]["same_grade"]["coverge"] = serde_json::json!(0.5);
        let err = Overlay::parse(&v.to_string(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("substitutes.same_grade"), "{err}");
        assert!(err.contains("coverge"), "{err}");
    }

    #[test]
    fn ranges_are_checked_by_key() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_OVERLAY).unwrap();
        v["substitutes"]["downgraded"]["coverage"] = serde_json::json!(1.5);
        v["inventory_days"]["by_type"]["process"] = serde_json::json!(-1);
        v["grades"][0]["source"] = serde_json::json!(" ");
        let err = Overlay::parse(&v.to_string(), "test")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("substitutes.downgraded.coverage: 1.5 is outside 0..1"),
            "{err}"
        );
        assert!(err.contains("inventory_days.by_type.process"), "{err}");
        assert!(err.contains("grades[0].source"), "{err}");
    }

    #[test]
    fn load_overlay_names_a_missing_file() {
        let err = load_overlay(Path::new("/nonexistent/overlay.json")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/overlay.json"),
            "{err}"
        );
    }
}
