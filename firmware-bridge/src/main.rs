//! `gasq-bridge`: parses the command line, sets up logging, and hands over to the
//! library ([`gasq_bridge::cli::execute`]).

use std::process::ExitCode;

use clap::Parser;
use gasq_bridge::cli::{Cli, execute};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    execute(cli)
}

/// Logs to stderr; `RUST_LOG` sets the level (default `info`).
fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour only on a terminal: logs redirected to a file stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
