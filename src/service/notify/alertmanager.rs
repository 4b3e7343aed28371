//! Pushing to Alertmanager the way Prometheus does: every open alert is
//! POSTed to each Alertmanager's `/api/v2/alerts` at once when it changes
//! and again every resend interval, with `endsAt` four intervals ahead (so
//! an alert that chainwatch stops sending expires on its own); a resolved
//! alert is sent with its `endsAt` for four more intervals. Labels and so
//! fingerprints are those of the alerts topic.

use std::time::Duration;

use chrono::SecondsFormat;
use serde_json::Value;
use tokio::sync::watch;

use super::clock::Clock;
use super::desk_loop::Snapshot;
use crate::notify::payload::alertmanager_alert;
use crate::service::metrics::Metrics;
use crate::service::shutdown::Shutdown;

pub struct Pusher {
    pub client: reqwest::Client,
    pub alertmanagers: Vec<reqwest::Url>,
    pub resend: Duration,
    pub external_url: String,
    pub metrics: Metrics,
    pub clock: Clock,
}

impl Pusher {
    pub async fn run(self, mut snapshot: watch::Receiver<Snapshot>, shutdown: Shutdown) {
        if self.alertmanagers.is_empty() {
            return;
        }
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                r = snapshot.changed() => if r.is_err() { return },
                _ = tokio::time::sleep(self.resend) => {}
            }
            let snap = snapshot.borrow_and_update().clone();
            self.push(&snap).await;
        }
    }

    async fn push(&self, snap: &Snapshot) {
        let ahead =
            self.clock.now() + chrono::Duration::from_std(self.resend * 4).unwrap_or_default();
        let ahead = ahead.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut alerts: Vec<Value> = snap
            .firing
            .iter()
            .map(|c| alertmanager_alert(c, &ahead, &self.external_url))
            .collect();
        alerts.extend(snap.resolved.iter().map(|c| {
            alertmanager_alert(
                c,
                c["endsAt"].as_str().unwrap_or(&ahead),
                &self.external_url,
            )
        }));
        if alerts.is_empty() {
            return;
        }
        for am in &self.alertmanagers {
            let name = format!(
                "{}:{}",
                am.host_str().unwrap_or(""),
                am.port_or_known_default().unwrap_or(0)
            );
            let url = match am.join("api/v2/alerts") {
                Ok(u) => u,
                Err(_) => continue,
            };
            let outcome = match self.client.post(url).json(&alerts).send().await {
                Ok(r) if r.status().is_success() => "delivered",
                Ok(r) => {
                    tracing::warn!(alertmanager = %name, status = %r.status(), "Alertmanager refused alerts");
                    "failed"
                }
                Err(e) => {
                    tracing::warn!(alertmanager = %name, error = %e, "cannot reach Alertmanager; next try at the resend interval");
                    "failed"
                }
            };
            self.metrics
                .notifications
                .with_label_values(&[&name, "alertmanager", outcome])
                .inc_by(alerts.len() as u64);
        }
    }
}
