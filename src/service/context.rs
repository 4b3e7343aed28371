//! The consumer-group context: passes librdkafka's rebalance callbacks, which
//! run inside a poll, to the role's loop as messages, and its log and error
//! reports to tracing.

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use tokio::sync::mpsc;

use super::config::Role;
use super::lag::LagGauge;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebalanceEvent {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
}

pub struct GroupContext {
    role: Role,
    tx: mpsc::UnboundedSender<RebalanceEvent>,
    lag: Option<LagGauge>,
}

impl GroupContext {
    pub fn new(role: Role) -> (GroupContext, mpsc::UnboundedReceiver<RebalanceEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            GroupContext {
                role,
                tx,
                lag: None,
            },
            rx,
        )
    }

    /// Also reports consumer lag from librdkafka's statistics to `lag`.
    pub fn with_lag(self, lag: LagGauge) -> GroupContext {
        GroupContext {
            lag: Some(lag),
            ..self
        }
    }
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        let role = self.role.as_str();
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => tracing::error!(role, fac, "librdkafka: {message}"),
            RDKafkaLogLevel::Warning => tracing::warn!(role, fac, "librdkafka: {message}"),
            _ => tracing::debug!(role, fac, "librdkafka: {message}"),
        }
    }

    fn stats(&self, statistics: rdkafka::Statistics) {
        if let Some(lag) = &self.lag {
            lag.record(&statistics);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(role = self.role.as_str(), %error, "kafka: {reason}");
    }
}

impl ConsumerContext for GroupContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let list = |tpl: &rdkafka::TopicPartitionList| {
            tpl.elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition()))
                .collect::<Vec<_>>()
        };
        let event = match rebalance {
            Rebalance::Assign(tpl) => RebalanceEvent::Assigned(list(tpl)),
            Rebalance::Revoke(tpl) => RebalanceEvent::Revoked(list(tpl)),
            Rebalance::Error(e) => {
                tracing::warn!(role = self.role.as_str(), error = %e, "rebalance error");
                return;
            }
        };
        // The loop may be gone at shutdown; nothing to tell then.
        let _ = self.tx.send(event);
    }
}
