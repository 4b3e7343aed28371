//! The desk's task: owns the [`Desk`], takes its inputs one at a time from a
//! channel (alert changes, audit records read back, acknowledgement and
//! assessment requests, a rebuilt desk), wakes itself at the desk's next
//! deadline, and hands what is due to the courier. Time comes from a
//! [`Clock`] that follows tokio's clock, so tests pause and advance it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::audit::AuditRecord;
use super::clock::Clock;
use crate::notify::{Delivery, Desk, DeskError};
use crate::service::shutdown::Shutdown;

pub enum Input {
    /// An alert state change and the time it was raised (its record's time).
    Change {
        change: Value,
        raised: DateTime<Utc>,
    },
    /// A record of the audit topic: a finished delivery or an acknowledgement.
    Audit(AuditRecord),
    /// Acknowledge the open alert `fingerprint`; the reply is the record to audit.
    Ack {
        fingerprint: String,
        by: String,
        reply: oneshot::Sender<Result<AuditRecord, DeskError>>,
    },
    /// The assessment behind a node's latest alert.
    Assessment {
        chain: String,
        node: String,
        reply: oneshot::Sender<Option<Value>>,
    },
    /// A desk rebuilt from Kafka after an assignment replaces this one.
    Replace(Box<Desk>),
}

/// What Alertmanager must hear about: open alerts, and the ones resolved
/// within the last four resend intervals (sent with their `endsAt`).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub firing: Vec<Value>,
    pub resolved: Vec<Value>,
}

pub async fn run(
    mut desk: Desk,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    deliveries: mpsc::UnboundedSender<Delivery>,
    snapshot: watch::Sender<Snapshot>,
    keep_resolved: chrono::Duration,
    clock: Clock,
    shutdown: Shutdown,
) {
    loop {
        let wake = desk.next_deadline(clock.now()).map(|t| clock.instant_of(t));
        tokio::select! {
            _ = shutdown.wait() => break,
            input = inputs.recv() => {
                let Some(input) = input else { break };
                let changed = handle(&mut desk, input, &clock);
                if changed {
                    let now = clock.now();
                    snapshot.send_replace(Snapshot {
                        firing: desk.firing().cloned().collect(),
                        resolved: desk.resolved_since(now - keep_resolved).cloned().collect(),
                    });
                }
            }
            _ = sleep_until(wake) => {}
        }
        for d in desk.due(clock.now()) {
            if deliveries.send(d).is_err() {
                return;
            }
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// True when the set of alerts changed.
fn handle(desk: &mut Desk, input: Input, clock: &Clock) -> bool {
    match input {
        Input::Change { change, raised } => {
            if let Err(e) = desk.on_change(&change, raised) {
                tracing::warn!(error = %e, "alert record ignored");
                return false;
            }
            true
        }
        Input::Audit(AuditRecord::Notification { id, .. }) => {
            desk.record_done(&id);
            false
        }
        Input::Audit(AuditRecord::Acknowledgement {
            fingerprint,
            starts_at,
            by,
            post,
            at,
            ..
        }) => {
            desk.record_ack(&fingerprint, starts_at, crate::notify::Ack { by, at, post });
            false
        }
        Input::Ack {
            fingerprint,
            by,
            reply,
        } => {
            let now = clock.now();
            let chain = desk.chain_of(&fingerprint).unwrap_or_default();
            let answer = desk
                .acknowledge(&fingerprint, &by, now)
                .map(|(starts_at, ack)| AuditRecord::Acknowledgement {
                    fingerprint: fingerprint.clone(),
                    starts_at,
                    chain,
                    by: ack.by,
                    post: ack.post,
                    at: ack.at,
                });
            let _ = reply.send(answer);
            false
        }
        Input::Assessment { chain, node, reply } => {
            let _ = reply.send(desk.assessment(&chain, &node).cloned());
            false
        }
        Input::Replace(fresh) => {
            *desk = *fresh;
            true
        }
    }
}
