//! librdkafka clients as chainwatch needs them: consumers that store offsets
//! only by hand, idempotent producers that wait for every in-sync replica,
//! and topic creation that waits, with backoff, for a broker to appear.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;

use super::config::KafkaSettings;
use super::shutdown::Shutdown;

#[derive(Debug, thiserror::Error)]
pub enum KafkaSetupError {
    #[error("cannot create a Kafka client for {brokers}: {source}")]
    Client { brokers: String, source: KafkaError },
    #[error("cannot create topic {topic:?}: {reason}")]
    CreateTopic { topic: String, reason: String },
    #[error("shut down while waiting for the Kafka brokers at {brokers}")]
    Cancelled { brokers: String },
}

fn base(k: &KafkaSettings) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (key, value) in &k.properties {
        c.set(key, value);
    }
    c.set("bootstrap.servers", &k.brokers)
        .set("client.id", &k.client_id);
    c
}

/// A consumer in `group`: offsets are stored by the caller once an event's
/// effects are acknowledged, and committed from that store in the
/// background and at every rebalance and shutdown.
pub fn consumer_config(k: &KafkaSettings, group: &str) -> ClientConfig {
    let mut c = base(k);
    c.set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set(
            "session.timeout.ms",
            k.session_timeout.as_millis().to_string(),
        )
        .set(
            "heartbeat.interval.ms",
            k.heartbeat_interval.as_millis().to_string(),
        )
        .set(
            "max.poll.interval.ms",
            k.max_poll_interval.as_millis().to_string(),
        );
    c
}

/// A consumer outside any group, assigned partitions by hand: the reader
/// that rebuilds state from a partition's history.
pub fn reader_config(k: &KafkaSettings) -> ClientConfig {
    let mut c = base(k);
    // librdkafka wants a group id even for manual assignment; nothing is
    // ever committed under it.
    c.set("group.id", format!("{}-reader", k.group_prefix))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest");
    c
}

pub fn producer(k: &KafkaSettings) -> Result<FutureProducer, KafkaSetupError> {
    let mut c = base(k);
    c.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5");
    c.create().map_err(|source| KafkaSetupError::Client {
        brokers: k.brokers.clone(),
        source,
    })
}

/// Creates the topics that do not exist yet. While the brokers cannot be
/// reached it logs why and retries with exponential backoff (capped at
/// `max_backoff`), so a service started before its broker comes up by itself.
pub async fn ensure_topics(
    k: &KafkaSettings,
    topics: &[(&str, i32)],
    shutdown: &Shutdown,
) -> Result<(), KafkaSetupError> {
    let admin: AdminClient<DefaultClientContext> =
        base(k).create().map_err(|source| KafkaSetupError::Client {
            brokers: k.brokers.clone(),
            source,
        })?;
    let new: Vec<NewTopic> = topics
        .iter()
        .map(|(name, partitions)| {
            NewTopic::new(
                name,
                *partitions,
                TopicReplication::Fixed(k.replication_factor),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(4)))
        .request_timeout(Some(Duration::from_secs(5)));
    let mut wait = Duration::from_millis(250);
    loop {
        // A metadata request fails fast and says why; an admin request to
        // brokers that are down would only time out.
        let reachable = tokio::task::block_in_place(|| {
            admin.inner().fetch_metadata(None, Duration::from_secs(2))
        });
        let attempt = match reachable {
            Ok(_) => admin.create_topics(&new, &options).await,
            Err(e) => Err(e),
        };
        match attempt {
            Ok(results) => {
                for r in results {
                    match r {
                        Ok(_) => {}
                        Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((topic, code)) if retriable(code) => {
                            tracing::warn!(%topic, %code, "topic not created yet; retrying");
                            break;
                        }
                        Err((topic, code)) => {
                            return Err(KafkaSetupError::CreateTopic {
                                topic,
                                reason: code.to_string(),
                            })
                        }
                    }
                }
                if topics_exist(&admin, topics) {
                    return Ok(());
                }
            }
            Err(e) => {
                tracing::warn!(
                    brokers = %k.brokers,
                    error = %e,
                    retry_in_ms = wait.as_millis() as u64,
                    "cannot reach the Kafka brokers; retrying"
                );
            }
        }
        if shutdown.sleep(wait).await {
            return Err(KafkaSetupError::Cancelled {
                brokers: k.brokers.clone(),
            });
        }
        wait = (wait * 2).min(k.max_backoff);
    }
}

fn retriable(code: RDKafkaErrorCode) -> bool {
    !matches!(
        code,
        RDKafkaErrorCode::InvalidTopic
            | RDKafkaErrorCode::InvalidPartitions
            | RDKafkaErrorCode::InvalidReplicationFactor
            | RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::ClusterAuthorizationFailed
    )
}

fn topics_exist(admin: &AdminClient<DefaultClientContext>, topics: &[(&str, i32)]) -> bool {
    topics.iter().all(|(name, _)| {
        admin
            .inner()
            .fetch_metadata(Some(name), Duration::from_secs(5))
            .is_ok_and(|m| {
                m.topics()
                    .iter()
                    .any(|t| t.name() == *name && !t.partitions().is_empty())
            })
    })
}

/// Partitions of `topic` as the broker reports them.
pub fn partition_count(
    client: &rdkafka::client::Client<impl rdkafka::ClientContext>,
    topic: &str,
) -> Option<i32> {
    let m = client
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .ok()?;
    let t = m.topics().iter().find(|t| t.name() == topic)?;
    (!t.partitions().is_empty()).then(|| t.partitions().len() as i32)
}
