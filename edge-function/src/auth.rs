//! Caller authentication: an HS256 JWT signed with the project's `JWT_SECRET`, verified here
//! before anything else happens, then forwarded to PostgREST so row-level security applies.

use flowpulse_core::claims::{role, AnyClaims};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use uuid::Uuid;

use crate::error::EdgeError;

pub mod hs256;

/// Clock skew tolerated on `exp`/`nbf`, the same as PostgREST's.
const LEEWAY_SECS: u64 = 30;

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// `role: service_role`: cron or an admin; sees every user's rows.
    ServiceRole,
    /// `role: authenticated`: a signed-in user; RLS limits them to their own rows.
    User {
        /// The `sub` claim.
        id: Uuid,
    },
}

/// A verified caller and the token to forward to PostgREST.
#[derive(Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Who.
    pub caller: Caller,
    /// The verified JWT, forwarded as `Authorization: Bearer`.
    pub token: String,
}

impl std::fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticated")
            .field("caller", &self.caller)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Extracts the token of an `Authorization: Bearer <token>` header value.
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, EdgeError> {
    let value = authorization.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(EdgeError::MissingToken);
    }
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        EdgeError::InvalidToken("expected \"Authorization: Bearer <JWT>\"".into())
    })?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(EdgeError::InvalidToken(
            "expected \"Authorization: Bearer <JWT>\"".into(),
        ));
    }
    Ok(token)
}

/// Verifies `token` (HS256 only, signature, `exp` required, `nbf` if present) and maps its
/// role: `service_role` → [`Caller::ServiceRole`]; `authenticated` with a uuid `sub` →
/// [`Caller::User`]; any other role (e.g. `anon`) → [`EdgeError::Forbidden`].
pub fn verify_token(secret: &str, token: &str) -> Result<Authenticated, EdgeError> {
    // The wasm build has no rust_crypto backend (see `hs256`).
    #[cfg(target_arch = "wasm32")]
    hs256::install();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    // Supabase user tokens carry `aud: authenticated`, its service_role key none; the role
    // claim is what decides, and PostgREST checks the same token again.
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let data = decode::<AnyClaims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|error| match error.kind() {
        ErrorKind::ExpiredSignature => EdgeError::ExpiredToken,
        ErrorKind::InvalidSignature => EdgeError::InvalidToken("bad signature".into()),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => {
            EdgeError::InvalidToken("only HS256 tokens are accepted".into())
        }
        ErrorKind::ImmatureSignature => EdgeError::InvalidToken("token not valid yet (nbf)".into()),
        ErrorKind::MissingRequiredClaim(claim) => {
            EdgeError::InvalidToken(format!("missing claim {claim:?}"))
        }
        _ => EdgeError::InvalidToken("not a well-formed JWT".into()),
    })?;
    let caller = match data.claims.role.as_deref() {
        Some(role::SERVICE_ROLE) => Caller::ServiceRole,
        Some(role::AUTHENTICATED) => {
            let id = data
                .claims
                .sub
                .as_deref()
                .and_then(|sub| Uuid::parse_str(sub).ok())
                .ok_or_else(|| EdgeError::InvalidToken("\"sub\" must be a user id".into()))?;
            Caller::User { id }
        }
        Some(other) => return Err(EdgeError::Forbidden(other.to_string())),
        None => return Err(EdgeError::Forbidden("(none)".to_string())),
    };
    Ok(Authenticated {
        caller,
        token: token.to_string(),
    })
}

/// [`bearer_token`] then [`verify_token`].
pub fn authenticate(secret: &str, authorization: Option<&str>) -> Result<Authenticated, EdgeError> {
    verify_token(secret, bearer_token(authorization)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::tests::TEST_JWT_SECRET;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::{json, Value};

    pub(crate) fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    pub(crate) fn sign(claims: Value) -> String {
        sign_with(Algorithm::HS256, TEST_JWT_SECRET, claims)
    }

    fn sign_with(algorithm: Algorithm, secret: &str, claims: Value) -> String {
        encode(
            &Header::new(algorithm),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    pub(crate) fn user_token(id: Uuid) -> String {
        sign(
            json!({"sub": id, "role": "authenticated", "aud": "authenticated", "exp": now() + 600}),
        )
    }

    pub(crate) fn service_token() -> String {
        sign(
            json!({"iss": "flowpulse-local", "role": "service_role", "iat": now(), "exp": now() + 600}),
        )
    }

    fn verify(token: &str) -> Result<Caller, EdgeError> {
        verify_token(TEST_JWT_SECRET, token).map(|auth| auth.caller)
    }

    #[test]
    fn a_valid_user_token_names_the_user() {
        let id = Uuid::from_u128(0xA11CE);
        assert_eq!(verify(&user_token(id)), Ok(Caller::User { id }));
    }

    #[test]
    fn a_service_role_token_covers_all_users() {
        assert_eq!(verify(&service_token()), Ok(Caller::ServiceRole));
    }

    #[test]
    fn an_expired_token_is_expired_token() {
        let token = sign(json!({"sub": Uuid::nil(), "role": "authenticated", "exp": now() - 120}));
        let error = verify(&token).unwrap_err();
        assert_eq!(error, EdgeError::ExpiredToken);
        assert_eq!((error.status(), error.code()), (401, "expired_token"));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let token = sign_with(
            Algorithm::HS256,
            "another-secret-of-more-than-32-characters",
            json!({"sub": Uuid::nil(), "role": "service_role", "exp": now() + 600}),
        );
        let error = verify(&token).unwrap_err();
        assert_eq!(error.code(), "invalid_token");
        assert!(error.to_string().contains("signature"), "{error}");
    }

    #[test]
    fn a_token_with_another_algorithm_is_invalid_even_with_the_right_secret() {
        let token = sign_with(
            Algorithm::HS512,
            TEST_JWT_SECRET,
            json!({"role": "service_role", "exp": now() + 600}),
        );
        assert_eq!(verify(&token).unwrap_err().code(), "invalid_token");

        // An unsigned `alg: none` token with service_role claims must not get through either.
        let unsigned = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            base64_url(&json!({"role": "service_role", "exp": now() + 600}).to_string())
        );
        assert_eq!(verify(&unsigned).unwrap_err().code(), "invalid_token");
    }

    #[test]
    fn a_token_without_exp_or_with_a_bad_sub_is_invalid() {
        let no_exp = sign(json!({"role": "service_role"}));
        assert_eq!(verify(&no_exp).unwrap_err().code(), "invalid_token");
        let bad_sub = sign(json!({"sub": "alice", "role": "authenticated", "exp": now() + 600}));
        assert_eq!(verify(&bad_sub).unwrap_err().code(), "invalid_token");
    }

    #[test]
    fn an_anon_token_is_forbidden() {
        let anon = sign(json!({"role": "anon", "exp": now() + 600}));
        let error = verify(&anon).unwrap_err();
        assert_eq!((error.status(), error.code()), (403, "forbidden"));
    }

    #[test]
    fn a_missing_or_non_bearer_header_is_rejected() {
        assert_eq!(
            authenticate(TEST_JWT_SECRET, None).unwrap_err(),
            EdgeError::MissingToken
        );
        assert_eq!(
            authenticate(TEST_JWT_SECRET, Some("  "))
                .unwrap_err()
                .code(),
            "missing_token"
        );
        assert_eq!(
            authenticate(TEST_JWT_SECRET, Some("Basic dXNlcjpwdw=="))
                .unwrap_err()
                .code(),
            "invalid_token"
        );
        assert_eq!(
            authenticate(TEST_JWT_SECRET, Some("Bearer not.a.jwt"))
                .unwrap_err()
                .code(),
            "invalid_token"
        );
        let token = service_token();
        let auth = authenticate(TEST_JWT_SECRET, Some(&format!("bearer {token}"))).unwrap();
        assert_eq!(auth.token, token);
        assert!(!format!("{auth:?}").contains(&token));
    }

    fn base64_url(text: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }
}
