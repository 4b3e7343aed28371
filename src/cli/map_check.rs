//! `chainwatch map check FILE`: a summary of a sound map, or every problem.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use chainwatch::config::PropagationConfig;
use chainwatch::engine::Engine;
use chainwatch::map::{load_file, MapError, Summary};

pub fn run(file: &Path) -> anyhow::Result<ExitCode> {
    match load_file(file) {
        Ok((_, map)) => {
            // Written, not printed: a reader that stops early (`| head`) is
            // an error main forgives, not a panic.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", Summary::of(&map))?;
            let engine = Engine::new(Arc::new(map), PropagationConfig::default());
            let gain = engine.deadband_gain();
            if gain.is_finite() {
                writeln!(
                    out,
                    "dead-band gain: {gain:.1} (every value within {gain:.1} × epsilon of exact; {:.1e} at the default epsilon {:.0e})",
                    engine.error_bound(),
                    engine.epsilon()
                )?;
            } else {
                writeln!(
                    out,
                    "dead-band gain: unbounded outside a bound of {:.1} (every other value within {:.1e} at the default epsilon)",
                    engine.error_bound() / engine.epsilon(),
                    engine.error_bound()
                )?;
                writeln!(
                    out,
                    "warning: {}",
                    super::input::uncertified_note(engine.map(), engine.uncertified_items())
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (MapError::Invalid { .. } | MapError::Syntax { .. })) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
