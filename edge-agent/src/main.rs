//! `gasq-edge`: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    gasq_edge::cli::run(gasq_edge::cli::Cli::parse())
}
