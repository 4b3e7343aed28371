//! The `supplier_event` message: an incident at one firm (fire, flood, strike …)
//! that cuts part of its capacity, or the news that it has recovered. The
//! incident id ties later reports of the same incident together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::error::DecodeError;
use super::fields::{choice, Days, Fraction, List, Text};
use super::Header;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SupplierEventKind {
    Fire,
    Earthquake,
    Flood,
    Bankruptcy,
    CapacityCut,
    Logistics,
    Strike,
    Cyberattack,
    /// Ends the incident; carries no capacity loss.
    Recovered,
}

impl SupplierEventKind {
    pub const ALL: [(&'static str, SupplierEventKind); 9] = [
        ("fire", SupplierEventKind::Fire),
        ("earthquake", SupplierEventKind::Earthquake),
        ("flood", SupplierEventKind::Flood),
        ("bankruptcy", SupplierEventKind::Bankruptcy),
        ("capacity_cut", SupplierEventKind::CapacityCut),
        ("logistics", SupplierEventKind::Logistics),
        ("strike", SupplierEventKind::Strike),
        ("cyberattack", SupplierEventKind::Cyberattack),
        ("recovered", SupplierEventKind::Recovered),
    ];

    pub fn as_str(self) -> &'static str {
        SupplierEventKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(word, _)| *word)
            .unwrap_or("?")
    }
}

impl<'de> Deserialize<'de> for SupplierEventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        choice(d, "kind", &SupplierEventKind::ALL)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SupplierEvent {
    pub id: String,
    pub ts: DateTime<Utc>,
    /// Stable id of the incident; a later event with the same id replaces it.
    pub incident: String,
    /// Always present unless `kind` is `recovered`, where none means every
    /// firm the incident is open at.
    pub firm: Option<String>,
    pub kind: SupplierEventKind,
    /// 0..=1; always present unless `kind` is `recovered` (then ignored).
    pub capacity_loss: Option<f64>,
    pub expected_recovery_days: Option<f64>,
    /// The lines hit; `None` means all of the firm's lines. An empty list in
    /// the message reads as `None` too: an incident that hits no line would
    /// not be reported.
    pub items: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Wire {
    incident: Text,
    firm: Option<Text>,
    kind: SupplierEventKind,
    capacity_loss: Option<Fraction>,
    expected_recovery_days: Option<Days>,
    items: Option<List<Text>>,
}

pub(super) fn read(
    value: &serde_json::Value,
    header: Header,
) -> Result<SupplierEvent, DecodeError> {
    let wire: Wire = super::read_as(value)?;
    if wire.kind != SupplierEventKind::Recovered {
        for (field, given) in [
            ("firm", wire.firm.is_some()),
            ("capacity_loss", wire.capacity_loss.is_some()),
        ] {
            if !given {
                return Err(DecodeError::MissingField {
                    parent: String::new(),
                    field: field.to_string(),
                    note: Some("required unless kind is \"recovered\""),
                });
            }
        }
    }
    let items = wire
        .items
        .map(|l| l.0.into_iter().map(|t| t.0).collect::<Vec<_>>())
        .filter(|l| !l.is_empty());
    Ok(SupplierEvent {
        id: header.id,
        ts: header.ts,
        incident: wire.incident.0,
        firm: wire.firm.map(|f| f.0),
        kind: wire.kind,
        capacity_loss: wire.capacity_loss.map(|f| f.0),
        expected_recovery_days: wire.expected_recovery_days.map(|d| d.0),
        items,
    })
}
