//! [`DatabaseUrl`]: a `postgres://` URL taken apart once, its TLS wishes made explicit.

use crate::Error;
use percent_encoding::percent_decode_str;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// libpq's `sslmode`, as written in the URL (or its default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    const ALL: [SslMode; 5] = [
        SslMode::Disable,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The word libpq uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The certificate authorities a checked connection trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedRoots {
    /// The system's store (`/etc/ssl/certs` on Debian): `verify-full` without `sslrootcert`,
    /// or `sslrootcert=system` as in libpq 16.
    System,
    /// The PEM file named by `sslrootcert=<path>` (one or more CA certificates).
    CaFile(PathBuf),
}

impl fmt::Display for TrustedRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustedRoots::System => f.write_str("a CA this system trusts"),
            TrustedRoots::CaFile(path) => write!(f, "the CA in {}", path.display()),
        }
    }
}

/// What a connection does about TLS: `sslmode` and `sslrootcert` read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsPolicy {
    /// `disable`: plain TCP.
    Off,
    /// `prefer` or `require` without `sslrootcert`: encrypted (always with `required`, else
    /// when the server offers it), the certificate taken as it comes, as libpq does.
    EncryptOnly { required: bool },
    /// The certificate's chain is checked against `roots`, and with `host_name` also the name
    /// connected to. `verify-full`; `verify-ca`; and `prefer`/`require` given an `sslrootcert`,
    /// where libpq checks the chain too.
    Verified {
        required: bool,
        roots: TrustedRoots,
        host_name: bool,
    },
}

/// A libpq-style `postgres://` (or `postgresql://`) URL, parsed: the connection settings
/// tokio-postgres takes, plus the TLS policy from `sslmode` and `sslrootcert`. `Debug` never
/// shows the password.
#[derive(Clone)]
pub struct DatabaseUrl {
    config: tokio_postgres::Config,
    ssl_mode: SslMode,
    tls: TlsPolicy,
}

impl DatabaseUrl {
    /// The `sslmode` in effect (written, or libpq's default).
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// What the connection does about TLS.
    pub fn tls(&self) -> &TlsPolicy {
        &self.tls
    }

    /// The settings tokio-postgres connects with (its `ssl_mode` already set from ours).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// The host names (or socket directories) of the URL, comma-separated, for messages.
    pub fn hosts(&self) -> String {
        let names: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        names.join(",")
    }
}

/// The two parameters tokio-postgres does not understand (or not fully), which we read.
const SSLMODE: &str = "sslmode";
const SSLROOTCERT: &str = "sslrootcert";

impl FromStr for DatabaseUrl {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let (base, query) = split_query(text)?;
        let mut ssl_mode = None;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, slot) = match decode(key, "a parameter name")?.as_str() {
                SSLMODE => (SSLMODE, &mut ssl_mode),
                SSLROOTCERT => (SSLROOTCERT, &mut root_cert),
                // Left exactly as written: tokio-postgres parses (and judges) the rest.
                _ => {
                    kept.push(pair);
                    continue;
                }
            };
            if slot.is_some() {
                return Err(Error::bad_parameter(name, "given twice"));
            }
            *slot = Some(decode(value, name)?);
        }
        let rebuilt = match kept.is_empty() {
            true => base.to_owned(),
            false => format!("{base}?{}", kept.join("&")),
        };
        let mut config = tokio_postgres::Config::from_str(&rebuilt).map_err(Error::Invalid)?;
        let roots = root_cert.map(|value| parse_root_cert(&value)).transpose()?;
        let ssl_mode = match ssl_mode {
            Some(value) => parse_ssl_mode(&value)?,
            // libpq 16: `sslrootcert=system` alone means verify-full.
            None if roots == Some(TrustedRoots::System) => SslMode::VerifyFull,
            None => SslMode::Prefer,
        };
        let tls = policy(ssl_mode, roots)?;
        config.ssl_mode(match &tls {
            TlsPolicy::Off => tokio_postgres::config::SslMode::Disable,
            TlsPolicy::EncryptOnly { required: false }
            | TlsPolicy::Verified {
                required: false, ..
            } => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        Ok(DatabaseUrl {
            config,
            ssl_mode,
            tls,
        })
    }
}

/// `(everything before the query, the query)`. The query starts at the first `?` after the
/// user info, exactly where tokio-postgres' own parser starts it, so a `?` inside a
/// password stays part of the password.
fn split_query(text: &str) -> Result<(&str, Option<&str>), Error> {
    let rest = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| text.strip_prefix(scheme))
        .ok_or(Error::NotAUrl)?;
    let scheme_len = text.len() - rest.len();
    let after_user_info = rest.find('@').map_or(0, |at| at + 1);
    Ok(match rest[after_user_info..].find('?') {
        Some(at) => {
            let at = scheme_len + after_user_info + at;
            (&text[..at], Some(&text[at + 1..]).filter(|q| !q.is_empty()))
        }
        None => (text, None),
    })
}

fn decode(text: &str, what: &'static str) -> Result<String, Error> {
    percent_decode_str(text)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| Error::bad_parameter(what, "is not UTF-8 once percent-decoded"))
}

fn parse_ssl_mode(value: &str) -> Result<SslMode, Error> {
    if value == "allow" {
        // libpq's `allow` tries plain TCP first: nothing we want to offer.
        return Err(Error::bad_parameter(
            SSLMODE,
            "\"allow\" is not supported; use disable, prefer, require, verify-ca or verify-full",
        ));
    }
    SslMode::ALL
        .into_iter()
        .find(|mode| mode.as_str() == value)
        .ok_or_else(|| {
            Error::bad_parameter(
                SSLMODE,
                format!(
                    "\"{value}\" is not one of disable, prefer, require, verify-ca, verify-full"
                ),
            )
        })
}

fn parse_root_cert(value: &str) -> Result<TrustedRoots, Error> {
    match value {
        "" => Err(Error::bad_parameter(SSLROOTCERT, "is empty")),
        "system" => Ok(TrustedRoots::System),
        path => Ok(TrustedRoots::CaFile(Path::new(path).to_path_buf())),
    }
}

fn policy(mode: SslMode, roots: Option<TrustedRoots>) -> Result<TlsPolicy, Error> {
    let system_needs_full = || {
        Error::bad_parameter(
            SSLROOTCERT,
            format!(
                "\"system\" trusts every public CA, so it needs sslmode=verify-full (not {mode})"
            ),
        )
    };
    Ok(match (mode, roots) {
        (SslMode::Disable, None) => TlsPolicy::Off,
        (SslMode::Disable, Some(_)) => {
            return Err(Error::bad_parameter(
                SSLROOTCERT,
                "has no effect with sslmode=disable; remove one of them",
            ))
        }
        (SslMode::Prefer | SslMode::Require | SslMode::VerifyCa, Some(TrustedRoots::System)) => {
            return Err(system_needs_full())
        }
        (SslMode::Prefer | SslMode::Require, None) => TlsPolicy::EncryptOnly {
            required: mode == SslMode::Require,
        },
        (SslMode::Prefer | SslMode::Require, Some(roots)) => TlsPolicy::Verified {
            required: mode == SslMode::Require,
            roots,
            host_name: false,
        },
        // Any certificate from any public CA would pass a chain-only check: no CA, no check.
        (SslMode::VerifyCa, None) => {
            return Err(Error::bad_parameter(
                SSLMODE,
                "verify-ca needs sslrootcert=<file with the CA certificate>",
            ))
        }
        (SslMode::VerifyCa, Some(roots)) => TlsPolicy::Verified {
            required: true,
            roots,
            host_name: false,
        },
        (SslMode::VerifyFull, roots) => TlsPolicy::Verified {
            required: true,
            roots: roots.unwrap_or(TrustedRoots::System),
            host_name: true,
        },
    })
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        f.debug_struct("DatabaseUrl")
            .field("user", &config.get_user())
            .field(
                "password",
                &config.get_password().map(|_| format_args!("<redacted>")),
            )
            .field("hosts", &self.hosts())
            .field("ports", &config.get_ports())
            .field("dbname", &config.get_dbname())
            .field("ssl_mode", &self.ssl_mode)
            .field("tls", &self.tls)
            .finish()
    }
}

#[cfg(test)]
mod tests;
