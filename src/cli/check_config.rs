//! `chainwatch check-config [FILE]`: validates settings offline, as
//! `amtool check-config` does. A core settings file is read in its layers
//! (the file, its environment file, `CHAINWATCH__…` variables); a service
//! settings file (with `[service]`, `[kafka]` or `[topics]`) is checked,
//! and so is the core file it names. Exit 0 when valid, 1 with the reason.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chainwatch::config::tunables::{config_hash, LIVE_KEYS};
use chainwatch::service::config::{Overrides, RawServiceConfig};

use super::input::layers;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Settings file; default config/chainwatch.toml.
    file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let file = args
        .file
        .unwrap_or_else(|| PathBuf::from("config/chainwatch.toml"));
    let mut core_file = Some(file.clone());
    if is_service_file(&file) {
        let checked = RawServiceConfig::load(&file)
            .and_then(|raw| raw.validate(Overrides::default(), &file.display().to_string()));
        match checked {
            Ok(c) => {
                writeln!(
                    std::io::stdout().lock(),
                    "{}: service settings valid (brokers {}, admin {}; these take a restart)",
                    file.display(),
                    c.kafka.brokers,
                    c.admin_addr
                )?;
                core_file = c.core_config;
            }
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    let l = layers(core_file.as_deref());
    match l.load() {
        Ok(core) => {
            let read: Vec<String> = l.files().iter().map(|p| p.display().to_string()).collect();
            let t = &core.thresholds;
            writeln!(
                std::io::stdout().lock(),
                "core settings valid (read: {}; hash {})\n  thresholds: watch {} warning {} critical {} (resolve margin {})\n  live without restart: {}",
                if read.is_empty() { "defaults only".to_string() } else { read.join(", ") },
                config_hash(&core),
                t.watch,
                t.warning,
                t.critical,
                t.resolve_margin,
                LIVE_KEYS.join(", ")
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn is_service_file(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    table
        .keys()
        .any(|k| matches!(k.as_str(), "service" | "kafka" | "topics"))
}
