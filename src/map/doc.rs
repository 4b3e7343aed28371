//! The chain map document (schema version 1) exactly as it is written on disk.
//!
//! These types only describe shape; every rule that relates one field to another
//! (known ids, share sums, ownership) lives in `validate`. Unknown keys are
//! rejected so that a misspelt field never silently falls back to a default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The one schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainMapDoc {
    pub version: u32,
    /// ISO 3166-1 alpha-2 code of the country whose buyers the map watches over.
    pub home: String,
    /// Where the data came from and its licence; carried through imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub chains: Vec<ChainDoc>,
    pub items: Vec<ItemDoc>,
    pub firms: Vec<FirmDoc>,
    #[serde(default)]
    pub substitutes: Vec<SubstituteDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainDoc {
    pub id: String,
    pub name: String,
    /// Item or firm ids the monitoring room watches by name (bounded metrics).
    #[serde(default)]
    pub key_nodes: Vec<String>,
    /// Chief roster; its shape belongs to alert delivery and is kept opaque here.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub roster: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDoc {
    pub id: String,
    pub name: String,
    /// Id of the family item this one is a type of (e.g. EUV tools → lithography tools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Grade within the family: 1 is the most capable; equal grades are same-grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<u32>,
    /// Days of this item its buyers hold in stock: the delay before a shortfall bites.
    #[serde(default)]
    pub inventory_days: f64,
    /// What making this item takes (the recipe), shared by all of its producers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputDoc>,
    /// Chains this item belongs to; alerts on it are raised once per chain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDoc {
    pub item: String,
    /// Critical inputs bound output (Leontief); others reduce it by their weight only.
    #[serde(default = "yes")]
    pub critical: bool,
    /// For a non-critical input: the share of output that depends on it (0..1).
    #[serde(default = "one")]
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmDoc {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Ids of this firm in other registers (LEI, USCC, a sanctions list entry …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_ids: BTreeMap<String, String>,
    /// ISO 3166-1 alpha-2; `XX` for producers that cannot be attributed.
    pub country: String,
    /// Jurisdictions the firm is subject to besides its country's (e.g. `US` for
    /// a foreign site built on US technology).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jurisdictions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<OwnerDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub produces: Vec<ProducesDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumes: Vec<ConsumesDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerDoc {
    /// A firm id of this map (holding companies are firms that produce nothing).
    pub firm: String,
    /// Fraction of equity held, 0..1.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducesDoc {
    pub item: String,
    /// This firm's share of the item's world supply, 0..1.
    pub share: f64,
    /// Capacity it could add, as a fraction of its own current output.
    #[serde(default)]
    pub spare: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumesDoc {
    pub item: String,
    /// Days of the item this firm holds; the item's own `inventory_days`
    /// (what its buyers hold) when not given (QA: 0 hid a stock the item
    /// said was there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_days: Option<f64>,
    #[serde(default = "yes")]
    pub critical: bool,
    #[serde(default = "one")]
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubstituteGrade {
    SameGrade,
    Downgraded,
}

impl SubstituteGrade {
    pub fn as_str(self) -> &'static str {
        match self {
            SubstituteGrade::SameGrade => "same_grade",
            SubstituteGrade::Downgraded => "downgraded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstituteDoc {
    /// The item that is short.
    pub from: String,
    /// The item that can stand in for it.
    pub to: String,
    pub grade: SubstituteGrade,
    /// Days a buyer needs to qualify and switch.
    pub switch_days: f64,
    /// Share of the demand for `from` that `to` can cover, 0..1.
    pub coverage: f64,
}

fn yes() -> bool {
    true
}

fn one() -> f64 {
    1.0
}
