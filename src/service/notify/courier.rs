//! The courier: sends each planned webhook until the receiver takes it.
//! Every attempt carries the same `webhook-id` and a fresh timestamp and
//! signature; failures are retried with backoff and jitter (a `Retry-After`
//! is honoured), HTTP 410 disables the receiver, and a delivery that runs
//! out of attempts is dead-lettered to Kafka with the reason. Either way the
//! outcome goes to the audit writer, which tells the desk once it is durable.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use rand::Rng;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::mpsc;

use super::audit::{AuditRecord, Outcome};
use super::clock::Clock;
use super::settings::{NotifySettings, Receiver};
use super::writer::AuditSender;
use crate::notify::retry::{parse_retry_after, verdict, Verdict};
use crate::notify::sign::signature;
use crate::notify::Delivery;
use crate::service::metrics::Metrics;
use crate::service::shutdown::Shutdown;
use crate::service::{headers, Ctx};

pub struct Courier {
    client: reqwest::Client,
    settings: NotifySettings,
    receivers: BTreeMap<String, Receiver>,
    /// Receivers that answered 410 Gone: nothing more is sent to them until restart.
    disabled: Mutex<HashSet<String>>,
    producer: FutureProducer,
    deadletter: String,
    audit: AuditSender,
    metrics: Metrics,
    clock: Clock,
    shutdown: Shutdown,
}

impl Courier {
    pub fn new(ctx: &Ctx, producer: FutureProducer, audit: AuditSender, clock: Clock) -> Courier {
        let settings = ctx.config.notify.clone();
        Courier {
            client: reqwest::Client::builder()
                .timeout(settings.request_timeout)
                // A redirect could lead anywhere, including inside the network.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            receivers: settings.receivers.clone(),
            settings,
            disabled: Mutex::new(HashSet::new()),
            producer,
            deadletter: ctx.config.topics.deadletter.clone(),
            audit,
            metrics: ctx.metrics.clone(),
            clock,
            shutdown: ctx.shutdown.clone(),
        }
    }

    pub async fn run(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Delivery>) {
        while let Some(d) = rx.recv().await {
            let me = Arc::clone(&self);
            tokio::spawn(async move { me.deliver(d).await });
        }
    }

    async fn deliver(&self, d: Delivery) {
        let body = serde_json::to_vec(&d.body).unwrap_or_default();
        let (outcome, attempts, reason) = self.attempts(&d, &body).await;
        let Some(outcome) = outcome else {
            return; // shutting down: the delivery is planned again after the restart
        };
        if outcome == Outcome::DeadLettered {
            let reason = reason.clone().unwrap_or_default();
            let h = headers::build(&[
                (headers::STAGE, "notify"),
                (headers::REASON, "delivery_failed"),
                (headers::ERROR, &reason),
                (headers::RECEIVER, &d.receiver),
                (headers::WEBHOOK_ID, &d.id),
            ]);
            let sent = crate::service::deliver(&self.shutdown, || {
                let r = FutureRecord::to(&self.deadletter)
                    .key(&d.fingerprint)
                    .payload(&body)
                    .headers(h.clone());
                self.producer.send(r, std::time::Duration::from_secs(30))
            })
            .await;
            if sent.is_err() {
                return;
            }
            self.metrics
                .dead_letters
                .with_label_values(&["notify", "delivery_failed"])
                .inc();
            tracing::warn!(receiver = %d.receiver, webhook_id = %d.id, %reason, "delivery dead-lettered");
        }
        self.audit.send(
            AuditRecord::Notification {
                id: d.id.clone(),
                fingerprint: d.fingerprint.clone(),
                chain: d.chain.clone(),
                receiver: d.receiver.clone(),
                purpose: d.purpose,
                outcome,
                attempts,
                reason,
                at: self.clock.now(),
            },
            None,
        );
    }

    /// Tries until a final verdict; `None` outcome when shut down first.
    async fn attempts(&self, d: &Delivery, body: &[u8]) -> (Option<Outcome>, u32, Option<String>) {
        let Some(receiver) = self.receivers.get(&d.receiver) else {
            return (
                Some(Outcome::DeadLettered),
                0,
                Some(format!("no receiver named {:?} is configured", d.receiver)),
            );
        };
        let mut attempt = 0;
        loop {
            if self
                .disabled
                .lock()
                .map(|s| s.contains(&d.receiver))
                .unwrap_or(false)
            {
                return (
                    Some(Outcome::DeadLettered),
                    attempt,
                    Some("receiver disabled after HTTP 410 Gone".into()),
                );
            }
            attempt += 1;
            if !self.settings.allow_internal_urls {
                if let Some(why) = internal_target(&receiver.url).await {
                    return (Some(Outcome::DeadLettered), attempt, Some(why));
                }
            }
            let ts = self.clock.now().timestamp();
            let sig = signature(&receiver.secrets, &d.id, ts, body);
            let answer = self
                .client
                .post(receiver.url.clone())
                .header("content-type", "application/json")
                .header("webhook-id", &d.id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig)
                .body(body.to_vec())
                .send()
                .await;
            let (status, retry_after) = match &answer {
                Ok(r) => (
                    Some(r.status().as_u16()),
                    r.headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, self.clock.now())),
                ),
                Err(e) => {
                    tracing::debug!(receiver = %d.receiver, error = %e, "webhook attempt failed");
                    (None, None)
                }
            };
            let unit: f64 = rand::thread_rng().gen();
            match verdict(&self.settings.retry, attempt, status, retry_after, unit) {
                Verdict::Delivered => return (Some(Outcome::Delivered), attempt, None),
                Verdict::Retry(wait) => {
                    self.metrics
                        .notification_retries
                        .with_label_values(&[&d.receiver, "webhook"])
                        .inc();
                    if self.shutdown.sleep(wait).await {
                        return (None, attempt, None);
                    }
                }
                Verdict::GiveUp(why) => return (Some(Outcome::DeadLettered), attempt, Some(why)),
                Verdict::Gone => {
                    if let Ok(mut s) = self.disabled.lock() {
                        s.insert(d.receiver.clone());
                    }
                    tracing::error!(receiver = %d.receiver, "receiver answered 410 Gone: disabled until restart");
                    return (
                        Some(Outcome::DeadLettered),
                        attempt,
                        Some("HTTP 410 Gone: receiver disabled".into()),
                    );
                }
            }
        }
    }
}

/// Why `url` may not be called: its host resolves to an internal address.
async fn internal_target(url: &reqwest::Url) -> Option<String> {
    if super::settings::names_internal_host(url) {
        return Some(format!("{url} points at a loopback or private address"));
    }
    let host = url.host_str()?;
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => addrs
            .map(|a| a.ip())
            .find(|ip| crate::notify::address::is_internal(*ip))
            .map(|ip| format!("{host} resolves to internal address {ip}")),
        // Unresolvable now: let the attempt fail and be retried.
        Err(_) => None,
    }
}
