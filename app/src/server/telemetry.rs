//! Logs and request tracing: `tracing` to stdout, as text or — with
//! `FLOWPULSE_LOG_FORMAT=json` — one JSON object per line; every request in a span carrying its
//! request id (`x-request-id`, made here when the client sent none, and echoed in the reply),
//! method and route, to which the session middleware adds `user_id` and the instance functions
//! `provider_id`.

use axum::extract::MatchedPath;
use axum::http::Request;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::field::Empty;
use tracing_subscriber::EnvFilter;

/// The request-id header.
const REQUEST_ID: &str = "x-request-id";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `FLOWPULSE_LOG_FORMAT`: `json` or `text` (the default).
    pub fn from_setting(value: Option<&str>) -> anyhow::Result<Self> {
        match value.map(str::trim).unwrap_or("") {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => anyhow::bail!("FLOWPULSE_LOG_FORMAT must be text or json, not {other:?}"),
        }
    }
}

/// Installs the global subscriber (`RUST_LOG` filters, default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// The span of one request.
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        route,
        user_id = Empty,
        provider_id = Empty,
    )
}

/// Adds the request-id and tracing layers around `router` (outermost first: the id is set
/// before the span is made, and copied to the reply).
pub fn trace<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    let header = axum::http::HeaderName::from_static(REQUEST_ID);
    router
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::new(header, MakeRequestUuid))
}

/// Records the signed-in user on the current request's span.
pub fn record_user(user_id: uuid::Uuid) {
    tracing::Span::current().record("user_id", tracing::field::display(user_id));
}

/// Records the instance a server function works on, on the current request's span.
pub fn record_provider(provider_id: uuid::Uuid) {
    tracing::Span::current().record("provider_id", tracing::field::display(provider_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_unless_json_is_asked_for() {
        assert_eq!(LogFormat::from_setting(None).unwrap(), LogFormat::Text);
        assert_eq!(
            LogFormat::from_setting(Some("json")).unwrap(),
            LogFormat::Json
        );
        assert!(LogFormat::from_setting(Some("xml")).is_err());
    }
}
