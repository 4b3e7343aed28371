//! The notify role: turns the alerts topic (the durable outbox) into
//! deliveries — Alertmanager pushes and signed webhooks to the chain chiefs
//! on duty, with escalation from A to B and re-announcement at hand-overs —
//! and takes acknowledgements. Its memory is Kafka: on every assignment of
//! alerts partitions (consumer group `<prefix>-notify`) it rebuilds the duty
//! desk from those partitions and from the audit topic (what was delivered,
//! who acknowledged), so a restart sends exactly what is missing, under the
//! same webhook ids.

pub mod alertmanager;
pub mod audit;
pub mod clock;
pub mod courier;
pub mod desk_loop;
pub mod settings;
pub mod writer;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use tokio::sync::{mpsc, watch};

use super::config::Role;
use super::context::{GroupContext, RebalanceEvent};
use super::{kafka, rebuild, Ctx, ServiceError};
use crate::notify::{Desk, DeskConfig, Roster};
use audit::AuditRecord;
use clock::Clock;
use desk_loop::Input;
use writer::AuditSender;

/// What the admin API needs to reach the notify role.
#[derive(Clone)]
pub struct NotifyHandle {
    pub desk: mpsc::UnboundedSender<Input>,
    pub audit: AuditSender,
}

/// The chains' rosters, checked against the configured receivers.
pub fn rosters(ctx: &Ctx) -> Result<BTreeMap<String, Roster>, ServiceError> {
    let mut out = BTreeMap::new();
    for (k, chain) in ctx.map.chains.iter().enumerate() {
        let path = format!("chains[{k}].roster");
        let Some(r) = Roster::from_value(&chain.roster, &path)
            .map_err(|e| ServiceError::Config(e.to_string()))?
        else {
            tracing::warn!(chain = %chain.id, "chain has no roster: its alerts reach Alertmanager only");
            continue;
        };
        for (j, post) in r.posts.iter().enumerate() {
            for (role, name) in [("a", &post.a), ("b", &post.b)] {
                if !ctx.config.notify.receivers.contains_key(name) {
                    return Err(ServiceError::Config(format!(
                        "{path}.posts[{j}].{role}: receiver {name:?} is not configured under [notify.receivers]"
                    )));
                }
            }
        }
        out.insert(chain.id.clone(), r);
    }
    Ok(out)
}

pub fn desk_config(ctx: &Ctx) -> DeskConfig {
    let n = &ctx.config.notify;
    DeskConfig {
        ack_timeout: chrono::Duration::from_std(n.ack_timeout).unwrap_or_default(),
        critical_to_both: n.critical_to_both,
        external_url: n.external_url.clone(),
    }
}

/// Starts the desk, courier, audit writer and Alertmanager pusher; returns
/// the handle for the admin API and what the role loop needs.
pub fn start(ctx: &Arc<Ctx>, clock: Clock) -> Result<(NotifyHandle, Started), ServiceError> {
    let rosters = rosters(ctx)?;
    let producer = kafka::producer(&ctx.config.kafka).map_err(ServiceError::Setup)?;
    let (desk_tx, desk_rx) = mpsc::unbounded_channel();
    let (deliveries_tx, deliveries_rx) = mpsc::unbounded_channel();
    let (snap_tx, snap_rx) = watch::channel(desk_loop::Snapshot::default());
    let (audit, audit_rx) = writer::channel();
    let n = &ctx.config.notify;
    let keep = chrono::Duration::from_std(n.resend_interval * 4).unwrap_or_default();

    // Series that exist from the start read as 0, not as "no data", on the wall.
    for chain in &ctx.map.chains {
        ctx.metrics.escalations.with_label_values(&[&chain.id]);
        ctx.metrics.acknowledgements.with_label_values(&[&chain.id]);
    }
    for name in n.receivers.keys() {
        for outcome in ["delivered", "dead_lettered"] {
            ctx.metrics
                .notifications
                .with_label_values(&[name, "webhook", outcome]);
        }
    }
    let desk = Desk::new(desk_config(ctx), rosters.clone());
    tokio::spawn(desk_loop::run(
        desk,
        desk_rx,
        deliveries_tx,
        snap_tx,
        keep,
        clock,
        ctx.shutdown.clone(),
    ));
    tokio::spawn(writer::run(
        audit_rx,
        producer.clone(),
        ctx.config.topics.audit.clone(),
        desk_tx.clone(),
        ctx.metrics.clone(),
        ctx.shutdown.clone(),
    ));
    let courier = Arc::new(courier::Courier::new(ctx, producer, audit.clone(), clock));
    tokio::spawn(courier.run(deliveries_rx));
    let pusher = alertmanager::Pusher {
        client: reqwest::Client::builder()
            .timeout(n.request_timeout)
            .build()
            .unwrap_or_default(),
        alertmanagers: n.alertmanagers.clone(),
        resend: n.resend_interval,
        external_url: n.external_url.clone(),
        metrics: ctx.metrics.clone(),
        clock,
    };
    tokio::spawn(pusher.run(snap_rx, ctx.shutdown.clone()));
    let handle = NotifyHandle {
        desk: desk_tx.clone(),
        audit,
    };
    Ok((
        handle,
        Started {
            desk: desk_tx,
            rosters,
        },
    ))
}

pub struct Started {
    desk: mpsc::UnboundedSender<Input>,
    rosters: BTreeMap<String, Roster>,
}

/// The role loop: follows the alerts topic in the notify group and rebuilds
/// the desk on every assignment.
pub async fn run(ctx: Arc<Ctx>, started: Started) -> Result<(), ServiceError> {
    let group = format!("{}-notify", ctx.config.kafka.group_prefix);
    let topic = ctx.config.topics.alerts.clone();
    let (context, mut rebalances) = GroupContext::new(Role::Notify);
    let consumer: StreamConsumer<GroupContext> = kafka::consumer_config(&ctx.config.kafka, &group)
        .create_with_context(context)
        .map_err(ServiceError::kafka("create the notify consumer"))?;
    consumer
        .subscribe(&[&topic])
        .map_err(ServiceError::kafka("subscribe to the alerts topic"))?;
    tracing::info!(%group, %topic, "notify started");
    loop {
        tokio::select! {
            // News of a rebalance before any record that came after it.
            biased;
            _ = ctx.shutdown.wait() => break,
            Some(ev) = rebalances.recv() => {
                ctx.health.set_ready(Role::Notify, false);
                let held: Vec<i32> = consumer
                    .assignment()
                    .map(|a| a.elements().iter().map(|e| e.partition()).collect())
                    .unwrap_or_default();
                tracing::info!(role = "notify", event = ?ev, held = ?held, "rebalance");
                let fresh = match tokio::task::block_in_place(|| rebuild_desk(&ctx, &started.rosters, &topic, &held)) {
                    Ok(d) => d,
                    Err(ServiceError::ShuttingDown) => break,
                    Err(e) => return Err(e),
                };
                let _ = started.desk.send(Input::Replace(Box::new(fresh)));
                ctx.metrics.assigned_partitions.with_label_values(&["notify"]).set(held.len() as i64);
                if matches!(ev, RebalanceEvent::Assigned(_)) || !held.is_empty() {
                    ctx.health.set_ready(Role::Notify, true);
                }
            }
            msg = consumer.recv() => {
                let msg = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "notify consumer error");
                        continue;
                    }
                };
                if let Some(change) = msg.payload().and_then(|p| serde_json::from_slice(p).ok()) {
                    let raised = raised_at(msg.timestamp());
                    let _ = started.desk.send(Input::Change { change, raised });
                }
                // The desk plans from the topic itself after any restart, so the
                // offset is progress, not a promise.
                let _ = consumer.store_offset(msg.topic(), msg.partition(), msg.offset());
            }
        }
    }
    super::ingest::finish_consumer(&consumer);
    Ok(())
}

fn raised_at(ts: rdkafka::Timestamp) -> DateTime<Utc> {
    ts.to_millis()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(Utc::now)
}

/// A desk holding the alerts of partitions `held` and everything the audit
/// topic says was delivered or acknowledged.
fn rebuild_desk(
    ctx: &Ctx,
    rosters: &BTreeMap<String, Roster>,
    topic: &str,
    held: &[i32],
) -> Result<Desk, ServiceError> {
    let started = std::time::Instant::now();
    let mut desk = Desk::new(desk_config(ctx), rosters.clone());
    let (mut done, mut acks) = (0usize, 0usize);
    rebuild::read_to_end(ctx, &ctx.config.topics.audit, None, |m| {
        let Some(record) = m
            .payload()
            .and_then(|p| serde_json::from_slice::<AuditRecord>(p).ok())
        else {
            return;
        };
        match record {
            AuditRecord::Notification { id, .. } => {
                desk.record_done(&id);
                done += 1;
            }
            AuditRecord::Acknowledgement {
                fingerprint,
                starts_at,
                by,
                post,
                at,
                ..
            } => {
                desk.record_ack(&fingerprint, starts_at, crate::notify::Ack { by, at, post });
                acks += 1;
            }
        }
    })?;
    let mut changes = 0usize;
    if !held.is_empty() {
        rebuild::read_to_end(ctx, topic, Some(held), |m| {
            if let Some(change) = m.payload().and_then(|p| serde_json::from_slice(p).ok()) {
                let _ = desk.on_change(&change, raised_at(m.timestamp()));
                changes += 1;
            }
        })?;
    }
    tracing::info!(
        partitions = ?held,
        changes,
        delivered = done,
        acknowledgements = acks,
        open = desk.open_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "notify desk rebuilt"
    );
    Ok(desk)
}
