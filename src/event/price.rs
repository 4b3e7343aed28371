//! The `price` message: one observed price of one item, from a named source.
//! Whether it is a spike is normalisation's business (it needs history).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::DecodeError;
use super::fields::{Positive, Text};
use super::Header;

#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub id: String,
    pub ts: DateTime<Utc>,
    pub item: String,
    /// Finite and above zero.
    pub price: f64,
    /// Currency and unit tell series apart (10 USD/kg is not 10 CNY/t);
    /// a feed that leaves them out is one series of its own.
    pub currency: Option<String>,
    pub unit: Option<String>,
    /// Where the price was seen; for people only.
    pub source: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    item: Text,
    price: Positive,
    currency: Option<Text>,
    unit: Option<Text>,
    source: Option<Text>,
}

pub(super) fn read(value: &serde_json::Value, header: Header) -> Result<Price, DecodeError> {
    let wire: Wire = super::read_as(value)?;
    Ok(Price {
        id: header.id,
        ts: header.ts,
        item: wire.item.0,
        price: wire.price.0,
        currency: wire.currency.map(|t| t.0),
        unit: wire.unit.map(|t| t.0),
        source: wire.source.map(|t| t.0),
    })
}
