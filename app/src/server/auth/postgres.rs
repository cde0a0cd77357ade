//! Built-in accounts in `auth.users`, the table Supabase Auth uses, with argon2id hashes in
//! `encrypted_password` (the format `cargo xtask dev` writes for the demo user).

use super::password::{dummy_hash, hash_password, verify_password};
use super::{AuthBackend, AuthError, AuthUser};
use flowpulse_pg::DatabaseUrl;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_postgres::Client;
use uuid::Uuid;

/// Accounts over one lazily (re)opened connection: sign-ins are rare next to page views, so a
/// pool would only add moving parts.
pub struct PostgresAuth {
    database_url: DatabaseUrl,
    client: Mutex<Option<Arc<Client>>>,
}

impl PostgresAuth {
    /// Connects on first use to `database_url` (`FLOWPULSE_DATABASE_URL`).
    pub fn new(database_url: DatabaseUrl) -> Self {
        // Computed now (at start-up) rather than on the first unknown-email sign-in.
        dummy_hash();
        Self {
            database_url,
            client: Mutex::new(None),
        }
    }

    /// The open connection, (re)opened when needed; the session store shares it.
    pub(super) async fn client(&self) -> Result<Arc<Client>, AuthError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|client| !client.is_closed()) {
            return Ok(client.clone());
        }
        // With the TLS `sslmode`/`sslrootcert` in the URL ask for; the message says what failed.
        let (client, connection) = flowpulse_pg::connect(&self.database_url)
            .await
            .map_err(|error| AuthError::Unavailable(error.to_string()))?;
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

    fn ping(&self) -> BoxFuture<'_, Result<(), AuthError>> {
        Box::pin(async {
            let client = self.client().await?;
            client
                .simple_query("select 1")
                .await
                .map(drop)
                .map_err(database_unavailable)
        })
    }
}

/// The error with its causes: tokio-postgres' own text is only "db error".
pub(super) fn database_unavailable(error: tokio_postgres::Error) -> AuthError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    AuthError::Unavailable(text)
}
