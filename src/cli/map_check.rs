//! `chainwatch map check FILE`: a summary of a sound map, or every problem.

use std::path::Path;
use std::process::ExitCode;

use chainwatch::map::{load_file, MapError, Summary};

pub fn run(file: &Path) -> anyhow::Result<ExitCode> {
    match load_file(file) {
        Ok((_, map)) => {
            println!("{}", Summary::of(&map));
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (MapError::Invalid { .. } | MapError::Syntax { .. })) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
