//! Settings of the notify role (`[notify]` in the service config):
//! Alertmanagers to push to, the receivers that rosters name (URL and
//! signing secrets), acknowledgement and retry timing. The acknowledgement
//! API takes the admin tokens (`service.admin_tokens_file`). Raw form rejects unknown keys; checking resolves
//! secrets from files or the environment and names the key at fault.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::notify::retry::RetryPolicy;
use crate::notify::sign::Secret;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawNotify {
    /// Base URL of this service as receivers should reach it (generator URLs).
    pub external_url: Option<String>,
    /// Alertmanager base URLs (…:9093); alerts are POSTed to /api/v2/alerts.
    pub alertmanagers: Vec<String>,
    pub resend_interval_ms: Option<u64>,
    pub ack_timeout_ms: Option<u64>,
    pub critical_to_both: Option<bool>,
    pub request_timeout_ms: Option<u64>,
    pub retry_initial_ms: Option<u64>,
    pub retry_max_ms: Option<u64>,
    pub retry_attempts: Option<u32>,
    /// Allow receivers on loopback and private ranges (tests, closed networks).
    pub allow_internal_urls: Option<bool>,
    pub receivers: BTreeMap<String, RawReceiver>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawReceiver {
    pub url: Option<String>,
    /// `whsec_…` secrets, newest first; prefer `secrets_file` or `secrets_env`.
    pub secrets: Vec<String>,
    /// A file with one `whsec_…` secret per line.
    pub secrets_file: Option<PathBuf>,
    /// An environment variable with space-separated `whsec_…` secrets.
    pub secrets_env: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Receiver {
    pub name: String,
    pub url: reqwest::Url,
    pub secrets: Vec<Secret>,
}

#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub external_url: String,
    pub alertmanagers: Vec<reqwest::Url>,
    pub resend_interval: Duration,
    pub ack_timeout: Duration,
    pub critical_to_both: bool,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub allow_internal_urls: bool,
    pub receivers: BTreeMap<String, Receiver>,
}

impl RawNotify {
    /// `bad(key, message)` builds the caller's error type; `base` resolves
    /// relative paths; `admin` is the admin address, the default external URL.
    pub fn check<E>(
        self,
        admin: std::net::SocketAddr,
        base: &std::path::Path,
        bad: impl Fn(&str, String) -> E,
    ) -> Result<NotifySettings, E> {
        let ms = |v: Option<u64>, d: u64| Duration::from_millis(v.unwrap_or(d));
        let url = |key: &str, text: &str| -> Result<reqwest::Url, E> {
            let u = reqwest::Url::parse(text)
                .map_err(|e| bad(key, format!("{text:?} is not a URL: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                return Err(bad(
                    key,
                    format!("{text:?} must be an http(s) URL with a host"),
                ));
            }
            Ok(u)
        };
        let allow_internal_urls = self.allow_internal_urls.unwrap_or(false);
        let mut alertmanagers = Vec::new();
        for (k, am) in self.alertmanagers.iter().enumerate() {
            alertmanagers.push(url(&format!("notify.alertmanagers[{k}]"), am)?);
        }
        let mut receivers = BTreeMap::new();
        for (name, r) in self.receivers {
            let key = |f: &str| format!("notify.receivers.{name}.{f}");
            let text = r
                .url
                .ok_or_else(|| bad(&key("url"), "is required".into()))?;
            let u = url(&key("url"), &text)?;
            if !allow_internal_urls && names_internal_host(&u) {
                return Err(bad(
                    &key("url"),
                    format!("{text:?} points at a loopback or private address; set notify.allow_internal_urls = true to allow it"),
                ));
            }
            let mut texts: Vec<String> = r.secrets.clone();
            if let Some(f) = &r.secrets_file {
                let path = if f.is_relative() {
                    base.join(f)
                } else {
                    f.clone()
                };
                let body = std::fs::read_to_string(&path).map_err(|e| {
                    bad(
                        &key("secrets_file"),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                texts.extend(
                    body.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from),
                );
            }
            if let Some(var) = &r.secrets_env {
                let v = std::env::var(var).map_err(|_| {
                    bad(
                        &key("secrets_env"),
                        format!("environment variable {var} is not set"),
                    )
                })?;
                texts.extend(v.split_whitespace().map(String::from));
            }
            if texts.is_empty() {
                return Err(bad(
                    &key("secrets"),
                    "give at least one whsec_… secret (secrets, secrets_file or secrets_env)"
                        .into(),
                ));
            }
            let mut secrets = Vec::new();
            for (k, t) in texts.iter().enumerate() {
                // The secret itself is never echoed.
                secrets.push(
                    Secret::parse(t)
                        .map_err(|e| bad(&key(&format!("secrets[{k}]")), e.to_string()))?,
                );
            }
            receivers.insert(
                name.clone(),
                Receiver {
                    name,
                    url: u,
                    secrets,
                },
            );
        }
        let retry = RetryPolicy {
            initial: ms(self.retry_initial_ms, 1_000),
            max: ms(self.retry_max_ms, 300_000),
            attempts: self.retry_attempts.unwrap_or(10),
        };
        if retry.attempts == 0 {
            return Err(bad("notify.retry_attempts", "must be at least 1".into()));
        }
        Ok(NotifySettings {
            external_url: self
                .external_url
                .unwrap_or_else(|| format!("http://{admin}")),
            alertmanagers,
            resend_interval: ms(self.resend_interval_ms, 60_000),
            ack_timeout: ms(self.ack_timeout_ms, 15 * 60_000),
            critical_to_both: self.critical_to_both.unwrap_or(true),
            request_timeout: ms(self.request_timeout_ms, 10_000),
            retry,
            allow_internal_urls,
            receivers,
        })
    }
}

/// A URL whose host is an internal IP literal or `localhost`. Names that
/// resolve to internal addresses are caught again at send time.
pub fn names_internal_host(u: &reqwest::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => crate::notify::address::is_internal(ip.into()),
        Some(url::Host::Ipv6(ip)) => crate::notify::address::is_internal(ip.into()),
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => true,
    }
}
