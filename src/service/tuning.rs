//! Live settings of the service: the part of the core settings that can
//! change without a restart ([`Tunables`]), reloaded from the layered files
//! on SIGHUP, on a change of a file, or on `POST /-/reload`, and set by an
//! operator through the admin API. A reload is atomic: the new settings are
//! read and checked whole, and only then handed to the assess workers, which
//! re-judge at once and publish the alert changes; an invalid file is
//! refused with its reason and the old settings keep running. Every applied
//! change is written to the audit topic (and the log) before it applies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot, watch};

use super::metrics::Metrics;
use super::shutdown::Shutdown;
use crate::config::layers::Layers;
use crate::config::tunables::{config_hash, restart_keys, Tunables};
use crate::config::{CoreConfig, Thresholds};
use crate::preview::Preview;

/// What the assess workers take: new live settings and the id their alert
/// changes are published under.
#[derive(Debug, Clone)]
pub struct Retune {
    /// `reload-<hash>-<unix ms>`: unique per applied change, so that going
    /// back to earlier values later is not mistaken for a change already
    /// published.
    pub id: String,
    pub tunables: Tunables,
    /// The whole settings in force, for monitors built after the change.
    pub core: CoreConfig,
}

/// A preview asked of the assess role.
pub struct PreviewAsk {
    pub proposed: Thresholds,
    pub reply: oneshot::Sender<Option<Preview>>,
}

/// One audited change.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// `settings`: tells these records apart from others on the audit
    /// topic (tagged by `kind`, as the notifier's are).
    pub kind: &'static str,
    pub id: String,
    pub at: String,
    /// The token's name, or the reload trigger (`sighup`, `file`, `http`).
    pub who: String,
    /// `set` or `reset` (admin API), or `reload`.
    pub action: String,
    pub reason: String,
    pub old: Tunables,
    pub new: Tunables,
    pub old_hash: String,
    pub new_hash: String,
    /// Keys that changed in the files but take a restart to apply.
    pub restart_needed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// The settings were refused; the old ones keep running.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot write the audit record: {0}")]
    Audit(String),
    #[error("{0}")]
    Unavailable(String),
}

struct State {
    /// What the layers said at the last successful reload.
    from_layers: CoreConfig,
    /// Thresholds set through the admin API: they stay over what the files
    /// say until reset, so a reload does not silently undo an audited
    /// decision.
    overrides: Option<Thresholds>,
    /// The settings in force.
    running: CoreConfig,
    /// Digest of the watched files' contents at the last load.
    files: String,
}

/// The owner of the live settings.
pub struct Tuning {
    layers: Layers,
    state: tokio::sync::Mutex<State>,
    retunes: watch::Sender<Arc<Retune>>,
    previews: mpsc::Sender<PreviewAsk>,
    preview_rx: Mutex<Option<mpsc::Receiver<PreviewAsk>>>,
    producer: Option<FutureProducer>,
    audit_topic: String,
    metrics: Metrics,
}

/// What the admin API shows.
#[derive(Debug, Clone, Serialize)]
pub struct Current {
    pub hash: String,
    pub thresholds: Thresholds,
    pub live: Tunables,
    /// Thresholds set through the API, in force over the files.
    pub overrides: Option<Thresholds>,
    /// The thresholds the files and environment say.
    pub from_files: Thresholds,
    pub files: Vec<String>,
}

impl Tuning {
    /// `core` is what `layers` gave at start; `producer` writes the audit
    /// records (none: changes are refused, since they could not be audited).
    pub fn new(
        layers: Layers,
        core: CoreConfig,
        producer: Option<FutureProducer>,
        audit_topic: String,
        metrics: Metrics,
    ) -> Arc<Tuning> {
        let hash = config_hash(&core);
        let (retunes, _) = watch::channel(Arc::new(Retune {
            id: format!("start-{hash}"),
            tunables: Tunables::of(&core),
            core: core.clone(),
        }));
        let (previews, preview_rx) = mpsc::channel(8);
        metrics.config_reload_successful.set(1);
        metrics
            .config_reload_timestamp
            .set(Utc::now().timestamp_millis() as f64 / 1000.0);
        metrics.config_info.with_label_values(&[&hash]).set(1);
        let files = digest_files(&layers);
        Arc::new(Tuning {
            state: tokio::sync::Mutex::new(State {
                from_layers: core.clone(),
                overrides: None,
                running: core,
                files,
            }),
            layers,
            retunes,
            previews,
            preview_rx: Mutex::new(Some(preview_rx)),
            producer,
            audit_topic,
            metrics,
        })
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<Retune>> {
        self.retunes.subscribe()
    }

    /// The settings in force, for monitors built after a change.
    pub fn running(&self) -> CoreConfig {
        self.retunes.borrow().core.clone()
    }

    /// The receiving end of preview requests: the assess role takes it once.
    pub fn take_previews(&self) -> Option<mpsc::Receiver<PreviewAsk>> {
        self.preview_rx.lock().ok()?.take()
    }

    pub async fn current(&self) -> Current {
        let s = self.state.lock().await;
        Current {
            hash: config_hash(&s.running),
            thresholds: s.running.thresholds.clone(),
            live: Tunables::of(&s.running),
            overrides: s.overrides.clone(),
            from_files: s.from_layers.thresholds.clone(),
            files: self
                .layers
                .files()
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        }
    }

    /// Re-reads the layers and applies their live part. `who` names the
    /// trigger. Returns the hash in force.
    pub async fn reload(&self, who: &str) -> Result<String, TuneError> {
        let mut s = self.state.lock().await;
        let loaded = self.layers.load();
        let files = digest_files(&self.layers);
        let from_layers = match loaded {
            Ok(c) => c,
            Err(e) => {
                // Remember the broken contents so the file watch does not
                // report the same error every poll.
                s.files = files;
                self.metrics.config_reload_successful.set(0);
                tracing::error!(trigger = who, error = %e, "config reload refused; the previous settings keep running");
                return Err(TuneError::Invalid(e.to_string()));
            }
        };
        let mut wanted = from_layers.clone();
        if let Some(t) = &s.overrides {
            wanted.thresholds = t.clone();
        }
        if let Some(b) = wanted.broken() {
            self.metrics.config_reload_successful.set(0);
            s.files = files;
            let e = format!(
                "{}: {} (with the thresholds set through the admin API)",
                b.key, b.message
            );
            tracing::error!(trigger = who, error = %e, "config reload refused; the previous settings keep running");
            return Err(TuneError::Invalid(e));
        }
        let restart = restart_keys(&s.running, &wanted);
        if !restart.is_empty() {
            tracing::warn!(trigger = who, keys = ?restart, "changed settings that take a restart to apply; not applied");
        }
        let result = self
            .apply(
                &mut s,
                Tunables::of(&wanted),
                who,
                "reload",
                "config reload",
                restart,
            )
            .await;
        match result {
            Ok(hash) => {
                s.from_layers = from_layers;
                s.files = files;
                Ok(hash)
            }
            Err(e) => {
                self.metrics.config_reload_successful.set(0);
                Err(e)
            }
        }
    }

    /// Sets thresholds through the admin API (or drops the API's with
    /// `None`), audited under `who` with `reason`.
    pub async fn set_thresholds(
        &self,
        thresholds: Option<Thresholds>,
        who: &str,
        reason: &str,
    ) -> Result<(String, Thresholds, Thresholds), TuneError> {
        let mut s = self.state.lock().await;
        let old = s.running.thresholds.clone();
        let mut wanted = s.running.clone();
        wanted.thresholds = thresholds
            .clone()
            .unwrap_or_else(|| s.from_layers.thresholds.clone());
        if let Some(b) = wanted.broken() {
            return Err(TuneError::Invalid(format!("{}: {}", b.key, b.message)));
        }
        let action = if thresholds.is_some() { "set" } else { "reset" };
        let hash = self
            .apply(
                &mut s,
                Tunables::of(&wanted),
                who,
                action,
                reason,
                Vec::new(),
            )
            .await?;
        s.overrides = thresholds;
        Ok((hash, old, wanted.thresholds))
    }

    /// Audits, then puts `new` in force and tells the workers.
    async fn apply(
        &self,
        s: &mut State,
        new: Tunables,
        who: &str,
        action: &str,
        reason: &str,
        restart_needed: Vec<String>,
    ) -> Result<String, TuneError> {
        let old = Tunables::of(&s.running);
        let old_hash = config_hash(&s.running);
        let running = new.apply_to(&s.running);
        let new_hash = config_hash(&running);
        let now = Utc::now();
        self.metrics.config_reload_successful.set(1);
        self.metrics
            .config_reload_timestamp
            .set(now.timestamp_millis() as f64 / 1000.0);
        if new == old {
            return Ok(new_hash);
        }
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let record = AuditRecord {
            kind: "settings",
            id: format!("reload-{new_hash}-{millis}"),
            at: crate::alert::rfc3339(now),
            who: who.to_string(),
            action: action.to_string(),
            reason: reason.to_string(),
            old,
            new: new.clone(),
            old_hash: old_hash.clone(),
            new_hash: new_hash.clone(),
            restart_needed,
        };
        self.audit(&record).await?;
        tracing::info!(
            id = %record.id,
            who = %record.who,
            action = %record.action,
            reason = %record.reason,
            old = %serde_json::to_string(&record.old).unwrap_or_default(),
            new = %serde_json::to_string(&record.new).unwrap_or_default(),
            "live settings changed"
        );
        s.running = running.clone();
        self.metrics.config_info.reset();
        self.metrics
            .config_info
            .with_label_values(&[&new_hash])
            .set(1);
        self.retunes.send_replace(Arc::new(Retune {
            id: record.id,
            tunables: new,
            core: running,
        }));
        Ok(new_hash)
    }

    async fn audit(&self, record: &AuditRecord) -> Result<(), TuneError> {
        let Some(producer) = &self.producer else {
            return Err(TuneError::Audit("no audit producer".into()));
        };
        // Serialising plain data cannot fail.
        let body = serde_json::to_vec(record).unwrap_or_default();
        let r = FutureRecord::to(&self.audit_topic)
            .key(&record.id)
            .payload(&body);
        producer
            .send(r, Duration::from_secs(10))
            .await
            .map(|_| ())
            .map_err(|(e, _)| TuneError::Audit(e.to_string()))
    }

    /// Asks the assess role what `proposed` would do.
    pub async fn preview(&self, proposed: Thresholds) -> Result<Preview, TuneError> {
        let (reply, answer) = oneshot::channel();
        self.previews
            .send(PreviewAsk { proposed, reply })
            .await
            .map_err(|_| TuneError::Unavailable("this process runs no assess role".into()))?;
        match tokio::time::timeout(Duration::from_secs(20), answer).await {
            Ok(Ok(Some(p))) => Ok(p),
            Ok(Ok(None)) => Err(TuneError::Unavailable(
                "this process holds no chain yet".into(),
            )),
            _ => Err(TuneError::Unavailable(
                "the assess role did not answer (rebuilding?)".into(),
            )),
        }
    }

    /// Reloads on SIGHUP and when a watched file's contents change (checked
    /// every `poll`; none: only SIGHUP), until shutdown.
    pub async fn watch(self: Arc<Self>, poll: Option<Duration>, shutdown: Shutdown) {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = signal(SignalKind::hangup()).ok();
        let mut tick = tokio::time::interval(poll.unwrap_or(Duration::from_secs(3600)));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => {
                    tracing::info!("SIGHUP: reloading the settings");
                    let _ = self.reload("sighup").await;
                }
                _ = tick.tick(), if poll.is_some() => {
                    let now = digest_files(&self.layers);
                    let known = self.state.lock().await.files.clone();
                    if now != known {
                        tracing::info!("a settings file changed: reloading");
                        let _ = self.reload("file").await;
                    }
                }
            }
        }
    }
}

/// A digest of the watched files' contents (a missing file counts too).
fn digest_files(layers: &Layers) -> String {
    let mut h = Sha256::new();
    for f in [&layers.file, &layers.env_file].into_iter().flatten() {
        h.update(f.display().to_string().as_bytes());
        match std::fs::read(f) {
            Ok(bytes) => h.update(&bytes),
            Err(_) => h.update(b"\0missing"),
        }
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
