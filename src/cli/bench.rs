//! `chainwatch bench`: propagation measured on a generated map.

use std::path::PathBuf;
use std::process::ExitCode;

use chainwatch::bench::{prepare, run as measure, run_monitor, BenchSpec};
use chainwatch::genmap::GenSpec;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 100_000)]
    firms: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Updates (shocks set and ended) to time.
    #[arg(long, default_value_t = 1_000)]
    events: usize,
    /// Shocks the stream keeps in force, roughly.
    #[arg(long, default_value_t = 50)]
    active: usize,
    /// Events after which assessment is measured, spread evenly; 0 skips it.
    #[arg(long, default_value_t = 20)]
    assessed_events: usize,
    /// Core settings (propagation bounds, thresholds) to measure under, in
    /// layers like `replay`: defaults, FILE, then `CHAINWATCH__…` variables.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also time the monitor end to end (decode, normalise, propagate,
    /// judge, alert) over this many generated events, after the rest; 0
    /// skips it.
    #[arg(long, default_value_t = 0)]
    monitor_events: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (map, preparation) = prepare(&GenSpec::new(args.firms, args.seed))?;
    let mut spec = BenchSpec::new(args.events, args.seed);
    spec.target_active = args.active;
    spec.assessed_events = args.assessed_events;
    spec.config = super::input::load_config(args.config.as_deref())?;
    let mut report = measure(std::sync::Arc::clone(&map), &spec);
    report.preparation = Some(preparation);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    // Read before the monitor runs: its engine and alert book come on top.
    if let Some(rss) = peak_rss_bytes() {
        println!("peak resident memory: {:.0} MiB", rss as f64 / 1048576.0);
    }
    if args.monitor_events > 0 {
        let stats = run_monitor(map, &spec.config, args.seed, args.monitor_events);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&stats)?);
        } else {
            println!("{stats}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Peak resident set size from /proc (Linux); none elsewhere.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
