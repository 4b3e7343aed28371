//! Settings of the streaming service (`chainwatch run`): where the broker is,
//! which topics, which roles run here, where the admin HTTP listens, and the
//! chain map and core settings to load. Read from TOML into a raw form that
//! rejects unknown keys, then checked into [`ServiceConfig`] with errors that
//! name the key; command-line overrides are applied before the check.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ServiceConfigError {
    #[error("cannot read service config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}: {source}")]
    Parse {
        origin: String,
        source: toml::de::Error,
    },
    #[error("{origin}: {key}: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

/// A role of the service; one process runs any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Decode, validate and route input events to the chain partitions.
    Ingest,
    /// Own chains: normalise, propagate, assess, publish alert state changes.
    Assess,
    /// Deliver alert state changes: Alertmanager, chiefs' webhooks, escalation.
    Notify,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Assess => "assess",
            Role::Notify => "notify",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawServiceConfig {
    pub service: RawService,
    pub kafka: RawKafka,
    pub topics: RawTopics,
    pub notify: super::notify::settings::RawNotify,
    /// Directory relative paths are read from (the config file's).
    #[serde(skip)]
    pub base: PathBuf,
    pub metrics: RawMetrics,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawMetrics {
    /// Most key nodes of one chain exported as series (the map's first ones).
    pub key_nodes_per_chain: Option<usize>,
    /// How often librdkafka reports statistics (consumer lag); 0 turns it off.
    pub statistics_interval_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawService {
    pub map: Option<PathBuf>,
    /// Core settings (thresholds, price spikes …), a `chainwatch.toml`.
    pub core_config: Option<PathBuf>,
    pub roles: Option<Vec<Role>>,
    pub admin_addr: Option<String>,
    pub shutdown_timeout_ms: Option<u64>,
    /// Larger input records are dead-lettered unread (default 900 000 bytes,
    /// under Kafka's default 1 MB record limit, so that every routed copy of
    /// an accepted event fits the broker).
    pub max_event_bytes: Option<usize>,
    /// Admin API tokens, one `name:secret` a line (the name is what the
    /// audit records as who); `CHAINWATCH_ADMIN_TOKEN` adds one.
    pub admin_tokens_file: Option<PathBuf>,
    /// How often the settings files are checked for changes (0: only on
    /// SIGHUP and `POST /-/reload`).
    pub reload_poll_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawKafka {
    pub brokers: Option<String>,
    pub client_id: Option<String>,
    /// Consumer groups are `<group_prefix>-ingest` and `<group_prefix>-assess`.
    pub group_prefix: Option<String>,
    pub create_topics: Option<bool>,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i32>,
    pub session_timeout_ms: Option<u64>,
    pub heartbeat_interval_ms: Option<u64>,
    pub max_poll_interval_ms: Option<u64>,
    /// Longest wait between retries while the broker cannot be reached.
    pub max_backoff_ms: Option<u64>,
    /// Passed to librdkafka as they are (security.protocol, sasl.* …).
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawTopics {
    pub prefix: Option<String>,
    pub sanctions: Option<String>,
    pub prices: Option<String>,
    pub supplier_events: Option<String>,
    pub chain_events: Option<String>,
    pub alerts: Option<String>,
    pub deadletter: Option<String>,
    pub audit: Option<String>,
}

/// Command-line overrides, applied over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub brokers: Option<String>,
    pub map: Option<PathBuf>,
    pub admin_addr: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub group_prefix: Option<String>,
    /// Replaces `notify.alertmanagers` when given.
    pub alertmanagers: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topics {
    pub sanctions: String,
    pub prices: String,
    pub supplier_events: String,
    /// Internal: validated events, one copy per chain partition.
    pub chain_events: String,
    pub alerts: String,
    pub deadletter: String,
    /// Notifications, escalations, acknowledgements and every applied
    /// change of the live settings, as JSON records.
    pub audit: String,
}

impl Topics {
    pub fn inputs(&self) -> [&str; 3] {
        [&self.sanctions, &self.prices, &self.supplier_events]
    }
}

#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub brokers: String,
    pub client_id: String,
    pub group_prefix: String,
    pub create_topics: bool,
    pub partitions: i32,
    pub replication_factor: i32,
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub max_poll_interval: Duration,
    pub max_backoff: Duration,
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub map: PathBuf,
    pub core_config: Option<PathBuf>,
    pub roles: Vec<Role>,
    pub admin_addr: SocketAddr,
    pub shutdown_timeout: Duration,
    pub max_event_bytes: usize,
    pub kafka: KafkaSettings,
    pub topics: Topics,
    pub notify: super::notify::settings::NotifySettings,
    pub metrics: MetricsSettings,
    pub admin_tokens_file: Option<PathBuf>,
    pub reload_poll: Option<Duration>,
}

/// What `/metrics` exports beyond the fixed pipeline series.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSettings {
    /// Series per key node are bounded by the map; this caps them further,
    /// since every key node costs six series on every worker's wall.
    pub key_nodes_per_chain: usize,
    pub statistics_interval: Duration,
}

pub const DEFAULT_KEY_NODES_PER_CHAIN: usize = 32;
/// Beyond this a wall is no longer readable and the series count grows
/// with a map nobody reviews for metrics cost.
pub const MAX_KEY_NODES_PER_CHAIN: usize = 1000;

pub const DEFAULT_MAP: &str = "config/maps/cset-ic.json";
pub const DEFAULT_ADMIN_ADDR: &str = "127.0.0.1:9464";

impl RawServiceConfig {
    pub fn load(path: &Path) -> Result<RawServiceConfig, ServiceConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ServiceConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut raw = RawServiceConfig::from_toml(&text, &path.display().to_string())?;
        // Paths in the file are relative to the file, as a reader expects.
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        raw.base = base.clone();
        for p in [
            &mut raw.service.map,
            &mut raw.service.core_config,
            &mut raw.service.admin_tokens_file,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(raw)
    }

    pub fn from_toml(text: &str, origin: &str) -> Result<RawServiceConfig, ServiceConfigError> {
        toml::from_str(text).map_err(|source| ServiceConfigError::Parse {
            origin: origin.to_string(),
            source,
        })
    }

    /// Applies `o` and checks every value.
    pub fn validate(self, o: Overrides, origin: &str) -> Result<ServiceConfig, ServiceConfigError> {
        let bad = |key: &str, message: String| ServiceConfigError::Invalid {
            origin: origin.to_string(),
            key: key.to_string(),
            message,
        };
        let s = self.service;
        let k = self.kafka;
        let t = self.topics;
        let m = self.metrics;

        let admin = o
            .admin_addr
            .or(s.admin_addr)
            .unwrap_or_else(|| DEFAULT_ADMIN_ADDR.to_string());
        let admin_addr: SocketAddr = admin.parse().map_err(|e| {
            bad(
                "service.admin_addr",
                format!("{admin:?} is not HOST:PORT with an IP address: {e}"),
            )
        })?;
        let mut roles =
            o.roles
                .or(s.roles)
                .unwrap_or(vec![Role::Ingest, Role::Assess, Role::Notify]);
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(bad("service.roles", "name at least one role".into()));
        }

        let brokers = o
            .brokers
            .or(k.brokers)
            .unwrap_or_else(|| "127.0.0.1:9092".to_string());
        for b in brokers.split(',') {
            let ok = b
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !ok {
                return Err(bad(
                    "kafka.brokers",
                    format!("{b:?} is not HOST:PORT (a list is comma-separated)"),
                ));
            }
        }
        let partitions = k.partitions.unwrap_or(6);
        if partitions < 1 {
            return Err(bad(
                "kafka.partitions",
                format!("must be at least 1, got {partitions}"),
            ));
        }
        let replication_factor = k.replication_factor.unwrap_or(1);
        if replication_factor < 1 {
            return Err(bad(
                "kafka.replication_factor",
                format!("must be at least 1, got {replication_factor}"),
            ));
        }
        let ms = |v: Option<u64>, default: u64| Duration::from_millis(v.unwrap_or(default));
        // librdkafka's own defaults; tests against Tansu set shorter ones so
        // that a group join takes seconds (KAFKA-NOTES).
        let session_timeout = ms(k.session_timeout_ms, 45_000);
        let heartbeat_interval = ms(k.heartbeat_interval_ms, 3_000);
        let max_poll_interval = ms(k.max_poll_interval_ms, 300_000);
        if heartbeat_interval >= session_timeout {
            return Err(bad(
                "kafka.heartbeat_interval_ms",
                "must be below kafka.session_timeout_ms".into(),
            ));
        }
        if max_poll_interval < session_timeout {
            return Err(bad(
                "kafka.max_poll_interval_ms",
                "must be at least kafka.session_timeout_ms".into(),
            ));
        }
        for key in k.properties.keys() {
            if MANAGED.contains(&key.as_str()) {
                return Err(bad(
                    &format!("kafka.properties.{key:?}"),
                    "is set by chainwatch itself (its delivery guarantees depend on it)".into(),
                ));
            }
        }

        let prefix = t.prefix.unwrap_or_else(|| "chainwatch.".to_string());
        let name =
            |v: Option<String>, default: &str| format!("{prefix}{}", v.unwrap_or(default.into()));
        let topics = Topics {
            sanctions: name(t.sanctions, "sanctions"),
            prices: name(t.prices, "prices"),
            supplier_events: name(t.supplier_events, "supplier-events"),
            chain_events: name(t.chain_events, "chain-events"),
            alerts: name(t.alerts, "alerts"),
            deadletter: name(t.deadletter, "deadletter"),
            audit: name(t.audit, "audit"),
        };
        for (key, topic) in [
            ("topics.sanctions", &topics.sanctions),
            ("topics.prices", &topics.prices),
            ("topics.supplier_events", &topics.supplier_events),
            ("topics.chain_events", &topics.chain_events),
            ("topics.alerts", &topics.alerts),
            ("topics.deadletter", &topics.deadletter),
            ("topics.audit", &topics.audit),
        ] {
            let legal = !topic.is_empty()
                && topic.len() <= 249
                && topic
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !legal {
                return Err(bad(
                    key,
                    format!("{topic:?} is not a legal Kafka topic name (letters, digits, '.', '_', '-')"),
                ));
            }
        }

        let max_event_bytes = s.max_event_bytes.unwrap_or(900_000);
        if !(1024..=crate::event::MAX_EVENT_BYTES).contains(&max_event_bytes) {
            return Err(bad(
                "service.max_event_bytes",
                format!(
                    "must be from 1024 to {}, got {max_event_bytes}",
                    crate::event::MAX_EVENT_BYTES
                ),
            ));
        }
        let mut raw_notify = self.notify;
        if let Some(ams) = o.alertmanagers {
            raw_notify.alertmanagers = ams;
        }
        let notify = raw_notify.check(admin_addr, &self.base, bad)?;
        let key_nodes_per_chain = m.key_nodes_per_chain.unwrap_or(DEFAULT_KEY_NODES_PER_CHAIN);
        if key_nodes_per_chain > MAX_KEY_NODES_PER_CHAIN {
            return Err(bad(
                "metrics.key_nodes_per_chain",
                format!("must be at most {MAX_KEY_NODES_PER_CHAIN}, got {key_nodes_per_chain}"),
            ));
        }
        let statistics_interval = ms(m.statistics_interval_ms, 5_000);
        if !statistics_interval.is_zero() && statistics_interval < Duration::from_millis(100) {
            return Err(bad(
                "metrics.statistics_interval_ms",
                "must be 0 (off) or at least 100".into(),
            ));
        }
        let reload_poll = match s.reload_poll_ms.unwrap_or(2_000) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        };
        Ok(ServiceConfig {
            notify,
            metrics: MetricsSettings {
                key_nodes_per_chain,
                statistics_interval,
            },
            admin_tokens_file: s.admin_tokens_file,
            reload_poll,
            max_event_bytes,
            map: o
                .map
                .or(s.map)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_MAP)),
            core_config: s.core_config,
            roles,
            admin_addr,
            shutdown_timeout: ms(s.shutdown_timeout_ms, 10_000),
            kafka: KafkaSettings {
                brokers,
                client_id: k.client_id.unwrap_or_else(|| "chainwatch".into()),
                group_prefix: o
                    .group_prefix
                    .or(k.group_prefix)
                    .unwrap_or_else(|| "chainwatch".into()),
                create_topics: k.create_topics.unwrap_or(true),
                partitions,
                replication_factor,
                session_timeout,
                heartbeat_interval,
                max_poll_interval,
                max_backoff: ms(k.max_backoff_ms, 30_000),
                properties: k.properties,
            },
            topics,
        })
    }
}

/// librdkafka settings chainwatch sets itself: offsets are stored by hand
/// only after an event's effects are acknowledged, and producers must be
/// idempotent and wait for all in-sync replicas.
const MANAGED: &[&str] = &[
    "enable.auto.offset.store",
    "enable.auto.commit",
    "enable.idempotence",
    "acks",
    "group.id",
    "bootstrap.servers",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<ServiceConfig, ServiceConfigError> {
        RawServiceConfig::from_toml(text, "t.toml")?.validate(Overrides::default(), "t.toml")
    }

    #[test]
    fn defaults_name_the_documented_topics() {
        let c = check("").unwrap();
        assert_eq!(c.topics.sanctions, "chainwatch.sanctions");
        assert_eq!(c.topics.supplier_events, "chainwatch.supplier-events");
        assert_eq!(c.topics.deadletter, "chainwatch.deadletter");
        assert_eq!(c.roles, vec![Role::Ingest, Role::Assess, Role::Notify]);
        assert_eq!(c.metrics.key_nodes_per_chain, DEFAULT_KEY_NODES_PER_CHAIN);
        assert_eq!(c.metrics.statistics_interval, Duration::from_secs(5));
    }

    #[test]
    fn metrics_settings_are_checked() {
        let e = check("[metrics]\nkey_nodes_per_chain = 5000\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("metrics.key_nodes_per_chain"), "{e}");
        let e = check("[metrics]\nstatistics_interval_ms = 5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("metrics.statistics_interval_ms"), "{e}");
        let c = check("[metrics]\nkey_nodes_per_chain = 0\nstatistics_interval_ms = 0\n").unwrap();
        assert_eq!(c.metrics.key_nodes_per_chain, 0);
        assert!(c.metrics.statistics_interval.is_zero());
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let e = check("[kafka]\nbrokerz = \"x:1\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("brokerz"), "{e}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = check("[kafka]\nbrokers = \"localhost\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("kafka.brokers"), "{e}");
        let e = check("[topics]\nprefix = \"a b\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("topics.sanctions"), "{e}");
        let e = check("[kafka.properties]\n\"enable.auto.commit\" = \"true\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("enable.auto.commit"), "{e}");
    }

    #[test]
    fn receivers_on_internal_addresses_need_an_explicit_allowance() {
        let text = "[notify.receivers.bj-a]\nurl = \"http://127.0.0.1:8080/hook\"\nsecrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]\n";
        let e = check(text).unwrap_err().to_string();
        assert!(
            e.contains("notify.receivers.bj-a.url") && e.contains("allow_internal_urls"),
            "{e}"
        );
        let allowed = format!("[notify]\nallow_internal_urls = true\n{text}");
        assert_eq!(
            check(&allowed).unwrap().notify.receivers["bj-a"]
                .secrets
                .len(),
            1
        );
        let e = check("[notify.receivers.x]\nurl = \"https://hooks.example.com/x\"\nsecrets = [\"whsec_c2hvcnQ=\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("notify.receivers.x.secrets[0]") && e.contains("at least 24 bytes"),
            "{e}"
        );
        assert!(!e.contains("c2hvcnQ"), "a secret is never echoed: {e}");
    }

    #[test]
    fn overrides_win_over_the_file() {
        let raw = RawServiceConfig::from_toml("[kafka]\nbrokers = \"a:1\"\n", "t").unwrap();
        let c = raw
            .validate(
                Overrides {
                    brokers: Some("b:2,c:3".into()),
                    admin_addr: Some("127.0.0.1:0".into()),
                    alertmanagers: Some(vec!["http://am.example:9093".into()]),
                    ..Overrides::default()
                },
                "t",
            )
            .unwrap();
        assert_eq!(c.kafka.brokers, "b:2,c:3");
        assert_eq!(c.admin_addr.port(), 0);
        assert_eq!(
            c.notify.alertmanagers[0].as_str(),
            "http://am.example:9093/"
        );
    }
}
