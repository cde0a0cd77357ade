//! After a provider sync, once its sync log is closed: the user's alert rules are
//! evaluated against what the sync just learned, and due notifications are sent.
//!
//! Per enabled rule and subject in its scope (the provider, and each workflow with a health
//! verdict or a recent run), the rule's [`Condition`] is built, the open alert for
//! `(rule, subject)` looked up, and `core`'s [`decide`] says what to do. Opening relies on the
//! one-open-alert-per-subject index and resolving on `state = 'open'`, so two syncs evaluating
//! at once open once and resolve once, and only the one that did queues the notifications.
//!
//! Nothing here changes how the sync ended: failures go to the function's log. The reads are
//! a fixed handful per provider sync (one when the user has no enabled rule).

mod deliver;
mod facts;
mod notify;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use flowpulse_core::insight::alerts::{
    decide, failure_condition, failure_rate_condition, unreachable_condition, AlertDecision,
    AlertKind, AlertRule, AlertState, Condition, Reachability, Scope, Subject,
};
use flowpulse_core::insight::health::{
    FindingDetails, FindingKind, Health, RateThresholds, RunCounts, WindowCounts,
};
use flowpulse_core::rows::Provider;
use serde_json::json;
use uuid::Uuid;

use super::{Ctx, ProviderOutcome};
use crate::runtime;
use crate::store::{AlertRow, AlertRuleRow, StoreError};
use facts::RecentRuns;

/// Finished executions read per provider sync for the failure and failure-rate rules.
const RUNS_READ: usize = 1000;
/// Sync logs read to count failed syncs in a row (more than alerting ever needs).
const SYNC_LOGS_READ: usize = 5;

/// Evaluates the user's alert rules for `provider` after its sync and sends due deliveries.
///
/// `verdicts` are the health verdicts of the provider's workflows this sync computed, if it
/// got that far; `outcome` says whether n8n was reachable.
pub(crate) async fn after_sync(
    ctx: &Ctx<'_>,
    provider: &Provider,
    verdicts: Option<&[(Uuid, Health)]>,
    outcome: &ProviderOutcome,
) {
    let rules = match ctx.store.enabled_alert_rules(provider.user_id).await {
        Ok(rules) => rules,
        Err(error) => return log_failure(provider.id, "read alert rules", &error),
    };
    if rules.is_empty() {
        return;
    }
    if let Err(error) = evaluate(ctx, provider, rules, verdicts, outcome).await {
        log_failure(provider.id, "evaluate alerts", &error);
    }
    deliver::deliver_due(ctx, provider.user_id).await;
}

/// An operator log line for a failed alert step (`about`: the provider or user).
fn log_failure(about: Uuid, step: &str, error: &StoreError) {
    runtime::log(
        runtime::Level::Error,
        "alert step failed",
        &[
            ("about", json!(about)),
            ("step", json!(step)),
            ("error", json!(error.to_string())),
        ],
    );
}

/// What was learned about the provider, as the conditions need it.
struct Facts<'a> {
    health: HashMap<Uuid, &'a Health>,
    /// `None` when not needed or not readable: those conditions are unknown.
    runs: Option<RecentRuns>,
    reachability: Option<Reachability>,
}

/// A decision to carry out.
struct Plan<'r> {
    rule: &'r AlertRule,
    subject: Subject,
    existing: Option<&'r AlertRow>,
    decision: AlertDecision,
}

async fn evaluate(
    ctx: &Ctx<'_>,
    provider: &Provider,
    rows: Vec<AlertRuleRow>,
    verdicts: Option<&[(Uuid, Health)]>,
    outcome: &ProviderOutcome,
) -> Result<(), StoreError> {
    let rule_ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let links = ctx.store.alert_rule_channels(&rule_ids).await?;
    let rules: Vec<AlertRule> = rows
        .into_iter()
        .map(|row| alert_rule(row, &links))
        .collect();
    let here: Vec<&AlertRule> = rules
        .iter()
        .filter(|rule| may_cover(rule.scope, provider.id))
        .collect();
    if here.is_empty() {
        return Ok(());
    }
    let now = runtime::now();
    let facts = gather(ctx, provider, &here, verdicts, outcome, now).await;
    let open = ctx.store.open_alerts(&rule_ids).await?;

    let mut workflows: BTreeSet<Uuid> = facts.health.keys().copied().collect();
    if let Some(runs) = &facts.runs {
        workflows.extend(runs.workflows());
    }
    let subjects: Vec<Subject> = std::iter::once(Subject::Instance { id: provider.id })
        .chain(workflows.into_iter().map(|id| Subject::Workflow {
            id,
            provider_id: provider.id,
        }))
        .collect();
    let mut plans = Vec::new();
    for rule in here {
        for subject in subjects.iter().filter(|subject| rule.applies_to(subject)) {
            let key = subject.key();
            let existing = open
                .iter()
                .find(|alert| alert.rule_id == rule.id && alert.subject == key);
            let condition = condition(rule, subject, &facts);
            let state = existing.map(|_| AlertState::Open);
            match decide(rule, subject, state, condition) {
                AlertDecision::Nothing | AlertDecision::StillOpen(None) => {}
                decision => plans.push(Plan {
                    rule,
                    subject: *subject,
                    existing,
                    decision,
                }),
            }
        }
    }
    notify::apply(ctx, provider, &plans, now).await
}

/// Whether a rule of `scope` may watch something of `provider`: a workflow scope might (the
/// workflow's instance is only known from its subjects).
fn may_cover(scope: Scope, provider: Uuid) -> bool {
    match scope {
        Scope::All | Scope::Workflow(_) => true,
        Scope::Instance(id) => id == provider,
    }
}

fn alert_rule(row: AlertRuleRow, links: &[(Uuid, Uuid)]) -> AlertRule {
    AlertRule {
        id: row.id,
        channels: links
            .iter()
            .filter(|(rule, _)| *rule == row.id)
            .map(|(_, channel)| *channel)
            .collect(),
        name: row.name,
        kind: row.kind,
        scope: Scope::from_columns(row.provider_id, row.workflow_id),
        threshold_percent: row.threshold,
        created_at: row.created_at,
    }
}

/// Reads what the rules need and nothing else: runs for failure and failure-rate rules, sync
/// logs for unreachable ones. A failed read makes those conditions unknown (nothing opens or
/// resolves on it) and is logged.
async fn gather<'v>(
    ctx: &Ctx<'_>,
    provider: &Provider,
    rules: &[&AlertRule],
    verdicts: Option<&'v [(Uuid, Health)]>,
    outcome: &ProviderOutcome,
    now: DateTime<Utc>,
) -> Facts<'v> {
    let health = verdicts
        .unwrap_or_default()
        .iter()
        .map(|(workflow, health)| (*workflow, health))
        .collect();
    // A failure-rate rule without a threshold reads the health verdict only.
    let needs_runs = rules.iter().any(|rule| match rule.kind {
        AlertKind::Failure => true,
        AlertKind::FailureRate => rule.threshold_percent.is_some(),
        _ => false,
    });
    let runs = if needs_runs {
        match ctx.store.latest_finished_runs(provider.id, RUNS_READ).await {
            Ok(rows) => Some(facts::recent_runs(&rows, now)),
            Err(error) => {
                log_failure(provider.id, "read recent runs for alerts", &error);
                None
            }
        }
    } else {
        None
    };
    let instance = Subject::Instance { id: provider.id };
    let reachability = if rules.iter().any(|rule| rule.applies_to(&instance)) {
        match ctx
            .store
            .recent_sync_logs(provider.id, SYNC_LOGS_READ)
            .await
        {
            Ok(logs) => {
                let took = i64::try_from(outcome.result.duration_ms).unwrap_or(0);
                Some(facts::reachability(
                    outcome.unreachable.as_deref(),
                    now - TimeDelta::milliseconds(took),
                    outcome.sync_log_id,
                    &logs,
                ))
            }
            Err(error) => {
                log_failure(provider.id, "read sync logs for alerts", &error);
                None
            }
        }
    } else {
        None
    };
    Facts {
        health,
        runs,
        reachability,
    }
}

/// The rule's condition for `subject` now.
fn condition(rule: &AlertRule, subject: &Subject, facts: &Facts<'_>) -> Condition {
    let workflow = match subject {
        Subject::Instance { .. } => {
            return match (rule.kind, &facts.reachability) {
                (AlertKind::Unreachable, Some(reachability)) => unreachable_condition(reachability),
                _ => Condition::Unknown,
            };
        }
        Subject::Workflow { id, .. } => *id,
    };
    let health = facts.health.get(&workflow).copied();
    let from_health =
        || health.map_or(Condition::Unknown, |h| Condition::from_health(rule.kind, h));
    match (rule.kind, rule.threshold_percent) {
        (AlertKind::Failure, _) => match &facts.runs {
            Some(runs) => failure_condition(runs.latest.get(&workflow), rule.created_at),
            None => Condition::Unknown,
        },
        (AlertKind::FailureRate, Some(threshold)) => {
            match run_counts(health, facts.runs.as_ref(), workflow) {
                Some(counts) => {
                    failure_rate_condition(threshold, &counts, &RateThresholds::default())
                }
                None => Condition::Unknown,
            }
        }
        (AlertKind::FailureRate | AlertKind::MissedRuns | AlertKind::Stuck, _) => from_health(),
        (AlertKind::Unreachable, _) => Condition::Unknown,
    }
}

/// A workflow's runs of the last day: from its health finding when it has one (counted by the
/// health check over the whole window), else from the recent runs read.
fn run_counts(
    health: Option<&Health>,
    runs: Option<&RecentRuns>,
    workflow: Uuid,
) -> Option<RunCounts> {
    let from_finding = health.and_then(|health| {
        health
            .findings
            .iter()
            .find_map(|finding| match finding.details {
                FindingDetails::FailureRate {
                    recent_runs,
                    recent_failed,
                    ..
                } if finding.kind == FindingKind::FailureRateAnomaly => Some(WindowCounts {
                    succeeded: recent_runs.saturating_sub(recent_failed),
                    failed: recent_failed,
                }),
                _ => None,
            })
    });
    let last_day = from_finding
        .or_else(|| runs.map(|runs| runs.last_day.get(&workflow).copied().unwrap_or_default()))?;
    Some(RunCounts {
        last_day,
        previous_week: WindowCounts::default(),
    })
}

#[cfg(test)]
mod tests;
