//! A provider's sync claim: at most one queued sync per provider at a time (see
//! `flowpulse_core::fan_out`).

use serde_json::json;
use uuid::Uuid;

use super::{Store, StoreError};

impl Store {
    /// Claims the provider's sync for `seconds` unless a claim is running; whether this call got
    /// it (false too for a provider the token cannot see).
    pub async fn claim_provider_sync(&self, id: Uuid, seconds: u32) -> Result<bool, StoreError> {
        self.rpc(
            "claim_provider_sync",
            json!({"p_provider_id": id, "p_seconds": seconds}),
        )
        .await
    }

    /// Ends the provider's sync claim.
    pub async fn release_provider_sync(&self, id: Uuid) -> Result<(), StoreError> {
        let builder = self
            .client
            .from("providers")
            .eq("id", id.to_string())
            .update(json!({"sync_claimed_until": null}).to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }
}
