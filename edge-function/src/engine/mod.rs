//! The sync engine: for each provider, a `sync_logs` row, workflows, then
//! executions, each provider isolated from the others and the whole run under a time budget.
//!
//! Runs natively and in workerd alike; the HTTP layer and the cron handler are thin wrappers
//! around [`run_authenticated`].

mod alerts;
mod backfill;
mod cleanup;
mod deploy;
mod executions;
mod failures;
mod fair_share;
mod health;
mod progress;
mod retry;
mod scheduled;
mod workflows;

use std::future::Future;

use flowpulse_core::contract::{
    CleanupReport, DeploymentReport, ProviderResult, RetryReport, SyncRequest, SyncResponse,
};
use flowpulse_core::rows::{
    Provider, ProviderStatus, SyncLogFinish, SyncLogInsert, SyncStatus, SyncType,
};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::auth::{verify_token, Authenticated, Caller};
use crate::config::WorkerConfig;
use crate::error::EdgeError;
use crate::runtime::{self, Deadline};
use crate::store::{Store, WorkflowRef};
use flowpulse_core::base_url::BaseUrl;
use flowpulse_core::crypto::SecretBinding;
use flowpulse_n8n::{ClientSettings, N8nClient, Transport};
pub(crate) use progress::Progress;
pub use scheduled::{run_queued, run_scheduled, QueueVerdict, ScheduledJob, ScheduledRun};

/// The cron expression (see `wrangler.toml`) whose runs also do `cleanup_workflows`; every
/// cron run queues a scheduled sync of every provider.
pub const CLEANUP_CRON: &str = "17 3 * * *";

/// What started a run: decides the `sync_type` of sync logs and is recorded in their details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An HTTP request (user, admin curl): `sync_type = manual`.
    Http,
    /// The cron trigger (cleanup): `sync_type = scheduled`.
    Cron,
    /// A queue consumer syncing one provider the cron queued: `sync_type = scheduled`.
    Queue,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Cron => "cron",
            Self::Queue => "queue",
        }
    }
}

/// A finished run: the reply, plus the providers whose n8n could not be reached at all.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The reply body (`ok` is false if any provider did not end `success`).
    pub response: SyncResponse,
    /// For each provider whose n8n never answered (unreachable or timed out), the message
    /// naming it.
    pub unreachable: Vec<String>,
}

impl RunReport {
    /// The HTTP outcome of a run.
    ///
    /// Choice: the reply is 502 `n8n_unreachable` only when EVERY provider the request
    /// covered had an unreachable n8n (the message names each). When only some failed, the
    /// reply is 200 with `ok: false` and the failing providers' `status`/`error`, so the
    /// caller still gets the results and `sync_log_ids` of the providers that synced. A run
    /// over zero providers is a 200 with no results.
    pub fn into_response(self) -> Result<SyncResponse, EdgeError> {
        let covered = self.response.results.len();
        if covered > 0 && self.unreachable.len() == covered {
            Err(EdgeError::N8nUnreachable(self.unreachable))
        } else {
            Ok(self.response)
        }
    }
}

/// Verifies `token` exactly like the HTTP layer does, then runs `request` as an HTTP-started
/// run and applies [`RunReport::into_response`]. The native entry point for tests.
pub async fn run_action(
    config: &WorkerConfig,
    token: &str,
    request: SyncRequest,
) -> Result<SyncResponse, EdgeError> {
    let auth = verify_token(&config.jwt_secret, token)?;
    run_authenticated(config, &auth, request, Trigger::Http)
        .await?
        .into_response()
}

/// Runs `request` for an already verified caller.
///
/// Errors are request-level only (provider or workflow not found, PostgREST failing before
/// any provider ran); a provider's failure is inside the report.
pub async fn run_authenticated(
    config: &WorkerConfig,
    auth: &Authenticated,
    request: SyncRequest,
    trigger: Trigger,
) -> Result<RunReport, EdgeError> {
    let store = Store::new(
        &config.postgrest_url,
        &config.postgrest_api_key,
        &auth.token,
    )?;
    let ctx = Ctx::new(config, store, trigger, request.action());
    match request {
        SyncRequest::SyncAllWorkflows { provider_id } => {
            let providers = ctx.store.providers(provider_id).await?;
            if let (Some(id), true) = (provider_id, providers.is_empty()) {
                return Err(EdgeError::NotFound(format!(
                    "provider {id} does not exist or is not yours"
                )));
            }
            let sync_type = match trigger {
                Trigger::Http => SyncType::Manual,
                Trigger::Cron | Trigger::Queue => SyncType::Scheduled,
            };
            let providers = fair_share::least_recently_synced_first(providers);
            let share = fair_share::provider_budget(config, providers.len());
            let outcomes = ctx
                .for_each_provider(&providers, |provider| {
                    ctx.sync_provider_fairly(provider, sync_type, share)
                })
                .await;
            Ok(ctx.report(outcomes, None))
        }
        SyncRequest::SyncWorkflow { workflow_id } => {
            let not_found = || {
                EdgeError::NotFound(format!(
                    "workflow {workflow_id} does not exist or is not yours"
                ))
            };
            let workflow = ctx
                .store
                .workflow(workflow_id)
                .await?
                .ok_or_else(not_found)?;
            let provider = ctx
                .store
                .providers(Some(workflow.provider_id))
                .await?
                .into_iter()
                .next()
                .ok_or_else(not_found)?;
            let outcome = ctx
                .sync_provider(&provider, SyncType::Workflow, Some(&workflow))
                .await;
            Ok(ctx.report(vec![outcome], None))
        }
        SyncRequest::DeployWorkflow {
            conversation_id,
            provider_id,
            activate,
        } => deploy::deploy(&ctx, conversation_id, provider_id, activate).await,
        SyncRequest::RemoveWorkflow { workflow_id } => deploy::remove(&ctx, workflow_id).await,
        SyncRequest::RetryExecution { execution_id } => retry::retry(&ctx, execution_id).await,
        SyncRequest::CleanupWorkflows { dry_run } => {
            // Users get a preview unless they ask otherwise; cron and admins act.
            let dry_run = dry_run.unwrap_or(matches!(auth.caller, Caller::User { .. }));
            cleanup::run(&ctx, dry_run).await
        }
    }
}

/// How one provider's part of a run ended.
pub(crate) struct ProviderOutcome {
    result: ProviderResult,
    sync_log_id: Option<Uuid>,
    unreachable: Option<String>,
    /// The time budget ran out before n8n answered anything.
    silent: bool,
}

/// Shared state of one run.
#[derive(Clone)]
pub(crate) struct Ctx<'a> {
    config: &'a WorkerConfig,
    store: Store,
    trigger: Trigger,
    action: &'static str,
    /// When work must stop; a reserve after it is left for closing sync logs.
    deadline: Deadline,
    /// The time this context was given (the run's, or one provider's share of it).
    budget: std::time::Duration,
}

impl<'a> Ctx<'a> {
    fn new(config: &'a WorkerConfig, store: Store, trigger: Trigger, action: &'static str) -> Self {
        let budget = config.sync_time_budget;
        let reserve = (budget / 5).min(std::time::Duration::from_secs(3));
        Self {
            config,
            store,
            trigger,
            action,
            deadline: Deadline::after(budget).minus(reserve),
            budget,
        }
    }

    /// Time kept after a listing for the steps after it (failures, health, alerts).
    fn after_listing(&self) -> std::time::Duration {
        (self.budget / 4).min(std::time::Duration::from_secs(3))
    }

    /// When a listing stops starting new pages and keeps where it stopped (a resumable pass).
    fn listing_deadline(&self) -> Deadline {
        self.deadline.minus(self.after_listing())
    }

    /// When looking into failures stops, leaving the health check and alerts their time.
    fn failures_deadline(&self) -> Deadline {
        self.deadline.minus(self.after_listing() / 2)
    }

    /// Runs `run` for every provider, a few at a time, results in provider order.
    ///
    /// The futures are built up front and the stream holds only them (not the closure), so
    /// the run stays `Send` natively: callers may `tokio::spawn` it.
    async fn for_each_provider<'p, T, Fut>(
        &self,
        providers: &'p [Provider],
        run: impl Fn(&'p Provider) -> Fut,
    ) -> Vec<T>
    where
        Fut: Future<Output = T>,
    {
        let runs: Vec<Fut> = providers.iter().map(run).collect();
        stream::iter(runs)
            .buffered(self.config.provider_concurrency.max(1))
            .collect()
            .await
    }

    /// An n8n client for a provider, or a message safe to show why not.
    ///
    /// The key is bound to the provider row and the origin it was entered for: a row whose
    /// URL was moved to another host without a new key yields no key to send there.
    fn client(&self, provider: &Provider) -> Result<N8nClient, String> {
        let base_url = BaseUrl::parse(&provider.base_url).map_err(|problem| {
            format!("the instance URL cannot be used: {problem} Edit the instance.")
        })?;
        let binding = SecretBinding::provider_api_key(provider.id, &base_url.origin());
        let api_key = self
            .config
            .key_ring
            .decrypt(&provider.api_key_ciphertext, &binding)
            .map_err(|error| {
                runtime::log_error(&format!(
                    "provider {}: cannot decrypt its API key: {error}",
                    provider.id
                ));
                "the stored n8n API key cannot be decrypted for this instance URL; enter the key \
                 again (or check the function's ENCRYPTION_KEY)"
                    .to_string()
            })?;
        let settings = ClientSettings {
            timeout: self.config.n8n_timeout,
            retry: self.config.retry,
            max_reply_bytes: self.config.n8n_max_reply_bytes,
        };
        let transport = Transport::new(self.config.outbound.clone());
        Ok(N8nClient::new(base_url, &api_key, transport, settings).with_deadline(self.deadline))
    }

    /// Workflows then executions of one provider (or of one workflow of it).
    async fn sync_provider(
        &self,
        provider: &Provider,
        sync_type: SyncType,
        workflow: Option<&WorkflowRef>,
    ) -> ProviderOutcome {
        let progress = Progress::new(provider.id);
        // The health verdicts, for the alert rules after the run's log is closed.
        let verdicts = std::sync::Mutex::new(None);
        let work = async {
            let client = match self.client(provider) {
                Ok(client) => client,
                Err(message) => return progress.error(message),
            };
            let workflows_ok = match workflow {
                None => workflows::sync_all(self, provider, &client, &progress).await,
                Some(workflow) => {
                    workflows::refresh_one(self, provider, &client, workflow, &progress).await
                }
            };
            if !workflows_ok {
                // Executions of workflows not yet stored would be linked to no workflow.
                progress.detail("executions", json!("skipped: the workflow step failed"));
                return;
            }
            let filter = workflow.map(|workflow| workflow.n8n_workflow_id.as_str());
            executions::sync(self, provider, &client, filter, &progress).await;
            self.keep_finished_periods(provider, &progress).await;
            failures::fetch_details(self, provider, &client, &progress).await;
            let judged = health::evaluate_all(self, provider, &progress).await;
            *verdicts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = judged;
        };
        // Boxed: the whole sync's state would otherwise be inlined into every caller's future
        // (tens of KiB), and a worker's stack is small.
        let outcome = self
            .supervise(provider, sync_type, &progress, Box::pin(work))
            .await;
        let verdicts = verdicts
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Box::pin(alerts::after_sync(
            self,
            provider,
            verdicts.as_deref(),
            &outcome,
        ))
        .await;
        outcome
    }

    /// What a sync log's `details` say started it, from opening to close.
    fn started_by(&self) -> serde_json::Map<String, Value> {
        let mut details = serde_json::Map::new();
        details.insert("action".into(), json!(self.action));
        details.insert("trigger".into(), json!(self.trigger.as_str()));
        details
    }

    /// Keeps the chart's figures of the provider's finished hours and days the sync may have
    /// completed (`execution_periods`). Not a failure of the sync when it cannot: the chart then
    /// reads those periods' raw rows, only slower.
    async fn keep_finished_periods(&self, provider: &Provider, progress: &Progress) {
        match self.store.roll_up_execution_periods(provider.id).await {
            Ok(periods) => progress.detail("kept_periods", json!(periods)),
            Err(error) => runtime::log_error(&format!(
                "provider {}: could not keep its finished hours and days: {error}",
                provider.id
            )),
        }
    }

    /// Opens the provider's sync log, runs `work` within the deadline, closes the log and
    /// records the provider's status.
    async fn supervise(
        &self,
        provider: &Provider,
        sync_type: SyncType,
        progress: &Progress,
        work: impl Future<Output = ()>,
    ) -> ProviderOutcome {
        let started = runtime::now();
        let mut opening =
            SyncLogInsert::running(provider.user_id, Some(provider.id), sync_type, started);
        opening.details = Value::Object(self.started_by());
        let sync_log_id = match self.store.open_sync_log(&opening).await {
            Ok(id) => Some(id),
            Err(error) => {
                progress.store_error("open the sync log", &error);
                None
            }
        };
        if sync_log_id.is_some() {
            let remaining = self.deadline.remaining();
            if runtime::timeout(remaining, work).await.is_err() {
                progress.out_of_time(format!(
                    "the time budget ({} ms) ran out; the rest follows on the next run",
                    self.budget.as_millis()
                ));
            }
        }
        self.finish(provider, started, sync_log_id, progress).await
    }

    async fn finish(
        &self,
        provider: &Provider,
        started: chrono::DateTime<chrono::Utc>,
        sync_log_id: Option<Uuid>,
        progress: &Progress,
    ) -> ProviderOutcome {
        let summary = progress.summary();
        let finished = runtime::now();
        if let Some(id) = sync_log_id {
            let mut finish = SyncLogFinish::new(
                summary.status,
                started,
                finished,
                i64::try_from(summary.workflows).unwrap_or(i64::MAX),
                i64::try_from(summary.executions).unwrap_or(i64::MAX),
                summary.error.clone(),
            );
            // The whole row's details are replaced: keep what started the run beside the
            // summary's.
            let mut details = self.started_by();
            details.extend(summary.details.clone());
            finish.details = Value::Object(details);
            if let Err(error) = self.store.finish_sync_log(id, &finish).await {
                runtime::log_error(&format!(
                    "provider {}: could not close sync log {id}: {error}",
                    provider.id
                ));
            }
        }
        let provider_status = match summary.status {
            SyncStatus::Success => ProviderStatus::Connected,
            SyncStatus::Partial => ProviderStatus::Warning,
            SyncStatus::Error | SyncStatus::Running => ProviderStatus::Error,
        };
        if let Err(error) = self
            .store
            .set_provider_status(
                provider.id,
                provider_status,
                summary.error.as_deref(),
                finished,
            )
            .await
        {
            runtime::log_error(&format!(
                "provider {}: could not record its status: {error}",
                provider.id
            ));
        }
        ProviderOutcome {
            result: ProviderResult {
                provider_id: provider.id,
                provider: provider.name.clone(),
                status: summary.status,
                workflows_synced: summary.workflows,
                executions_synced: summary.executions,
                duration_ms: u64::try_from((finished - started).num_milliseconds()).unwrap_or(0),
                error: summary.error,
            },
            sync_log_id,
            unreachable: summary.unreachable,
            silent: summary.silent,
        }
    }

    /// The reply of a retry.
    fn retry_report(&self, retry: RetryReport) -> RunReport {
        let mut report = self.plain_report();
        report.response.retry = Some(retry);
        report
    }

    /// A reply for an action that touched no provider's sync.
    fn plain_report(&self) -> RunReport {
        RunReport {
            response: SyncResponse {
                ok: true,
                action: self.action.to_string(),
                results: Vec::new(),
                sync_log_ids: Vec::new(),
                cleanup: None,
                deployment: None,
                retry: None,
            },
            unreachable: Vec::new(),
        }
    }

    /// The reply of a deploy or remove.
    fn deployment_report(&self, deployment: DeploymentReport) -> RunReport {
        let mut report = self.plain_report();
        report.response.deployment = Some(deployment);
        report
    }

    fn report(&self, outcomes: Vec<ProviderOutcome>, cleanup: Option<CleanupReport>) -> RunReport {
        let ok = outcomes
            .iter()
            .all(|outcome| outcome.result.status == SyncStatus::Success);
        let sync_log_ids = outcomes.iter().filter_map(|o| o.sync_log_id).collect();
        let unreachable = outcomes
            .iter()
            .filter_map(|outcome| {
                outcome
                    .unreachable
                    .as_ref()
                    .map(|message| format!("{}: {message}", outcome.result.provider))
            })
            .collect();
        RunReport {
            response: SyncResponse {
                ok,
                action: self.action.to_string(),
                results: outcomes.into_iter().map(|outcome| outcome.result).collect(),
                sync_log_ids,
                cleanup,
                deployment: None,
                retry: None,
            },
            unreachable,
        }
    }
}

#[cfg(test)]
mod tests;
