//! The ingest role: reads the input topics in its consumer group, decodes and
//! checks each record against the chain map, and copies every valid event to
//! each chain partition of the chain-events topic; anything else is
//! dead-lettered. It keeps no state, so a rebalance needs no rebuild. A
//! record's offset is stored only after its copies (or its dead letter) are
//! acknowledged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::config::Role;
use super::context::{GroupContext, RebalanceEvent};
use super::deadletter::{self, Refusal};
use super::{headers, kafka, route, Ctx, ServiceError};
use crate::event::{decode, Event};
use crate::normalise::check_ids;

pub async fn run(ctx: Arc<Ctx>) -> Result<(), ServiceError> {
    let group = format!("{}-ingest", ctx.config.kafka.group_prefix);
    let (context, mut rebalances) = GroupContext::new(Role::Ingest);
    let context = context.with_lag(ctx.metrics.lag.clone());
    let mut config = kafka::consumer_config(&ctx.config.kafka, &group);
    super::lag::enable(&mut config, &ctx.config.metrics);
    let consumer: StreamConsumer<GroupContext> = config
        .create_with_context(context)
        .map_err(ServiceError::kafka("create the ingest consumer"))?;
    consumer
        .subscribe(&ctx.config.topics.inputs())
        .map_err(ServiceError::kafka("subscribe to the input topics"))?;
    let producer = kafka::producer(&ctx.config.kafka).map_err(ServiceError::Setup)?;
    let partitions = kafka::partition_count(consumer.client(), &ctx.config.topics.chain_events)
        .unwrap_or(ctx.config.kafka.partitions);
    let targets = route::partitions_in_use(&ctx.map, partitions);
    tracing::info!(%group, chain_partitions = ?targets, "ingest started");
    ctx.health.set_ready(Role::Ingest, true);

    loop {
        tokio::select! {
            // News of a rebalance before any record that came after it.
            biased;
            _ = ctx.shutdown.wait() => break,
            Some(ev) = rebalances.recv() => {
                let (what, list) = match &ev {
                    RebalanceEvent::Assigned(l) => ("assigned", l),
                    RebalanceEvent::Revoked(l) => ("revoked", l),
                };
                tracing::info!(role = "ingest", what, partitions = ?list, "rebalance");
                let held = consumer.assignment().map(|a| a.count()).unwrap_or(0);
                ctx.metrics.assigned_partitions.with_label_values(&["ingest"]).set(held as i64);
            }
            msg = consumer.recv() => {
                let msg = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "ingest consumer error");
                        continue;
                    }
                };
                if handle(&ctx, &producer, &targets, &msg).await.is_err() {
                    break; // shutting down before the copies were acknowledged
                }
                if let Err(e) = consumer.store_offset(msg.topic(), msg.partition(), msg.offset()) {
                    tracing::warn!(error = %e, "cannot store an ingest offset");
                }
            }
        }
    }
    finish(&ctx, &consumer, &producer);
    Ok(())
}

async fn handle(
    ctx: &Ctx,
    producer: &FutureProducer,
    targets: &[i32],
    msg: &BorrowedMessage<'_>,
) -> Result<(), super::ProduceFailed> {
    let topic = msg.topic();
    let taken = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    ctx.metrics
        .last_ingested
        .with_label_values(&[topic])
        .set(taken);
    match check(ctx, msg.payload().unwrap_or_default()) {
        Err(refusal) => {
            deadletter::send(
                producer,
                &ctx.config.topics.deadletter,
                "ingest",
                msg,
                &refusal,
                &ctx.metrics,
                &ctx.shutdown,
            )
            .await?;
            ctx.metrics
                .ingested
                .with_label_values(&[topic, "dead_lettered"])
                .inc();
        }
        Ok(event) => {
            let payload = msg.payload().unwrap_or_default();
            let source_ts = msg.timestamp().to_millis().unwrap_or(0).to_string();
            let h = headers::build(&[
                (headers::EVENT_ID, event.id()),
                (headers::SOURCE_TIMESTAMP, &source_ts),
            ]);
            for &p in targets {
                super::deliver(&ctx.shutdown, || {
                    let r = FutureRecord::to(&ctx.config.topics.chain_events)
                        .partition(p)
                        .key(event.id())
                        .payload(payload)
                        .headers(h.clone());
                    producer.send(r, Duration::from_secs(30))
                })
                .await?;
            }
            ctx.metrics
                .ingested
                .with_label_values(&[topic, "routed"])
                .inc();
        }
    }
    Ok(())
}

/// The event in `bytes`, or why it cannot be used.
pub fn check(ctx: &Ctx, bytes: &[u8]) -> Result<Event, Refusal> {
    if bytes.len() > ctx.config.max_event_bytes {
        return Err(Refusal {
            reason: "too_large",
            error: format!(
                "record of {} bytes is over service.max_event_bytes ({})",
                bytes.len(),
                ctx.config.max_event_bytes
            ),
        });
    }
    let event = decode(bytes).map_err(|e| Refusal {
        reason: e.reason(),
        error: e.to_string(),
    })?;
    check_ids(&ctx.map, &event).map_err(|e| Refusal {
        reason: e.reason(),
        error: e.to_string(),
    })?;
    Ok(event)
}

/// Commits what was stored and waits for the producer's queue, within the
/// shutdown bound.
pub fn finish<C: rdkafka::consumer::ConsumerContext>(
    ctx: &Ctx,
    consumer: &StreamConsumer<C>,
    producer: &FutureProducer,
) {
    let started = Instant::now();
    use rdkafka::producer::Producer;
    if let Err(e) = producer.flush(ctx.config.shutdown_timeout) {
        tracing::warn!(error = %e, "producer queue not empty at shutdown");
    }
    finish_consumer(consumer);
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "drained");
}

/// Commits the offsets stored so far.
pub fn finish_consumer<C: rdkafka::consumer::ConsumerContext>(consumer: &StreamConsumer<C>) {
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => {}
        // Nothing stored since the last commit is not a failure.
        Err(rdkafka::error::KafkaError::ConsumerCommit(
            rdkafka::types::RDKafkaErrorCode::NoOffset,
        )) => {}
        Err(e) => tracing::warn!(error = %e, "final commit failed"),
    }
}
