//! Runs the README's stack command (`cargo xtask dev`) the way a user does, twice: a first
//! start on an empty data directory and a second that must reuse it. Each time the app page,
//! the edge function's health URL, PostgREST and the cron hook must answer, and Ctrl-C must
//! stop every service. Part of `cargo xtask test`.

use anyhow::{anyhow, Context, Result};
use flowpulse_stack::process;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts, checks and stops the stack twice; returns the two start-up times.
pub fn dev_stack_twice(xtask_bin: &Path, repo: &Path) -> Result<(Duration, Duration)> {
    let data_dir = repo.join("target").join("dev-smoke");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let ports = Ports::pick()?;
    let first =
        run_once(xtask_bin, &data_dir, &ports).context("first start (empty data directory)")?;
    let second =
        run_once(xtask_bin, &data_dir, &ports).context("second start (reusing the data)")?;
    refuses_a_busy_port(xtask_bin, &data_dir, &ports).context("start with the app's port taken")?;
    Ok((first, second))
}

struct Ports {
    pg: u16,
    postgrest: u16,
    worker: u16,
    cron: u16,
    app: u16,
}

impl Ports {
    fn pick() -> Result<Ports> {
        Ok(Ports {
            pg: process::free_port()?,
            postgrest: process::free_port()?,
            worker: process::free_port()?,
            cron: process::free_port()?,
            app: process::free_port()?,
        })
    }

    fn all(&self) -> [u16; 5] {
        [self.pg, self.postgrest, self.worker, self.cron, self.app]
    }
}

/// With the app's port taken, the stack must not start and must say which setting moves it.
fn refuses_a_busy_port(xtask_bin: &Path, data_dir: &Path, ports: &Ports) -> Result<()> {
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", ports.app))?;
    let output = dev_command(xtask_bin, data_dir, ports)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(
        !output.status.success(),
        "`xtask dev` started although port {} was taken",
        ports.app
    );
    anyhow::ensure!(
        stderr.contains(&ports.app.to_string()) && stderr.contains("FLOWPULSE_APP_PORT"),
        "the error names the port and its setting: {stderr}"
    );
    Ok(())
}

fn dev_command(xtask_bin: &Path, data_dir: &Path, ports: &Ports) -> Command {
    let mut cmd = Command::new(xtask_bin);
    cmd.arg("dev")
        .env("FLOWPULSE_DATA_DIR", data_dir)
        .env("FLOWPULSE_PG_PORT", ports.pg.to_string())
        .env("FLOWPULSE_POSTGREST_PORT", ports.postgrest.to_string())
        .env("FLOWPULSE_WORKER_PORT", ports.worker.to_string())
        .env("FLOWPULSE_CRON_PORT", ports.cron.to_string())
        .env("FLOWPULSE_APP_PORT", ports.app.to_string())
        // Secrets from the environment: the smoke test never writes the developer's `.env`.
        .env("FLOWPULSE_DB_PASSWORD", "smoke-test-db-password")
        .env(
            "FLOWPULSE_JWT_SECRET",
            "smoke-test-jwt-secret-0123456789abcdefghij",
        )
        .env(
            "FLOWPULSE_ENCRYPTION_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("FLOWPULSE_DEMO_PASSWORD", "smoke-test-demo");
    cmd
}

fn run_once(xtask_bin: &Path, data_dir: &Path, ports: &Ports) -> Result<Duration> {
    let started = Instant::now();
    let mut cmd = dev_command(xtask_bin, data_dir, ports);
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = cmd.spawn().context("start `xtask dev`")?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("  [dev] {line}");
            let _ = tx.send(line);
        }
    });
    let up = wait_for_line(&rx, "FlowPulse is up", Duration::from_secs(900), &mut child);
    let elapsed = started.elapsed();
    let checked = up.and_then(|_| check_endpoints(ports));
    // Ctrl-C, as a user would; the stack must stop cleanly either way.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_exit(&mut child, Duration::from_secs(60))?;
    checked?;
    anyhow::ensure!(
        status.success(),
        "`xtask dev` exited with {status} after Ctrl-C"
    );
    for port in ports.all() {
        process::ensure_port_free(port, "a stopped service", "-").map_err(|_| {
            anyhow!("port {port} is still in use after Ctrl-C: a service outlived the stack")
        })?;
    }
    Ok(elapsed)
}

fn wait_for_line(
    rx: &mpsc::Receiver<String>,
    needle: &str,
    timeout: Duration,
    child: &mut Child,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains(needle) => return Ok(()),
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if let Some(status) = child.try_wait()? {
            return Err(anyhow!("`xtask dev` exited early with {status}"));
        }
    }
    Err(anyhow!("`xtask dev` did not report \"{needle}\" in time"))
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            return Err(anyhow!(
                "`xtask dev` did not stop within {timeout:?} of Ctrl-C"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn check_endpoints(ports: &Ports) -> Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()?;
            let get = |url: String| {
                let http = http.clone();
                async move {
                    let reply = http
                        .get(&url)
                        .send()
                        .await
                        .with_context(|| format!("GET {url}"))?;
                    anyhow::Ok((reply.status().as_u16(), reply.text().await?))
                }
            };
            let (status, page) = get(format!("http://127.0.0.1:{}/", ports.app)).await?;
            anyhow::ensure!(
                status == 200 && page.contains("FlowPulse"),
                "app page: {status}"
            );
            anyhow::ensure!(
                page.contains("/pkg/flowpulse.js"),
                "the page loads the hydrate bundle"
            );
            let (status, _) = get(format!(
                "http://127.0.0.1:{}/pkg/flowpulse_bg.wasm",
                ports.app
            ))
            .await?;
            anyhow::ensure!(status == 200, "the hydrate wasm is served: {status}");
            let health = format!(
                "http://127.0.0.1:{}/functions/v1/workflow-sync/health",
                ports.worker
            );
            let (status, body) = get(health).await?;
            anyhow::ensure!(
                status == 200 && body.contains("ok"),
                "worker health: {status} {body}"
            );
            let (status, _) = get(format!("http://127.0.0.1:{}/api", ports.postgrest)).await?;
            anyhow::ensure!(status == 200, "PostgREST root: {status}");
            Ok(())
        })
}
