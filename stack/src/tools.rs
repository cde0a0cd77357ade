//! `cargo xtask setup`: installs what the stack and the tests need, only when missing, at pinned
//! versions, into caches that survive between runs and checkouts:
//! - Rust tools into `FLOWPULSE_CACHE_DIR/tools/<crate>-<version>/` (the version is in the
//!   path, so "present" means "present at the right version");
//! - Node.js 24 into the cache (`crate::node`), for Miniflare;
//! - npm tools (`miniflare` with its `workerd`, `esbuild`, binaryen's `wasm-opt`) into the
//!   project's `node_modules/` with `npm ci` from `package-lock.json`, re-installed only when the
//!   lock file changes;
//! - Debian packages (`postgresql`, `chromium`) with apt when absent.

use crate::process;
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// PostgREST-compatible server used locally (Supabase runs the real PostgREST).
pub const POSTRUST_VERSION: &str = "3.1.0";

/// Paths of every tool the stack runs.
#[derive(Debug, Clone)]
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub worker_build: PathBuf,
    pub postrust: PathBuf,
    /// Node.js 24, which runs Miniflare (the local worker host).
    pub node: PathBuf,
    /// Miniflare's package (the presence check; the host script resolves it itself).
    pub miniflare: PathBuf,
    pub esbuild: PathBuf,
    /// binaryen's `wasm-opt` (npm `binaryen`, a Node.js build: slower than a native one, but
    /// from a registry, and at the version worker-build itself would download).
    pub wasm_opt: PathBuf,
    pub node_modules: PathBuf,
}

/// What a setup run needs beyond the always-needed tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// Debian's Chromium, for the browser tests.
    pub chromium: bool,
    /// A real n8n (npm) and Node 24, for the end-to-end tests and the demo.
    pub n8n: bool,
}

impl Tools {
    /// Where the tools are (or will be) for this checkout, without installing anything.
    pub fn locate(repo: &Path, cache: &Path) -> Result<Tools> {
        let lock = std::fs::read_to_string(repo.join("Cargo.lock"))
            .context("Cargo.lock is missing: run `cargo generate-lockfile`")?;
        let wasm_bindgen_version = locked_version(&lock, "wasm-bindgen")?;
        let worker_version = locked_version(&lock, "worker")?;
        let tool = |krate: &str, version: &str, bin: &str| {
            cache
                .join("tools")
                .join(format!("{krate}-{version}"))
                .join("bin")
                .join(bin)
        };
        let node_modules = repo.join("node_modules");
        Ok(Tools {
            wasm_bindgen: tool("wasm-bindgen-cli", &wasm_bindgen_version, "wasm-bindgen"),
            worker_build: tool("worker-build", &worker_version, "worker-build"),
            postrust: tool("postrust-server", POSTRUST_VERSION, "postrust"),
            node: crate::node::binary(cache),
            miniflare: node_modules.join("miniflare/package.json"),
            esbuild: node_modules.join("@esbuild/linux-x64/bin/esbuild"),
            wasm_opt: node_modules.join("binaryen/bin/wasm-opt"),
            node_modules,
        })
    }

    /// Installs whatever is missing and returns the tool paths.
    pub fn ensure(repo: &Path, cache: &Path, extras: Extras) -> Result<Tools> {
        let tools = Tools::locate(repo, cache)?;
        ensure_wasm_target()?;
        let lock = std::fs::read_to_string(repo.join("Cargo.lock"))?;
        cargo_install(
            &tools.wasm_bindgen,
            "wasm-bindgen-cli",
            &locked_version(&lock, "wasm-bindgen")?,
        )?;
        cargo_install(
            &tools.worker_build,
            "worker-build",
            &locked_version(&lock, "worker")?,
        )?;
        cargo_install(&tools.postrust, "postrust-server", POSTRUST_VERSION)?;
        crate::node::ensure(cache)?;
        npm_install(repo)?;
        for (path, what) in [
            (&tools.miniflare, "miniflare"),
            (&tools.esbuild, "esbuild"),
            (&tools.wasm_opt, "wasm-opt (binaryen)"),
        ] {
            anyhow::ensure!(
                path.exists(),
                "{what} is missing at {} after npm install",
                path.display()
            );
        }
        if crate::pg::bin_dir().is_none() {
            apt_install(&["postgresql"])?;
        }
        if extras.chromium && !Path::new(CHROMIUM).exists() {
            apt_install(&["chromium", "chromium-driver"])?;
        }
        if extras.n8n {
            crate::n8n::N8nInstall::ensure(cache)?;
        }
        Ok(tools)
    }
}

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The version of `package` recorded in a Cargo.lock.
pub fn locked_version(lock: &str, package: &str) -> Result<String> {
    let parsed: toml::Table = lock.parse().context("parse Cargo.lock")?;
    parsed
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_table())
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(package))
        .and_then(|p| p.get("version")?.as_str().map(str::to_owned))
        .ok_or_else(|| anyhow!("{package} is not in Cargo.lock"))
}

fn timed<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("setup: installing {what} ...");
    let started = Instant::now();
    let result = f()?;
    println!("setup: installed {what} in {:.0?}", started.elapsed());
    Ok(result)
}

fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(out) = installed {
        if String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-unknown-unknown")
        {
            return Ok(());
        }
    }
    timed("the wasm32-unknown-unknown target", || {
        process::run_visible(
            "rustup",
            Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
        )
    })
}

fn cargo_install(bin: &Path, krate: &str, version: &str) -> Result<()> {
    if bin.exists() {
        return Ok(());
    }
    let root = bin
        .parent()
        .and_then(Path::parent)
        .expect("<root>/bin/<tool>");
    timed(
        &format!("{krate} {version} (a one-time build, several minutes)"),
        || {
            // No --locked: the registry mirror lacks some versions those lock files pin.
            process::run_visible(
                &format!("cargo install {krate}"),
                Command::new("cargo")
                    .args(["install", krate, "--version", version, "--root"])
                    .arg(root)
                    .env_remove("CARGO_TARGET_DIR"),
            )
        },
    )
}

fn npm_install(repo: &Path) -> Result<()> {
    let lock =
        std::fs::read(repo.join("package-lock.json")).context("package-lock.json is missing")?;
    let stamp = repo.join("node_modules/.flowpulse-lock");
    let want = format!("{:x}", fnv1a(&lock));
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    timed("npm packages from package-lock.json", || {
        // `npm ci`: exactly the lock (which lists every platform's optional workerd and
        // esbuild binaries), never a rewrite of it — the work tree stays clean.
        process::run_visible(
            "npm ci",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(repo),
        )?;
        std::fs::write(&stamp, &want)?;
        Ok(())
    })
}

fn apt_install(packages: &[&str]) -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(anyhow!(
            "missing Debian packages: run `sudo apt-get install -y {}` and try again",
            packages.join(" ")
        ));
    }
    timed(&format!("Debian packages {}", packages.join(", ")), || {
        process::run("apt-get update", Command::new("apt-get").arg("update"))?;
        process::run_visible(
            "apt-get install",
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    })
}

/// A stable content hash for the lock-file stamp (not security relevant).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_versions_are_read_from_the_lock_file() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"

[[package]]
name = "worker"
version = "0.8.7"
"#;
        assert_eq!(locked_version(lock, "wasm-bindgen").unwrap(), "0.2.130");
        assert_eq!(locked_version(lock, "worker").unwrap(), "0.8.7");
        assert!(locked_version(lock, "leptos").is_err());
    }
}
