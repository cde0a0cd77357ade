//! The PostgREST endpoint of the local stack: `postrust` (a PostgREST-compatible server) in
//! compatibility mode, logging in as `authenticator` and switching to each JWT's role.

use crate::pg;
use crate::process::{self, Service};
use anyhow::Result;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Settings for one PostgREST server.
pub struct PostgrestSettings<'a> {
    pub binary: &'a Path,
    pub pg_port: u16,
    pub database: &'a str,
    /// Password of the `authenticator` role.
    pub authenticator_password: &'a str,
    pub jwt_secret: &'a str,
    pub port: u16,
    pub log: &'a Path,
}

/// Starts the server and waits until it listens. Tables are under `/api/<table>`.
pub async fn start(settings: PostgrestSettings<'_>) -> Result<Service> {
    let db_uri = pg::url(
        settings.pg_port,
        settings.database,
        "authenticator",
        settings.authenticator_password,
    );
    let mut cmd = Command::new(settings.binary);
    cmd.env("PGRST_DB_URI", db_uri)
        .env("PGRST_DB_ANON_ROLE", flowpulse_core::claims::role::ANON)
        .env("PGRST_DB_SCHEMAS", "public")
        .env("PGRST_JWT_SECRET", settings.jwt_secret)
        .env("PGRST_SERVER_HOST", "127.0.0.1")
        .env("PGRST_SERVER_PORT", settings.port.to_string())
        // Reload the schema cache on `NOTIFY pgrst, 'reload schema'` after migrations.
        .env("PGRST_DB_CHANNEL_ENABLED", "true")
        // Without it RPC results come wrapped and database errors are hidden.
        .env("PGRST_COMPAT_MODE", "true");
    let mut service = process::spawn("postgrest", cmd, Some(settings.log), None)?;
    process::wait_for_port(&mut service, settings.port, Duration::from_secs(30)).await?;
    Ok(service)
}

/// Sets the `authenticator` password (the bootstrap creates the role without one).
pub async fn set_authenticator_password(
    client: &tokio_postgres::Client,
    password: &str,
) -> Result<()> {
    client
        .batch_execute(&format!(
            "alter role authenticator with login password {}",
            pg::quote_literal(password)
        ))
        .await?;
    Ok(())
}
