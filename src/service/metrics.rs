//! The service's Prometheus metrics: what came in and what became of it, dead
//! letters by reason, alert state changes, state rebuilds, consumer lag,
//! latencies, the wall of chains and key nodes (wall.rs), build and process
//! metrics. Labels are bounded (topics, roles, chains and key nodes of the
//! map, fixed reason and outcome sets), never ids of firms or events.
//! Names follow Prometheus practice: `chainwatch_` prefix, base units
//! (seconds, ratios 0..1), `_total` on counters.

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use super::lag::LagGauge;
use super::wall::WallMetrics;

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
    /// Deliveries by receiver (a configured receiver, or an Alertmanager's
    /// host:port), kind (`webhook`, `alertmanager`) and outcome.
    pub notifications: IntCounterVec,
    pub notification_retries: IntCounterVec,
    /// Escalations delivered to a B role, by chain.
    pub escalations: IntCounterVec,
    pub acknowledgements: IntCounterVec,
    /// Seconds `Monitor::apply` takes: normalise, propagate, assess, decide.
    pub propagation_seconds: Histogram,
    /// Seconds from the input record's Kafka timestamp to an alert state
    /// change it caused being acknowledged on the alerts topic.
    pub event_to_alert_seconds: Histogram,
    /// Wall-clock time the ingest role last took a record, by topic.
    pub last_ingested: GaugeVec,
    /// Consumer lag by topic (wrong against Tansu: see lag.rs).
    pub lag: LagGauge,
    /// Key nodes and chains, per owned partition.
    pub wall: WallMetrics,
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
            "Alert state changes published to the alerts topic, by chain and status.",
            &["chain", "status"],
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
        let notifications = counter(
            "chainwatch_notifications_total",
            "Notifications by receiver, kind (webhook, alertmanager) and outcome (delivered, failed, dead_lettered).",
            &["receiver", "kind", "outcome"],
        );
        let notification_retries = counter(
            "chainwatch_notification_retries_total",
            "Delivery attempts that failed and were retried, by receiver and kind.",
            &["receiver", "kind"],
        );
        let escalations = counter(
            "chainwatch_escalations_total",
            "Alerts escalated to a B role after A did not acknowledge, by chain.",
            &["chain"],
        );
        let acknowledgements = counter(
            "chainwatch_acknowledgements_total",
            "Alerts acknowledged through the API, by chain.",
            &["chain"],
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
        let histogram = |name: &str, help: &str, buckets: Vec<f64>| {
            let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
                .expect("valid metric");
            registry
                .register(Box::new(h.clone()))
                .expect("unique metric");
            h
        };
        let propagation_seconds = histogram(
            "chainwatch_propagation_duration_seconds",
            "Time to apply one event to a partition's monitor: normalise, propagate, assess.",
            prometheus::exponential_buckets(0.0001, 4.0, 10).expect("valid buckets"),
        );
        let event_to_alert_seconds = histogram(
            "chainwatch_event_to_alert_seconds",
            "Time from an input record's Kafka timestamp to its alert state change being acknowledged.",
            prometheus::exponential_buckets(0.005, 2.0, 16).expect("valid buckets"),
        );
        let last_ingested = GaugeVec::new(
            Opts::new(
                "chainwatch_ingest_last_record_timestamp_seconds",
                "Unix time the ingest role last took a record, by topic.",
            ),
            &["topic"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(last_ingested.clone()))
            .expect("unique metric");
        let lag = IntGaugeVec::new(
            Opts::new(
                "chainwatch_consumer_lag_records",
                "Records behind the high watermark in the partitions held, by topic (librdkafka statistics).",
            ),
            &["topic"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(lag.clone()))
            .expect("unique metric");
        let build_info = IntGauge::with_opts(
            Opts::new("chainwatch_build_info", "The running build; always 1.")
                .const_label("version", env!("CARGO_PKG_VERSION"))
                .const_label("revision", REVISION),
        )
        .expect("valid metric");
        build_info.set(1);
        registry
            .register(Box::new(build_info))
            .expect("unique metric");
        // process_* (CPU, memory, file descriptors, start time) of this process.
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("unique metric");
        let wall = WallMetrics::register(&registry);
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
            notifications,
            notification_retries,
            escalations,
            acknowledgements,
            propagation_seconds,
            event_to_alert_seconds,
            last_ingested,
            lag: LagGauge::new(lag),
            wall,
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

/// The source revision, when the build sets `CHAINWATCH_REVISION` (the
/// Dockerfile passes the git commit); not read from git here, so that a
/// commit does not rebuild the crate.
const REVISION: &str = match option_env!("CHAINWATCH_REVISION") {
    Some(r) => r,
    None => "unknown",
};

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
