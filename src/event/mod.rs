//! Input messages: decoding one JSON message (bytes off a Kafka record) into a
//! typed [`Event`], or a [`DecodeError`] that names the field at fault.
//!
//! Order of checks: size, UTF-8, JSON, object, `type`, then the common header
//! (`id`, `ts`), then the fields of that type and the rules between them.
//! Unknown fields are ignored; they never reach a decision.

mod error;
mod fields;
mod price;
mod sanction;
mod supplier;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

pub use error::DecodeError;
pub use price::Price;
pub use sanction::{LicensePolicy, Sanction, SanctionAction, Target, ALL_ITEMS};
pub use supplier::{SupplierEvent, SupplierEventKind};

/// Largest message accepted, in bytes. Bounds the memory one record can take
/// (a parsed JSON value is several times its text).
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Accepted values of `type`.
pub const TYPES: [&str; 3] = ["sanction", "price", "supplier_event"];

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Sanction(Sanction),
    Price(Price),
    SupplierEvent(SupplierEvent),
}

impl Event {
    /// The message id: unique, and what replays are deduplicated by.
    pub fn id(&self) -> &str {
        match self {
            Event::Sanction(e) => &e.id,
            Event::Price(e) => &e.id,
            Event::SupplierEvent(e) => &e.id,
        }
    }

    /// Event time, as the sender stated it.
    pub fn ts(&self) -> DateTime<Utc> {
        match self {
            Event::Sanction(e) => e.ts,
            Event::Price(e) => e.ts,
            Event::SupplierEvent(e) => e.ts,
        }
    }

    /// The message `type`: one of [`TYPES`].
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Sanction(_) => "sanction",
            Event::Price(_) => "price",
            Event::SupplierEvent(_) => "supplier_event",
        }
    }

    /// A digest of everything the event says, id and time included: equal for
    /// a message delivered twice however its JSON was spaced or ordered,
    /// different when an id is reused for other content. Stable within one
    /// build only (it hashes the decoded form), which is all a process needs.
    pub fn digest(&self) -> u64 {
        use std::fmt::Write;
        use std::hash::Hasher;

        struct Feed(std::hash::DefaultHasher);
        impl Write for Feed {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.write(s.as_bytes());
                Ok(())
            }
        }
        let mut feed = Feed(std::hash::DefaultHasher::new());
        // Writing to a hasher cannot fail.
        let _ = write!(feed, "{self:?}");
        feed.0.finish()
    }
}

/// Fields every message has besides `type`.
#[derive(Deserialize)]
struct Header {
    #[serde(deserialize_with = "text")]
    id: String,
    #[serde(deserialize_with = "time")]
    ts: DateTime<Utc>,
}

fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    fields::Text::deserialize(d).map(|t| t.0)
}

fn time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    fields::Time::deserialize(d).map(|t| t.0)
}

/// Reads `T` from an already parsed message, with the path of any failure.
fn read_as<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(DecodeError::from_serde)
}

/// Decodes one message. Never panics, whatever the bytes.
pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(DecodeError::TooLarge { size: bytes.len() });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    // Editors on some systems start a UTF-8 file with a byte-order mark;
    // it says nothing about the event (QA: it made line 1 "not JSON").
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // serde_json bounds nesting depth (128), so hostile input cannot overflow
    // the stack here.
    let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::NotJson {
        message: e.to_string(),
    })?;
    let Value::Object(object) = &value else {
        return Err(DecodeError::NotObject {
            got: fields::describe(&value),
        });
    };
    let kind = match object.get("type") {
        None => {
            return Err(DecodeError::MissingField {
                parent: String::new(),
                field: "type".to_string(),
                note: None,
            })
        }
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(DecodeError::BadField {
                path: "type".to_string(),
                message: format!("expected a string, got {}", fields::describe(other)),
            })
        }
    };
    if !TYPES.contains(&kind) {
        return Err(DecodeError::UnknownType {
            got: fields::quote(kind),
        });
    }
    let header: Header = read_as(&value)?;
    match kind {
        "sanction" => sanction::read(&value, header).map(Event::Sanction),
        "price" => price::read(&value, header).map(Event::Price),
        _ => supplier::read(&value, header).map(Event::SupplierEvent),
    }
}
