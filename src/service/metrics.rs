//! The service's Prometheus metrics: what came in and what became of it, dead
//! letters by reason, alert state changes, state rebuilds. Labels are bounded
//! (topics, roles, fixed reason and outcome sets), never ids.

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Records read by the ingest role, by topic and outcome (`routed`, `dead_lettered`).
    pub ingested: IntCounterVec,
    /// Dead letters written, by stage and reason.
    pub dead_letters: IntCounterVec,
    /// Events taken by the assess role, by outcome (`applied`, `duplicate`, `rejected`).
    pub assessed: IntCounterVec,
    /// Alert state changes published, by status.
    pub alert_changes: IntCounterVec,
    /// Alert state changes not published again because a worker before this
    /// one already had (restart after a crash).
    pub alert_changes_deduplicated: IntCounterVec,
    /// Partitions a role holds now.
    pub assigned_partitions: IntGaugeVec,
    /// Events replayed to rebuild state after an assignment.
    pub rebuilt_events: IntCounterVec,
    /// Seconds from an event's arrival to its alert changes being acknowledged.
    pub event_seconds: Histogram,
    /// 1 when the last reload of the live settings succeeded, else 0.
    pub config_reload_successful: IntGauge,
    /// Unix time of the last successful reload (or start).
    pub config_reload_timestamp: Gauge,
    /// 1, labelled with the hash of the settings in force.
    pub config_info: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let ingested = counter(
            "chainwatch_ingest_messages_total",
            "Input records read, by topic and outcome.",
            &["topic", "outcome"],
        );
        let dead_letters = counter(
            "chainwatch_dead_letters_total",
            "Records sent to the dead-letter topic, by stage and reason.",
            &["stage", "reason"],
        );
        let assessed = counter(
            "chainwatch_assess_events_total",
            "Events taken by the assess role, by outcome.",
            &["outcome"],
        );
        let alert_changes = counter(
            "chainwatch_alert_changes_total",
            "Alert state changes published to the alerts topic, by status.",
            &["status"],
        );
        let alert_changes_deduplicated = counter(
            "chainwatch_alert_changes_deduplicated_total",
            "Alert state changes already published before a restart, not sent again.",
            &["status"],
        );
        let rebuilt_events = counter(
            "chainwatch_rebuild_events_total",
            "Events replayed from the chain-events topic to rebuild state.",
            &["partition"],
        );
        let assigned_partitions = IntGaugeVec::new(
            Opts::new(
                "chainwatch_assigned_partitions",
                "Partitions held, by role.",
            ),
            &["role"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(assigned_partitions.clone()))
            .expect("unique metric");
        let event_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "chainwatch_event_processing_seconds",
                "Time from taking an event to its alert changes being acknowledged.",
            )
            .buckets(prometheus::exponential_buckets(0.0005, 2.0, 16).expect("valid buckets")),
        )
        .expect("valid metric");
        registry
            .register(Box::new(event_seconds.clone()))
            .expect("unique metric");
        let config_reload_successful = IntGauge::new(
            "chainwatch_config_last_reload_successful",
            "Whether the last reload of the live settings succeeded (1) or was refused (0).",
        )
        .expect("valid metric");
        registry
            .register(Box::new(config_reload_successful.clone()))
            .expect("unique metric");
        let config_reload_timestamp = Gauge::new(
            "chainwatch_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful reload of the live settings.",
        )
        .expect("valid metric");
        registry
            .register(Box::new(config_reload_timestamp.clone()))
            .expect("unique metric");
        let config_info = IntGaugeVec::new(
            Opts::new(
                "chainwatch_config_info",
                "The settings in force, by hash (always 1).",
            ),
            &["hash"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(config_info.clone()))
            .expect("unique metric");
        Metrics {
            config_reload_successful,
            config_reload_timestamp,
            config_info,
            registry,
            ingested,
            dead_letters,
            assessed,
            alert_changes,
            alert_changes_deduplicated,
            assigned_partitions,
            rebuilt_events,
            event_seconds,
        }
    }

    /// The text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
