//! Connecting to Postgres from a libpq-style URL, with the TLS its `sslmode` asks for.
//!
//! tokio-postgres understands `sslmode` = `disable` | `prefer` | `require` only and has no TLS
//! of its own, so a database that enforces TLS (Supabase can) was out of reach with `NoTls`.
//! [`DatabaseUrl`] takes the URL apart once — `sslmode` (including `verify-ca` and
//! `verify-full`) and `sslrootcert` are ours, everything else is tokio-postgres' — and
//! [`connect`] opens the connection through rustls:
//!
//! | `sslmode` | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (the default, as in libpq) | when the server offers it | no (chain only with `sslrootcert`) |
//! | `require` | always | no (chain only with `sslrootcert`, as libpq) |
//! | `verify-ca` | always | chain against `sslrootcert` (required) |
//! | `verify-full` | always | chain against `sslrootcert`, or the system's CAs without it (or with `sslrootcert=system`), and the host name |

mod error;
mod tls;
mod url;

pub use error::Error;
pub use url::{DatabaseUrl, SslMode, TlsPolicy, TrustedRoots};

use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connection half of [`connect`]: poll it (or spawn it) for the client to make progress.
/// One type whatever the `sslmode`, so callers never branch on TLS.
pub type Connection =
    tokio_postgres::Connection<Socket, <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream>;

/// Connects to `url` with the TLS its `sslmode` and `sslrootcert` ask for. A refused
/// certificate is reported in plain words (which CA, which host name); other failures carry
/// the server's or the network's message.
pub async fn connect(url: &DatabaseUrl) -> Result<(Client, Connection), Error> {
    let connector = tls::connector(url.tls())?;
    url.config()
        .connect(connector)
        .await
        .map_err(|error| Error::from_connect(error, url))
}
