//! Sessions: an HS256 JWT with Supabase's claims in an HttpOnly cookie.
//!
//! The token is signed with the same secret PostgREST verifies, so the app forwards it as
//! `Authorization: Bearer` and Postgres applies row-level security for that user. It lives one
//! hour and is re-issued when less than half of that is left (see `middleware`).

use axum::http::{header, HeaderMap};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "flowpulse_session";
/// Lifetime of a session token (and its cookie), in seconds.
pub const SESSION_TTL_SECS: i64 = 3600;
/// The role and audience Supabase gives signed-in users; PostgREST switches to this role.
const AUTHENTICATED: &str = "authenticated";

/// The claims of a session token, named as Supabase Auth names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id (`auth.users.id`); `auth.uid()` reads it.
    pub sub: Uuid,
    /// Postgres role PostgREST switches to.
    pub role: String,
    /// Audience, `authenticated` as in Supabase.
    pub aud: String,
    /// The user's email.
    pub email: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

impl Claims {
    /// Claims for a user signing in at `now` (Unix seconds).
    pub fn for_user(user_id: Uuid, email: &str, now: i64) -> Self {
        Self {
            sub: user_id,
            role: AUTHENTICATED.into(),
            aud: AUTHENTICATED.into(),
            email: email.into(),
            iat: now,
            exp: now + SESSION_TTL_SECS,
        }
    }

    /// True when less than half of the session's life is left, so a fresh token is due.
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.exp - now < SESSION_TTL_SECS / 2
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
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// The claims of a valid, unexpired user token at `now`; `None` for anything else.
    ///
    /// Expiry is checked here against `now` (not the library's clock, and without leeway) so
    /// the rule is exact and testable; API keys (`anon`, `service_role`) are not sessions.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&[AUTHENTICATED]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        (claims.exp > now && claims.role == AUTHENTICATED).then_some(claims)
    }
}

/// A verified session of the current request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The raw token, forwarded to PostgREST and the edge function.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

impl Session {
    /// `auth.users.id` of the user.
    pub fn user_id(&self) -> Uuid {
        self.claims.sub
    }
}

/// The session in the request's cookie, if there is a valid one.
pub fn from_headers(keys: &SessionKeys, headers: &HeaderMap, now: i64) -> Option<Session> {
    let token = read_cookie(headers, COOKIE_NAME)?;
    let claims = keys.verify(token, now)?;
    Some(Session {
        token: token.to_string(),
        claims,
    })
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// True when the browser talks to us over HTTPS (through a TLS-terminating proxy).
pub fn is_https(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// `Set-Cookie` value carrying a session token. HttpOnly keeps it from scripts, SameSite=Lax
/// keeps it off cross-site POSTs (server functions), Secure is added behind HTTPS.
pub fn session_cookie(token: &str, secure: bool) -> String {
    cookie(token, SESSION_TTL_SECS, secure)
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(secure: bool) -> String {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &str = "a-test-secret-that-is-at-least-32-chars";
    const NOW: i64 = 1_800_000_000;

    fn keys() -> SessionKeys {
        SessionKeys::new(SECRET)
    }

    fn claims() -> Claims {
        Claims::for_user(Uuid::from_u128(42), "ada@example.com", NOW)
    }

    #[test]
    fn a_minted_token_carries_supabase_claims_for_one_hour() {
        let token = keys().mint(&claims()).unwrap();
        let verified = keys().verify(&token, NOW).unwrap();
        assert_eq!(verified.sub, Uuid::from_u128(42));
        assert_eq!(verified.role, "authenticated");
        assert_eq!(verified.aud, "authenticated");
        assert_eq!(verified.email, "ada@example.com");
        assert_eq!(verified.iat, NOW);
        assert_eq!(verified.exp, NOW + 3600);
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
        service.role = "service_role".into();
        let token = keys().mint(&service).unwrap();
        assert!(keys().verify(&token, NOW).is_none());
    }

    #[test]
    fn refresh_is_due_once_less_than_half_the_life_is_left() {
        let claims = claims();
        assert!(!claims.needs_refresh(NOW));
        assert!(!claims.needs_refresh(NOW + 1800));
        assert!(claims.needs_refresh(NOW + 1801));
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_only_over_https() {
        let plain = session_cookie("tok", false);
        assert!(plain.starts_with("flowpulse_session=tok;"), "{plain}");
        assert!(plain.contains("; HttpOnly"));
        assert!(plain.contains("; SameSite=Lax"));
        assert!(plain.contains("; Path=/"));
        assert!(plain.contains("; Max-Age=3600"));
        assert!(!plain.contains("Secure"));
        assert!(session_cookie("tok", true).ends_with("; Secure"));
        assert!(clearing_cookie(false).contains("Max-Age=0"));
    }

    #[test]
    fn https_is_detected_from_proxy_headers() {
        let mut headers = HeaderMap::new();
        assert!(!is_https(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(is_https(&headers));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=1.2.3.4;proto=https"),
        );
        assert!(is_https(&headers));
    }

    #[test]
    fn the_session_is_read_from_among_other_cookies() {
        let token = keys().mint(&claims()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {COOKIE_NAME}={token}; x=y")).unwrap(),
        );
        let session = from_headers(&keys(), &headers, NOW).unwrap();
        assert_eq!(session.user_id(), Uuid::from_u128(42));
        assert_eq!(session.token, token);
        assert!(from_headers(&keys(), &HeaderMap::new(), NOW).is_none());
    }
}
