//! Child processes that never outlive the process that started them.
//!
//! Every service of the local stack (Postgres, PostgREST, workerd, the app, n8n) is started
//! through [`spawn`]. On Linux each child gets `PR_SET_PDEATHSIG`, so even a `kill -9` of
//! `cargo xtask dev` or a panicking test binary takes its services down with it. The kernel
//! sends that signal when the *thread* that forked the child exits, so all children are forked
//! from one long-lived spawner thread rather than from short-lived test or tokio threads.

use anyhow::{anyhow, Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Who a child runs as: root may not run PostgreSQL, so the stack drops to `postgres` for it.
#[derive(Debug, Clone, Copy)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

impl RunAs {
    /// The `postgres` system user when we are root; `None` (run as ourselves) otherwise.
    pub fn postgres_if_root() -> Result<Option<RunAs>> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(None);
        }
        let name = std::ffi::CString::new("postgres")?;
        // SAFETY: getpwnam returns a pointer into static storage or null; we copy out at once.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if pw.is_null() {
            return Err(anyhow!(
                "running as root but there is no `postgres` user; install PostgreSQL \
                 (`apt-get install postgresql`) or run as a normal user"
            ));
        }
        // SAFETY: pw is non-null and points to a valid passwd record.
        let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
        Ok(Some(RunAs { uid, gid }))
    }

    /// Gives `path` to this user so the child can write there.
    pub fn chown(&self, path: &Path) -> Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("chown {}", path.display()))
    }
}

/// A running child; stopped (its stop signal, then SIGKILL) when dropped.
pub struct Service {
    name: String,
    child: Option<Child>,
    log: Option<PathBuf>,
    stop_signal: libc::c_int,
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

fn spawner() -> &'static Mutex<mpsc::Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("flowpulse-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
                // The channel never closes (the sender is static), so this thread lives as
                // long as the process; its exit is what triggers the children's death signal.
            })
            .expect("spawner thread");
        Mutex::new(tx)
    })
}

/// Starts `cmd` as a supervised service. Output goes to `log` (appended) or is discarded.
pub fn spawn(
    name: &str,
    mut cmd: Command,
    log: Option<&Path>,
    run_as: Option<RunAs>,
) -> Result<Service> {
    match log {
        Some(path) => {
            let out = File::options()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("open log {}", path.display()))?;
            cmd.stdout(out.try_clone()?).stderr(out);
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    cmd.stdin(Stdio::null());
    install_pre_exec(&mut cmd, run_as);
    let (tx, rx) = mpsc::channel();
    spawner()
        .lock()
        .map_err(|_| anyhow!("spawner lock poisoned"))?
        .send((cmd, tx))
        .map_err(|_| anyhow!("spawner thread is gone"))?;
    let child = rx
        .recv()
        .map_err(|_| anyhow!("spawner thread is gone"))?
        .with_context(|| format!("failed to start {name}"))?;
    Ok(Service {
        name: name.to_string(),
        child: Some(child),
        log: log.map(Path::to_path_buf),
        stop_signal: libc::SIGTERM,
    })
}

fn install_pre_exec(cmd: &mut Command, run_as: Option<RunAs>) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure only calls async-signal-safe libc functions.
    unsafe {
        cmd.pre_exec(move || {
            // Own process group: a Ctrl-C in the terminal reaches xtask, which then stops the
            // children in order, instead of every child racing to die at once.
            libc::setpgid(0, 0);
            if let Some(user) = run_as {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(user.gid) != 0
                    || libc::setuid(user.uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // After setuid: a credential change clears the parent-death signal.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

impl Service {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Fails with the tail of the log when the child has already exited.
    pub fn ensure_running(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        if let Some(status) = child.try_wait()? {
            self.child = None;
            return Err(anyhow!(
                "{} exited ({status}){}",
                self.name,
                self.log_tail()
            ));
        }
        Ok(())
    }

    /// The last lines of the service's log, for error messages.
    pub fn log_tail(&self) -> String {
        let Some(path) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("\n--- last lines of {} ---\n{tail}", path.display())
    }

    /// Stops with `signal` instead of SIGTERM (PostgreSQL: SIGINT is its fast shutdown, where
    /// SIGTERM would wait for every client to disconnect).
    pub fn with_stop_signal(mut self, signal: libc::c_int) -> Self {
        self.stop_signal = signal;
        self
    }

    /// The stop signal (SIGTERM unless set), SIGKILL after `grace`; then whatever the child
    /// left behind in its process group (chromedriver's Chromium, n8n's task runners) is
    /// killed too, so nothing outlives its service.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        if let Ok(None) = child.try_wait() {
            // SAFETY: signalling a pid we own.
            unsafe { libc::kill(pid, self.stop_signal) };
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        // The child led its own group (see `install_pre_exec`); ESRCH when it is empty.
        // SAFETY: a negative pid signals that process group only.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
    }
}

/// A free TCP port on loopback (for tests; there is a small window before the service binds).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// A clear error when `port` is taken, naming the setting that moves it.
pub fn ensure_port_free(port: u16, what: &str, setting: &str) -> Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| {
            anyhow!(
                "port {port} for {what} is already in use: stop whatever listens there \
             (`ss -ltnp 'sport = :{port}'` shows it) or set {setting} to another port"
            )
        })
}

/// Polls until `port` accepts TCP connections or `timeout` passes, failing early when the
/// service dies.
pub async fn wait_for_port(service: &mut Service, port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        service.ensure_running()?;
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(anyhow!(
                "{} did not listen on port {port} within {timeout:?}{}",
                service.name(),
                service.log_tail()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the service's log holds `line` (its own word that it is ready: a port that
/// accepts connections may be another process's), failing if it exits first.
pub async fn wait_for_log(service: &mut Service, line: &str, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let Some(log) = service.log.clone() else {
        return Err(anyhow!("{} has no log to wait on", service.name()));
    };
    loop {
        service.ensure_running()?;
        let text = tokio::fs::read_to_string(&log).await.unwrap_or_default();
        if text.lines().any(|written| written.trim() == line) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(anyhow!(
                "{} did not log {line:?} within {timeout:?}{}",
                service.name(),
                service.log_tail()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs a command to completion, failing with its output when it fails.
pub fn run(what: &str, cmd: &mut Command) -> Result<()> {
    let output = cmd
        .output()
        .with_context(|| format!("could not start {what}"))?;
    if !output.status.success() {
        return Err(anyhow!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// Like [`run`], but the output streams to the terminal (long builds show progress).
pub fn run_visible(what: &str, cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {what}"))?;
    if !status.success() {
        return Err(anyhow!("{what} failed ({status})"));
    }
    Ok(())
}
