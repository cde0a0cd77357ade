//! The layers around every route that hold attacks off before a handler runs: response
//! headers (CSP with a nonce, nosniff, referrer policy, no framing), the CSRF guard, and the
//! body limit. Sessions (`middleware`) run inside them.

pub mod csrf;
pub mod headers;
pub mod settings;

use super::state::ServerState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body, in bytes. Server functions take a few form fields (the biggest is an
/// instance with its API key); anything larger is refused with 413 — from `Content-Length`,
/// before the body is read, and otherwise as soon as this much has arrived.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What an oversized chunked request gets.
const TOO_LARGE: &str = "Request body too large: FlowPulse accepts at most 64 KiB.";

/// Wraps `router` in the security layers. The last added runs first: headers go on every
/// reply, refusals included.
pub fn protect<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    state: &ServerState,
) -> Router<S> {
    router
        .layer(axum::middleware::from_fn(read_unsized_bodies))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::guard,
        ))
        .layer(axum::middleware::from_fn(headers::content_security_policy))
        .layer(headers::no_sniffing())
        .layer(headers::referrer_policy())
        .layer(headers::no_framing())
}

/// A body without `Content-Length` (chunked) cannot be judged up front, and a handler that
/// hits the limit while reading fails as a server error. So such bodies are read here, at most
/// [`BODY_LIMIT`] bytes (the layer outside stops there), and refused with a 413 of their own.
async fn read_unsized_bodies(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if headers.contains_key(CONTENT_LENGTH) || !headers.contains_key(TRANSFER_ENCODING) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE).into_response(),
    }
}
