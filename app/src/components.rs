//! Small view pieces every page uses: status badges, times, loading and error states.

use crate::error::AppError;
use crate::format;
use chrono::{DateTime, Utc};
use flowpulse_core::n8n::ExecutionStatus;
use flowpulse_core::rows::{ProviderStatus, SyncStatus, SyncType};
use leptos::prelude::*;

/// Wire name of an instance status.
pub fn provider_status_name(status: ProviderStatus) -> &'static str {
    match status {
        ProviderStatus::Connected => "connected",
        ProviderStatus::Warning => "warning",
        ProviderStatus::Error => "error",
        ProviderStatus::Unknown => "unknown",
    }
}

/// Wire name of a sync status.
pub fn sync_status_name(status: SyncStatus) -> &'static str {
    match status {
        SyncStatus::Running => "running",
        SyncStatus::Success => "success",
        SyncStatus::Partial => "partial",
        SyncStatus::Error => "error",
    }
}

/// Wire name of a sync type.
pub fn sync_type_name(kind: SyncType) -> &'static str {
    match kind {
        SyncType::Manual => "manual",
        SyncType::Scheduled => "scheduled",
        SyncType::Cleanup => "cleanup",
        SyncType::Workflow => "workflow",
    }
}

/// The CSS tone of a status word: ok, bad, warn or neutral.
fn tone(status: &str) -> &'static str {
    match status {
        "connected" | "success" | "ok" | "delivered" | "resolved" => "ok",
        "error" | "crashed" | "critical" | "failed" | "open" => "bad",
        "warning" | "partial" | "canceled" | "pending" => "warn",
        _ => "neutral",
    }
}

/// A coloured pill with a status word (the colour is never the only signal).
#[component]
pub fn Badge(
    /// The status word, also the text.
    status: &'static str,
    /// Overrides the text.
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    let text = label.unwrap_or_else(|| status.to_string());
    view! { <span class=format!("badge {}", tone(status))>{text}</span> }
}

/// An instance's connection status.
#[component]
pub fn ProviderBadge(status: ProviderStatus) -> impl IntoView {
    view! { <Badge status=provider_status_name(status) /> }
}

/// An execution status, or a dash when there is none.
#[component]
pub fn ExecutionBadge(status: Option<ExecutionStatus>) -> impl IntoView {
    match status {
        Some(status) => view! { <Badge status=status.as_str() /> }.into_any(),
        None => view! { <span class="muted">"–"</span> }.into_any(),
    }
}

/// "5 minutes ago", with the exact UTC time on hover; a dash for never. `data-at` (Unix
/// milliseconds) lets the live bridge re-word it as time passes.
#[component]
pub fn RelativeTime(
    /// The moment.
    at: Option<DateTime<Utc>>,
    /// Server time of the read the moment came with.
    now: DateTime<Utc>,
    /// Text when there is no moment.
    #[prop(optional)]
    never: Option<&'static str>,
) -> impl IntoView {
    match at {
        Some(at) => view! {
            <time datetime=at.to_rfc3339() data-at=at.timestamp_millis() title=format::absolute_time(at)>
                {format::relative_time(at, now)}
            </time>
        }
        .into_any(),
        None => view! { <span class="muted">{never.unwrap_or("never")}</span> }.into_any(),
    }
}

/// A loading placeholder that screen readers announce.
#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! {
        <p class="loading muted" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {label}
        </p>
    }
}

/// An error message, with a sign-in link when the session is over.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let sign_in = error.needs_sign_in();
    view! {
        <div class="notice error" role="alert" data-testid="error-notice">
            <p>{error.to_string()}</p>
            {sign_in.then(|| view! { <a href="/sign-in" rel="external">"Sign in"</a> })}
        </div>
    }
}
