//! The `sanction` message: a measure of some authority that is added, amended
//! or removed. It lists targets (entities, for a listing) and/or items and
//! destinations (for a country-wide export control). This file owns its shape
//! and the rules between its fields; matching it to the map is normalisation's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::error::DecodeError;
use super::fields::{choice, Country, Days, List, Obj, Text, Time};
use super::Header;
use crate::map::is_country_code;

/// What a notice does to its measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SanctionAction {
    Add,
    Amend,
    Remove,
}

impl SanctionAction {
    pub const ALL: [(&'static str, SanctionAction); 3] = [
        ("add", SanctionAction::Add),
        ("amend", SanctionAction::Amend),
        ("remove", SanctionAction::Remove),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SanctionAction::Add => "add",
            SanctionAction::Amend => "amend",
            SanctionAction::Remove => "remove",
        }
    }
}

impl<'de> Deserialize<'de> for SanctionAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        choice(d, "action", &SanctionAction::ALL)
    }
}

/// How licences for covered deliveries are decided; sets the share cut
/// (`CoreConfig::sanctions`). Unknown policies are refused rather than guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicensePolicy {
    Denial,
    CaseByCase,
    Approval,
}

impl LicensePolicy {
    pub const ALL: [(&'static str, LicensePolicy); 3] = [
        ("denial", LicensePolicy::Denial),
        ("case_by_case", LicensePolicy::CaseByCase),
        ("approval", LicensePolicy::Approval),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LicensePolicy::Denial => "denial",
            LicensePolicy::CaseByCase => "case_by_case",
            LicensePolicy::Approval => "approval",
        }
    }
}

impl<'de> Deserialize<'de> for LicensePolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        choice(d, "licence policy", &LicensePolicy::ALL)
    }
}

/// An entity a measure lists, as the notice names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// An id in some register (a firm id of the map, or a value of a firm's
    /// `external_ids`: LEI, USCC, list entry number …).
    pub id: Option<String>,
    pub name: Option<String>,
    pub aliases: Vec<String>,
    /// ISO 3166-1 alpha-2; when given, a match by name must agree with it.
    pub country: Option<String>,
}

/// `items` value that means every item.
pub const ALL_ITEMS: &str = "*";

#[derive(Debug, Clone, PartialEq)]
pub struct Sanction {
    pub id: String,
    pub ts: DateTime<Utc>,
    /// Stable id of the measure; later notices amend or remove it by this id.
    pub measure: String,
    pub action: SanctionAction,
    /// Who issued it, as written (`US-BIS`); optional, for people.
    pub authority: Option<String>,
    /// Always present for `add`/`amend`: given, or read off an authority
    /// that starts with a country code (`US-BIS`); decoding refuses them
    /// otherwise.
    pub issuer_jurisdiction: Option<String>,
    pub targets: Vec<Target>,
    /// Item ids, or exactly `["*"]` for every item; empty when not given.
    pub items: Vec<String>,
    pub destinations: Vec<String>,
    pub license_policy: LicensePolicy,
    pub effective: Option<DateTime<Utc>>,
    pub expected_duration_days: Option<f64>,
}

/// The message as it comes; `Option` on lists so that `null` reads as absent.
#[derive(Deserialize)]
struct Wire {
    measure: Text,
    action: SanctionAction,
    authority: Option<Text>,
    issuer_jurisdiction: Option<Country>,
    targets: Option<List<Obj<TargetWire>>>,
    items: Option<List<Text>>,
    destinations: Option<List<Country>>,
    license_policy: Option<LicensePolicy>,
    effective: Option<Time>,
    expected_duration_days: Option<Days>,
}

#[derive(Deserialize)]
struct TargetWire {
    id: Option<Text>,
    name: Option<Text>,
    aliases: Option<List<Text>>,
    country: Option<Country>,
}

fn texts(list: Option<List<Text>>) -> Vec<String> {
    list.map(|l| l.0.into_iter().map(|t| t.0).collect())
        .unwrap_or_default()
}

/// The country an authority's name starts with: `US` of `US-BIS`, `EU`.
/// Names that do not start so (`BIS`, `MOFCOM`) give none rather than a
/// guess.
fn jurisdiction_of(authority: &str) -> Option<String> {
    let head = authority.split(['-', ' ', '/']).next()?;
    is_country_code(head).then(|| head.to_string())
}

pub(super) fn read(value: &serde_json::Value, header: Header) -> Result<Sanction, DecodeError> {
    let wire: Wire = super::read_as(value)?;
    let mut targets = Vec::new();
    for (i, Obj(t)) in wire
        .targets
        .map(|l| l.0)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        if t.id.is_none() && t.name.is_none() {
            return Err(DecodeError::MissingField {
                parent: format!("targets[{i}]"),
                field: "name".to_string(),
                note: Some("a target needs an \"id\" or a \"name\""),
            });
        }
        targets.push(Target {
            id: t.id.map(|x| x.0),
            name: t.name.map(|x| x.0),
            aliases: texts(t.aliases),
            country: t.country.map(|c| c.0),
        });
    }
    let items = texts(wire.items);
    if items.len() > 1 {
        if let Some(k) = items.iter().position(|i| i == ALL_ITEMS) {
            return Err(DecodeError::BadField {
                path: format!("items[{k}]"),
                message: "\"*\" (every item) must be the only entry".to_string(),
            });
        }
    }
    let destinations: Vec<String> = wire
        .destinations
        .map(|l| l.0.into_iter().map(|c| c.0).collect())
        .unwrap_or_default();
    let action = wire.action;
    let authority = wire.authority.map(|a| a.0);
    let issuer_jurisdiction = wire
        .issuer_jurisdiction
        .map(|c| c.0)
        .or_else(|| authority.as_deref().and_then(jurisdiction_of));
    if action != SanctionAction::Remove {
        if issuer_jurisdiction.is_none() {
            return Err(DecodeError::MissingField {
                parent: String::new(),
                field: "issuer_jurisdiction".to_string(),
                note: Some(
                    "required to add or amend a measure, unless \"authority\" starts with \
                     a country code, as in \"US-BIS\"",
                ),
            });
        }
        if targets.is_empty() && (items.is_empty() || destinations.is_empty()) {
            return Err(DecodeError::NoEffect {
                message: format!(
                    "sanction {} of measure {} would do nothing: it needs \"targets\", \
                     or both \"items\" and \"destinations\"",
                    action.as_str(),
                    super::fields::quote(&wire.measure.0)
                ),
            });
        }
    }
    Ok(Sanction {
        id: header.id,
        ts: header.ts,
        measure: wire.measure.0,
        action,
        authority,
        issuer_jurisdiction,
        targets,
        items,
        destinations,
        license_policy: wire.license_policy.unwrap_or(LicensePolicy::Denial),
        effective: wire.effective.map(|t| t.0),
        expected_duration_days: wire.expected_duration_days.map(|d| d.0),
    })
}
