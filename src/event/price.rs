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
    pub currency: String,
    pub unit: String,
    pub source: String,
}

#[derive(Deserialize)]
struct Wire {
    item: Text,
    price: Positive,
    currency: Text,
    unit: Text,
    source: Text,
}

pub(super) fn read(value: &serde_json::Value, header: Header) -> Result<Price, DecodeError> {
    let wire: Wire = super::read_as(value)?;
    Ok(Price {
        id: header.id,
        ts: header.ts,
        item: wire.item.0,
        price: wire.price.0,
        currency: wire.currency.0,
        unit: wire.unit.0,
        source: wire.source.0,
    })
}
