//! Arguments every Kafka-facing command shares, and loading the service
//! config with them applied as overrides.

use std::path::PathBuf;

use anyhow::Context;
use chainwatch::service::config::{Overrides, RawServiceConfig, Role, ServiceConfig};

#[derive(Debug, clap::Args)]
pub struct KafkaArgs {
    /// Service settings (TOML); built-in defaults when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Bootstrap servers, HOST:PORT[,…]: replaces `kafka.brokers`.
    #[arg(long)]
    pub brokers: Option<String>,
    /// Chain map JSON: replaces `service.map`.
    #[arg(long)]
    pub map: Option<PathBuf>,
}

impl KafkaArgs {
    pub fn load(
        &self,
        admin_addr: Option<String>,
        roles: Option<Vec<Role>>,
        group_prefix: Option<String>,
        alertmanagers: Option<Vec<String>>,
    ) -> anyhow::Result<ServiceConfig> {
        let (raw, origin) = match &self.config {
            Some(p) => (RawServiceConfig::load(p)?, p.display().to_string()),
            None => (RawServiceConfig::default(), "built-in defaults".to_string()),
        };
        let overrides = Overrides {
            brokers: self.brokers.clone(),
            map: self.map.clone(),
            admin_addr,
            roles,
            group_prefix,
            alertmanagers,
        };
        raw.validate(overrides, &origin)
            .with_context(|| "invalid service settings".to_string())
    }
}

/// Logs to stderr; `RUST_LOG` chooses what (default: info, librdkafka's chatter at warn).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rdkafka=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
