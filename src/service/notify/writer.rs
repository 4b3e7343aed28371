//! The audit writer: puts each audit record on the audit topic, keyed by
//! fingerprint, and only once the broker has it tells the desk (a finished
//! delivery, an acknowledgement) and answers whoever asked, and counts it.

use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::{mpsc, oneshot};

use super::audit::{AuditRecord, Outcome};
use super::desk_loop::Input;
use crate::notify::Purpose;
use crate::service::metrics::Metrics;
use crate::service::shutdown::Shutdown;

type Job = (AuditRecord, Option<oneshot::Sender<AuditRecord>>);

#[derive(Clone)]
pub struct AuditSender(mpsc::UnboundedSender<Job>);

impl AuditSender {
    /// Queues `record`; `reply` hears it back once it is durable.
    pub fn send(&self, record: AuditRecord, reply: Option<oneshot::Sender<AuditRecord>>) {
        let _ = self.0.send((record, reply));
    }
}

pub fn channel() -> (AuditSender, mpsc::UnboundedReceiver<Job>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (AuditSender(tx), rx)
}

pub async fn run(
    mut rx: mpsc::UnboundedReceiver<Job>,
    producer: FutureProducer,
    topic: String,
    desk: mpsc::UnboundedSender<Input>,
    metrics: Metrics,
    shutdown: Shutdown,
) {
    while let Some((record, reply)) = rx.recv().await {
        let body = serde_json::to_vec(&record).unwrap_or_default();
        let key = record.fingerprint().to_string();
        let sent = crate::service::deliver(&shutdown, || {
            producer.send(
                FutureRecord::to(&topic).key(&key).payload(&body),
                std::time::Duration::from_secs(30),
            )
        })
        .await;
        if sent.is_err() {
            return;
        }
        match &record {
            AuditRecord::Notification {
                receiver,
                purpose,
                outcome,
                chain,
                id,
                ..
            } => {
                metrics
                    .notifications
                    .with_label_values(&[receiver, "webhook", outcome.as_str()])
                    .inc();
                if *purpose == Purpose::Escalation && *outcome == Outcome::Delivered {
                    metrics.escalations.with_label_values(&[chain]).inc();
                }
                tracing::info!(%receiver, purpose = purpose.as_str(), outcome = outcome.as_str(), webhook_id = %id, "notification");
            }
            AuditRecord::Acknowledgement {
                chain,
                by,
                fingerprint,
                ..
            } => {
                metrics.acknowledgements.with_label_values(&[chain]).inc();
                tracing::info!(%fingerprint, %by, "acknowledged");
            }
        }
        let _ = desk.send(Input::Audit(record.clone()));
        if let Some(r) = reply {
            let _ = r.send(record);
        }
    }
}
