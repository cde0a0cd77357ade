//! The one error type of the edge function, with its HTTP status and `error.code`.

use flowpulse_core::contract::{ErrorBody, RequestError};

use crate::config::ConfigError;
use crate::store::StoreError;
use flowpulse_core::postgrest::ErrorKind;

/// Everything a request can fail with. [`EdgeError::status`] and [`EdgeError::code`] give the
/// reply; [`EdgeError::public_message`] is what the caller sees, which for a 500 is generic
/// (the real cause goes to the log via [`EdgeError::log_detail`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdgeError {
    /// No `Authorization: Bearer ...` header.
    #[error("missing bearer token: send \"Authorization: Bearer <JWT>\"")]
    MissingToken,
    /// The token is not a valid HS256 JWT signed with the project's secret.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token's `exp` has passed.
    #[error("the token has expired; sign in again")]
    ExpiredToken,
    /// A valid token whose role may not call this function (e.g. `anon`).
    #[error("role {0:?} may not call this function; use a signed-in user's token or the service_role key")]
    Forbidden(String),
    /// Wrong method for the path.
    #[error("method {method} is not allowed here; use {allow}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The value of the `Allow` header.
        allow: &'static str,
    },
    /// No such path.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// The body is too large, not JSON, or not a valid request (lists the valid actions).
    #[error(transparent)]
    BadRequest(#[from] RequestError),
    /// A provider or workflow named in the request does not exist or is not the caller's.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but cannot be carried out as it stands (e.g. a plan that
    /// does not validate); the message says why.
    #[error("{0}")]
    Unprocessable(String),
    /// n8n refused or failed a deploy or remove; the message says what to check.
    #[error("{0}")]
    DeployFailed(String),
    /// n8n refused or failed another action (a retry); the message says what to check.
    #[error("{0}")]
    N8nRefused(String),
    /// Every requested provider's n8n could not be reached; the messages name them.
    #[error("n8n unreachable: {}", .0.join("; "))]
    N8nUnreachable(Vec<String>),
    /// A binding is missing or invalid.
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// PostgREST failed in a way the caller cannot fix.
    #[error("database error: {0}")]
    Store(StoreError),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for EdgeError {
    /// PostgREST's verdict on the token wins: it can expire between our check and its own.
    fn from(error: StoreError) -> Self {
        match (error.kind(), error.code()) {
            (ErrorKind::BadToken, Some("PGRST303")) => Self::ExpiredToken,
            (ErrorKind::BadToken, _) => Self::InvalidToken("PostgREST refused the token".into()),
            _ => Self::Store(error),
        }
    }
}

impl EdgeError {
    /// The HTTP status of the reply.
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingToken | Self::InvalidToken(_) | Self::ExpiredToken => 401,
            Self::Forbidden(_) => 403,
            Self::MethodNotAllowed { .. } => 405,
            Self::RouteNotFound(_) | Self::NotFound(_) => 404,
            Self::BadRequest(error) => error.http_status(),
            Self::N8nUnreachable(_) | Self::DeployFailed(_) | Self::N8nRefused(_) => 502,
            Self::Unprocessable(_) => 422,
            Self::Config(_) | Self::Store(_) | Self::Internal(_) => 500,
        }
    }

    /// The stable `error.code` of the reply.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::InvalidToken(_) => "invalid_token",
            Self::ExpiredToken => "expired_token",
            Self::Forbidden(_) => "forbidden",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::RouteNotFound(_) | Self::NotFound(_) => "not_found",
            Self::BadRequest(error) => error.code(),
            Self::N8nUnreachable(_) => "n8n_unreachable",
            Self::Unprocessable(_) => "unprocessable",
            Self::DeployFailed(_) => "deploy_failed",
            Self::N8nRefused(_) => "n8n_refused",
            Self::Config(_) | Self::Store(_) | Self::Internal(_) => "internal_error",
        }
    }

    /// True for errors that are ours (500): their detail is logged, never shown.
    pub fn is_internal(&self) -> bool {
        self.status() == 500
    }

    /// What the caller is told.
    pub fn public_message(&self) -> String {
        if self.is_internal() {
            "internal error; the details are in the function's logs".to_string()
        } else {
            self.to_string()
        }
    }

    /// The full description for the log (no secrets: no variant carries one).
    pub fn log_detail(&self) -> String {
        self.to_string()
    }

    /// The JSON body of the reply.
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.public_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_status_and_code() {
        let cases: Vec<(EdgeError, u16, &str)> = vec![
            (EdgeError::MissingToken, 401, "missing_token"),
            (EdgeError::InvalidToken("bad".into()), 401, "invalid_token"),
            (EdgeError::ExpiredToken, 401, "expired_token"),
            (EdgeError::Forbidden("anon".into()), 403, "forbidden"),
            (
                EdgeError::MethodNotAllowed {
                    method: "GET".into(),
                    allow: "POST, OPTIONS",
                },
                405,
                "method_not_allowed",
            ),
            (
                EdgeError::BadRequest(RequestError::TooLarge),
                413,
                "payload_too_large",
            ),
            (
                EdgeError::BadRequest(RequestError::UnknownAction("x".into())),
                400,
                "unknown_action",
            ),
            (EdgeError::NotFound("provider".into()), 404, "not_found"),
            (
                EdgeError::N8nUnreachable(vec!["a".into()]),
                502,
                "n8n_unreachable",
            ),
            (
                EdgeError::Config(ConfigError::Missing("JWT_SECRET")),
                500,
                "internal_error",
            ),
            (EdgeError::Internal("x".into()), 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code), "{error:?}");
        }
    }

    #[test]
    fn a_500_body_hides_the_internal_detail() {
        let store = EdgeError::from(StoreError::Api {
            status: 500,
            code: "42P01".into(),
            message: "relation \"public.providers\" does not exist".into(),
            details: Some("select * from providers".into()),
            hint: None,
        });
        let config = EdgeError::Config(ConfigError::Missing("ENCRYPTION_KEY"));
        for error in [store, config] {
            let body = serde_json::to_string(&error.body()).unwrap();
            assert_eq!(error.status(), 500);
            for leak in ["42P01", "relation", "providers", "ENCRYPTION_KEY", "select"] {
                assert!(!body.contains(leak), "{body}");
            }
            assert!(body.contains("internal_error"), "{body}");
            assert!(error.log_detail().len() > 20);
        }
    }

    #[test]
    fn an_expired_token_reported_by_postgrest_is_a_401() {
        let error = EdgeError::from(StoreError::Api {
            status: 401,
            code: "PGRST303".into(),
            message: "JWT expired".into(),
            details: None,
            hint: None,
        });
        assert_eq!(error, EdgeError::ExpiredToken);
    }

    #[test]
    fn a_bad_request_body_lists_the_valid_actions() {
        let error = EdgeError::from(RequestError::UnknownAction("nope".into()));
        let message = error.body().error.message;
        for action in flowpulse_core::contract::ACTIONS {
            assert!(message.contains(action), "{message}");
        }
    }
}
