//! `chainwatch simulate`: what an event would do, on a fresh state or after
//! a base history, printed as one JSON document; nothing is kept.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chainwatch::event::decode;
use chainwatch::monitor::Monitor;
use serde::Serialize;

use super::input::{apply_history, load_config, load_map};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chain map JSON.
    #[arg(long)]
    map: PathBuf,
    /// The event: JSON text, `@FILE`, or `-` for standard input.
    #[arg(long)]
    event: String,
    /// Events to apply first (NDJSON), so the what-if starts from today's state.
    #[arg(long)]
    base: Option<PathBuf>,
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report<'a> {
    event: &'a str,
    alerts: Vec<chainwatch::alert::AlertChange>,
    assessments: Vec<chainwatch::assess::Assessment>,
    notes: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let map = load_map(&args.map)?;
    let config = load_config(args.config.as_deref())?;
    let text = match args.event.as_str() {
        "-" => {
            std::io::read_to_string(std::io::stdin()).context("cannot read the event from stdin")?
        }
        s if s.starts_with('@') => std::fs::read_to_string(&s[1..])
            .with_context(|| format!("cannot read the event from {}", &s[1..]))?,
        s => s.to_string(),
    };
    let event = decode(text.as_bytes()).map_err(|e| anyhow::anyhow!("the event: {e}"))?;
    let mut monitor = Monitor::new(map, config);
    super::input::warn_uncertified(&monitor, &args.map);
    if let Some(base) = &args.base {
        // Bad base lines are reported and skipped, as `replay` does: the
        // what-if then starts from the same state a replay would reach.
        let tally = apply_history(&mut monitor, base, |_, _, _| Ok(()))?;
        eprintln!("base {}: {tally}", base.display());
    }
    let mut applied = monitor.apply(&event, event.ts())?;
    if applied.duplicate {
        // QA: an empty report read as "no effect", not "already applied".
        applied.notes.push(format!(
            "event {:?} is already in the base: applying it again changes nothing",
            event.id()
        ));
    }
    // As the alerts were judged: at the base's latest time if that is later.
    let now = monitor.latest().unwrap_or(event.ts());
    let report = Report {
        event: event.id(),
        alerts: applied.changes,
        assessments: monitor.assessments(now),
        notes: applied.notes,
    };
    // Written, not printed: a reader that stops early is an error to return
    // (and main's to forgive), not a panic.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    Ok(ExitCode::SUCCESS)
}
