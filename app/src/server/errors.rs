//! Server-side helpers around [`AppError`]: 5xx constructors that log the details they hide,
//! and the HTTP status of a failed server function call.

use crate::error::AppError;
use axum::http::request::Parts;
use axum::http::StatusCode;
use leptos::prelude::use_context;
use std::fmt::Display;

/// An unexpected failure: logged in full here, shown to the user as a generic message.
pub fn internal(context: &str, error: impl Display) -> AppError {
    tracing::error!(error = %error, "{context}");
    AppError::Internal
}

/// A dependency failed: the details are logged, the user sees `public_message`.
pub fn upstream(context: &str, error: impl Display, public_message: impl Into<String>) -> AppError {
    tracing::warn!(error = %error, "{context}");
    AppError::Upstream(public_message.into())
}

/// Prefix under which Leptos mounts server functions.
const SERVER_FN_PREFIX: &str = "/api/";

/// Gives a failed server function call the HTTP status of its error.
///
/// Only for real server function requests: when a page is rendered on the server, a failing
/// resource must not turn the whole page into an error response.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        let is_server_fn_call = use_context::<Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with(SERVER_FN_PREFIX));
        if is_server_fn_call {
            if let (Some(response), Ok(status)) = (
                use_context::<leptos_axum::ResponseOptions>(),
                StatusCode::from_u16(error.status_code()),
            ) {
                response.set_status(status);
            }
        }
    }
    result
}

/// For a page whose one subject is missing (`/executions/<id>`): answers 404 as well as
/// showing the notice, so a link to someone else's row reads as absent to every client.
pub fn missing_page<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(AppError::NotFound(_)) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(StatusCode::NOT_FOUND);
        }
    }
    result
}
