//! `cargo xtask <task>`: see `cargo xtask --help` and the README.

mod bench;
mod dev;
mod lint;
mod smoke;
mod test_cmd;

use anyhow::Result;
use clap::{Parser, Subcommand};
use flowpulse_stack::config::{self, StackConfig};
use flowpulse_stack::tools::{Extras, Tools};

#[derive(Parser)]
#[command(about = "FlowPulse developer tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what is missing (pinned versions, cached); `dev` and `test` run this first.
    Setup {
        /// Also install what the tests need: Debian's Chromium and a real n8n.
        #[arg(long)]
        for_tests: bool,
    },
    /// Build and run the whole local stack until Ctrl-C.
    Dev {
        /// Also start a real n8n with sample workflows, added to the demo account, with live
        /// traffic (first run installs n8n: ~15 minutes).
        #[arg(long)]
        demo: bool,
    },
    /// Measure the speed and size goals and print the figures (`sync`, `ingest`, `backfill`, `cron`, `app`, `sync-now`,
    /// `bundle`).
    Bench {
        /// Which benchmark: `sync`, `ingest`, `backfill`, `cron`, `app`, `sync-now` or `bundle`.
        which: String,
    },
    /// Install what is missing, build, and run every test.
    Test {
        /// Passed to each `cargo test` after `--` (e.g. a test-name filter).
        extra: Vec<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let repo = config::repo_root();
    match cli.task {
        Task::Setup { for_tests } => {
            Tools::ensure(
                &repo,
                &config::cache_dir(),
                Extras {
                    chromium: for_tests,
                    n8n: for_tests,
                },
            )?;
            println!("setup: everything is installed");
            Ok(())
        }
        Task::Dev { demo } => {
            let cfg = StackConfig::load(&repo)?;
            tokio::runtime::Runtime::new()?.block_on(dev::run(&cfg, demo))
        }
        Task::Bench { which } => bench::run(&repo, &config::cache_dir(), &which),
        Task::Test { extra } => test_cmd::run(&repo, &config::cache_dir(), &extra),
    }
}
