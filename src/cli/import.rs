//! `chainwatch import cset DIR --out FILE`: CSET CSVs to a chain map.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chainwatch::import::{import_cset, load_overlay, Overlay};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding inputs.csv, providers.csv, provision.csv, sequence.csv, stages.csv.
    dir: PathBuf,
    /// Where to write the chain map JSON.
    #[arg(long)]
    out: PathBuf,
    /// Overlay of grades, stock days and substitute terms (default: the built-in one).
    #[arg(long)]
    overlay: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let overlay = match &args.overlay {
        Some(p) => load_overlay(p)?,
        None => Overlay::default(),
    };
    let imported = import_cset(&args.dir, &overlay)?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &imported.doc)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    // The report is the command's output; written, so that a reader that
    // stops early (`| head`) is an error main forgives, not a panic.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", imported.report)?;
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(ExitCode::SUCCESS)
}
