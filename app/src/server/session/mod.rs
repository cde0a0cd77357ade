//! Sessions: an HS256 JWT with Supabase's claims in an HttpOnly cookie, tied to a server-side
//! session row by its `sid` claim.
//!
//! The token is signed with the same secret PostgREST verifies, so the app forwards it as
//! `Authorization: Bearer` and Postgres applies row-level security for that user. It lives one
//! hour, never past the session's absolute expiry, and the session middleware re-issues it
//! when less than half of that is left — only while the session row lives (see `manager`).
//!
//! PostgREST checks only the signature and `exp`: a token copied before a sign-out keeps
//! working there until its `exp` (at most one hour later). The app itself refuses it on the
//! next request, and it is never refreshed.

pub mod cookie;
pub mod manager;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use flowpulse_core::claims::{role, UserClaims, AUTHENTICATED_AUDIENCE};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use uuid::Uuid;

/// Lifetime of a session token, in seconds.
pub const SESSION_TTL_SECS: i64 = 3600;

/// The claims of a session token: Supabase's user claims (`flowpulse_core::claims`), with the
/// `sid` naming the server-side session row, which every session token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The server-side session this token belongs to.
    pub sid: Uuid,
    user: UserClaims,
}

/// The user claims (`sub`, `email`, `exp`, ...) read straight through.
impl std::ops::Deref for Claims {
    type Target = UserClaims;
    fn deref(&self) -> &UserClaims {
        &self.user
    }
}

impl Claims {
    /// Claims issued at `now` (Unix seconds) for session `sid`, which ends at `ends_at`: one
    /// hour, or less when the session ends sooner.
    pub fn for_session(user_id: Uuid, email: &str, sid: Uuid, now: i64, ends_at: i64) -> Self {
        let mut user = UserClaims::new(user_id, email, now, (now + SESSION_TTL_SECS).min(ends_at));
        user.sid = Some(sid);
        Self { sid, user }
    }

    /// The user claims, to forge variants of a token in tests.
    #[cfg(test)]
    pub fn user_mut(&mut self) -> &mut UserClaims {
        &mut self.user
    }

    /// True when less than half a token's life is left and a fresh token would last longer,
    /// i.e. the session's absolute end is not reached yet.
    pub fn needs_refresh(&self, now: i64, ends_at: i64) -> bool {
        self.exp - now < SESSION_TTL_SECS / 2 && self.exp < ends_at
    }
}

/// Signs and verifies session tokens. Holds the secret: never `Debug`.
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SessionKeys {
    /// Keys from the shared HS256 secret (`FLOWPULSE_JWT_SECRET`).
    pub fn new(secret: &str) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    /// A signed token for these claims.
    pub fn mint(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&Header::new(Algorithm::HS256), &claims.user, &self.encoding)
    }

    /// The claims of a valid, unexpired user token at `now`; `None` for anything else,
    /// including tokens without a `sid` (API keys, tokens from before server-side sessions).
    ///
    /// Expiry is checked here against `now` (not the library's clock, and without leeway) so
    /// the rule is exact and testable; API keys (`anon`, `service_role`) are not sessions.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&[AUTHENTICATED_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        let user = decode::<UserClaims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        let sid = user.sid?;
        (user.exp > now && user.role == role::AUTHENTICATED).then_some(Claims { sid, user })
    }
}

/// The live session of the current request, as the session middleware verified it (token,
/// signature, and a session row that is neither revoked nor past its end). Server functions
/// (`request::signed_in`) and `/events` (as an extractor) read it from the request extensions;
/// nothing else verifies cookies.
#[derive(Clone)]
pub struct Session {
    /// The raw token, forwarded to PostgREST and the edge function.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
    /// The session's absolute end (Unix seconds).
    pub ends_at: i64,
}

impl Session {
    /// `auth.users.id` of the user.
    pub fn user_id(&self) -> Uuid {
        self.claims.sub
    }

    /// The server-side session id.
    pub fn id(&self) -> Uuid {
        self.claims.sid
    }

    /// The session the middleware put into these request parts, if any.
    pub fn from_parts(parts: &Parts) -> Option<Session> {
        parts.extensions.get::<Session>().cloned()
    }
}

// The token is a credential: keep it out of logs.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.claims.sub)
            .field("sid", &self.claims.sid)
            .field("exp", &self.claims.exp)
            .field("ends_at", &self.ends_at)
            .finish_non_exhaustive()
    }
}

/// Handlers outside Leptos (`/events`) take the verified session as an argument.
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Session::from_parts(parts).ok_or((
            StatusCode::UNAUTHORIZED,
            "Your session has ended. Sign in again to receive live updates.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-secret-that-is-at-least-32-chars";
    const NOW: i64 = 1_800_000_000;
    const SID: Uuid = Uuid::from_u128(7);
    const WEEK: i64 = 7 * 24 * 3600;

    fn keys() -> SessionKeys {
        SessionKeys::new(SECRET)
    }

    fn claims() -> Claims {
        Claims::for_session(Uuid::from_u128(42), "ada@example.com", SID, NOW, NOW + WEEK)
    }

    #[test]
    fn a_minted_token_carries_supabase_claims_and_the_session_id_for_one_hour() {
        let token = keys().mint(&claims()).unwrap();
        let verified = keys().verify(&token, NOW).unwrap();
        assert_eq!(verified.sub, Uuid::from_u128(42));
        assert_eq!(verified.role, "authenticated");
        assert_eq!(verified.aud, "authenticated");
        assert_eq!(verified.email, "ada@example.com");
        assert_eq!(verified.sid, SID);
        assert_eq!(verified.iat, NOW);
        assert_eq!(verified.exp, NOW + 3600);
    }

    #[test]
    fn a_token_never_outlives_its_session() {
        let ending = Claims::for_session(Uuid::from_u128(42), "a@b.c", SID, NOW, NOW + 600);
        assert_eq!(ending.exp, NOW + 600);
    }

    #[test]
    fn a_token_is_rejected_from_its_expiry_on() {
        let token = keys().mint(&claims()).unwrap();
        assert!(keys().verify(&token, NOW + 3599).is_some());
        assert!(keys().verify(&token, NOW + 3600).is_none());
    }

    #[test]
    fn a_token_signed_with_another_secret_or_tampered_is_rejected() {
        let forged = SessionKeys::new("another-secret-of-at-least-32-characters")
            .mint(&claims())
            .unwrap();
        assert!(keys().verify(&forged, NOW).is_none());
        let token = keys().mint(&claims()).unwrap();
        let mut tampered = token.clone();
        tampered.insert(token.len() - 3, 'x');
        assert!(keys().verify(&tampered, NOW).is_none());
        assert!(keys().verify("not-a-jwt", NOW).is_none());
    }

    #[test]
    fn an_api_key_role_is_not_a_session() {
        let mut service = claims();
        service.user_mut().role = "service_role".into();
        let token = keys().mint(&service).unwrap();
        assert!(keys().verify(&token, NOW).is_none());
    }

    #[test]
    fn a_token_without_a_session_id_is_not_a_session() {
        let claims = serde_json::json!({
            "sub": Uuid::from_u128(42), "role": "authenticated", "aud": "authenticated",
            "email": "ada@example.com", "iat": NOW, "exp": NOW + 3600,
        });
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(keys().verify(&token, NOW).is_none());
    }

    #[test]
    fn refresh_is_due_once_less_than_half_the_life_is_left() {
        let claims = claims();
        assert!(!claims.needs_refresh(NOW, NOW + WEEK));
        assert!(!claims.needs_refresh(NOW + 1800, NOW + WEEK));
        assert!(claims.needs_refresh(NOW + 1801, NOW + WEEK));
    }

    #[test]
    fn no_refresh_is_due_once_the_token_reaches_the_sessions_end() {
        let last = Claims::for_session(Uuid::from_u128(42), "a@b.c", SID, NOW, NOW + 600);
        assert!(!last.needs_refresh(NOW + 300, NOW + 600));
    }
}
