//! Dead letters: a record that cannot be used goes, byte for byte, to the
//! dead-letter topic with where it came from and why in headers, and is
//! counted. The caller stores its offset only once this is acknowledged, so
//! nothing is dropped and the partition moves on.

use std::time::Duration;

use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::headers;
use super::metrics::Metrics;
use super::shutdown::Shutdown;

/// Why a record was refused: a stable label and the full text.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub reason: &'static str,
    pub error: String,
}

/// Records up to this size are dead-lettered whole.
const MAX_DEAD_LETTER_BYTES: usize = 900_000;
/// What is kept of a larger one.
const TRUNCATED_BYTES: usize = 64 * 1024;

pub async fn send(
    producer: &FutureProducer,
    topic: &str,
    stage: &'static str,
    msg: &BorrowedMessage<'_>,
    refusal: &Refusal,
    metrics: &Metrics,
    shutdown: &Shutdown,
) -> Result<(), super::ProduceFailed> {
    let partition = msg.partition().to_string();
    let offset = msg.offset().to_string();
    let original = msg.payload().unwrap_or_default();
    let size = original.len().to_string();
    // A record larger than the broker takes would never leave the retry
    // loop and would stall the partition; its head and size are kept
    // instead, and its place (topic, partition, offset) finds the rest.
    let truncated = original.len() > MAX_DEAD_LETTER_BYTES;
    let payload = if truncated {
        &original[..TRUNCATED_BYTES]
    } else {
        original
    };
    let mut pairs = vec![
        (headers::SOURCE_TOPIC, msg.topic()),
        (headers::SOURCE_PARTITION, partition.as_str()),
        (headers::SOURCE_OFFSET, offset.as_str()),
        (headers::REASON, refusal.reason),
        (headers::ERROR, refusal.error.as_str()),
        (headers::STAGE, stage),
    ];
    if truncated {
        pairs.push((headers::TRUNCATED_FROM, size.as_str()));
    }
    let h = headers::build(&pairs);
    let key = msg.key();
    super::deliver(shutdown, || {
        let mut r = FutureRecord::to(topic).payload(payload).headers(h.clone());
        if let Some(k) = key {
            r = r.key(k);
        }
        producer.send(r, Duration::from_secs(30))
    })
    .await?;
    tracing::warn!(
        source_topic = msg.topic(),
        source_partition = msg.partition(),
        source_offset = msg.offset(),
        reason = refusal.reason,
        error = %refusal.error,
        "dead-lettered"
    );
    metrics
        .dead_letters
        .with_label_values(&[stage, refusal.reason])
        .inc();
    Ok(())
}
