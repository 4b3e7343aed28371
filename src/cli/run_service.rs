//! `chainwatch run`: the streaming service, until SIGTERM or SIGINT.

use std::process::ExitCode;

use anyhow::Context;
use chainwatch::service::config::Role;
use chainwatch::service::{self, shutdown};

use chainwatch::service::auth::{Tokens, TOKEN_VAR};

use super::input::{layers, load_map};
use super::service_args::{init_logging, KafkaArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Address of /metrics, /livez, /readyz: replaces `service.admin_addr`.
    #[arg(long)]
    admin_addr: Option<String>,
    /// Roles to run here (comma-separated); default all.
    #[arg(long, value_delimiter = ',')]
    roles: Option<Vec<Role>>,
    /// Consumer groups are PREFIX-ingest and PREFIX-assess: replaces `kafka.group_prefix`.
    #[arg(long)]
    group_prefix: Option<String>,
    /// Alertmanager base URL (repeatable): replaces `notify.alertmanagers`.
    #[arg(long = "alertmanager")]
    alertmanagers: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = args.kafka.load(
        args.admin_addr,
        args.roles,
        args.group_prefix,
        (!args.alertmanagers.is_empty()).then_some(args.alertmanagers),
    )?;
    let map = load_map(&config.map)?;
    let layers = layers(config.core_config.as_deref());
    let core = layers.load()?;
    let tokens = Tokens::load(
        config.admin_tokens_file.as_deref(),
        std::env::var(TOKEN_VAR).ok(),
    )?;
    if tokens.is_empty() {
        tracing::warn!("no admin token configured: the thresholds API is disabled");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let admin = tokio::net::TcpListener::bind(config.admin_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.admin_addr))?;
        tracing::info!(
            admin = %admin.local_addr()?,
            brokers = %config.kafka.brokers,
            roles = ?config.roles,
            map = %config.map.display(),
            "chainwatch starting"
        );
        let (trigger, stop) = shutdown::channel();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested; draining");
            trigger.fire();
        });
        let live = service::Live { layers, tokens };
        service::run(config, core, map, admin, stop, live).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
