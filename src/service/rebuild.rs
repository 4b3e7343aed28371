//! Rebuilding a chain partition's state after an assignment: replay the
//! partition's events from its beginning up to the group's committed offset
//! through a fresh monitor, without publishing anything, and collect the
//! alert state changes already on the alerts topic, so the events after the
//! committed offset (delivered again after a crash) publish only what is
//! missing.
//!
//! Ends of logs are found by reading up to the high watermark and then until
//! the partition stays quiet: Tansu reports watermarks low (KAFKA-NOTES), and
//! a missed change id would mean a duplicate alert.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::{headers, kafka, Ctx, ServiceError};
use crate::event::decode;
use crate::monitor::Monitor;

/// How long a log must stay quiet past its watermark to count as read.
const QUIET: Duration = Duration::from_millis(300);
/// How long a read may wait for records it knows exist.
const STALL: Duration = Duration::from_secs(30);

/// Applies events at offsets `0..upto` of `partition` to `monitor`; returns
/// how many were read.
pub fn replay_partition(
    ctx: &Ctx,
    topic: &str,
    partition: i32,
    upto: i64,
    monitor: &mut Monitor,
) -> Result<u64, ServiceError> {
    if upto <= 0 {
        return Ok(0);
    }
    let reader = open(ctx, &[(topic, partition)])?;
    let mut read = 0u64;
    let mut last = Instant::now();
    loop {
        match reader.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                last = Instant::now();
                if m.offset() >= upto {
                    break;
                }
                read += 1;
                // Refused events were dead-lettered when first seen; they
                // change nothing now either.
                if let Ok(event) = decode(m.payload().unwrap_or_default()) {
                    let _ = monitor.apply(&event, event.ts());
                }
                if m.offset() + 1 >= upto {
                    break;
                }
            }
            Some(Err(e)) => {
                return Err(ServiceError::Kafka(
                    "rebuild from the chain-events topic",
                    e,
                ))
            }
            None if last.elapsed() > STALL => {
                return Err(ServiceError::Stalled {
                    topic: topic.to_string(),
                    partition,
                    upto,
                })
            }
            None if ctx.shutdown.is_set() => return Err(ServiceError::ShuttingDown),
            None => {}
        }
    }
    Ok(read)
}

/// Change ids of the alert state changes already on the alerts topic, by
/// chain id, for `chains`: read once per assignment, whatever the number of
/// partitions it brings.
pub fn published_changes(
    ctx: &Ctx,
    chains: &HashSet<String>,
) -> Result<HashMap<String, HashSet<String>>, ServiceError> {
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    read_to_end(ctx, &ctx.config.topics.alerts, None, |m| {
        let h = m.headers();
        let chain = headers::get(h, headers::CHAIN);
        if let (Some(c), Some(id)) = (chain, headers::get(h, headers::CHANGE_ID)) {
            if chains.contains(c) {
                ids.entry(c.to_string()).or_default().insert(id.to_string());
            }
        }
    })?;
    Ok(ids)
}

/// Calls `each` on every record of `topic` (of `partitions`, or all), from
/// the beginning to the end: the high watermark, then quiet for [`QUIET`].
pub fn read_to_end(
    ctx: &Ctx,
    topic: &str,
    partitions: Option<&[i32]>,
    mut each: impl FnMut(&BorrowedMessage<'_>),
) -> Result<(), ServiceError> {
    let probe = open(ctx, &[])?;
    let parts: Vec<(&str, i32)> = match partitions {
        Some(ps) => ps.iter().map(|p| (topic, *p)).collect(),
        None => {
            let count = kafka::partition_count(probe.client(), topic).unwrap_or(0);
            (0..count).map(|p| (topic, p)).collect()
        }
    };
    if parts.is_empty() {
        return Ok(());
    }
    let mut ends = HashMap::new();
    for (t, p) in &parts {
        let (_, high) = probe
            .fetch_watermarks(t, *p, Duration::from_secs(10))
            .map_err(|e| ServiceError::Kafka("read watermarks", e))?;
        ends.insert(*p, high);
    }
    let reader = open(ctx, &parts)?;
    let mut reached: HashMap<i32, bool> = ends.iter().map(|(p, h)| (*p, *h <= 0)).collect();
    let mut last = Instant::now();
    loop {
        match reader.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => {
                last = Instant::now();
                if m.offset() + 1 >= ends.get(&m.partition()).copied().unwrap_or(0) {
                    reached.insert(m.partition(), true);
                }
                each(&m);
            }
            Some(Err(e)) => return Err(ServiceError::Kafka("read a topic to its end", e)),
            None => {
                if reached.values().all(|r| *r) && last.elapsed() >= QUIET {
                    return Ok(());
                }
                if last.elapsed() > STALL {
                    return Err(ServiceError::Stalled {
                        topic: topic.to_string(),
                        partition: -1,
                        upto: -1,
                    });
                }
                if ctx.shutdown.is_set() {
                    return Err(ServiceError::ShuttingDown);
                }
            }
        }
    }
}

fn open(ctx: &Ctx, parts: &[(&str, i32)]) -> Result<BaseConsumer, ServiceError> {
    let reader: BaseConsumer = kafka::reader_config(&ctx.config.kafka)
        .create()
        .map_err(|e| ServiceError::Kafka("create a rebuild reader", e))?;
    if !parts.is_empty() {
        let mut tpl = TopicPartitionList::new();
        for (t, p) in parts {
            tpl.add_partition_offset(t, *p, Offset::Beginning)
                .map_err(|e| ServiceError::Kafka("assign a rebuild reader", e))?;
        }
        reader
            .assign(&tpl)
            .map_err(|e| ServiceError::Kafka("assign a rebuild reader", e))?;
    }
    Ok(reader)
}

/// Keeps the map alive in a monitor built for a rebuild, with the settings
/// in force now (a live change applies to the history replayed, as if it
/// had always been in force).
pub fn fresh_monitor(ctx: &Ctx, chains: std::collections::BTreeSet<u16>) -> Monitor {
    Monitor::scoped(Arc::clone(&ctx.map), ctx.tuning.running(), chains)
}
