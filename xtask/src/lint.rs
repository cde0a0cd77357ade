//! The gate before the tests: formatting and clippy with warnings as errors, for every build
//! the project makes — the native workspace, the app's server (`ssr`) and browser (`hydrate`,
//! wasm32) builds, and the edge function on wasm32 — since each compiles code the others do not.

use anyhow::Result;
use flowpulse_stack::process;
use std::path::Path;
use std::process::Command;

/// One clippy run: what it checks and the arguments before `--`.
struct ClippyRun {
    what: &'static str,
    args: &'static [&'static str],
}

const CLIPPY_RUNS: &[ClippyRun] = &[
    ClippyRun {
        what: "native workspace",
        args: &["--workspace", "--all-targets"],
    },
    ClippyRun {
        what: "app server (ssr)",
        args: &[
            "--package",
            "flowpulse-app",
            "--no-default-features",
            "--features",
            "ssr",
            "--all-targets",
        ],
    },
    ClippyRun {
        what: "app browser bundle (hydrate, wasm32)",
        args: &[
            "--package",
            "flowpulse-app",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--no-default-features",
            "--features",
            "hydrate",
            // The hydrate build's own target dir, as `app::build` uses it.
            "--target-dir",
            "target/front",
        ],
    },
    ClippyRun {
        what: "edge function (wasm32)",
        args: &[
            "--package",
            "workflow-sync",
            "--package",
            "flowpulse-n8n",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ],
    },
];

/// `cargo fmt --check`, then every clippy run with `-D warnings`; the first failure stops.
pub fn run(repo: &Path) -> Result<()> {
    process::run_visible(
        "cargo fmt --check",
        Command::new("cargo")
            .args(["fmt", "--all", "--check"])
            .current_dir(repo),
    )?;
    for run in CLIPPY_RUNS {
        process::run_visible(
            &format!("cargo clippy ({})", run.what),
            Command::new("cargo")
                .arg("clippy")
                .args(run.args)
                .args(["--", "-D", "warnings"])
                .current_dir(repo),
        )?;
    }
    Ok(())
}
