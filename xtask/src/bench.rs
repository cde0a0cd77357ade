//! `cargo xtask bench <which>`: runs a benchmark that prints its figures as ratios measured in
//! one run (not a timed test: nothing fails when a goal is missed, the output says so).

use anyhow::{bail, Result};
use flowpulse_stack::process;
use flowpulse_stack::tools::{Extras, Tools};
use std::path::Path;
use std::process::Command;

/// Runs the benchmark named `which`.
pub fn run(repo: &Path, cache: &Path, which: &str) -> Result<()> {
    match which {
        "sync" | "ingest" | "backfill" => {
            Tools::ensure(repo, cache, Extras::default())?;
            process::run_visible(
                &format!("cargo bench ({which})"),
                Command::new("cargo")
                    .args(["bench", "--package", "flowpulse-tests", "--bench", which])
                    .current_dir(repo),
            )
        }
        "app" => {
            // Release builds: the figures are about what production serves.
            let tools = Tools::ensure(
                repo,
                cache,
                Extras {
                    chromium: true,
                    n8n: false,
                },
            )?;
            let worker_build = flowpulse_stack::worker::build(repo, &tools)?;
            let app_build =
                flowpulse_stack::app::build(repo, &tools, flowpulse_stack::app::Profile::Release)?;
            process::run_visible(
                "cargo bench (app)",
                Command::new("cargo")
                    .args(["bench", "--package", "flowpulse-tests", "--bench", "app"])
                    .env(flowpulse_stack::artifacts::ENV_WORKER_BUILD, worker_build)
                    .env(
                        flowpulse_stack::artifacts::ENV_APP_BIN,
                        &app_build.server_binary,
                    )
                    .env(
                        flowpulse_stack::artifacts::ENV_SITE_ROOT,
                        &app_build.site_root,
                    )
                    .current_dir(repo),
            )
        }
        other => bail!("unknown benchmark {other:?}; available: sync, ingest, backfill, app"),
    }
}
