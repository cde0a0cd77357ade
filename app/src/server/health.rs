//! Reachability checks of PostgREST and the edge function.

use super::config::AppConfig;
use crate::status::HealthReport;
use std::time::Duration;

/// Both checks run at once, each bounded by a short timeout so the page never hangs.
pub async fn check(config: &AppConfig) -> HealthReport {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .expect("client");
    // PostgREST's root answers with the OpenAPI description when the database is reachable.
    let database = client
        .get(config.postgrest_url.clone())
        .header("apikey", &config.anon_key)
        .send();
    let edge = client
        .get(format!("{}/workflow-sync/health", config.functions_url))
        .send();
    let (database, edge) = tokio::join!(database, edge);
    HealthReport {
        database: database.map(|r| r.status().is_success()).unwrap_or(false),
        edge_function: edge.map(|r| r.status().is_success()).unwrap_or(false),
    }
}
