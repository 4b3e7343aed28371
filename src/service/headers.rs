//! Kafka record headers chainwatch writes, in one place so that producers,
//! the dead-letter path and the tests that read them agree on the names.

use rdkafka::message::{Header, Headers, OwnedHeaders};

/// Dead letters: where the original record was, and why it failed.
pub const SOURCE_TOPIC: &str = "chainwatch-source-topic";
pub const SOURCE_PARTITION: &str = "chainwatch-source-partition";
pub const SOURCE_OFFSET: &str = "chainwatch-source-offset";
/// A short stable label (`invalid_json`, `unknown_id` …), as in metrics.
pub const REASON: &str = "chainwatch-reason";
/// The full error, naming the field at fault.
pub const ERROR: &str = "chainwatch-error";
/// The role that refused it: `ingest` or `assess`.
pub const STAGE: &str = "chainwatch-stage";

/// Set when the record was too large to dead-letter whole: its size in
/// bytes (the payload is then its first 64 KiB).
pub const TRUNCATED_FROM: &str = "chainwatch-truncated-from";

/// Alert state changes and routed events: the event behind them.
pub const EVENT_ID: &str = "chainwatch-event-id";
/// Alert state changes: a stable id of the change, what a restarted worker
/// deduplicates by.
pub const CHANGE_ID: &str = "chainwatch-change-id";
pub const CHAIN: &str = "chainwatch-chain";
/// Routed events: the Kafka timestamp (ms) of the input record they copy,
/// where event-to-alert latency is measured from.
pub const SOURCE_TIMESTAMP: &str = "chainwatch-source-timestamp-ms";

/// Dead-lettered deliveries: which receiver and which webhook.
pub const RECEIVER: &str = "chainwatch-receiver";
pub const WEBHOOK_ID: &str = "chainwatch-webhook-id";

pub fn build(pairs: &[(&str, &str)]) -> OwnedHeaders {
    pairs.iter().fold(
        OwnedHeaders::new_with_capacity(pairs.len()),
        |h, (key, value)| {
            h.insert(Header {
                key,
                value: Some(*value),
            })
        },
    )
}

/// The value of header `key` as text, if present and UTF-8.
pub fn get<'a>(
    headers: Option<&'a rdkafka::message::BorrowedHeaders>,
    key: &str,
) -> Option<&'a str> {
    let h = headers?;
    h.iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
}
