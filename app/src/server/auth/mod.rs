//! Accounts: who may sign in, behind [`AuthBackend`].
//!
//! The local default, [`postgres::PostgresAuth`], keeps users in `auth.users` (argon2id hashes)
//! over a direct Postgres connection — the one place the app touches the database without
//! PostgREST, because `auth` is not an API schema. In production on Supabase, an implementation
//! calling Supabase Auth (GoTrue: `POST /auth/v1/signup`, `POST /auth/v1/token?grant_type=password`)
//! can replace it without touching the pages: both yield a user id and email, and the app
//! mints the same session JWT (or would keep GoTrue's access token instead). Sessions sit
//! behind the sibling trait [`sessions::SessionStore`] for the same reason.

pub mod password;
pub mod postgres;
pub mod postgres_sessions;
pub mod sessions;
pub mod throttle;

use futures::future::BoxFuture;
use uuid::Uuid;

/// A user who signed up or in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// `auth.users.id`, the JWT's `sub`.
    pub id: Uuid,
    /// Normalized email.
    pub email: String,
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown email or wrong password: deliberately one case.
    #[error("wrong email or password")]
    WrongCredentials,
    /// Sign-up with an email that already has an account.
    #[error("email already registered")]
    EmailTaken,
    /// The account store failed; the message is for the server log only.
    #[error("account store unavailable: {0}")]
    Unavailable(String),
}

/// Where accounts live. Email addresses arrive normalized and passwords already validated.
pub trait AuthBackend: Send + Sync {
    /// Creates an account.
    fn sign_up<'a>(
        &'a self,
        email: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<AuthUser, AuthError>>;

    /// Checks a password.
    fn sign_in<'a>(
        &'a self,
        email: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<AuthUser, AuthError>>;

    /// Whether the account store answers (for `/readyz`).
    fn ping(&self) -> BoxFuture<'_, Result<(), AuthError>>;
}
