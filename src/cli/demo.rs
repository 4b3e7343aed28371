//! `chainwatch demo`: the whole service with nothing installed. It starts
//! librdkafka's in-process mock cluster, runs every role against it (the
//! same code as `chainwatch run`), feeds it a scenario, and prints the alert
//! state changes read back off the alerts topic. The real-broker path is
//! `scripts/demo` and the Kafka tests; this is the quick look.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use chainwatch::event::decode;
use chainwatch::normalise::check_ids;
use chainwatch::service::config::{Overrides, RawServiceConfig};
use chainwatch::service::{self, shutdown};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::input::{layers, load_map};
use super::produce::{key_of, topic_for};
use super::service_args::init_logging;
use super::tail::{print_topic, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chain map JSON.
    #[arg(long, default_value = "config/maps/cset-ic.json")]
    map: PathBuf,
    /// Events to feed, one JSON object per line.
    #[arg(long, default_value = "config/scenarios/lithography-2022-2023.ndjson")]
    events: PathBuf,
    /// Address of /metrics, /livez, /readyz while the demo runs.
    #[arg(long, default_value = "127.0.0.1:0")]
    admin_addr: String,
    /// `text` for people, `json` for the records as they are.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging();
    let mock = MockCluster::new(1).context("cannot start librdkafka's mock cluster")?;
    let raw = RawServiceConfig::from_toml(
        // The mock serves no admin API: topics are made on it directly. Short
        // group timeouts keep the joins quick.
        "[kafka]\ncreate_topics = false\npartitions = 3\nsession_timeout_ms = 6000\n\
         heartbeat_interval_ms = 500\nmax_poll_interval_ms = 7000\n",
        "demo settings",
    )?;
    let config = raw.validate(
        Overrides {
            brokers: Some(mock.bootstrap_servers()),
            map: Some(args.map.clone()),
            admin_addr: Some(args.admin_addr.clone()),
            group_prefix: Some("demo".into()),
            ..Overrides::default()
        },
        "demo settings",
    )?;
    let t = &config.topics;
    for (topic, partitions) in [
        (&t.sanctions, 3),
        (&t.prices, 3),
        (&t.supplier_events, 3),
        (&t.chain_events, 3),
        (&t.alerts, 3),
        (&t.deadletter, 1),
        (&t.audit, 1),
    ] {
        mock.create_topic(topic, partitions, 1)
            .with_context(|| format!("cannot create {topic} on the mock cluster"))?;
    }
    let map = load_map(&config.map)?;
    let core_layers = layers(None);
    let core = core_layers.load()?;
    let text = std::fs::read_to_string(&args.events)
        .with_context(|| format!("cannot read {}", args.events.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let admin = tokio::net::TcpListener::bind(config.admin_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.admin_addr))?;
        let admin_addr = admin.local_addr()?;
        let (trigger, stop) = shutdown::channel();
        let live = service::Live {
            layers: core_layers,
            tokens: Default::default(),
        };
        let running = tokio::spawn(service::run(
            config.clone(),
            core,
            map.clone(),
            admin,
            stop,
            live,
        ));
        eprintln!(
            "demo: mock Kafka cluster at {}; service at http://{admin_addr}",
            mock.bootstrap_servers()
        );
        wait_ready(admin_addr).await?;

        let producer: FutureProducer = service::kafka::producer(&config.kafka)?;
        let mut sent = 0;
        for (k, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let event = decode(line.as_bytes())
                .map_err(|e| anyhow::anyhow!("{} line {}: {e}", args.events.display(), k + 1))?;
            check_ids(&map, &event)
                .map_err(|e| anyhow::anyhow!("{} line {}: {e}", args.events.display(), k + 1))?;
            let key = key_of(&event);
            producer
                .send(
                    FutureRecord::to(topic_for(&config, &event))
                        .key(&key)
                        .payload(line),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)?;
            sent += 1;
            // One at a time, in file order: events on different topics have
            // no order of their own, and the scenario's story needs one.
            wait_routed(admin_addr, sent).await?;
        }
        eprintln!(
            "demo: fed {sent} event(s) from {}; alert state changes:",
            args.events.display()
        );
        let printed = tokio::task::block_in_place(|| {
            print_topic(
                &config,
                &config.topics.alerts,
                args.format,
                false,
                None,
                Duration::from_secs(4),
            )
        })?;
        eprintln!(
            "demo: {printed} alert state change(s); metrics were at http://{admin_addr}/metrics"
        );
        trigger.fire();
        match running.await {
            Ok(r) => r?,
            Err(e) => anyhow::bail!("the service task failed: {e}"),
        }
        anyhow::ensure!(printed > 0, "no alert state change came through");
        Ok(ExitCode::SUCCESS)
    })
}

/// Polls `/metrics` until ingest has routed `n` records.
async fn wait_routed(addr: std::net::SocketAddr, n: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let body = match client.get(format!("http://{addr}/metrics")).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let routed: f64 = body
            .lines()
            .filter(|l| l.starts_with("chainwatch_ingest_messages_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        if routed >= n as f64 {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "event {n} was not routed within a minute"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `/readyz` until the roles have joined their groups and rebuilt.
async fn wait_ready(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("http://{addr}/readyz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "the service did not become ready within a minute"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
