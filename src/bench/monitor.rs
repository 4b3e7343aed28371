//! The monitor end to end, per event: what the service does between reading
//! a record and publishing its alert changes, apart from Kafka and HTTP.
//! Each generated JSON event (see [`super::incidents`]) is decoded and
//! applied (`Monitor::apply`: normalise, propagate, judge the nodes it left
//! short and every open alert, change alerts), at its own time.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::incidents::incident_events;
use super::report::latency_heads;
use super::Latency;
use crate::config::CoreConfig;
use crate::event::decode;
use crate::map::ChainMap;
use crate::monitor::Monitor;

/// What the monitor did over a generated history.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MonitorStats {
    /// Per event: decoding and `Monitor::apply`.
    pub latency: Latency,
    pub alert_changes: usize,
    pub most_open_alerts: usize,
    /// Open alerts judged from kept traces, summed over events.
    pub judged_from_kept: usize,
    /// Events the monitor refused (none expected: the history is generated
    /// from the map); counted so that a refusal cannot pass for speed.
    pub rejected: usize,
}

/// Applies `events` generated events to a fresh monitor and times each.
pub fn run_monitor(
    map: Arc<ChainMap>,
    config: &CoreConfig,
    seed: u64,
    events: usize,
) -> MonitorStats {
    let history = incident_events(&map, seed, events);
    let mut monitor = Monitor::new(map, config.clone());
    let mut stats = MonitorStats::default();
    let mut samples: Vec<Duration> = Vec::with_capacity(history.len());
    for json in &history {
        let t = Instant::now();
        let applied = decode(json.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|e| monitor.apply(&e, e.ts()).map_err(|e| e.to_string()));
        samples.push(t.elapsed());
        match applied {
            Ok(done) => {
                stats.alert_changes += done.changes.len();
                stats.judged_from_kept += done.judged_from_kept;
            }
            Err(_) => stats.rejected += 1,
        }
        stats.most_open_alerts = stats.most_open_alerts.max(monitor.open_alerts());
    }
    stats.latency = Latency::of(&mut samples);
    stats
}

impl fmt::Display for MonitorStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "monitor end to end (decode, normalise, propagate, judge, alert), per event, ms:"
        )?;
        latency_heads(f, "")?;
        writeln!(f)?;
        self.latency.write_row(f, "events")?;
        writeln!(f)?;
        write!(
            f,
            "  {} alert change(s), {} open at most, {} open-alert judgements from kept traces, {} event(s) refused",
            self.alert_changes, self.most_open_alerts, self.judged_from_kept, self.rejected
        )
    }
}
