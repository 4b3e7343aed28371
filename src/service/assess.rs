//! The assess role: owns the chains of the chain-events partitions the
//! consumer group gives it. Per partition it keeps a monitor scoped to that
//! partition's chains; on assignment it rebuilds the monitor from the
//! partition's history before reporting ready. Each event is applied at its
//! own time (as `replay` does), its alert state changes are published to the
//! alerts topic keyed by fingerprint, and only when they are acknowledged is
//! the event's offset stored. Re-delivered events are idempotent by event id;
//! after a restart, changes already on the alerts topic are not sent again.
//! A change of the live settings re-judges every monitor at once; its alert
//! changes are published like an event's, under the change's id. The wall
//! (per key node and per chain gauges) follows within a second.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use super::config::Role;

/// How stale a partition's wall may get behind its events. Computing it
/// judges the risk of every node short by the watch threshold, which on a
/// national map costs more than an event; Prometheus reads it every 15 s.
const WALL_REFRESH: Duration = Duration::from_secs(1);
use super::context::{GroupContext, RebalanceEvent};
use super::deadletter::{self, Refusal};
use super::{headers, kafka, rebuild, route, wall, Ctx, ProduceFailed, ServiceError};
use crate::alert::{AlertChange, Status};
use crate::event::decode;
use crate::monitor::Monitor;

/// What a worker holds for one partition it owns.
struct Owned {
    monitor: Monitor,
    /// Change ids already on the alerts topic: found there at the rebuild,
    /// or sent since.
    published: HashSet<String>,
}

pub async fn run(ctx: Arc<Ctx>) -> Result<(), ServiceError> {
    let group = format!("{}-assess", ctx.config.kafka.group_prefix);
    let topic = ctx.config.topics.chain_events.clone();
    let (context, mut rebalances) = GroupContext::new(Role::Assess);
    let context = context.with_lag(ctx.metrics.lag.clone());
    let mut config = kafka::consumer_config(&ctx.config.kafka, &group);
    super::lag::enable(&mut config, &ctx.config.metrics);
    let consumer: StreamConsumer<GroupContext> = config
        .create_with_context(context)
        .map_err(ServiceError::kafka("create the assess consumer"))?;
    consumer
        .subscribe(&[&topic])
        .map_err(ServiceError::kafka("subscribe to the chain-events topic"))?;
    let producer = kafka::producer(&ctx.config.kafka).map_err(ServiceError::Setup)?;
    let partitions =
        kafka::partition_count(consumer.client(), &topic).unwrap_or(ctx.config.kafka.partitions);
    tracing::info!(%group, %topic, partitions, "assess started");

    let mut owned: BTreeMap<i32, Owned> = BTreeMap::new();
    let mut retunes = ctx.tuning.subscribe();
    let mut previews = ctx.tuning.take_previews();
    // Partitions whose wall is behind their monitor, shown on the next tick.
    let mut wall_due: BTreeSet<i32> = BTreeSet::new();
    let mut wall_tick = tokio::time::interval(WALL_REFRESH);
    wall_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // In order: news of a rebalance is acted on before any record
            // that came after it.
            biased;
            _ = ctx.shutdown.wait() => break,
            Some(ev) = rebalances.recv() => {
                match ev {
                    RebalanceEvent::Revoked(list) => {
                        for (_, p) in &list {
                            owned.remove(p);
                            // Its chains are another worker's to show now.
                            ctx.metrics.wall.clear(*p);
                        }
                        tracing::info!(role = "assess", revoked = ?list, "rebalance");
                    }
                    RebalanceEvent::Assigned(list) => {
                        tracing::info!(role = "assess", assigned = ?list, "rebalance");
                        ctx.health.set_ready(Role::Assess, false);
                        let fresh: Vec<i32> = list.iter().map(|(_, p)| *p).filter(|p| !owned.contains_key(p)).collect();
                        match tokio::task::block_in_place(|| take_over(&ctx, &consumer, &topic, partitions, &fresh)) {
                            Ok(built) => owned.extend(built),
                            Err(ServiceError::ShuttingDown) => break,
                            Err(e) => return Err(e),
                        }
                    }
                }
                let held = consumer.assignment().map(|a| a.count()).unwrap_or(0);
                ctx.metrics.assigned_partitions.with_label_values(&["assess"]).set(held as i64);
                ctx.health.set_ready(Role::Assess, true);
            }
            _ = wall_tick.tick(), if !wall_due.is_empty() => {
                for p in std::mem::take(&mut wall_due) {
                    if let Some(state) = owned.get(&p) {
                        wall::refresh(&ctx, p, partitions, &state.monitor);
                    }
                }
            }
            Ok(()) = retunes.changed() => {
                let retune = retunes.borrow_and_update().clone();
                if retuned(&ctx, &producer, &mut owned, &retune).await.is_err() {
                    break;
                }
                // New thresholds move nodes between severities on the wall.
                wall_due.extend(owned.keys().copied());
            }
            Some(ask) = async { match previews.as_mut() { Some(p) => p.recv().await, None => std::future::pending().await } } => {
                let answer = owned
                    .values()
                    .map(|o| o.monitor.preview(&ask.proposed))
                    .reduce(|a, b| a.merge(b));
                let _ = ask.reply.send(answer);
            }
            msg = consumer.recv() => {
                let msg = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "assess consumer error");
                        continue;
                    }
                };
                let p = msg.partition();
                if !owned.contains_key(&p) {
                    // A record before its assignment was announced: build now.
                    match tokio::task::block_in_place(|| take_over(&ctx, &consumer, &topic, partitions, &[p])) {
                        Ok(built) => owned.extend(built),
                        Err(ServiceError::ShuttingDown) => break,
                        Err(e) => return Err(e),
                    }
                }
                let Some(state) = owned.get_mut(&p) else { continue };
                let started = Instant::now();
                if handle(&ctx, &producer, state, &msg).await.is_err() {
                    break;
                }
                wall_due.insert(p);
                ctx.metrics.event_seconds.observe(started.elapsed().as_secs_f64());
                if let Err(e) = consumer.store_offset(msg.topic(), p, msg.offset()) {
                    tracing::warn!(error = %e, "cannot store an assess offset");
                }
            }
        }
    }
    ctx.health.set_ready(Role::Assess, false);
    super::ingest::finish(&ctx, &consumer, &producer);
    Ok(())
}

/// Builds the state of each partition in `parts` from its history, and
/// puts its chains on the wall.
fn take_over(
    ctx: &Ctx,
    consumer: &StreamConsumer<GroupContext>,
    topic: &str,
    partitions: i32,
    parts: &[i32],
) -> Result<Vec<(i32, Owned)>, ServiceError> {
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let mut tpl = TopicPartitionList::new();
    for p in parts {
        tpl.add_partition(topic, *p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .map_err(ServiceError::kafka("read committed offsets"))?;
    // Records of a partition revoked and given back can reach the loop
    // before the news does, and be applied to the state now dropped; their
    // offsets may not be committed yet. The rebuild must cover them too, or
    // the consumer goes on past events the new state never saw.
    let consumed = consumer.position().unwrap_or_default();
    let chains_of: Vec<(i32, BTreeSet<u16>)> = parts
        .iter()
        .map(|p| (*p, route::chains_in(&ctx.map, *p, partitions)))
        .collect();
    let names = |chains: &BTreeSet<u16>| -> HashSet<String> {
        chains
            .iter()
            .map(|c| ctx.map.chains[*c as usize].id.clone())
            .collect()
    };
    let all: HashSet<String> = chains_of.iter().flat_map(|(_, c)| names(c)).collect();
    let mut published = if all.is_empty() {
        Default::default()
    } else {
        rebuild::published_changes(ctx, &all)?
    };
    let mut built = Vec::new();
    for (p, chains) in chains_of {
        let upto = offset_of(&committed, topic, p).max(offset_of(&consumed, topic, p));
        let started = Instant::now();
        let ids = names(&chains);
        let mut monitor = rebuild::fresh_monitor(ctx, chains);
        let read = rebuild::replay_partition(ctx, topic, p, upto, &mut monitor)?;
        let already: HashSet<String> = ids
            .iter()
            .filter_map(|c| published.remove(c))
            .flatten()
            .collect();
        ctx.metrics
            .rebuilt_events
            .with_label_values(&[&p.to_string()])
            .inc_by(read);
        tracing::info!(
            partition = p,
            chains = ?ids,
            events = read,
            committed = upto,
            published_changes = already.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "state rebuilt"
        );
        // The wall shows the partition's chains as rebuilt, before any event.
        wall::refresh(ctx, p, partitions, &monitor);
        built.push((
            p,
            Owned {
                monitor,
                published: already,
            },
        ));
    }
    Ok(built)
}

/// The absolute offset `tpl` holds for `partition`, 0 for none or a
/// logical one.
fn offset_of(tpl: &TopicPartitionList, topic: &str, partition: i32) -> i64 {
    match tpl.find_partition(topic, partition).map(|e| e.offset()) {
        Some(Offset::Offset(o)) => o,
        _ => 0,
    }
}

async fn handle(
    ctx: &Ctx,
    producer: &FutureProducer,
    state: &mut Owned,
    msg: &BorrowedMessage<'_>,
) -> Result<(), ProduceFailed> {
    let started = Instant::now();
    let outcome = decode(msg.payload().unwrap_or_default())
        .map_err(|e| Refusal {
            reason: e.reason(),
            error: e.to_string(),
        })
        .and_then(|event| {
            let applied = state
                .monitor
                .apply(&event, event.ts())
                .map_err(|e| Refusal {
                    reason: e.reason(),
                    error: e.to_string(),
                })?;
            Ok((event, applied))
        });
    ctx.metrics
        .propagation_seconds
        .observe(started.elapsed().as_secs_f64());
    let (event, applied) = match outcome {
        Ok(x) => x,
        Err(refusal) => {
            ctx.metrics.assessed.with_label_values(&["rejected"]).inc();
            return deadletter::send(
                producer,
                &ctx.config.topics.deadletter,
                "assess",
                msg,
                &refusal,
                &ctx.metrics,
                &ctx.shutdown,
            )
            .await;
        }
    };
    if applied.duplicate {
        ctx.metrics.assessed.with_label_values(&["duplicate"]).inc();
        return Ok(());
    }
    ctx.metrics.assessed.with_label_values(&["applied"]).inc();
    for note in &applied.notes {
        tracing::info!(event = event.id(), "note: {note}");
    }
    let source = source_millis(msg);
    publish(ctx, producer, state, event.id(), &applied.changes, source).await
}

/// Re-judges every owned monitor under new live settings and publishes the
/// alert changes under the change's id.
async fn retuned(
    ctx: &Ctx,
    producer: &FutureProducer,
    owned: &mut BTreeMap<i32, Owned>,
    retune: &super::tuning::Retune,
) -> Result<(), ProduceFailed> {
    let mut total = 0;
    for state in owned.values_mut() {
        let changes = state.monitor.retune(&retune.tunables);
        total += changes.len();
        publish(ctx, producer, state, &retune.id, &changes, None).await?;
    }
    tracing::info!(change = %retune.id, alert_changes = total, "live settings applied; alerts re-judged");
    Ok(())
}

/// Publishes alert changes caused by `cause` (an event, or a change of the
/// live settings), skipping those already on the topic. `source` is the
/// input record's time (Unix ms), for the event-to-alert latency.
async fn publish(
    ctx: &Ctx,
    producer: &FutureProducer,
    state: &mut Owned,
    cause: &str,
    changes: &[AlertChange],
    source: Option<i64>,
) -> Result<(), ProduceFailed> {
    for change in changes {
        let status = match change.status {
            Status::Firing => "firing",
            Status::Resolved => "resolved",
        };
        let id = route::change_id(cause, &change.fingerprint, status);
        if state.published.contains(&id) {
            ctx.metrics
                .alert_changes_deduplicated
                .with_label_values(&[status])
                .inc();
            continue;
        }
        let chain = change.labels.get("chain").map(String::as_str).unwrap_or("");
        // Serialising plain data cannot fail.
        let body = serde_json::to_vec(change).unwrap_or_default();
        let h = headers::build(&[
            (headers::EVENT_ID, cause),
            (headers::CHANGE_ID, &id),
            (headers::CHAIN, chain),
        ]);
        super::deliver(&ctx.shutdown, || {
            let r = FutureRecord::to(&ctx.config.topics.alerts)
                .key(&change.fingerprint)
                .payload(&body)
                .headers(h.clone());
            producer.send(r, Duration::from_secs(30))
        })
        .await?;
        tracing::info!(
            event = cause,
            status,
            chain,
            node = change.labels.get("node").map(String::as_str).unwrap_or(""),
            severity = change.labels.get("severity").map(String::as_str).unwrap_or(""),
            fingerprint = %change.fingerprint,
            "alert state change"
        );
        ctx.metrics
            .alert_changes
            .with_label_values(&[chain, status])
            .inc();
        if let Some(seconds) = source.and_then(since) {
            ctx.metrics.event_to_alert_seconds.observe(seconds);
        }
        state.published.insert(id);
    }
    Ok(())
}

/// When the input record behind `msg` was written (Unix ms): its Kafka
/// timestamp, carried by ingest in a header (the chain-events copy's own
/// timestamp, for a copy without one). None if neither is known.
fn source_millis(msg: &BorrowedMessage<'_>) -> Option<i64> {
    headers::get(msg.headers(), headers::SOURCE_TIMESTAMP)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|ms| *ms > 0)
        .or_else(|| msg.timestamp().to_millis())
}

/// Seconds from `ms` (Unix ms) to now.
fn since(ms: i64) -> Option<f64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis() as i64;
    // A producer clock ahead of ours would give a negative latency.
    Some((now - ms).max(0) as f64 / 1000.0)
}
