//! The one error type of the `flowpulse` tool: every failure a user can meet, with a message
//! that says what to do about it.

use std::path::PathBuf;

/// Why a `flowpulse` command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `flowpulse.toml` is missing, unreadable or malformed.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// A command named an instance the configuration does not define.
    #[error("instance \"{name}\" is not defined in {config} (defined: {known})")]
    UnknownInstance {
        name: String,
        config: PathBuf,
        known: String,
    },
    /// The environment variable that holds an instance's API key is not set.
    #[error("the API key of instance \"{instance}\" is read from ${var}, which is not set")]
    MissingApiKey { instance: String, var: String },
    /// n8n answered with an error or could not be reached.
    #[error("n8n at {url}: {message}")]
    N8n { url: String, message: String },
    /// `--workflow` matched nothing.
    #[error("instance \"{instance}\" has no workflow named or with id \"{wanted}\"")]
    WorkflowNotFound { instance: String, wanted: String },
    /// `--workflow` matched several workflows by name.
    #[error(
        "instance \"{instance}\" has several workflows named \"{wanted}\" (ids {ids}): pass an id"
    )]
    AmbiguousWorkflow {
        instance: String,
        wanted: String,
        ids: String,
    },
    /// A bad command-line value (e.g. `--since`).
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database URL is unusable, or the connection (or its TLS) failed.
    #[error("database: {0}")]
    Connect(#[from] flowpulse_pg::Error),
    /// A database statement outside a migration file failed (bookkeeping, deploy).
    #[error("database: {}", database_message(.0))]
    Database(#[from] tokio_postgres::Error),
    /// A migration file failed or could not be read; the message names the file (and line).
    #[error("{0:#}")]
    Migration(anyhow::Error),
}

/// tokio-postgres' own text ("error connecting to server") plus its cause ("Connection
/// refused"), which its `Display` leaves out.
fn database_message(error: &tokio_postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// Result of the tool's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
