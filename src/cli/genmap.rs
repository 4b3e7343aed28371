//! `chainwatch gen-map`: a synthetic national-scale chain map.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chainwatch::genmap::{generate, GenSpec};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of firms, at least 1.
    #[arg(long, value_parser = at_least_one)]
    firms: usize,
    /// Seed: the same seed gives the same map.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let doc = generate(&GenSpec::new(args.firms, args.seed));
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    serde_json::to_writer(std::io::BufWriter::new(file), &doc)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {}: {} items, {} firms",
        args.out.display(),
        doc.items.len(),
        doc.firms.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// A map of no firms has nothing to measure.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("a map needs at least 1 firm".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
