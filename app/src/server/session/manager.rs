//! The session service: starts sessions, verifies the cookie of a request against the
//! session's row, refreshes tokens, ends sessions and tells open `/events` streams so.
//!
//! Every request's session row is checked, through a short in-process cache (a few seconds) so
//! a page and the server functions it calls cost one store lookup. Ending a session here drops
//! it from the cache at once; a revocation made by another app process is seen once the cached
//! entry ages out.

use super::cookie::SessionCookie;
use super::{Claims, Session, SessionKeys};
use crate::server::auth::sessions::{SessionStore, StoredSession};
use crate::server::auth::AuthError;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use uuid::Uuid;

/// How long a looked-up session row is trusted without asking the store again.
const CACHE_FOR: Duration = Duration::from_secs(5);
/// Cached rows beyond this are dropped (only a flood of distinct sessions gets here).
const CACHE_LIMIT: usize = 10_000;
/// Revocations waiting for slow `/events` streams; a stream that falls behind re-checks.
const REVOCATION_QUEUE: usize = 64;

/// Why a session operation failed; details are for the server log.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The session store could not be reached or failed.
    #[error(transparent)]
    Store(#[from] AuthError),
    /// A token could not be signed.
    #[error("signing a session token: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
}

/// What a request's cookie amounts to.
#[derive(Debug)]
pub enum Presented {
    /// No session cookie at all.
    NoCookie,
    /// A cookie whose session is over (expired, revoked, forged): the browser should drop it.
    Ended,
    /// A live session.
    Live(Session),
}

/// A revocation, as open streams hear of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// One session ended (sign-out).
    Session(Uuid),
    /// Every session of this user ended (sign out everywhere).
    User(Uuid),
}

impl Revoked {
    /// True when this revocation ends `session`.
    pub fn ends(&self, session: &Session) -> bool {
        self.covers(session.id(), session.user_id())
    }

    fn covers(&self, sid: Uuid, user_id: Uuid) -> bool {
        match *self {
            Self::Session(id) => id == sid,
            Self::User(id) => id == user_id,
        }
    }
}

#[derive(Default)]
struct Cache {
    /// Bumped by every revocation: a lookup that started before one is not cached.
    epoch: u64,
    entries: HashMap<Uuid, (StoredSession, Instant)>,
}

/// Sessions of the app: one per server, shared by the middleware and the server functions.
pub struct SessionManager {
    keys: SessionKeys,
    store: Arc<dyn SessionStore>,
    cookie: SessionCookie,
    max_age_secs: i64,
    cache: Mutex<Cache>,
    revocations: broadcast::Sender<Revoked>,
}

impl SessionManager {
    /// Sessions signed with `keys`, kept in `store`, carried in `cookie`, each ending `max_age`
    /// after sign-in whatever the activity.
    pub fn new(
        keys: SessionKeys,
        store: Arc<dyn SessionStore>,
        cookie: SessionCookie,
        max_age: Duration,
    ) -> Self {
        Self {
            keys,
            store,
            cookie,
            max_age_secs: i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX / 2),
            cache: Mutex::new(Cache::default()),
            revocations: broadcast::channel(REVOCATION_QUEUE).0,
        }
    }

    /// The cookie sessions travel in.
    pub fn cookie(&self) -> SessionCookie {
        self.cookie
    }

    /// Opens a session for a user who just signed up or in; returns its `Set-Cookie` value.
    pub async fn start(
        &self,
        user_id: Uuid,
        email: &str,
        now: i64,
    ) -> Result<String, SessionError> {
        let stored = self
            .store
            .create(user_id, now.saturating_add(self.max_age_secs))
            .await?;
        let claims = Claims::for_session(user_id, email, stored.id, now, stored.expires_at);
        let token = self.keys.mint(&claims)?;
        Ok(self.cookie.issue(&token, claims.exp - now))
    }

    /// The session of a request's cookie at `now`: a valid token whose session row is neither
    /// revoked nor past its end.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        now: i64,
    ) -> Result<Presented, SessionError> {
        let Some(token) = self.cookie.read(headers) else {
            return Ok(Presented::NoCookie);
        };
        let Some(claims) = self.keys.verify(token, now) else {
            return Ok(Presented::Ended);
        };
        Ok(match self.live_row(claims.sid, claims.sub, now).await? {
            Some(stored) => Presented::Live(Session {
                token: token.to_string(),
                claims,
                ends_at: stored.expires_at,
            }),
            None => Presented::Ended,
        })
    }

    /// True while `session` may still be used at `now` (for streams that outlive a request).
    pub async fn is_live(&self, session: &Session, now: i64) -> Result<bool, SessionError> {
        Ok(session.claims.exp > now
            && self
                .live_row(session.id(), session.user_id(), now)
                .await?
                .is_some())
    }

    /// A `Set-Cookie` value with a fresh token when one is due and the session still lives;
    /// never past the session's end.
    pub async fn refresh(
        &self,
        session: &Session,
        now: i64,
    ) -> Result<Option<String>, SessionError> {
        if !session.claims.needs_refresh(now, session.ends_at) {
            return Ok(None);
        }
        if !self.store.touch(session.id()).await? {
            // Revoked by another process since the cached lookup.
            self.announce(Revoked::Session(session.id()));
            return Ok(None);
        }
        let claims = Claims::for_session(
            session.user_id(),
            &session.claims.email,
            session.id(),
            now,
            session.ends_at,
        );
        let token = self.keys.mint(&claims)?;
        Ok(Some(self.cookie.issue(&token, claims.exp - now)))
    }

    /// Ends one session (sign-out).
    pub async fn end(&self, session: &Session) -> Result<(), SessionError> {
        self.store.revoke(session.id()).await?;
        self.announce(Revoked::Session(session.id()));
        Ok(())
    }

    /// Ends every session of `user_id`, in every browser (sign out everywhere).
    pub async fn end_everywhere(&self, user_id: Uuid) -> Result<(), SessionError> {
        self.store.revoke_all(user_id).await?;
        self.announce(Revoked::User(user_id));
        Ok(())
    }

    /// Revocations made by this process from now on, for open streams to end themselves.
    pub fn revocations(&self) -> broadcast::Receiver<Revoked> {
        self.revocations.subscribe()
    }

    /// The unrevoked, unexpired row of session `sid` when it belongs to `user_id`.
    async fn live_row(
        &self,
        sid: Uuid,
        user_id: Uuid,
        now: i64,
    ) -> Result<Option<StoredSession>, SessionError> {
        let epoch = {
            let cache = self.lock();
            if let Some((stored, at)) = cache.entries.get(&sid) {
                if at.elapsed() < CACHE_FOR {
                    return Ok(judge(*stored, user_id, now));
                }
            }
            cache.epoch
        };
        let found = self.store.find_unrevoked(sid).await?;
        if let Some(stored) = found {
            let mut cache = self.lock();
            // A revocation that landed while the store answered may have come too late for
            // this answer: then it is used for this request only, never cached.
            if cache.epoch == epoch {
                if cache.entries.len() >= CACHE_LIMIT {
                    cache.entries.clear();
                }
                cache.entries.insert(sid, (stored, Instant::now()));
            }
        }
        Ok(found.and_then(|stored| judge(stored, user_id, now)))
    }

    fn announce(&self, revoked: Revoked) {
        {
            let mut cache = self.lock();
            cache.epoch += 1;
            cache
                .entries
                .retain(|sid, (stored, _)| !revoked.covers(*sid, stored.user_id));
        }
        // No receiver just means no stream is open.
        let _ = self.revocations.send(revoked);
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // A cache: nothing a panicking holder could leave inconsistent.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The row, when it belongs to `user_id` and has not reached its end at `now`.
fn judge(stored: StoredSession, user_id: Uuid, now: i64) -> Option<StoredSession> {
    (stored.user_id == user_id && stored.expires_at > now).then_some(stored)
}

#[cfg(test)]
mod tests;
