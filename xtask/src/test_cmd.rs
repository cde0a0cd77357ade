//! `cargo xtask test`: installs what is missing, builds the edge function and the app, then runs
//! every test of the workspace. The integration tests find the built artifacts through the
//! environment variables set here.

use crate::app;
use crate::tools::{Extras, Tools};
use crate::{process, worker};
use anyhow::Result;
use std::path::Path;
use std::process::Command;

/// Environment variable: the built edge function (`index.js` + `index_bg.wasm`).
pub const ENV_WORKER_BUILD: &str = "FLOWPULSE_TEST_WORKER_BUILD";
/// Environment variable: the app server binary.
pub const ENV_APP_BIN: &str = "FLOWPULSE_TEST_APP_BIN";
/// Environment variable: the app's site dir.
pub const ENV_SITE_ROOT: &str = "FLOWPULSE_TEST_SITE_ROOT";
/// Environment variable: this xtask binary, for the test that runs `cargo xtask dev`.
pub const ENV_XTASK_BIN: &str = "FLOWPULSE_TEST_XTASK_BIN";

/// Runs the whole suite; `extra` goes to every `cargo test` (e.g. a test-name filter).
pub fn run(repo: &Path, cache: &Path, extra: &[String]) -> Result<()> {
    let tools = Tools::ensure(
        repo,
        cache,
        Extras {
            chromium: true,
            n8n: true,
        },
    )?;
    let worker_build = worker::build(repo, &tools)?;
    let app_build = app::build(repo, &tools, app::Profile::Dev)?;
    let xtask = std::env::current_exe()?;
    let (first, second) = crate::smoke::dev_stack_twice(&xtask, repo)?;
    println!("dev stack smoke test passed: first start {first:.1?}, second start {second:.1?}");
    let cargo_test = |args: &[&str]| -> Result<()> {
        let mut cmd = Command::new("cargo");
        cmd.arg("test").args(args).current_dir(repo);
        if !extra.is_empty() {
            cmd.arg("--").args(extra);
        }
        cmd.env(ENV_WORKER_BUILD, &worker_build)
            .env(ENV_APP_BIN, &app_build.server_binary)
            .env(ENV_SITE_ROOT, &app_build.site_root)
            .env(ENV_XTASK_BIN, &xtask);
        process::run_visible(&format!("cargo test {}", args.join(" ")), &mut cmd)
    };
    cargo_test(&[
        "--package",
        "flowpulse-core",
        "--package",
        "xtask",
        "--package",
        "workflow-sync",
    ])?;
    cargo_test(&[
        "--package",
        "flowpulse-app",
        "--no-default-features",
        "--features",
        "ssr",
        "--lib",
    ])?;
    cargo_test(&["--package", "flowpulse-tests"])?;
    Ok(())
}
