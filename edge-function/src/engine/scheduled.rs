//! The cron and the queue behind it. The cron does not sync providers itself: it runs the daily
//! cleanup and makes one queue message per provider, least recently synced first
//! ([`run_scheduled`]); queue consumers sync one provider per message, each with a budget of its
//! own, claimed so no two consumers sync one provider at once ([`run_queued`]). The rules are in
//! [`flowpulse_core::fan_out`].

use std::time::Duration;

use flowpulse_core::contract::{ProviderResult, SyncRequest, SyncResponse};
use flowpulse_core::fan_out::{self, ProviderSyncMessage};
use flowpulse_core::rows::SyncType;
use futures::stream::{self, StreamExt};

use super::{run_authenticated, Ctx, RunReport, Trigger, CLEANUP_CRON};
use crate::auth::{verify_token, Authenticated, Caller};
use crate::config::WorkerConfig;
use crate::error::EdgeError;
use crate::runtime;
use crate::store::Store;

/// One job of a cron run and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledJob {
    /// The action run.
    pub action: &'static str,
    /// Its outcome.
    pub outcome: Result<SyncResponse, EdgeError>,
}

/// What a cron run did and what it leaves for the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledRun {
    /// The jobs the cron ran itself (the cleanup, on [`CLEANUP_CRON`]).
    pub jobs: Vec<ScheduledJob>,
    /// One message per provider for the queue, or why there are none.
    pub messages: Result<Vec<ProviderSyncMessage>, EdgeError>,
}

/// The cron handler's work, as `service_role` (the `SERVICE_ROLE_KEY` binding): on
/// [`CLEANUP_CRON`] a `cleanup_workflows` with `dry_run: false`; on every cron the messages of
/// a sync of every provider, for the caller to queue.
pub async fn run_scheduled(config: &WorkerConfig, cron: &str) -> ScheduledRun {
    let auth = match service_role(config) {
        Ok(auth) => auth,
        Err(error) => {
            return ScheduledRun {
                jobs: Vec::new(),
                messages: Err(error),
            }
        }
    };
    let mut jobs = Vec::new();
    if cron.trim() == CLEANUP_CRON {
        let request = SyncRequest::CleanupWorkflows {
            dry_run: Some(false),
        };
        let action = request.action();
        let outcome = run_authenticated(config, &auth, request, Trigger::Cron)
            .await
            .and_then(RunReport::into_response);
        jobs.push(ScheduledJob { action, outcome });
    }
    let messages = async {
        let store = Store::new(
            &config.postgrest_url,
            &config.postgrest_api_key,
            &auth.token,
        )?;
        let providers = store.providers(None).await?;
        Ok(fan_out::cycle_messages(&providers, runtime::now()))
    }
    .await;
    ScheduledRun { jobs, messages }
}

/// What the queue does with a message once a consumer is done with it.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueVerdict {
    /// Acknowledge it: the provider synced (its result), or there was nothing to do (why).
    Ack {
        /// Why nothing was synced, when nothing was.
        skipped: Option<&'static str>,
        /// The provider's result, when it synced.
        result: Option<ProviderResult>,
    },
    /// Deliver it again after `delay`.
    Retry {
        /// How long the queue waits first.
        delay: Duration,
        /// Why, for the logs (no secrets: the same text a sync log shows).
        reason: String,
    },
}

/// A consumer's batch, its messages side by side (a few at a time) and each with its own
/// budget; verdicts in message order.
pub async fn run_queued(
    config: &WorkerConfig,
    messages: &[ProviderSyncMessage],
) -> Vec<QueueVerdict> {
    let runs: Vec<_> = messages
        .iter()
        .map(|message| Box::pin(sync_queued(config, message)))
        .collect();
    stream::iter(runs)
        .buffered(config.provider_concurrency.max(1))
        .collect()
        .await
}

/// One message: the provider synced once, unless the message is stale or another consumer has
/// the provider; retried later when the sync could not happen or n8n never answered (an error
/// naming it unreachable, or silence until the budget ran out).
async fn sync_queued(config: &WorkerConfig, message: &ProviderSyncMessage) -> QueueVerdict {
    let retry = |reason: String| QueueVerdict::Retry {
        delay: fan_out::retry_delay(message, runtime::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
        reason,
    };
    let prepared = async {
        let auth = service_role(config)?;
        let store = Store::new(
            &config.postgrest_url,
            &config.postgrest_api_key,
            &auth.token,
        )?;
        let provider = store.providers(Some(message.provider_id)).await?.pop();
        Ok::<_, EdgeError>((store, provider))
    };
    let (store, provider) = match prepared.await {
        Ok(prepared) => prepared,
        Err(error) => return retry(error.log_detail()),
    };
    let provider = match fan_out::admit(message, provider.as_ref()) {
        Ok(provider) => provider,
        Err(why) => {
            return QueueVerdict::Ack {
                skipped: Some(why),
                result: None,
            }
        }
    };
    match store
        .claim_provider_sync(provider.id, claim_seconds(config))
        .await
    {
        Ok(true) => {}
        Ok(false) => return retry("another sync of this instance is running".into()),
        Err(error) => return retry(format!("claiming the sync: {error}")),
    }
    let ctx = Ctx::new(config, store.clone(), Trigger::Queue, "sync_all_workflows");
    let outcome = ctx.sync_provider(provider, SyncType::Scheduled, None).await;
    if let Err(error) = store.release_provider_sync(provider.id).await {
        // The claim expires on its own; until then this provider's messages wait.
        runtime::log_error(&format!(
            "provider {}: could not end its sync claim: {error}",
            provider.id
        ));
    }
    match (outcome.unreachable, outcome.silent) {
        (Some(unreachable), _) => retry(unreachable),
        (None, true) => retry("n8n did not answer within the time budget".into()),
        (None, false) => QueueVerdict::Ack {
            skipped: None,
            result: Some(outcome.result),
        },
    }
}

/// How long a consumer holds a provider: its whole budget and a minute for closing the sync
/// log, within the 15 minutes a consumer invocation may run.
fn claim_seconds(config: &WorkerConfig) -> u32 {
    let seconds = (config.sync_time_budget + Duration::from_secs(60)).as_secs();
    u32::try_from(seconds.min(900)).unwrap_or(900)
}

/// The `service_role` caller the cron and the queue act as.
fn service_role(config: &WorkerConfig) -> Result<Authenticated, EdgeError> {
    match verify_token(&config.jwt_secret, &config.service_role_key) {
        Ok(auth) if auth.caller == Caller::ServiceRole => Ok(auth),
        Ok(_) | Err(_) => Err(EdgeError::Internal(
            "SERVICE_ROLE_KEY is not a service_role token signed with JWT_SECRET".into(),
        )),
    }
}
