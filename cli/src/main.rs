//! `flowpulse`: see `flowpulse --help` and the README's "Workflows as migrations" section.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = flowpulse_cli::cli::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("flowpulse: cannot start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(flowpulse_cli::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("flowpulse: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
