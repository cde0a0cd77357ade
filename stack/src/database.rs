//! Steps shared by the dev stack and the tests: preparing a database the way Supabase has it.

use crate::pg::PgCluster;
use crate::postgrest;
use anyhow::Result;
use flowpulse_cli::migrate::{self, MigrationReport};
use std::path::Path;

/// Creates `database` if needed, applies the local Supabase bootstrap, sets the
/// `authenticator` password and applies pending migrations from `migrations_dir`.
pub async fn prepare_database(
    cluster: &PgCluster,
    database: &str,
    repo: &Path,
    migrations_dir: &Path,
    authenticator_password: &str,
) -> Result<MigrationReport> {
    cluster.ensure_database(database).await?;
    let mut client = cluster.connect(database).await?;
    migrate::apply_bootstrap(&mut client, &repo.join("supabase/local")).await?;
    postgrest::set_authenticator_password(&client, authenticator_password).await?;
    migrate::apply_pending(&mut client, migrations_dir).await
}

/// Creates or refreshes a built-in account (`auth.users`, argon2id), returning its id.
pub async fn upsert_user(
    client: &tokio_postgres::Client,
    email: &str,
    password: &str,
) -> Result<uuid::Uuid> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand_core::OsRng);
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hash password: {e}"))?
        .to_string();
    let row = client
        .query_one(
            "insert into auth.users (email, encrypted_password, email_confirmed_at)
             values ($1, $2, now())
             on conflict (email) do update set encrypted_password = excluded.encrypted_password
             returning id",
            &[&email, &hash],
        )
        .await?;
    Ok(row.get(0))
}
