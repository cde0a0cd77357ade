//! JWTs with Supabase's claims, signed HS256 with the project's JWT secret.

use anyhow::Result;
use flowpulse_core::claims::{ApiKeyClaims, UserClaims};
use jsonwebtoken::{encode, EncodingKey, Header};
use uuid::Uuid;

/// A long-lived API key like Supabase's `anon` / `service_role` keys. Fixed timestamps make it
/// a pure function of the secret, so the printed key stays the same from run to run.
pub fn api_key(secret: &str, role: &str) -> Result<String> {
    const ISSUED_AT: i64 = 1_767_225_600; // 2026-01-01
    const EXPIRES_AT: i64 = 4_102_444_800; // 2100-01-01
    let claims = ApiKeyClaims {
        iss: "flowpulse-local".into(),
        role: role.into(),
        iat: ISSUED_AT,
        exp: EXPIRES_AT,
    };
    Ok(encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// A signed-in user's access token; `ttl_secs` may be negative to make an expired one.
pub fn user_token(secret: &str, user_id: Uuid, email: &str, ttl_secs: i64) -> Result<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = UserClaims::new(user_id, email, now, now + ttl_secs);
    Ok(encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
