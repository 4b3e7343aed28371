//! The `chainwatch` command: thin shells over the core library. Each
//! subcommand lives in `cli/`, parses its arguments, does its I/O, and hands
//! the work to the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chainwatch: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
