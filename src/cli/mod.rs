//! Command-line arguments and dispatch to one module per command.

mod bench;
mod check_config;
mod demo;
mod genmap;
mod import;
mod input;
mod map_check;
mod produce;
mod replay;
mod run_service;
mod service_args;
mod simulate;
mod tail;
mod text;
mod thresholds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "chainwatch",
    version,
    about = "Early warning of supply cut-off in high-tech industrial chains"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Chain map tools.
    Map {
        #[command(subcommand)]
        command: MapCommand,
    },
    /// Convert published data into a chain map.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Apply events in order and print every alert state change as a JSON line.
    Replay(replay::Args),
    /// What if: apply one event (optionally after a base history) and print
    /// the assessments, keeping no state.
    Simulate(simulate::Args),
    /// Generate a tiered, scale-free synthetic chain map for benchmarks.
    GenMap(genmap::Args),
    /// Measure propagation on a generated map: latency percentiles, full
    /// recomputation, assessment, memory.
    Bench(bench::Args),
    /// The streaming service: consume events from Kafka, publish alert
    /// state changes, serve /metrics, /livez, /readyz.
    Run(run_service::Args),
    /// Send events from an NDJSON file (or stdin) to Kafka.
    Produce(produce::Args),
    /// Print a topic's records (the alerts by default) from the beginning.
    Tail(tail::Args),
    /// The whole service on librdkafka's in-process mock cluster, fed a
    /// scenario: nothing to install (the real-broker path is scripts/demo).
    Demo(demo::Args),
    /// Validate settings offline: core settings in their layers, or a
    /// service settings file and the core file it names.
    CheckConfig(check_config::Args),
    /// Read, preview or apply the thresholds of a running service.
    Thresholds {
        #[command(subcommand)]
        command: thresholds::Command,
    },
}

#[derive(Debug, Subcommand)]
enum MapCommand {
    /// Validate a chain map; print a summary, or every problem (exit 1).
    Check {
        /// Chain map JSON file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// The CSET ETO Chip Explorer CSVs (inputs, providers, provision, sequence, stages).
    Cset(import::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Map {
            command: MapCommand::Check { file },
        } => map_check::run(&file),
        Command::Import {
            command: ImportCommand::Cset(args),
        } => import::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::GenMap(args) => genmap::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Run(args) => run_service::run(args),
        Command::Produce(args) => produce::run(args),
        Command::Tail(args) => tail::run(args),
        Command::Demo(args) => demo::run(args),
        Command::CheckConfig(args) => check_config::run(args),
        Command::Thresholds { command } => thresholds::run(command),
    }
}
