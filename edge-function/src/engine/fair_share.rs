//! Fair share of one run between providers: the least recently synced go first, and when a
//! run covers more providers than it syncs at once each gets at most its own budget, so a slow
//! or hostile instance cannot hold a slot the others wait for (a backlog continues next run).
//! A provider the run has no time left for is not touched at all: its `last_checked_at` stays,
//! so it is first in line next run.

use std::time::Duration;

use flowpulse_core::contract::ProviderResult;
use flowpulse_core::rows::{Provider, SyncStatus, SyncType};

use super::{Ctx, ProviderOutcome};
use crate::config::WorkerConfig;
use crate::runtime::Deadline;

/// Least time worth starting a provider with: less would open a sync log only to time out.
const LEAST_TO_START: Duration = Duration::from_secs(2);

/// Providers never synced first, then by last sync, oldest first (creation order breaks ties).
pub(super) fn least_recently_synced_first(mut providers: Vec<Provider>) -> Vec<Provider> {
    providers.sort_by_key(flowpulse_core::fan_out::waiting_order);
    providers
}

/// Each provider's budget in a run over `providers` providers: none of its own when they all
/// run at once (nobody waits for a slot).
pub(super) fn provider_budget(config: &WorkerConfig, providers: usize) -> Option<Duration> {
    (providers > config.provider_concurrency.max(1)).then_some(config.provider_time_budget)
}

impl Ctx<'_> {
    /// Syncs `provider` within its share: `budget` from now (if any), never past the run's
    /// deadline; not at all when the run has too little time left.
    pub(super) async fn sync_provider_fairly(
        &self,
        provider: &Provider,
        sync_type: SyncType,
        budget: Option<Duration>,
    ) -> ProviderOutcome {
        if self.deadline.remaining() < LEAST_TO_START.min(self.budget / 4) {
            return not_reached(provider);
        }
        match budget {
            Some(budget) if budget < self.deadline.remaining() => {
                let mut share = self.clone();
                share.deadline = Deadline::after(budget);
                share.budget = budget;
                share.sync_provider(provider, sync_type, None).await
            }
            _ => self.sync_provider(provider, sync_type, None).await,
        }
    }
}

/// A provider this run had no time left for: no sync log, status untouched.
fn not_reached(provider: &Provider) -> ProviderOutcome {
    ProviderOutcome {
        result: ProviderResult {
            provider_id: provider.id,
            provider: provider.name.clone(),
            status: SyncStatus::Error,
            workflows_synced: 0,
            executions_synced: 0,
            duration_ms: 0,
            error: Some(
                "not reached: this run's time went to other instances; the next run starts \
                 with this one"
                    .into(),
            ),
        },
        sync_log_id: None,
        unreachable: None,
        silent: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn provider(name: &str, created_minute: u32, checked_minute: Option<u32>) -> Provider {
        let at = |minute| Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap();
        let row = serde_json::json!({
            "id": Uuid::new_v4(), "user_id": Uuid::new_v4(), "name": name,
            "base_url": "https://n8n.example.com", "api_key_ciphertext": "f2.1:x",
            "status": "connected", "last_checked_at": checked_minute.map(at),
            "last_error": null, "created_at": at(created_minute), "updated_at": at(created_minute),
        });
        serde_json::from_value(row).unwrap()
    }

    #[test]
    fn never_synced_providers_go_first_then_the_longest_waiting() {
        let order = least_recently_synced_first(vec![
            provider("fresh", 0, Some(50)),
            provider("stale", 1, Some(10)),
            provider("new b", 3, None),
            provider("new a", 2, None),
            provider("middle", 4, Some(30)),
        ]);
        let names: Vec<&str> = order.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["new a", "new b", "stale", "middle", "fresh"]);
    }

    #[test]
    fn a_provider_gets_its_own_budget_only_when_others_wait_for_a_slot() {
        let config = crate::config::tests::test_config();
        let slots = config.provider_concurrency;
        assert_eq!(provider_budget(&config, slots), None);
        assert_eq!(
            provider_budget(&config, slots + 1),
            Some(config.provider_time_budget)
        );
    }

    #[test]
    fn a_provider_not_reached_gets_no_sync_log_and_says_why() {
        let outcome = not_reached(&provider("late", 0, None));
        assert!(outcome.sync_log_id.is_none());
        assert_eq!(outcome.result.status, SyncStatus::Error);
        assert!(outcome.result.error.unwrap().contains("next run"));
    }
}
