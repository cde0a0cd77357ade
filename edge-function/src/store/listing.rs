//! What a resumable listing pass keeps between runs (see `flowpulse_core::plan::backfill`).

use flowpulse_core::n8n::ExecutionId;
use flowpulse_core::plan::Backfill;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{Store, StoreError};

#[derive(Deserialize)]
struct Saved {
    watermark: i64,
}

fn bigint(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Keeps `pass` as the provider's unfinished pass, or clears it with `None`; raises the
    /// watermark to `watermark` when given (never lowers it). Returns the stored watermark.
    pub async fn save_listing_progress(
        &self,
        provider_id: Uuid,
        pass: Option<&Backfill>,
        watermark: Option<u64>,
    ) -> Result<u64, StoreError> {
        // Unset arguments are left out, not sent as null: the local PostgREST (postrust)
        // turns a JSON null into '' (the SQL defaults are null).
        let mut params = json!({"p_provider_id": provider_id});
        if let Some(pass) = pass {
            params["p_cursor"] = json!(pass.cursor);
            params["p_low"] = json!(bigint(pass.low));
            params["p_top"] = json!(bigint(pass.top));
        }
        if let Some(watermark) = watermark {
            params["p_watermark"] = json!(bigint(watermark));
        }
        let saved: Saved = self.rpc("save_listing_progress", params).await?;
        Ok(u64::try_from(saved.watermark).unwrap_or(0))
    }

    /// The ids in `[from, to]` the provider's stored executions do not hold, ascending, at
    /// most `limit`.
    pub async fn execution_gaps(
        &self,
        provider_id: Uuid,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<ExecutionId>, StoreError> {
        let ids: Vec<i64> = self
            .rpc(
                "execution_gaps",
                json!({
                    "p_provider_id": provider_id,
                    "p_from": bigint(from),
                    "p_to": bigint(to),
                    "p_limit": i32::try_from(limit).unwrap_or(i32::MAX),
                }),
            )
            .await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| u64::try_from(id).ok().map(ExecutionId))
            .collect())
    }
}
