//! Health of the parts the app depends on, shown on the home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether each backing service answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// PostgREST (and through it, Postgres) answered.
    pub database: bool,
    /// The `workflow-sync` edge function's health URL answered.
    pub edge_function: bool,
}

/// Checks the database API and the edge function from the server.
#[server]
pub async fn check_services() -> Result<HealthReport, ServerFnError> {
    let config = expect_context::<std::sync::Arc<crate::server::config::AppConfig>>();
    Ok(crate::server::health::check(&config).await)
}
