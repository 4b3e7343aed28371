//! The streaming service (`chainwatch run`): a thin shell of Kafka clients
//! and an admin HTTP listener around the pure core. Roles (ingest, assess)
//! run as tasks of one process or in separate processes; Kafka's consumer
//! groups share the work out. See docs/streaming.md.

pub mod api;
pub mod assess;
pub mod auth;
pub mod config;
pub mod context;
pub mod deadletter;
pub mod headers;
pub mod health;
pub mod http;
pub mod ingest;
pub mod kafka;
pub mod lag;
pub mod metrics;
pub mod notify;
pub mod rebuild;
pub mod route;
pub mod shutdown;
pub mod tuning;
pub mod wall;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use tokio::net::TcpListener;

use crate::config::CoreConfig;
use crate::map::ChainMap;
use config::{Role, ServiceConfig};
use health::Health;
use metrics::Metrics;
use shutdown::Shutdown;

/// What every role shares.
pub struct Ctx {
    pub config: ServiceConfig,
    pub core: CoreConfig,
    pub map: Arc<ChainMap>,
    pub metrics: Metrics,
    pub health: Health,
    pub shutdown: Shutdown,
    /// Live settings: what monitors are built with, and their changes.
    pub tuning: Arc<tuning::Tuning>,
}

/// What makes settings live: where they are read from, and who may change
/// them through the admin API.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub layers: crate::config::layers::Layers,
    pub tokens: auth::Tokens,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Setup(#[from] kafka::KafkaSetupError),
    #[error("cannot {0}: {1}")]
    Kafka(&'static str, KafkaError),
    #[error("reading {topic} partition {partition} stalled before offset {upto}")]
    Stalled {
        topic: String,
        partition: i32,
        upto: i64,
    },
    #[error("invalid setting: {0}")]
    Config(String),
    #[error("admin HTTP listener failed: {0}")]
    Http(std::io::Error),
    #[error("a role task failed: {0}")]
    Task(String),
    #[error("shutting down")]
    ShuttingDown,
}

impl ServiceError {
    fn kafka(what: &'static str) -> impl Fn(KafkaError) -> ServiceError {
        move |e| ServiceError::Kafka(what, e)
    }
}

/// A record could not be delivered before shutdown; its offset must not be
/// stored.
#[derive(Debug)]
pub struct ProduceFailed;

/// Sends what `send` makes until the broker acknowledges it, retrying with
/// backoff (librdkafka has already retried inside each attempt), unless
/// the service is shutting down.
pub async fn deliver<F, Fut>(shutdown: &Shutdown, mut send: F) -> Result<(), ProduceFailed>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = OwnedDeliveryResult>,
{
    let mut wait = Duration::from_millis(100);
    loop {
        match send().await {
            Ok(_) => return Ok(()),
            Err((e, _)) => {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "delivery failed; retrying");
                if shutdown.sleep(wait).await {
                    return Err(ProduceFailed);
                }
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Runs the configured roles until `shutdown` is set, then drains them
/// within `config.shutdown_timeout`. `admin` is the bound admin listener.
pub async fn run(
    config: ServiceConfig,
    core: CoreConfig,
    map: Arc<ChainMap>,
    admin: TcpListener,
    outer: Shutdown,
    live: Live,
) -> Result<(), ServiceError> {
    // Roles stop on the caller's signal, or when one of them fails.
    let (stop, shutdown) = shutdown::channel();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            outer.wait().await;
            stop.fire();
        });
    }
    let metrics = Metrics::new();
    let health = Health::new(&config.roles);
    let notify_handle = Arc::new(std::sync::OnceLock::new());
    // Audit records need a producer; without one no change could be audited,
    // so none would be applied.
    let audit = kafka::producer(&config.kafka).ok();
    let tuning = tuning::Tuning::new(
        live.layers,
        core.clone(),
        audit,
        config.topics.audit.clone(),
        metrics.clone(),
    );
    tokio::spawn(Arc::clone(&tuning).watch(config.reload_poll, shutdown.clone()));
    let http = tokio::spawn(http::serve(
        admin,
        http::AdminState {
            health: health.clone(),
            metrics: metrics.clone(),
            notify: Arc::clone(&notify_handle),
            tuning: Some(Arc::clone(&tuning)),
            tokens: live.tokens,
        },
        shutdown.clone(),
    ));

    let k = &config.kafka;
    let t = &config.topics;
    if k.create_topics {
        let mut wanted: Vec<(&str, i32)> = t.inputs().iter().map(|n| (*n, k.partitions)).collect();
        wanted.push((&t.chain_events, k.partitions));
        wanted.push((&t.alerts, k.partitions));
        wanted.push((&t.deadletter, 1));
        // One partition: the audit trail is read in the order it was written.
        wanted.push((&t.audit, 1));
        match kafka::ensure_topics(k, &wanted, &shutdown).await {
            Ok(()) => {}
            // Asked to stop before any broker appeared: nothing to drain.
            Err(kafka::KafkaSetupError::Cancelled { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(brokers = %k.brokers, "topics ready");
    }

    let timeout = config.shutdown_timeout;
    let ctx = Arc::new(Ctx {
        config,
        core,
        map,
        metrics,
        health,
        shutdown: shutdown.clone(),
        tuning,
    });
    // The notify role's helpers start before any role loop, so that the
    // admin API can take acknowledgements as soon as the desk is rebuilt.
    let mut notify_started = None;
    if ctx.config.roles.contains(&Role::Notify) {
        let (handle, started) = notify::start(&ctx, notify::clock::Clock::system())?;
        let _ = notify_handle.set(handle);
        notify_started = Some(started);
    }
    let mut tasks = Vec::new();
    for role in ctx.config.roles.clone() {
        let started = if role == Role::Notify {
            notify_started.take()
        } else {
            None
        };
        let c = Arc::clone(&ctx);
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let r = match role {
                Role::Ingest => ingest::run(c).await,
                Role::Assess => assess::run(c).await,
                Role::Notify => match started {
                    Some(s) => notify::run(c, s).await,
                    None => Ok(()),
                },
            };
            if let Err(e) = &r {
                tracing::error!(role = role.as_str(), error = %e, "role failed; stopping");
                stop.fire();
            }
            r
        }));
    }

    let mut result = Ok(());
    let all = futures_join(tasks);
    tokio::pin!(all);
    let outcomes = tokio::select! {
        r = &mut all => r,
        _ = shutdown.wait() => match tokio::time::timeout(timeout, &mut all).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(timeout_ms = timeout.as_millis() as u64, "roles did not drain in time");
                Vec::new()
            }
        },
    };
    for o in outcomes {
        match o {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(ServiceError::Task(e.to_string())),
        }
    }
    if result.is_err() {
        // A failed role stops the process: a supervisor restarts it whole.
        shutdown_http(http).await;
        return result;
    }
    match tokio::time::timeout(Duration::from_secs(2), http).await {
        Ok(Ok(Err(e))) => Err(ServiceError::Http(e)),
        _ => Ok(()),
    }
}

async fn shutdown_http(http: tokio::task::JoinHandle<std::io::Result<()>>) {
    http.abort();
    let _ = http.await;
}

async fn futures_join<T>(
    tasks: Vec<tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await);
    }
    out
}
