//! Built-in accounts in `auth.users`, the table Supabase Auth uses, with argon2id hashes in
//! `encrypted_password` (the format `cargo xtask dev` writes for the demo user).

use super::{AuthBackend, AuthError, AuthUser};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use futures::future::BoxFuture;
use std::sync::{Arc, OnceLock};
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

/// Accounts over one lazily (re)opened connection: sign-ins are rare next to page views, so a
/// pool would only add moving parts.
pub struct PostgresAuth {
    database_url: String,
    client: Mutex<Option<Arc<Client>>>,
}

impl PostgresAuth {
    /// Connects on first use to `database_url` (`FLOWPULSE_DATABASE_URL`).
    pub fn new(database_url: String) -> Self {
        // Computed now (at start-up) rather than on the first unknown-email sign-in.
        dummy_hash();
        Self {
            database_url,
            client: Mutex::new(None),
        }
    }

    async fn client(&self) -> Result<Arc<Client>, AuthError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|client| !client.is_closed()) {
            return Ok(client.clone());
        }
        let (client, connection) = tokio_postgres::connect(&self.database_url, NoTls)
            .await
            .map_err(database_unavailable)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "accounts database connection closed");
            }
        });
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }

    async fn create(&self, email: &str, password: &str) -> Result<AuthUser, AuthError> {
        let hash = hash_password(password.to_string()).await?;
        let client = self.client().await?;
        // `on conflict do nothing` plus the case-insensitive check: one statement, no race
        // between "is it taken?" and the insert.
        let row = client
            .query_opt(
                "insert into auth.users (email, encrypted_password, email_confirmed_at)
                 select $1::text, $2::text, now()
                 where not exists (select 1 from auth.users where lower(email) = $1::text)
                 on conflict (email) do nothing
                 returning id",
                &[&email, &hash],
            )
            .await
            .map_err(database_unavailable)?;
        let id: Uuid = row.ok_or(AuthError::EmailTaken)?.get(0);
        Ok(AuthUser {
            id,
            email: email.to_string(),
        })
    }

    async fn check(&self, email: &str, password: &str) -> Result<AuthUser, AuthError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select id, email, encrypted_password from auth.users
                 where lower(email) = $1 and encrypted_password is not null
                 order by created_at limit 1",
                &[&email],
            )
            .await
            .map_err(database_unavailable)?;
        let Some(row) = row else {
            // Same work as for a real account, so response times do not reveal which emails
            // are registered.
            verify_password(password.to_string(), dummy_hash().to_string()).await?;
            return Err(AuthError::WrongCredentials);
        };
        let (id, stored_email, hash): (Uuid, String, String) = (row.get(0), row.get(1), row.get(2));
        if !verify_password(password.to_string(), hash).await? {
            return Err(AuthError::WrongCredentials);
        }
        // Bookkeeping only: a failure here must not fail the sign-in.
        if let Err(error) = client
            .execute(
                "update auth.users set last_sign_in_at = now() where id = $1",
                &[&id],
            )
            .await
        {
            tracing::warn!(%error, "could not record the sign-in time");
        }
        Ok(AuthUser {
            id,
            email: stored_email.to_lowercase(),
        })
    }
}

impl AuthBackend for PostgresAuth {
    fn sign_up<'a>(
        &'a self,
        email: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<AuthUser, AuthError>> {
        Box::pin(self.create(email, password))
    }

    fn sign_in<'a>(
        &'a self,
        email: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<AuthUser, AuthError>> {
        Box::pin(self.check(email, password))
    }
}

fn unavailable(error: impl std::fmt::Display) -> AuthError {
    AuthError::Unavailable(error.to_string())
}

/// The error with its causes: tokio-postgres' own text is only "db error".
fn database_unavailable(error: tokio_postgres::Error) -> AuthError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    AuthError::Unavailable(text)
}

/// argon2id (the crate's default: 19 MiB, 2 passes) on a blocking thread: hashing takes tens
/// of milliseconds of CPU, which must not stall the async workers serving other requests.
async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(unavailable)
    })
    .await
    .map_err(unavailable)?
}

/// Checks a password against a PHC string; the parameters come from the string itself.
async fn verify_password(password: String, hash: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(unavailable)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(unavailable)?
}

/// A hash of a random password, verified against when an email is unknown.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut rand_core::OsRng);
        Argon2::default()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = hash_password("correct horse 42".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse 42".into(), hash.clone())
            .await
            .unwrap());
        assert!(!verify_password("correct horse 43".into(), hash)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify_password("anything1".into(), dummy_hash().into())
            .await
            .unwrap());
    }
}
