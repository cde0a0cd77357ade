//! Server-side sessions, behind [`SessionStore`]: a sibling of [`super::AuthBackend`], so that
//! the accounts and the sessions can move to Supabase Auth together (GoTrue keeps its own
//! sessions table, puts a `session_id` claim in its tokens and revokes them on
//! `POST /auth/v1/logout?scope=local|global`).
//!
//! The store only keeps rows; what they mean for a request (the signature, the absolute
//! lifetime, the cache, ending open streams) is decided by `session::manager`.

use super::AuthError;
use futures::future::BoxFuture;
use uuid::Uuid;

/// One session as stored, not revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredSession {
    /// The session id, the token's `sid` claim.
    pub id: Uuid,
    /// Whose session it is.
    pub user_id: Uuid,
    /// Absolute end (Unix seconds): never used, refreshed or extended past it.
    pub expires_at: i64,
}

/// Where server-side sessions live.
pub trait SessionStore: Send + Sync {
    /// Opens a session for `user_id` ending at `expires_at` (Unix seconds).
    fn create(
        &self,
        user_id: Uuid,
        expires_at: i64,
    ) -> BoxFuture<'_, Result<StoredSession, AuthError>>;

    /// The session `id` unless it was revoked (or never existed). Expiry is the caller's to
    /// judge, against its own clock.
    fn find_unrevoked(&self, id: Uuid) -> BoxFuture<'_, Result<Option<StoredSession>, AuthError>>;

    /// Records that a fresh token was issued; `false` when the session was revoked meanwhile.
    fn touch(&self, id: Uuid) -> BoxFuture<'_, Result<bool, AuthError>>;

    /// Revokes one session (sign-out).
    fn revoke(&self, id: Uuid) -> BoxFuture<'_, Result<(), AuthError>>;

    /// Revokes every session of `user_id` (sign out everywhere).
    fn revoke_all(&self, user_id: Uuid) -> BoxFuture<'_, Result<(), AuthError>>;
}
