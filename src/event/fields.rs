//! Field readers for event messages. Each wrapper accepts one kind of JSON value
//! and otherwise fails with a message that says what was expected and what came
//! ("expected a string, got 7") instead of serde's "invalid type: integer `7`,
//! expected …". `serde_path_to_error` puts the field path in front; these
//! readers only ever see one value.
//!
//! Lists and objects are read through visitors (not through a `Value`) so that
//! the path tracker still sees their elements and fields: an error inside
//! reads `targets[2].country`, not just `targets`.

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::map::{is_country_code, MAX_DAYS};

/// Longest part of an unexpected string quoted back in an error; a 1 MiB
/// string must not become a 1 MiB dead-letter header.
const SHOWN_CHARS: usize = 40;

/// How a value that came instead of the expected one is shown: scalars as JSON
/// (long strings cut), containers by kind.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// A string as JSON, cut after [`SHOWN_CHARS`] characters.
pub(crate) fn quote(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(SHOWN_CHARS).collect();
    let json = serde_json::to_string(&head).unwrap_or_else(|_| "\"?\"".to_string());
    if chars.next().is_some() {
        format!("{json}…")
    } else {
        json
    }
}

fn expected<E: de::Error>(what: &str, got: &Value) -> E {
    E::custom(format_args!("expected {what}, got {}", describe(got)))
}

/// A non-empty string: ids, names and labels are never meaningfully empty.
#[derive(Debug)]
pub(crate) struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s.is_empty() => Err(de::Error::custom("must not be empty")),
            Value::String(s) => Ok(Text(s)),
            other => Err(expected("a string", &other)),
        }
    }
}

/// A time, kept in UTC: RFC 3339 in any offset, or, as notices and
/// spreadsheets write them, a date alone (its midnight) or a date and time
/// without an offset, both read as UTC. Refusing those would lose a whole
/// history over a convention the docs can state.
#[derive(Debug)]
pub(crate) struct Time(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => parse_time(&s).map(Time).ok_or_else(|| {
                de::Error::custom(format_args!(
                    "{} is not a time (RFC 3339, or a UTC date such as 2023-06-30)",
                    quote(&s)
                ))
            }),
            other => Err(expected("an RFC 3339 time string", &other)),
        }
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(day.and_time(NaiveTime::MIN).and_utc());
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|t| t.and_utc())
}

/// An ISO 3166-1 alpha-2 code, as the chain map writes them (two capitals).
#[derive(Debug)]
pub(crate) struct Country(pub String);

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if is_country_code(&s) => Ok(Country(s)),
            other => Err(expected(
                "an ISO 3166-1 alpha-2 code (two capital letters)",
                &other,
            )),
        }
    }
}

fn number<E: de::Error>(value: &Value) -> Result<f64, E> {
    match value {
        // Without serde_json's arbitrary_precision every number has an f64 form,
        // and the parser has already refused what overflows it.
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| expected("a finite number", value)),
        other => Err(expected("a number", other)),
    }
}

/// A fraction 0..=1 (capacity lost).
#[derive(Debug)]
pub(crate) struct Fraction(pub f64);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let v = number(&value)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Fraction(v))
        } else {
            Err(de::Error::custom(format_args!(
                "must be from 0 to 1, got {v}"
            )))
        }
    }
}

/// A number of days, zero or more.
#[derive(Debug)]
pub(crate) struct Days(pub f64);

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let v = number(&value)?;
        if v < 0.0 {
            Err(de::Error::custom(format_args!(
                "days must be zero or more, got {v}"
            )))
        } else if v > MAX_DAYS {
            // A number that large is a unit mistake or "never"; never is
            // said by leaving the duration out.
            Err(de::Error::custom(format_args!(
                "days must be at most {MAX_DAYS} (100 years; leave it out or null when unknown), got {v}"
            )))
        } else {
            Ok(Days(v))
        }
    }
}

/// A number above zero (a price).
#[derive(Debug)]
pub(crate) struct Positive(pub f64);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let v = number(&value)?;
        if v > 0.0 {
            Ok(Positive(v))
        } else {
            Err(de::Error::custom(format_args!("must be above 0, got {v}")))
        }
    }
}

/// One of a closed set of words; anything else is refused with the accepted
/// ones listed, so a sender can fix the message from the dead letter alone.
pub(crate) fn choice<'de, D, T>(d: D, what: &str, options: &[(&str, T)]) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Copy,
{
    let accepted = || {
        options
            .iter()
            .map(|(word, _)| *word)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match Value::deserialize(d)? {
        Value::String(s) => options
            .iter()
            .find(|(word, _)| *word == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                de::Error::custom(format_args!(
                    "unknown {what} {}, accepted: {}",
                    quote(&s),
                    accepted()
                ))
            }),
        other => Err(expected(&format!("one of {}", accepted()), &other)),
    }
}

/// Describes what a visitor got when it wanted a list or an object.
struct Got(String);

impl Got {
    fn err<E: de::Error>(self, what: &str) -> E {
        E::custom(format_args!("expected {what}, got {}", self.0))
    }
}

macro_rules! refuse_scalars {
    ($what:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Err(Got(v.to_string()).err($what))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(Got(v.to_string()).err($what))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Err(Got(v.to_string()).err($what))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(Got(v.to_string()).err($what))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Err(Got(quote(v)).err($what))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(Got("null".to_string()).err($what))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(Got("null".to_string()).err($what))
        }
    };
}

/// A JSON list of `T`.
#[derive(Debug)]
pub(crate) struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(Got("an object".to_string()).err("a list"))
            }
            refuse_scalars!("a list");
        }
        // `deserialize_any`, not `deserialize_seq`: a non-list must reach the
        // visitor so that the message is ours.
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON object read as `T` (a derived struct).
#[derive(Debug)]
pub(crate) struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Obj)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(Got("a list".to_string()).err("an object"))
            }
            refuse_scalars!("an object");
        }
        d.deserialize_any(V(PhantomData))
    }
}
