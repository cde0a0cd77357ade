//! `cargo xtask bench <which>`: runs a benchmark that prints its figures as ratios measured in
//! one run (not a timed test: nothing fails when a goal is missed, the output says so).

use crate::process;
use crate::tools::{Extras, Tools};
use anyhow::{bail, Result};
use std::path::Path;
use std::process::Command;

/// Runs the benchmark named `which`.
pub fn run(repo: &Path, cache: &Path, which: &str) -> Result<()> {
    match which {
        "sync" => {
            Tools::ensure(repo, cache, Extras::default())?;
            process::run_visible(
                "cargo bench (sync)",
                Command::new("cargo")
                    .args(["bench", "--package", "flowpulse-tests", "--bench", "sync"])
                    .current_dir(repo),
            )
        }
        other => bail!("unknown benchmark {other:?}; available: sync"),
    }
}
