//! The chart's kept hours and days (`execution_periods`): written after a sync ingests, read by
//! the app.

use serde_json::json;
use uuid::Uuid;

use super::{Store, StoreError};

impl Store {
    /// Keeps the provider's (and its owner's) finished hours of the last day and finished days
    /// of the last month that have no kept figures yet; how many periods it wrote.
    pub async fn roll_up_execution_periods(&self, provider_id: Uuid) -> Result<u32, StoreError> {
        self.rpc(
            "roll_up_execution_periods",
            json!({"p_provider_id": provider_id}),
        )
        .await
    }
}
