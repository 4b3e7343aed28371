//! `chainwatch replay`: apply events in order, each judged at its own time,
//! and print every alert state change as one JSON line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chainwatch::monitor::Monitor;

use super::input::{apply_history, load_config, load_map};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chain map JSON.
    #[arg(long)]
    map: PathBuf,
    /// Events, one JSON object per line.
    #[arg(long)]
    events: PathBuf,
    /// Core settings (TOML): thresholds, price spike, licence policies …
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write the final assessment of every node with a shortfall here (JSON).
    #[arg(long)]
    assessments: Option<PathBuf>,
    /// Exit 1 if any event was rejected (by default they are reported and skipped).
    #[arg(long)]
    strict: bool,
    /// `json`: one Alertmanager alert object per line; `text`: for people.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let map = load_map(&args.map)?;
    let config = load_config(args.config.as_deref())?;
    let mut monitor = Monitor::new(map, config);
    super::input::warn_uncertified(&monitor, &args.map);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let origin = args.events.display();
    let tally = apply_history(&mut monitor, &args.events, |line, event, done| {
        for note in &done.notes {
            eprintln!(
                "{origin} line {} ({}): note: {note}",
                line.number,
                event.id()
            );
        }
        for change in &done.changes {
            match args.format {
                Format::Json => serde_json::to_writer(&mut out, change)?,
                Format::Text => write!(
                    out,
                    "{}",
                    super::text::change(&serde_json::to_value(change)?)
                )?,
            }
            out.write_all(b"\n")?;
        }
        Ok(())
    })?;
    out.flush()?;
    eprintln!(
        "replayed {origin}: {tally}; {} alert(s) open",
        monitor.open_alerts()
    );
    if let Some(path) = &args.assessments {
        // The time the alerts were last judged at: an event older than one
        // before it does not turn the clock back.
        let now = monitor.latest().unwrap_or_default();
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), &monitor.assessments(now))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if args.strict && tally.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
