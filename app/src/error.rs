//! `AppError`: the one error type every server function returns.
//!
//! It crosses the wire as JSON, so the browser gets the same variant the server produced and
//! can show a precise message. Client errors (4xx) carry text meant for the user; server
//! errors (5xx) carry only a generic text, while the details are logged on the server by the
//! constructors in `crate::server::errors`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What went wrong, in words fit for the person using the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input was rejected; the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// No valid session: the user must sign in (again).
    #[error("Your session has ended. Please sign in again.")]
    Unauthorized,
    /// Email and password did not match an account (deliberately vague: no user enumeration).
    #[error("Wrong email or password.")]
    WrongCredentials,
    /// The thing asked for does not exist (or belongs to someone else: RLS hides it).
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with existing data, e.g. a duplicate name or email.
    #[error("{0}")]
    Conflict(String),
    /// Too many sign-in failures or sign-ups from this client: it must wait before trying again.
    #[error("Too many attempts. Wait {0} seconds, then try again.")]
    TooManyAttempts(u64),
    /// A service the app depends on (sync function, database API) failed; the text is safe.
    #[error("{0}")]
    Upstream(String),
    /// A bug or an unexpected failure on the server; details are in the server log only.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request never got an answer (network down, server restarting): browser side only.
    #[error("Could not reach FlowPulse ({0}). Check your connection and try again.")]
    Network(String),
}

impl AppError {
    /// The HTTP status a server function answers with when it fails this way.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Invalid(_) => 400,
            Self::Unauthorized | Self::WrongCredentials => 401,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::TooManyAttempts(_) => 429,
            Self::Internal => 500,
            Self::Upstream(_) => 502,
            Self::Network(_) => 503,
        }
    }

    /// True when signing in again is the way out, so the page can offer a link.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Self::Unauthorized)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(message) | ServerFnErrorErr::Response(message) => {
                Self::Network(message)
            }
            // Argument decoding failures come from hand-crafted or outdated requests.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::Invalid(format!("The request was malformed: {message}"))
            }
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_4xx_and_server_errors_are_5xx() {
        assert_eq!(AppError::Invalid("x".into()).status_code(), 400);
        assert_eq!(AppError::Unauthorized.status_code(), 401);
        assert_eq!(AppError::WrongCredentials.status_code(), 401);
        assert_eq!(AppError::Conflict("x".into()).status_code(), 409);
        assert_eq!(AppError::TooManyAttempts(3).status_code(), 429);
        assert_eq!(AppError::Internal.status_code(), 500);
        assert_eq!(AppError::Upstream("x".into()).status_code(), 502);
    }

    #[test]
    fn the_internal_error_message_reveals_nothing() {
        let text = AppError::Internal.to_string();
        assert!(text.contains("Something went wrong"), "{text}");
    }

    #[test]
    fn an_error_survives_the_trip_to_the_browser() {
        let error = AppError::TooManyAttempts(8);
        let bytes = error.ser();
        assert_eq!(AppError::de(bytes), error);
    }
}
