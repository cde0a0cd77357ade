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
        "app" | "sync-now" => {
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
            let bench = which.replace('-', "_");
            process::run_visible(
                &format!("cargo bench ({which})"),
                Command::new("cargo")
                    .args(["bench", "--package", "flowpulse-tests", "--bench", &bench])
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
        "cron" => {
            // The worker as deployed (the one build there is), on Miniflare with its queue.
            let tools = Tools::ensure(repo, cache, Extras::default())?;
            let worker_build = flowpulse_stack::worker::build(repo, &tools)?;
            process::run_visible(
                "cargo bench (cron)",
                Command::new("cargo")
                    .args(["bench", "--package", "flowpulse-tests", "--bench", "cron"])
                    .env(flowpulse_stack::artifacts::ENV_WORKER_BUILD, worker_build)
                    .current_dir(repo),
            )
        }
        "bundle" => {
            // The same build as `cargo xtask dev` and the tests (and `wrangler deploy`).
            let tools = Tools::ensure(repo, cache, Extras::default())?;
            let build = flowpulse_stack::worker::build(repo, &tools)?;
            bundle(&build)
        }
        other => bail!(
            "unknown benchmark {other:?}; available: sync, ingest, backfill, cron, app, sync-now, \
             bundle"
        ),
    }
}

/// The edge function's bundle as `wrangler deploy` uploads it (goal: < 1 MB raw, MB = 1024 KB
/// as for the app's hydrate bundle), with the wasm's code and data sections.
fn bundle(build: &Path) -> Result<()> {
    const MB: f64 = 1024.0 * 1024.0;
    const GOAL_MB: f64 = 1.0;
    let wasm = std::fs::read(build.join("index_bg.wasm"))?;
    let js = std::fs::read(build.join("index.js"))?;
    let mb = |bytes: usize| bytes as f64 / MB;
    let raw = wasm.len() + js.len();
    let ratio = mb(raw) / GOAL_MB;
    println!(
        "edge function bundle: {:.2} MB raw (wasm {:.2} MB + js {:.2} MB; {raw} bytes) — goal < 1 MB: ratio {ratio:.2} ({})",
        mb(raw),
        mb(wasm.len()),
        mb(js.len()),
        if ratio < 1.0 { "met" } else { "missed" }
    );
    let sections = wasm_sections(&wasm)?;
    let size = |id: u8| -> usize {
        sections
            .iter()
            .filter(|(section, _)| *section == id)
            .map(|(_, len)| len)
            .sum()
    };
    let (code, data) = (size(10), size(11));
    println!(
        "  wasm: code {:.2} MB, data {:.2} MB, everything else {:.2} MB; gzipped bundle {:.2} MB",
        mb(code),
        mb(data),
        mb(wasm.len() - code - data),
        mb(gzip_len(&wasm)? + gzip_len(&js)?)
    );
    Ok(())
}

/// `(section id, size)` of each section of a wasm module.
fn wasm_sections(wasm: &[u8]) -> Result<Vec<(u8, usize)>> {
    anyhow::ensure!(wasm.starts_with(b"\0asm"), "not a wasm module");
    let mut at = 8;
    let mut sections = Vec::new();
    while at < wasm.len() {
        let id = wasm[at];
        let (len, after) = leb128(wasm, at + 1)?;
        sections.push((id, len));
        at = after + len;
    }
    Ok(sections)
}

fn leb128(bytes: &[u8], mut at: usize) -> Result<(usize, usize)> {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = *bytes
            .get(at)
            .ok_or_else(|| anyhow::anyhow!("truncated wasm module"))?;
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
        shift += 7;
        anyhow::ensure!(shift < 35, "bad section length in the wasm module");
    }
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}
