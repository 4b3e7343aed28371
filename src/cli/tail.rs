//! `chainwatch tail`: print the records of a topic (the alerts topic by
//! default) from its beginning, as JSON lines or, for alerts, as text. It
//! reads outside any consumer group and commits nothing, so it never
//! disturbs the service. Without `--follow` it stops once the topic has
//! been quiet for `--quiet-ms` (Tansu's watermarks cannot say where the end
//! is).

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use chainwatch::service::config::ServiceConfig;

use super::service_args::{init_logging, KafkaArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Topic to read; default the configured alerts topic.
    #[arg(long)]
    topic: Option<String>,
    /// `text` (alerts, for people) or `json` (the records as they are).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Keep reading new records until interrupted.
    #[arg(long)]
    follow: bool,
    /// Stop after this many records.
    #[arg(long)]
    max: Option<usize>,
    /// Without --follow: stop when nothing new came for this long.
    #[arg(long, default_value_t = 3000)]
    quiet_ms: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = args.kafka.load(None, None, None, None)?;
    let topic = args.topic.clone().unwrap_or(config.topics.alerts.clone());
    print_topic(
        &config,
        &topic,
        args.format,
        args.follow,
        args.max,
        Duration::from_millis(args.quiet_ms),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the records of `topic` from its beginning; returns how many.
pub fn print_topic(
    config: &ServiceConfig,
    topic: &str,
    format: Format,
    follow: bool,
    max: Option<usize>,
    quiet: Duration,
) -> anyhow::Result<usize> {
    let reader: BaseConsumer = chainwatch::service::kafka::reader_config(&config.kafka)
        .create()
        .context("cannot create a Kafka consumer")?;
    let meta = reader
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .with_context(|| format!("cannot reach the Kafka brokers at {}", config.kafka.brokers))?;
    let partitions = meta
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    anyhow::ensure!(partitions > 0, "topic {topic:?} does not exist");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions as i32 {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    reader.assign(&tpl)?;

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut last = Instant::now();
    let mut seen = 0usize;
    while follow || last.elapsed() < quiet {
        if max.is_some_and(|m| seen >= m) {
            break;
        }
        let Some(m) = reader.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.with_context(|| format!("cannot read {topic}"))?;
        last = Instant::now();
        seen += 1;
        let payload = m.payload().unwrap_or_default();
        match format {
            Format::Json => {
                out.write_all(payload)?;
                out.write_all(b"\n")?;
            }
            Format::Text => match serde_json::from_slice(payload) {
                Ok(v) => writeln!(out, "{}", super::text::change(&v))?,
                Err(_) => writeln!(out, "{}", String::from_utf8_lossy(payload))?,
            },
        }
        out.flush()?;
    }
    Ok(seen)
}
