//! The JWT claims FlowPulse shares with Supabase and PostgREST: role names, a signed-in user's
//! access token and the long-lived API keys. The app mints user tokens, the local stack mints
//! API keys, the edge function verifies both; PostgREST switches to the `role` claim and
//! `auth.uid()` reads `sub`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Postgres roles a token can carry.
pub mod role {
    /// Not signed in: no privileges on FlowPulse's tables.
    pub const ANON: &str = "anon";
    /// A signed-in user: row-level security limits them to their own rows.
    pub const AUTHENTICATED: &str = "authenticated";
    /// Cron and admin work: bypasses row-level security.
    pub const SERVICE_ROLE: &str = "service_role";
}

/// The audience Supabase gives signed-in users' tokens.
pub const AUTHENTICATED_AUDIENCE: &str = "authenticated";

/// A signed-in user's access token, named as Supabase Auth names the claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserClaims {
    /// The user's id (`auth.users.id`).
    pub sub: Uuid,
    /// [`role::AUTHENTICATED`].
    pub role: String,
    /// [`AUTHENTICATED_AUDIENCE`].
    pub aud: String,
    /// The user's email.
    pub email: String,
    /// The app's server-side session the token belongs to (absent in tokens minted elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

impl UserClaims {
    /// Claims for `user_id` issued at `now`, expiring at `exp`.
    pub fn new(user_id: Uuid, email: &str, now: i64, exp: i64) -> Self {
        Self {
            sub: user_id,
            role: role::AUTHENTICATED.into(),
            aud: AUTHENTICATED_AUDIENCE.into(),
            email: email.into(),
            sid: None,
            iat: now.min(exp),
            exp,
        }
    }
}

/// A long-lived API key like Supabase's `anon` and `service_role` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyClaims {
    /// Who issued it.
    pub iss: String,
    /// [`role::ANON`] or [`role::SERVICE_ROLE`].
    pub role: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// What a verifier reads from any of these tokens before deciding who is calling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AnyClaims {
    /// The user's id, for user tokens.
    #[serde(default)]
    pub sub: Option<String>,
    /// The role.
    #[serde(default)]
    pub role: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_claims_serialise_as_supabase_names_them_and_read_back_as_any_claims() {
        let claims = UserClaims::new(Uuid::from_u128(7), "ada@example.com", 100, 3700);
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json["role"], "authenticated");
        assert_eq!(json["aud"], "authenticated");
        assert!(json.get("sid").is_none(), "no sid unless the app sets one");
        let any: AnyClaims = serde_json::from_value(json).unwrap();
        assert_eq!(any.role.as_deref(), Some(role::AUTHENTICATED));
        assert_eq!(any.sub, Some(Uuid::from_u128(7).to_string()));
    }

    #[test]
    fn an_expired_token_is_issued_no_later_than_it_expires() {
        let claims = UserClaims::new(Uuid::nil(), "x@example.com", 1000, 900);
        assert!(claims.iat <= claims.exp);
    }
}
