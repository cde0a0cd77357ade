//! The chart's kept days (`execution_days`): written after a sync ingests, read by the app.

use serde_json::json;
use uuid::Uuid;

use super::{Store, StoreError};

impl Store {
    /// Keeps the provider's (and its owner's) finished days of the last month that have no
    /// kept figures yet; how many days it wrote.
    pub async fn roll_up_execution_days(&self, provider_id: Uuid) -> Result<u32, StoreError> {
        self.rpc(
            "roll_up_execution_days",
            json!({"p_provider_id": provider_id}),
        )
        .await
    }
}
