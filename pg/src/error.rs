//! Why a database URL was refused or a connection failed, in words that say what to fix.
//! No message ever contains the password: only parameter names and our own values are quoted.

use crate::{DatabaseUrl, TlsPolicy};
use std::error::Error as StdError;
use std::path::PathBuf;

/// A bad database URL, an unusable CA file, a refused certificate or a failed connection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not a `postgres://` URL (libpq's `key=value` form is not read here).
    #[error("the database URL must start with postgres:// or postgresql://")]
    NotAUrl,
    /// `sslmode` or `sslrootcert` (or a parameter name) has a value we cannot use.
    #[error("the database URL's {parameter}: {problem}")]
    BadParameter {
        parameter: &'static str,
        problem: String,
    },
    /// tokio-postgres refused the rest of the URL; its message names the option.
    #[error("the database URL: {}", with_causes(.0))]
    Invalid(#[source] tokio_postgres::Error),
    /// The `sslrootcert` file could not be read.
    #[error("sslrootcert {}: {source}", .path.display())]
    CaFileUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The `sslrootcert` file holds no usable PEM certificate.
    #[error("sslrootcert {}: {problem}", .path.display())]
    CaFileInvalid { path: PathBuf, problem: String },
    /// `verify-full` without `sslrootcert` found no trusted CA on this system.
    #[error("no CA certificates could be loaded from this system ({0}); pass sslrootcert=<file>")]
    NoSystemRoots(String),
    /// rustls could not be set up (never expected with the bundled provider).
    #[error("TLS set-up: {0}")]
    TlsSetup(rustls::Error),
    /// The server's certificate does not chain to the trusted CA(s).
    #[error("the server's certificate is not signed by {trusted}")]
    UntrustedCertificate { trusted: String },
    /// The server's certificate is valid, but not for the host name connected to.
    #[error("the server's certificate is not valid for the host name {host}")]
    WrongHostName { host: String },
    /// Any other certificate problem (expired, not yet valid, wrong usage, ...).
    #[error("the server's certificate was refused: {0}")]
    BadCertificate(rustls::CertificateError),
    /// The connection failed otherwise: unreachable, refused by `pg_hba.conf`, bad password,
    /// no TLS offered although required.
    #[error("could not connect to the database: {}", with_causes(.0))]
    Connect(#[source] tokio_postgres::Error),
}

impl Error {
    pub(crate) fn bad_parameter(parameter: &'static str, problem: impl Into<String>) -> Error {
        Error::BadParameter {
            parameter,
            problem: problem.into(),
        }
    }

    /// Names a refused certificate in the terms of `url` (its CA file, its host name).
    pub(crate) fn from_connect(error: tokio_postgres::Error, url: &DatabaseUrl) -> Error {
        use rustls::CertificateError as Cert;
        let trusted = match url.tls() {
            TlsPolicy::Verified { roots, .. } => roots.to_string(),
            _ => "a trusted CA".into(),
        };
        match rustls_error(&error) {
            Some(rustls::Error::InvalidCertificate(Cert::UnknownIssuer)) => {
                Error::UntrustedCertificate { trusted }
            }
            Some(rustls::Error::InvalidCertificate(
                Cert::NotValidForName | Cert::NotValidForNameContext { .. },
            )) => Error::WrongHostName { host: url.hosts() },
            Some(rustls::Error::InvalidCertificate(other)) => Error::BadCertificate(other.clone()),
            _ => Error::Connect(error),
        }
    }
}

/// The rustls error somewhere in `error`'s causes. tokio-rustls wraps it in an `io::Error`,
/// whose `source()` skips the wrapped error, so that layer is opened by hand.
fn rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        let wrapped = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        if wrapped.is_some() {
            return wrapped;
        }
        next = error.source();
    }
    None
}

/// tokio-postgres' own text ("db error", "error connecting to server") plus its causes
/// (the server's message, "Connection refused"), which its `Display` leaves out.
fn with_causes(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text = format!("{text}: {cause}");
        next = cause.source();
    }
    text
}
