//! Reachability checks of PostgREST, the edge function and the realtime connection.

use super::state::ServerState;
use crate::api::status::HealthReport;
use std::time::Duration;

/// Both HTTP checks run at once, each bounded by a short timeout so the page never hangs.
pub async fn check(state: &ServerState) -> HealthReport {
    let config = &state.config;
    // PostgREST's root answers with the OpenAPI description when the database is reachable.
    let database = state
        .http
        .get(config.postgrest_url.clone())
        .header("apikey", &config.anon_key)
        .timeout(Duration::from_secs(3))
        .send();
    let edge = state
        .http
        .get(format!("{}/workflow-sync/health", config.functions_url))
        .timeout(Duration::from_secs(3))
        .send();
    let (database, edge) = tokio::join!(database, edge);
    HealthReport {
        database: database.is_ok_and(|r| r.status().is_success()),
        edge_function: edge.is_ok_and(|r| r.status().is_success()),
        realtime: state.hub.is_listening(),
    }
}
