//! `cargo xtask test`: installs what is missing, checks formatting and lints, builds the edge
//! function and the app, then runs every test of the workspace. The integration tests find the
//! built artifacts through the environment variables set here.

use anyhow::{Context, Result};
use flowpulse_stack::app;
use flowpulse_stack::artifacts::{ENV_APP_BIN, ENV_SITE_ROOT, ENV_WORKER_BUILD, ENV_XTASK_BIN};
use flowpulse_stack::tools::{Extras, Tools};
use flowpulse_stack::worker;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the whole suite; `extra` goes to every `cargo test` (e.g. a test-name filter).
pub fn run(repo: &Path, cache: &Path, extra: &[String]) -> Result<()> {
    let tree_before = work_tree_changes(repo)?;
    let tools = Tools::ensure(
        repo,
        cache,
        Extras {
            chromium: true,
            n8n: true,
        },
    )?;
    crate::lint::run(repo)?;
    let worker_build = worker::build(repo, &tools)?;
    let app_build = app::build(repo, &tools, app::Profile::Dev)?;
    let xtask = std::env::current_exe()?;
    let (first, second) = crate::smoke::dev_stack_twice(&xtask, repo)?;
    println!("dev stack smoke test passed: first start {first:.1?}, second start {second:.1?}");
    // Installing, building and running the stack must leave the checkout as it was (a lock
    // file rewritten by an install, a generated file outside .gitignore, ...).
    if let (Some(before), Some(after)) = (&tree_before, work_tree_changes(repo)?) {
        let new: Vec<&String> = after.iter().filter(|line| !before.contains(line)).collect();
        anyhow::ensure!(
            new.is_empty(),
            "setting up and running the stack changed the work tree:\n{}",
            new.iter()
                .map(|line| format!("  {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let mut totals = Totals::default();
    let mut cargo_test = |args: &[&str]| -> Result<()> {
        let mut cmd = Command::new("cargo");
        cmd.arg("test").args(args).current_dir(repo);
        if !extra.is_empty() {
            cmd.arg("--").args(extra);
        }
        cmd.env(ENV_WORKER_BUILD, &worker_build)
            .env(ENV_APP_BIN, &app_build.server_binary)
            .env(ENV_SITE_ROOT, &app_build.site_root)
            .env(ENV_XTASK_BIN, &xtask);
        let result = run_counting(&mut cmd, &mut totals);
        result.with_context(|| format!("cargo test {}", args.join(" ")))
    };
    cargo_test(&[
        "--package",
        "flowpulse-core",
        "--package",
        "flowpulse-n8n",
        "--package",
        "flowpulse-pg",
        "--package",
        "flowpulse-stack",
        "--package",
        "xtask",
        "--package",
        "workflow-sync",
        "--package",
        "flowpulse-cli",
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
    // One closing line for the whole run (CI reads the last line a runner prints).
    println!(
        "xtask test: {} passed, {} failed, {} ignored",
        totals.passed, totals.failed, totals.ignored
    );
    Ok(())
}

/// `git status --porcelain` of the checkout, one entry per changed or untracked path; `None`
/// outside a git checkout (a source tarball), where there is nothing to compare.
fn work_tree_changes(repo: &Path) -> Result<Option<Vec<String>>> {
    let output = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(repo)
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => Ok(Some(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::to_string)
                .collect(),
        )),
        _ => Ok(None),
    }
}

/// Test counts summed over every `cargo test` run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Totals {
    /// Adds the counts of a libtest summary line (`test result: ok. 3 passed; 0 failed; ...`).
    fn add_summary_line(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(number)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Runs `cmd`, echoing its output, and adds its libtest summaries to `totals`.
fn run_counting(cmd: &mut Command, totals: &mut Totals) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let mut child = cmd.stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        totals.add_summary_line(&line);
    }
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "failed ({status})");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines_are_added_up() {
        let mut totals = Totals::default();
        totals.add_summary_line("test result: ok. 65 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        totals.add_summary_line(
            "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out",
        );
        totals.add_summary_line("running 3 tests");
        assert_eq!(
            totals,
            Totals {
                passed: 68,
                failed: 2,
                ignored: 1
            }
        );
    }
}
