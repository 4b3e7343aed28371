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
        // A reader that stops early (`| head`) is no failure of ours.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chainwatch: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn closed_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|cause| {
        // serde_json keeps the io::Error inside and exposes only its kind.
        cause
            .downcast_ref::<std::io::Error>()
            .map(|io| io.kind())
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(|json| json.io_error_kind())
            })
            == Some(BrokenPipe)
    })
}
