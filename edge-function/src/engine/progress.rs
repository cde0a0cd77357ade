//! What happened so far in one provider's part of a run.
//!
//! Shared by reference between the steps of a provider (which may run concurrently, e.g. a
//! page fetch beside a page write) and read once at the end, even when the time budget
//! cancelled the steps halfway. A `Mutex`, not a `RefCell`, so native callers can still
//! `tokio::spawn` a run.

use std::sync::{Mutex, MutexGuard};

use flowpulse_core::rows::SyncStatus;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::runtime;
use crate::store::StoreError;
use flowpulse_n8n::N8nError;

/// Most distinct error messages kept per provider (a hundred failed probes say one thing).
const MAX_ERRORS: usize = 5;

pub(crate) struct Progress {
    provider_id: Uuid,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    workflows: u64,
    executions: u64,
    writes: u64,
    n8n_reached: bool,
    unreachable: Option<String>,
    out_of_time: bool,
    errors: Vec<String>,
    details: Map<String, Value>,
}

/// The final tally.
pub(crate) struct Summary {
    pub status: SyncStatus,
    pub workflows: u64,
    pub executions: u64,
    /// Safe to show: n8n messages and generic store messages only.
    pub error: Option<String>,
    /// Set when n8n never answered: the message naming it.
    pub unreachable: Option<String>,
    /// The time budget ran out before n8n answered anything (a hanging instance).
    pub silent: bool,
    pub details: Map<String, Value>,
}

impl Progress {
    pub fn new(provider_id: Uuid) -> Self {
        Self {
            provider_id,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the tally inconsistent: every update is one statement.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// n8n answered (any reply that was not a transport failure).
    pub fn reached_n8n(&self) {
        self.lock().n8n_reached = true;
    }

    /// The time budget ran out: `message` says so.
    pub fn out_of_time(&self, message: String) {
        self.lock().out_of_time = true;
        self.error(message);
    }

    /// A successful write that changed `workflows` workflows and `executions` executions.
    pub fn wrote(&self, workflows: u64, executions: u64) {
        let mut state = self.lock();
        state.writes += 1;
        state.workflows += workflows;
        state.executions += executions;
    }

    /// Records a failure message safe to show.
    pub fn error(&self, message: String) {
        let mut state = self.lock();
        if state.errors.len() < MAX_ERRORS && !state.errors.contains(&message) {
            state.errors.push(message);
        }
    }

    /// An operator log line for a failure of this provider during `step`.
    fn log(&self, step: &str, error: &str) {
        runtime::log(
            runtime::Level::Error,
            "provider step failed",
            &[
                ("provider_id", serde_json::json!(self.provider_id)),
                ("step", serde_json::json!(step)),
                ("error", serde_json::json!(error)),
            ],
        );
    }

    /// Records an n8n failure during `step`.
    pub fn n8n_error(&self, step: &str, error: &N8nError) {
        self.log(step, &error.to_string());
        if error.is_unreachable() {
            let mut state = self.lock();
            if state.unreachable.is_none() {
                state.unreachable = Some(error.to_string());
            }
        } else {
            self.reached_n8n();
        }
        self.error(format!("{step}: {error}"));
    }

    /// Records a PostgREST failure during `step`: the detail goes to the log only.
    pub fn store_error(&self, step: &str, error: &StoreError) {
        self.log(step, &error.to_string());
        self.error(format!(
            "{step}: the database refused or failed the write (details in the function's logs)"
        ));
    }

    /// Adds a key to the sync log's `details`.
    pub fn detail(&self, key: &str, value: Value) {
        self.lock().details.insert(key.to_string(), value);
    }

    /// Success without errors; partial if something failed after data was written; error
    /// otherwise.
    pub fn summary(&self) -> Summary {
        let state = self.lock();
        let status = if state.errors.is_empty() {
            SyncStatus::Success
        } else if state.writes > 0 {
            SyncStatus::Partial
        } else {
            SyncStatus::Error
        };
        Summary {
            status,
            workflows: state.workflows,
            executions: state.executions,
            error: (!state.errors.is_empty()).then(|| state.errors.join("; ")),
            unreachable: state.unreachable.clone().filter(|_| !state.n8n_reached),
            silent: state.out_of_time && !state.n8n_reached,
            details: state.details.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable() -> N8nError {
        N8nError::Unreachable {
            instance: "http://n8n.test".into(),
            detail: flowpulse_n8n::ConnectFailure::Refused,
        }
    }

    #[test]
    fn a_clean_run_is_a_success() {
        let progress = Progress::new(Uuid::nil());
        progress.wrote(2, 5);
        let summary = progress.summary();
        assert_eq!(summary.status, SyncStatus::Success);
        assert_eq!((summary.workflows, summary.executions), (2, 5));
        assert!(summary.error.is_none());
    }

    #[test]
    fn a_failure_after_a_write_is_partial_and_before_any_is_an_error() {
        let progress = Progress::new(Uuid::nil());
        progress.error("boom".into());
        assert_eq!(progress.summary().status, SyncStatus::Error);
        progress.wrote(1, 0);
        assert_eq!(progress.summary().status, SyncStatus::Partial);
    }

    #[test]
    fn a_budget_running_out_is_silence_only_if_n8n_never_answered() {
        let progress = Progress::new(Uuid::nil());
        progress.out_of_time("the time budget ran out".into());
        let summary = progress.summary();
        assert!(summary.silent && summary.unreachable.is_none());
        assert_eq!(summary.status, SyncStatus::Error);
        progress.reached_n8n();
        assert!(!progress.summary().silent, "it answered, then was slow");
    }

    #[test]
    fn n8n_counts_as_unreachable_only_if_it_never_answered() {
        let progress = Progress::new(Uuid::nil());
        progress.n8n_error("list workflows", &unreachable());
        let summary = progress.summary();
        assert!(summary.unreachable.unwrap().contains("http://n8n.test"));
        assert!(summary.error.unwrap().contains("list workflows"));

        let progress = Progress::new(Uuid::nil());
        progress.reached_n8n();
        progress.n8n_error("fetch execution 9", &unreachable());
        assert!(progress.summary().unreachable.is_none());
    }

    #[test]
    fn store_errors_are_shown_generically() {
        let progress = Progress::new(Uuid::nil());
        progress.store_error(
            "ingest executions",
            &StoreError::Api {
                status: 400,
                code: "23502".into(),
                message: "null value in column \"n8n_workflow_id\"".into(),
                details: None,
                hint: None,
            },
        );
        let error = progress.summary().error.unwrap();
        assert!(error.contains("ingest executions"), "{error}");
        assert!(
            !error.contains("23502") && !error.contains("column"),
            "{error}"
        );
    }

    #[test]
    fn repeated_messages_are_kept_once() {
        let progress = Progress::new(Uuid::nil());
        for _ in 0..10 {
            progress.error("same".into());
        }
        assert_eq!(progress.summary().error.as_deref(), Some("same"));
    }
}
