//! `chainwatch produce`: send events from an NDJSON file (or stdin) to Kafka,
//! for operators feeding and testing by hand. Each line is validated as the
//! ingest role would (decoding, ids against the map) and sent to the topic
//! for its type, keyed so that one entity's events stay in order;
//! `--no-validate` sends lines as they are, to exercise dead letters.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chainwatch::event::{decode, Event};
use chainwatch::normalise::check_ids;
use chainwatch::service::config::ServiceConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::input::load_map;
use super::service_args::{init_logging, KafkaArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Topic to send every line to; by default each event goes to its type's topic.
    #[arg(long)]
    topic: Option<String>,
    /// Send lines unchecked (still one record per non-blank line).
    #[arg(long)]
    no_validate: bool,
    /// NDJSON file; `-` or nothing reads stdin.
    file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = args.kafka.load(None, None, None, None)?;
    let map = if args.no_validate {
        None
    } else {
        Some(load_map(&config.map)?)
    };
    let (origin, reader): (String, Box<dyn Read>) = match &args.file {
        Some(p) if p.as_os_str() != "-" => (
            p.display().to_string(),
            Box::new(
                std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
            ),
        ),
        _ => ("stdin".to_string(), Box::new(std::io::stdin())),
    };

    let mut records: Vec<(String, Option<String>, Vec<u8>)> = Vec::new();
    let mut refused = 0usize;
    for (k, line) in BufReader::new(reader).split(b'\n').enumerate() {
        let bytes = line.with_context(|| format!("cannot read {origin}"))?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let number = k + 1;
        if let Some(map) = &map {
            let checked = decode(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|e| check_ids(map, &e).map(|_| e).map_err(|e| e.to_string()));
            match checked {
                Ok(event) => {
                    let topic = args
                        .topic
                        .clone()
                        .unwrap_or_else(|| topic_for(&config, &event).to_string());
                    records.push((topic, Some(key_of(&event)), bytes));
                }
                Err(why) => {
                    refused += 1;
                    eprintln!("{origin} line {number}: not sent: {why}");
                }
            }
        } else {
            let topic = args.topic.clone().with_context(|| {
                "--no-validate needs --topic: an unchecked line has no trusted type"
            })?;
            records.push((topic, None, bytes));
        }
    }

    let producer: FutureProducer = chainwatch::service::kafka::producer(&config.kafka)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let sent = runtime.block_on(async {
        let mut sent = 0usize;
        for (topic, key, payload) in &records {
            let mut r = FutureRecord::to(topic).payload(payload);
            if let Some(k) = key {
                r = r.key(k);
            }
            producer
                .send(r, Duration::from_secs(60))
                .await
                .map_err(|(e, _)| e)
                .with_context(|| {
                    format!("cannot deliver to {topic} at {}", config.kafka.brokers)
                })?;
            sent += 1;
        }
        anyhow::Ok(sent)
    })?;
    eprintln!("produced {sent} record(s) from {origin}; {refused} refused");
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn topic_for<'a>(config: &'a ServiceConfig, event: &Event) -> &'a str {
    match event {
        Event::Sanction(_) => &config.topics.sanctions,
        Event::Price(_) => &config.topics.prices,
        Event::SupplierEvent(_) => &config.topics.supplier_events,
    }
}

/// Keeps one entity's events in one partition, hence in order: a measure's
/// add, amend and remove; an item's prices; an incident and its recovery.
pub fn key_of(event: &Event) -> String {
    match event {
        Event::Sanction(s) => s.measure.clone(),
        Event::Price(p) => p.item.clone(),
        Event::SupplierEvent(e) => e.incident.clone(),
    }
}
