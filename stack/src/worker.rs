//! The `workflow-sync` edge function locally: built by `worker-build` exactly as for
//! Cloudflare, served by Cloudflare's Miniflare (workerd plus Queues) with loopback access and
//! the queue `wrangler.toml` declares, plus a cron hook that fires the worker's `scheduled`
//! handler on `GET /__scheduled?cron=<expr>` (`worker_host.mjs`).

use crate::process::{self, Service};
use crate::tools::Tools;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Builds `edge-function/` into `edge-function/build/` (`index.js` + `index_bg.wasm`), the
/// way `wrangler deploy` does (`edge-function/wrangler.toml`): worker-build with cargo's
/// `worker-release` profile (opt-level z, LTO; see the root Cargo.toml), then binaryen's
/// `wasm-opt -Oz`, which also drops the name section. A small bundle stays under Cloudflare's
/// size limits and loads quicker on a cold start; `cargo xtask bench bundle` prints its size.
pub fn build(repo: &Path, tools: &Tools) -> Result<PathBuf> {
    let crate_dir = repo.join("edge-function");
    let build = crate_dir.join("build");
    // worker-build re-runs bindgen and the bundler even when nothing changed; its only local
    // inputs are these (registry crates change only through Cargo.lock).
    let inputs = [
        crate_dir.join("src"),
        crate_dir.join("Cargo.toml"),
        repo.join("core/src"),
        repo.join("core/Cargo.toml"),
        repo.join("n8n/src"),
        repo.join("n8n/Cargo.toml"),
        repo.join("Cargo.toml"),
        repo.join("Cargo.lock"),
        // wasm-opt's version.
        repo.join("package-lock.json"),
    ];
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    if crate::freshness::is_fresh(&build.join("index_bg.wasm"), &inputs)
        && build.join("index.js").exists()
    {
        return Ok(build);
    }
    let mut cmd = Command::new(&tools.worker_build);
    cmd.args(["--profile", "worker-release"])
        .current_dir(&crate_dir)
        // worker-build would download these from GitHub; hand it the installed ones.
        .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
        .env("ESBUILD_BIN", &tools.esbuild)
        // Only used if the crate's metadata turns worker-build's own wasm-opt step back on.
        .env("WASM_OPT_BIN", &tools.wasm_opt)
        .env(
            "PATH",
            path_with(tools.wasm_bindgen.parent().expect("bin dir")),
        );
    process::run_visible("worker-build (edge-function)", &mut cmd)?;
    anyhow::ensure!(
        build.join("index.js").exists(),
        "worker-build wrote no build/index.js"
    );
    let wasm = build.join("index_bg.wasm");
    if let Err(error) = optimise(tools, &wasm) {
        // Not left looking fresh: the next run builds and optimises it again.
        let _ = std::fs::remove_file(&wasm);
        return Err(error);
    }
    Ok(build)
}

/// The wasm features binaryen may assume and emit: what rustc's wasm32 target and
/// wasm-bindgen's catch wrappers use, and no newer encodings workerd may not run yet. The list
/// worker-build's own wasm-opt step passes; `wrangler.toml`'s build command names it too.
const WASM_FEATURES: [&str; 7] = [
    "mutable-globals",
    "sign-ext",
    "nontrapping-float-to-int",
    "bulk-memory",
    "multivalue",
    "reference-types",
    "exception-handling",
];

/// `wasm-opt -Oz` in place: 13 % less code than rustc's opt-level z with LTO, and without
/// `-g` the name section (function names for stack traces; panics still print their message
/// and location) goes too. binaryen's npm build takes about 80 s for this module.
fn optimise(tools: &Tools, wasm: &Path) -> Result<()> {
    let optimised = wasm.with_extension("opt.wasm");
    let mut cmd = Command::new(&tools.wasm_opt);
    cmd.arg(wasm).arg("-o").arg(&optimised).arg("-Oz");
    cmd.args(WASM_FEATURES.map(|feature| format!("--enable-{feature}")));
    process::run_visible("wasm-opt (edge-function)", &mut cmd)?;
    std::fs::rename(&optimised, wasm)
        .with_context(|| format!("replace {} with the optimised module", wasm.display()))
}

fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("valid PATH")
}

/// The worker's environment: plain vars and secrets alike become text bindings locally
/// (`[vars]` and `wrangler secret put` on Cloudflare).
pub struct WorkerSettings<'a> {
    pub build_dir: &'a Path,
    pub port: u16,
    pub cron_port: u16,
    /// The bearer token the cron hook requires (the service-role key: firing a cron runs a
    /// service-role sync, so it takes what a service-role call takes).
    pub cron_token: String,
    pub bindings: Vec<(&'static str, String)>,
    /// The project's `node_modules` (`Tools::node_modules`), where Miniflare is.
    pub node_modules: &'a Path,
}

/// The Node.js program that hosts the worker in Miniflare (see the file's own comment).
const WORKER_HOST_JS: &str = include_str!("worker_host.mjs");

/// What `wrangler.toml` says about the deployed worker that the local one must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub compatibility_date: String,
    pub queue: QueueSettings,
}

/// The provider-sync queue: its binding, name and consumer settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    pub binding: String,
    pub name: String,
    pub max_batch_size: u32,
    pub max_batch_timeout: u32,
    pub max_retries: u32,
}

/// The deployment's settings, built into the stack with the code they describe.
const WRANGLER_TOML: &str = include_str!("../../edge-function/wrangler.toml");

/// Reads `wrangler.toml`, so the local queue is the one Cloudflare gets.
pub fn deployment(wrangler_toml: &str) -> Result<Deployment> {
    let parsed: toml::Table = wrangler_toml.parse().context("parse wrangler.toml")?;
    let text = |table: &toml::Table, key: &str| -> Result<String> {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("wrangler.toml: `{key}` is missing"))
    };
    let number = |table: &toml::Table, key: &str| -> Result<u32> {
        let value = table
            .get(key)
            .and_then(toml::Value::as_integer)
            .with_context(|| format!("wrangler.toml: the queue consumer's `{key}` is missing"))?;
        u32::try_from(value).with_context(|| format!("wrangler.toml: `{key}` = {value}"))
    };
    let first = |kind: &str| -> Result<toml::Table> {
        parsed
            .get("queues")
            .and_then(|queues| queues.get(kind))
            .and_then(toml::Value::as_array)
            .and_then(|entries| entries.first())
            .and_then(toml::Value::as_table)
            .cloned()
            .with_context(|| format!("wrangler.toml: no [[queues.{kind}]]"))
    };
    let producer = first("producers")?;
    let consumer = first("consumers")?;
    let name = text(&producer, "queue")?;
    anyhow::ensure!(
        text(&consumer, "queue")? == name,
        "wrangler.toml: the worker must consume the queue it produces to"
    );
    Ok(Deployment {
        compatibility_date: text(&parsed, "compatibility_date")?,
        queue: QueueSettings {
            binding: text(&producer, "binding")?,
            name,
            max_batch_size: number(&consumer, "max_batch_size")?,
            max_batch_timeout: number(&consumer, "max_batch_timeout")?,
            max_retries: number(&consumer, "max_retries")?,
        },
    })
}

/// Writes the worker host and its settings into `dir` (the settings file is mode 0600: it
/// holds secrets) beside a copy of the bundle; returns the settings file.
pub fn write_config(dir: &Path, settings: &WorkerSettings<'_>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("worker-host.mjs"), WORKER_HOST_JS)?;
    // A copy, so a rebuild while this worker runs cannot change it under its feet.
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle)?;
    for file in ["index.js", "index_bg.wasm"] {
        let from = settings.build_dir.join(file);
        std::fs::copy(&from, bundle.join(file))
            .with_context(|| format!("{} is missing", from.display()))?;
    }
    let deployment = deployment(WRANGLER_TOML)?;
    let bindings: serde_json::Map<String, serde_json::Value> = settings
        .bindings
        .iter()
        .map(|(name, value)| ((*name).to_owned(), serde_json::json!(value)))
        .collect();
    let queue = &deployment.queue;
    let host_settings = serde_json::json!({
        "nodeModules": settings.node_modules,
        "bundleDir": bundle,
        "port": settings.port,
        "cronPort": settings.cron_port,
        "cronToken": settings.cron_token,
        "compatibilityDate": deployment.compatibility_date,
        "bindings": bindings,
        "networkAllow": network_allow(&settings.bindings),
        "queue": {
            "binding": queue.binding,
            "name": queue.name,
            "maxBatchSize": queue.max_batch_size,
            "maxBatchTimeout": queue.max_batch_timeout,
            "maxRetries": queue.max_retries,
        },
    });
    let path = dir.join("worker-host.json");
    write_private(&path, &serde_json::to_string_pretty(&host_settings)?)?;
    Ok(path)
}

/// workerd's own network filter for the worker's outbound calls (it checks the address a name
/// resolved to, which the worker itself cannot see): public always, loopback for PostgREST,
/// private ranges only when `OUTBOUND_ALLOW` names them.
fn network_allow(bindings: &[(&'static str, String)]) -> Vec<&'static str> {
    let allows_private = bindings.iter().any(|(name, value)| {
        *name == "OUTBOUND_ALLOW" && value.split(',').any(|entry| entry.trim() == "private")
    });
    let mut allow = vec!["public", "local"];
    if allows_private {
        allow.push("private");
    }
    allow
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Serves the worker (`config` from [`write_config`]); returns once the worker and the cron
/// hook accept connections and the host says it is ready (so neither port is another
/// process's). An error when either port was taken: the caller may retry on others.
pub async fn start(
    tools: &Tools,
    config: &Path,
    port: u16,
    cron_port: u16,
    log: &Path,
) -> Result<Service> {
    let host = config.with_file_name("worker-host.mjs");
    let mut cmd = Command::new(&tools.node);
    cmd.arg(host).arg(config);
    let mut service = process::spawn("worker host (miniflare)", cmd, Some(log), None)?;
    process::wait_for_port(&mut service, port, Duration::from_secs(60)).await?;
    process::wait_for_port(&mut service, cron_port, Duration::from_secs(10)).await?;
    // The log is appended to across runs: the pid tells this run's line from an earlier one.
    let pid = service.pid().unwrap_or_default();
    let ready = format!("worker host: ready on {port} (pid {pid})");
    process::wait_for_log(&mut service, &ready, Duration::from_secs(30)).await?;
    Ok(service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_queue_is_the_one_wrangler_toml_declares() {
        let declared = deployment(WRANGLER_TOML).unwrap();
        assert_eq!(declared.queue.binding, "PROVIDER_SYNC_QUEUE");
        assert_eq!(declared.queue.name, "flowpulse-provider-sync");
        assert!(declared.queue.max_batch_size >= 1 && declared.queue.max_retries >= 1);
    }

    #[test]
    fn a_worker_consuming_another_queue_than_it_produces_to_is_refused() {
        let toml = r#"
            compatibility_date = "2025-09-01"
            [[queues.producers]]
            queue = "a"
            binding = "Q"
            [[queues.consumers]]
            queue = "b"
            max_batch_size = 1
            max_batch_timeout = 1
            max_retries = 1
        "#;
        let refused = deployment(toml).unwrap_err().to_string();
        assert!(refused.contains("consume the queue"), "{refused}");
    }

    #[test]
    fn private_addresses_are_reachable_only_when_the_operator_allows_them() {
        let plain = network_allow(&[("OUTBOUND_ALLOW", "10.0.0.0/8".into())]);
        assert_eq!(plain, ["public", "local"]);
        let allowed = network_allow(&[("OUTBOUND_ALLOW", "host.example, private".into())]);
        assert_eq!(allowed, ["public", "local", "private"]);
    }
}
