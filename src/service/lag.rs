//! Consumer lag by topic, from librdkafka's statistics: for each partition
//! this consumer holds, the high watermark minus the offset stored (what
//! chainwatch finished with), else minus the committed offset; summed per
//! topic. librdkafka reports them every `metrics.statistics_interval_ms`.
//!
//! Against Tansu the figure is wrong: its high watermarks are the base offset
//! of the last batch plus one (KAFKA-NOTES), so the lag reads low, even
//! negative (shown as 0). Against Apache Kafka and librdkafka's mock cluster
//! it is exact (tests/lag.rs checks it on the mock cluster).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use prometheus::IntGaugeVec;
use rdkafka::config::ClientConfig;
use rdkafka::statistics::Statistics;

use super::config::MetricsSettings;

/// Asks librdkafka for statistics, unless the settings turn them off.
pub fn enable(config: &mut ClientConfig, settings: &MetricsSettings) {
    if !settings.statistics_interval.is_zero() {
        config.set(
            "statistics.interval.ms",
            settings.statistics_interval.as_millis().to_string(),
        );
    }
}

/// Records held behind the consumer's position, summed per topic. Only
/// partitions assigned to this consumer (`desired`) with a known lag count;
/// a topic with none of those is left out.
pub fn lag_by_topic(stats: &Statistics) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for (name, topic) in &stats.topics {
        let known: Vec<i64> = topic
            .partitions
            .values()
            // -1 is librdkafka's internal "unassigned" partition.
            .filter(|p| p.partition >= 0 && p.desired)
            .filter_map(|p| {
                [p.consumer_lag_stored, p.consumer_lag]
                    .into_iter()
                    .find(|l| *l >= 0)
            })
            .collect();
        if !known.is_empty() {
            out.insert(name.clone(), known.iter().sum());
        }
    }
    out
}

/// Sets the lag gauge of the topics one consumer reads, and removes the
/// series of topics it no longer holds a partition of.
#[derive(Clone)]
pub struct LagGauge {
    gauge: IntGaugeVec,
    topics: Arc<Mutex<BTreeSet<String>>>,
}

impl LagGauge {
    pub fn new(gauge: IntGaugeVec) -> LagGauge {
        LagGauge {
            gauge,
            topics: Arc::default(),
        }
    }

    pub fn record(&self, stats: &Statistics) {
        let now = lag_by_topic(stats);
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        for (topic, lag) in &now {
            self.gauge.with_label_values(&[topic]).set((*lag).max(0));
        }
        for gone in topics.iter().filter(|t| !now.contains_key(*t)) {
            let _ = self.gauge.remove_label_values(&[gone]);
        }
        *topics = now.into_keys().collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::statistics::{Partition, Topic};

    fn partition(id: i32, desired: bool, stored: i64, committed: i64) -> (i32, Partition) {
        (
            id,
            Partition {
                partition: id,
                desired,
                consumer_lag_stored: stored,
                consumer_lag: committed,
                ..Partition::default()
            },
        )
    }

    #[test]
    fn lag_sums_held_partitions_and_prefers_the_stored_offset() {
        let mut stats = Statistics::default();
        stats.topics.insert(
            "a".into(),
            Topic {
                partitions: [
                    partition(0, true, 3, 10),
                    partition(1, true, -1, 4),
                    partition(2, false, 50, 50),
                    partition(-1, true, 9, 9),
                ]
                .into_iter()
                .collect(),
                ..Topic::default()
            },
        );
        stats.topics.insert(
            "b".into(),
            Topic {
                partitions: [partition(0, true, -1, -1)].into_iter().collect(),
                ..Topic::default()
            },
        );
        assert_eq!(lag_by_topic(&stats), BTreeMap::from([("a".into(), 7)]));
    }
}
