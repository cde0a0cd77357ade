//! What operators point their probes and scrapers at: `/healthz` (the process answers),
//! `/readyz` (it can serve: its database, PostgREST and the edge function answer) and
//! `/metrics` (Prometheus, see `metrics`). None needs a session.

use super::health;
use super::metrics::CONTENT_TYPE;
use super::state::ServerState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use std::time::Duration;

/// How long `/readyz` waits for the database before calling it down.
const DATABASE_CHECK: Duration = Duration::from_secs(3);

/// `GET /healthz`: alive.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `GET /readyz`: 200 when the database, PostgREST and the edge function answer, else 503;
/// the body says which part is down.
pub async fn readyz(State(state): State<ServerState>) -> Response {
    let database = tokio::time::timeout(DATABASE_CHECK, state.auth.ping());
    let (report, database) = tokio::join!(health::check(&state), database);
    let database = matches!(database, Ok(Ok(())));
    let ready = database && report.database && report.edge_function;
    if !ready {
        tracing::warn!(
            database,
            postgrest = report.database,
            edge_function = report.edge_function,
            "not ready"
        );
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "ready": ready,
        "database": database,
        "postgrest": report.database,
        "edge_function": report.edge_function,
        "realtime": report.realtime,
    });
    (status, Json(body)).into_response()
}

/// `GET /metrics`: OpenMetrics text.
pub async fn metrics(State(state): State<ServerState>) -> Response {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}
