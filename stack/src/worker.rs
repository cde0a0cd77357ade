//! The `workflow-sync` edge function locally: built by `worker-build` exactly as for
//! Cloudflare, served by `workerd` with loopback access, plus a tiny cron-hook worker that
//! fires the main worker's `scheduled` handler on `GET /__scheduled?cron=<expr>`.

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
}

const CRON_HOOK_JS: &str = r#"// Local stand-in for Cloudflare's cron trigger: GET /__scheduled?cron=<expr> with
// `Authorization: Bearer <service-role key>`. The token keeps anything else on this machine that
// can send a GET (a browser page, an n8n URL someone entered) from firing service-role runs.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/__scheduled") {
      return new Response("use GET /__scheduled?cron=<expression>\n", { status: 404 });
    }
    if (request.headers.get("authorization") !== `Bearer ${env.HOOK_TOKEN}`) {
      return new Response("the cron hook needs Authorization: Bearer <service-role key>\n", { status: 401 });
    }
    const cron = url.searchParams.get("cron") || "*/15 * * * *";
    const result = await env.MAIN.scheduled({ cron, scheduledTime: Date.now() });
    return Response.json({ cron, outcome: result.outcome }, { status: result.outcome === "ok" ? 200 : 500 });
  },
};
"#;

/// Writes the workerd configuration into `dir` (mode 0600: it holds secrets).
pub fn write_config(dir: &Path, settings: &WorkerSettings<'_>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("cron-hook.js"), CRON_HOOK_JS)?;
    // capnp resolves an absolute `embed` path against its import roots, not the file system:
    // copy the bundle beside the config and embed it by relative name.
    for file in ["index.js", "index_bg.wasm"] {
        let from = settings.build_dir.join(file);
        std::fs::copy(&from, dir.join(file))
            .with_context(|| format!("{} is missing", from.display()))?;
    }
    let quote = |s: &str| serde_json::to_string(s).expect("string");
    let bindings: Vec<String> = settings
        .bindings
        .iter()
        .map(|(name, value)| format!("(name = {}, text = {})", quote(name), quote(value)))
        .collect();
    let config = format!(
        r#"using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "cron", worker = .cronWorker),
    # The default network service only reaches public addresses; PostgREST (and usually n8n)
    # run on loopback locally. Private ranges only when the operator allows them.
    (name = "internet", network = (allow = [{network_allow}])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:{port}", http = (), service = "main"),
    (name = "cron", address = "127.0.0.1:{cron_port}", http = (), service = "cron"),
  ],
);

const mainWorker :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed {index_js}),
    (name = "index_bg.wasm", wasm = embed {index_wasm}),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [{bindings}],
  globalOutbound = "internet",
);

const cronWorker :Workerd.Worker = (
  modules = [(name = "cron-hook.js", esModule = embed {cron_js})],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["service_binding_extra_handlers"],
  bindings = [(name = "MAIN", service = "main"), (name = "HOOK_TOKEN", text = {cron_token})],
);
"#,
        port = settings.port,
        cron_port = settings.cron_port,
        index_js = quote("index.js"),
        index_wasm = quote("index_bg.wasm"),
        cron_js = quote("cron-hook.js"),
        bindings = bindings.join(", "),
        cron_token = quote(&settings.cron_token),
        network_allow = network_allow(&settings.bindings).join(", "),
    );
    let path = dir.join("workerd.capnp");
    write_private(&path, &config)?;
    Ok(path)
}

/// workerd's own network filter for the worker's outbound calls (it checks the address a name
/// resolved to, which the worker itself cannot see): public always, loopback for PostgREST,
/// private ranges only when `OUTBOUND_ALLOW` names them.
fn network_allow(bindings: &[(&'static str, String)]) -> Vec<&'static str> {
    let allows_private = bindings.iter().any(|(name, value)| {
        *name == "OUTBOUND_ALLOW" && value.split(',').any(|entry| entry.trim() == "private")
    });
    let mut allow = vec!["\"public\"", "\"local\""];
    if allows_private {
        allow.push("\"private\"");
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

/// Serves the worker; returns once both sockets accept connections.
pub async fn start(
    tools: &Tools,
    config: &Path,
    port: u16,
    cron_port: u16,
    log: &Path,
) -> Result<Service> {
    let mut cmd = Command::new(&tools.workerd);
    // --experimental: the cron hook's service_binding_extra_handlers flag needs it.
    cmd.arg("serve").arg(config).arg("--experimental");
    let mut service = process::spawn("workerd", cmd, Some(log), None)?;
    process::wait_for_port(&mut service, port, Duration::from_secs(30)).await?;
    process::wait_for_port(&mut service, cron_port, Duration::from_secs(10)).await?;
    Ok(service)
}
