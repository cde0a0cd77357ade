//! Builds and serves the Leptos app without cargo-leptos: the hydrate bundle is built for
//! wasm32 in its own target dir (so the ssr and hydrate feature sets never rebuild each other),
//! bound by the `wasm-bindgen` CLI, and placed with the CSS and `public/` into the site dir
//! the server serves.

use crate::process::{self, Service};
use crate::tools::Tools;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Name of the JS/wasm/CSS bundle under `/pkg/`.
pub const OUTPUT_NAME: &str = "flowpulse";

/// Build flavour: `Dev` for the stack and tests, `Release` for benchmarks and production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Release,
}

/// Where one build put its outputs.
pub struct AppBuild {
    pub server_binary: PathBuf,
    pub site_root: PathBuf,
}

/// Builds the hydrate bundle, the site dir and the server binary.
pub fn build(repo: &Path, tools: &Tools, profile: Profile) -> Result<AppBuild> {
    let (wasm_profile, wasm_dir, server_profile, server_dir) = match profile {
        Profile::Dev => ("dev", "debug", "dev", "debug"),
        Profile::Release => ("wasm-release", "wasm-release", "release", "release"),
    };
    let target = repo.join("target");
    let front_target = target.join("front");
    process::run_visible(
        "cargo build (app, hydrate)",
        Command::new("cargo")
            .args([
                "build",
                "--package",
                "flowpulse-app",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args([
                "--no-default-features",
                "--features",
                "hydrate",
                "--profile",
                wasm_profile,
            ])
            .arg("--target-dir")
            .arg(&front_target)
            .current_dir(repo),
    )?;
    let site_root = target.join("site").join(server_dir);
    let pkg = site_root.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    let wasm = front_target
        .join("wasm32-unknown-unknown")
        .join(wasm_dir)
        .join("flowpulse_app.wasm");
    let bound = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let mut bindgen = Command::new(&tools.wasm_bindgen);
    bindgen.args([
        "--target",
        "web",
        "--out-name",
        OUTPUT_NAME,
        "--no-typescript",
        "--out-dir",
    ]);
    bindgen.arg(&pkg).arg(&wasm);
    if profile == Profile::Release {
        bindgen.args(["--remove-name-section", "--remove-producers-section"]);
    }
    if !crate::freshness::is_fresh(&bound, &[&wasm]) {
        process::run("wasm-bindgen (app)", &mut bindgen)?;
    }
    std::fs::copy(
        repo.join("style/main.css"),
        pkg.join(format!("{OUTPUT_NAME}.css")),
    )
    .context("copy style/main.css")?;
    copy_dir(&repo.join("public"), &site_root)?;
    process::run_visible(
        "cargo build (app, server)",
        Command::new("cargo")
            .args([
                "build",
                "--package",
                "flowpulse-app",
                "--bin",
                "flowpulse-app",
            ])
            .args([
                "--no-default-features",
                "--features",
                "ssr",
                "--profile",
                server_profile,
            ])
            .current_dir(repo),
    )?;
    Ok(AppBuild {
        server_binary: target.join(server_dir).join("flowpulse-app"),
        site_root,
    })
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Starts the app server with `env` (its configuration) and waits until it listens.
pub async fn start(
    build: &AppBuild,
    port: u16,
    env: &[(&'static str, String)],
    log: &Path,
) -> Result<Service> {
    let mut cmd = Command::new(&build.server_binary);
    cmd.env("LEPTOS_SITE_ROOT", &build.site_root)
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("LEPTOS_OUTPUT_NAME", OUTPUT_NAME)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("FLOWPULSE_APP_PORT", port.to_string());
    for (key, value) in env {
        cmd.env(key, value);
    }
    let mut service = process::spawn("app", cmd, Some(log), None)?;
    process::wait_for_port(&mut service, port, Duration::from_secs(30)).await?;
    Ok(service)
}
