//! A PostgreSQL cluster of our own (Debian's binaries), created on first use.
//!
//! The dev stack keeps its cluster in `FLOWPULSE_DATA_DIR/pg` so data survives restarts; the
//! tests create a throwaway one. As root the server runs as the `postgres` user.

use crate::process::{self, RunAs, Service};
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tokio_postgres::Client;

/// A running cluster listening on 127.0.0.1.
pub struct PgCluster {
    pub port: u16,
    password: String,
    /// Appended to our own connection URLs: `?sslmode=require` for a TLS-only cluster.
    url_options: &'static str,
    // Dropped last: stopping the server is the final act.
    _server: Service,
}

/// Tuning for a cluster: the tests trade durability for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Survives crashes: the dev stack's data.
    Durable,
    /// `fsync=off`: throwaway test clusters.
    Throwaway,
}

/// The directory of `initdb`/`postgres`: `FLOWPULSE_PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/<version>/bin`, else whatever is on PATH.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FLOWPULSE_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(std::result::Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn pg_command(name: &str) -> Command {
    match bin_dir() {
        Some(dir) => Command::new(dir.join(name)),
        None => Command::new(name),
    }
}

/// The server certificate of a cluster that admits TLS connections only.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub certificate_pem: String,
    pub private_key_pem: String,
}

impl PgCluster {
    /// Creates the cluster in `data_dir` unless it exists, then starts it on `port`.
    pub async fn start(
        data_dir: &Path,
        port: u16,
        password: &str,
        durability: Durability,
        log: &Path,
    ) -> Result<PgCluster> {
        Self::start_inner(data_dir, port, password, durability, log, None).await
    }

    /// Like [`PgCluster::start`], but like a database that enforces SSL: `ssl = on` with
    /// `tls`'s certificate, and a `pg_hba.conf` that admits only `hostssl` connections, so a
    /// plain TCP connection is refused by the server.
    pub async fn start_tls_only(
        data_dir: &Path,
        port: u16,
        password: &str,
        durability: Durability,
        log: &Path,
        tls: &ServerTls,
    ) -> Result<PgCluster> {
        Self::start_inner(data_dir, port, password, durability, log, Some(tls)).await
    }

    async fn start_inner(
        data_dir: &Path,
        port: u16,
        password: &str,
        durability: Durability,
        log: &Path,
        tls: Option<&ServerTls>,
    ) -> Result<PgCluster> {
        let run_as = RunAs::postgres_if_root()?;
        if !data_dir.join("data").join("PG_VERSION").exists() {
            init(data_dir, password, run_as)?;
        }
        let socket_dir = data_dir.join("sockets");
        std::fs::create_dir_all(&socket_dir)?;
        if let Some(user) = run_as {
            user.chown(&socket_dir)?;
            if !log.exists() {
                std::fs::write(log, "")?;
            }
            user.chown(log)?;
        }
        // A crash leaves postmaster.pid behind; postgres itself removes a stale one, but a live
        // server from another run on the same directory must be reported, not fought over.
        let mut cmd = pg_command("postgres");
        cmd.arg("-D").arg(data_dir.join("data"));
        cmd.args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"]);
        cmd.arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()));
        // Supabase runs with logical replication (Realtime): keep publications meaningful.
        cmd.args(["-c", "wal_level=logical"]);
        if let Some(tls) = tls {
            for setting in tls_only_settings(data_dir, tls, run_as)? {
                cmd.arg("-c").arg(setting);
            }
        }
        if durability == Durability::Throwaway {
            cmd.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        let mut server =
            process::spawn("postgres", cmd, Some(log), run_as)?.with_stop_signal(libc::SIGINT);
        let cluster_password = password.to_string();
        let url_options = if tls.is_some() {
            "?sslmode=require"
        } else {
            ""
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            server.ensure_running().context(
                "PostgreSQL stopped during start-up (is another server using this data directory?)",
            )?;
            let ready_url = url(port, "postgres", "postgres", &cluster_password) + url_options;
            if connect_url(&ready_url).await.is_ok() {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(anyhow!(
                    "PostgreSQL did not accept connections within 60 s{}",
                    server.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(PgCluster {
            port,
            password: cluster_password,
            url_options,
            _server: server,
        })
    }

    /// A superuser connection URL for `database`.
    pub fn superuser_url(&self, database: &str) -> String {
        url(self.port, database, "postgres", &self.password) + self.url_options
    }

    /// Connects as superuser to `database`.
    pub async fn connect(&self, database: &str) -> Result<Client> {
        connect_url(&self.superuser_url(database)).await
    }

    /// Creates `database` unless it exists.
    pub async fn ensure_database(&self, database: &str) -> Result<()> {
        let client = self.connect("postgres").await?;
        let exists = client
            .query_opt("select 1 from pg_database where datname = $1", &[&database])
            .await?
            .is_some();
        if !exists {
            client
                .batch_execute(&format!("create database {}", quote_ident(database)))
                .await?;
        }
        Ok(())
    }
}

/// Writes the certificate, key and a TLS-only `pg_hba.conf` beside the data directory and
/// returns the server settings that use them.
fn tls_only_settings(
    data_dir: &Path,
    tls: &ServerTls,
    run_as: Option<RunAs>,
) -> Result<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    let hba = "# TLS only: a plain TCP connection matches no line and is refused.\n\
               hostssl all all 127.0.0.1/32 scram-sha-256\n\
               hostssl all all ::1/128 scram-sha-256\n";
    let files = [
        ("server.crt", tls.certificate_pem.as_str(), "ssl_cert_file"),
        ("server.key", tls.private_key_pem.as_str(), "ssl_key_file"),
        ("pg_hba_tls_only.conf", hba, "hba_file"),
    ];
    let mut settings = vec!["ssl=on".to_string()];
    for (name, content, setting) in files {
        let path = data_dir.join(name);
        std::fs::write(&path, content).with_context(|| format!("write {}", path.display()))?;
        // PostgreSQL refuses a key file others can read.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        if let Some(user) = run_as {
            user.chown(&path)?;
        }
        settings.push(format!("{setting}={}", path.display()));
    }
    Ok(settings)
}

fn init(data_dir: &Path, password: &str, run_as: Option<RunAs>) -> Result<()> {
    std::fs::create_dir_all(data_dir)?;
    if let Some(user) = run_as {
        user.chown(data_dir)?;
    }
    let pwfile = data_dir.join("initdb-password");
    std::fs::write(&pwfile, password)?;
    if let Some(user) = run_as {
        user.chown(&pwfile)?;
    }
    let mut cmd = pg_command("initdb");
    cmd.arg("-D").arg(data_dir.join("data"));
    cmd.args([
        "-U",
        "postgres",
        "--auth-local=peer",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
    ]);
    cmd.args(["--locale=C.UTF-8"]);
    cmd.arg(format!("--pwfile={}", pwfile.display()));
    if let Some(user) = run_as {
        use std::os::unix::process::CommandExt;
        cmd.uid(user.uid).gid(user.gid);
    }
    cmd.current_dir(data_dir);
    let result = process::run("initdb", &mut cmd);
    std::fs::remove_file(&pwfile).ok();
    result
}

/// A `postgres://` URL for 127.0.0.1.
pub fn url(port: u16, database: &str, user: &str, password: &str) -> String {
    format!("postgres://{user}:{password}@127.0.0.1:{port}/{database}")
}

/// Connects (with the TLS the URL's `sslmode` asks for) and drives the connection in the
/// background.
pub async fn connect_url(url: &str) -> Result<Client> {
    let (client, connection) = flowpulse_pg::connect(&url.parse()?).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
