//! Health of the parts the app depends on, shown on the sync-log page.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether each backing service answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// PostgREST (and through it, Postgres) answered.
    pub database: bool,
    /// The `workflow-sync` edge function's health URL answered.
    pub edge_function: bool,
    /// The realtime hub is listening to the database.
    pub realtime: bool,
}

/// Checks the database API and the edge function from the server.
#[server]
pub async fn check_services() -> Result<HealthReport, AppError> {
    let state = crate::server::request::state()?;
    Ok(crate::server::health::check(&state).await)
}
