//! Alerts: channels (where to), rules (what about), and the alerts the sync opened with their
//! deliveries. A channel's target is encrypted bound to its row and kind; the browser only
//! ever sees its hint (see `crate::server::alert_channels`).

use crate::error::AppError;
use crate::model::insight::AlertsPage;
use leptos::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{alert_channels as channels, errors::with_status, postgrest::Db, request};

/// The kinds of channel, as stored and as the form offers them: `(value, label)`.
pub const CHANNEL_KINDS: [(&str, &str); 4] = [
    ("webhook", "Webhook (JSON POST)"),
    ("slack", "Slack incoming webhook"),
    ("discord", "Discord webhook"),
    ("email", "E-mail"),
];

/// What a rule can watch: `(value, label)`, in the form's order.
pub const RULE_KINDS: [(&str, &str); 5] = [
    ("failure", "A run fails"),
    (
        "failure_rate",
        "Fails often (share of failed runs over 24 h)",
    ),
    ("missed_runs", "A schedule misses runs"),
    ("stuck", "Executions are stuck"),
    ("unreachable", "The instance cannot be reached"),
];

/// The label of rule kind `kind`.
pub fn rule_kind_label(kind: &str) -> String {
    RULE_KINDS
        .iter()
        .find(|(value, _)| *value == kind)
        .map_or_else(|| kind.to_string(), |(_, label)| label.to_string())
}

/// The page: channels, rules, open and past alerts with their deliveries.
#[server]
pub async fn load_alerts() -> Result<AlertsPage, AppError> {
    with_status(async { crate::server::alert_view::load(&request::user_db()?).await }.await)
}

#[cfg(feature = "ssr")]
fn channel_not_found() -> AppError {
    AppError::NotFound("That channel no longer exists. Reload the page.".into())
}

#[cfg(feature = "ssr")]
fn rule_not_found() -> AppError {
    AppError::NotFound("That rule no longer exists. Reload the page.".into())
}

/// Adds a channel, or with `id` changes one. The target is checked (webhook URLs against the
/// outbound rule), encrypted bound to the row's id and kind, and only its hint is kept in the
/// clear. Editing, an empty target keeps the stored one (unless the kind changes: the address
/// is bound to its kind, so a new kind needs it again).
#[server(endpoint = "save_alert_channel")]
pub async fn save_alert_channel(
    name: String,
    kind: String,
    #[server(default)] target: String,
    #[server(default)] id: String,
) -> Result<(), AppError> {
    with_status(
        async {
            let (state, session) = request::signed_in()?;
            let db = Db::new(&state, &session);
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(AppError::Invalid(
                    "Give the channel a name of 1 to 100 characters.".into(),
                ));
            }
            let kind = channels::kind(&kind)?;
            let editing = match id.trim() {
                "" => None,
                text => Some(text.parse::<Uuid>().map_err(|_| channel_not_found())?),
            };
            let duplicate = |error: crate::server::postgrest::DbError| {
                if error.is_duplicate() {
                    AppError::Conflict(format!("You already have a channel named “{name}”."))
                } else {
                    error.into()
                }
            };
            let Some(id) = editing else {
                let target = channels::check_target(kind, &target, &state.config.outbound)?;
                let id = Uuid::new_v4();
                let body = serde_json::json!({
                    "id": id,
                    "name": name,
                    "kind": kind.as_str(),
                    "target_ciphertext": channels::seal(&state, id, kind, &target),
                    "hint": channels::hint(kind, &target),
                });
                db.insert::<serde_json::Value>("alert_channels", &body, &[("select", "id".into())])
                    .await
                    .map_err(duplicate)?;
                return Ok(());
            };
            #[derive(serde::Deserialize)]
            struct Stored {
                kind: String,
            }
            let stored: Vec<Stored> = db
                .select(
                    "alert_channels",
                    &[("select", "kind".into()), ("id", format!("eq.{id}"))],
                )
                .await?;
            let stored = stored.into_iter().next().ok_or_else(channel_not_found)?;
            let mut patch = serde_json::json!({ "name": name });
            if target.trim().is_empty() {
                if stored.kind != kind.as_str() {
                    return Err(AppError::Invalid(
                        "A channel of another kind needs its address again.".into(),
                    ));
                }
            } else {
                let target = channels::check_target(kind, &target, &state.config.outbound)?;
                patch["kind"] = kind.as_str().into();
                patch["target_ciphertext"] = channels::seal(&state, id, kind, &target).into();
                patch["hint"] = channels::hint(kind, &target).into();
            }
            let updated: Vec<serde_json::Value> = db
                .update(
                    "alert_channels",
                    &[("id", format!("eq.{id}")), ("select", "id".into())],
                    &patch,
                )
                .await
                .map_err(duplicate)?;
            if updated.is_empty() {
                return Err(channel_not_found());
            }
            Ok(())
        }
        .await,
    )
}

/// Deletes a channel (its rules stop notifying it).
#[server(endpoint = "delete_alert_channel")]
pub async fn delete_alert_channel(id: Uuid) -> Result<(), AppError> {
    with_status(
        async {
            let deleted = request::user_db()?
                .delete("alert_channels", &[("id", format!("eq.{id}"))])
                .await?;
            if deleted == 0 {
                return Err(channel_not_found());
            }
            Ok(())
        }
        .await,
    )
}

/// "Send test": posts a sample alert to the channel once, through the app's guarded transport,
/// records it as a `test` delivery and says how it went.
#[server(endpoint = "test_alert_channel")]
pub async fn test_alert_channel(id: Uuid) -> Result<String, AppError> {
    with_status(
        async {
            #[derive(serde::Deserialize)]
            struct Channel {
                id: Uuid,
                name: String,
                kind: String,
                target_ciphertext: String,
            }
            let (state, session) = request::signed_in()?;
            let db = Db::new(&state, &session);
            let rows: Vec<Channel> = db
                .select(
                    "alert_channels",
                    &[
                        ("select", "id,name,kind,target_ciphertext".into()),
                        ("id", format!("eq.{id}")),
                    ],
                )
                .await?;
            let channel = rows.into_iter().next().ok_or_else(channel_not_found)?;
            test_allowance(&db).await?;
            let kind = channels::kind(&channel.kind)?;
            let target = channels::open(&state, channel.id, kind, &channel.target_ciphertext)
                .ok_or_else(|| {
                    AppError::Invalid(
                        "This channel's address can no longer be read. Delete it and add it again."
                            .into(),
                    )
                })?;
            let result =
                channels::send_test(&state, kind, &channel.name, &target, &app_base(&state)).await;
            let now = chrono::Utc::now();
            let body = serde_json::json!({
                "channel_id": channel.id,
                "event": "test",
                "status": result.status,
                "attempts": 1,
                "last_error": result.error,
                "payload": result.payload,
                "delivered_at": (result.status == "delivered").then_some(now),
                "next_attempt_at": now,
            });
            db.insert::<serde_json::Value>("alert_deliveries", &body, &[("select", "id".into())])
                .await?;
            match result.error {
                None => Ok(format!("Test sent to “{}”: delivered.", channel.name)),
                Some(error) => Err(AppError::Upstream(format!(
                    "The test to “{}” failed: {error}.",
                    channel.name
                ))),
            }
        }
        .await,
    )
}

/// Most "Send test"s one user may make in [`TEST_WINDOW_SECS`]: each one makes FlowPulse send
/// to an address the user chose, so they are counted (in the database, across app servers).
#[cfg(feature = "ssr")]
const TESTS_PER_WINDOW: usize = 5;
/// The window the tests are counted over.
#[cfg(feature = "ssr")]
const TEST_WINDOW_SECS: i64 = 60;

/// Refuses a test beyond [`TESTS_PER_WINDOW`], saying how long to wait.
#[cfg(feature = "ssr")]
async fn test_allowance(db: &Db) -> Result<(), AppError> {
    #[derive(serde::Deserialize)]
    struct Sent {
        created_at: chrono::DateTime<chrono::Utc>,
    }
    let now = chrono::Utc::now();
    let since = now - chrono::TimeDelta::seconds(TEST_WINDOW_SECS);
    let recent: Vec<Sent> = db
        .select(
            "alert_deliveries",
            &[
                ("select", "created_at".into()),
                ("event", "eq.test".into()),
                (
                    "created_at",
                    format!(
                        "gte.{}",
                        since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    ),
                ),
                ("order", "created_at.desc".into()),
                ("limit", TESTS_PER_WINDOW.to_string()),
            ],
        )
        .await?;
    match recent.get(TESTS_PER_WINDOW - 1) {
        Some(oldest) => {
            let wait = (oldest.created_at - since).num_seconds().max(1);
            Err(AppError::TooManyAttempts(u64::try_from(wait).unwrap_or(1)))
        }
        None => Ok(()),
    }
}

/// The base of links in alerts: the configured public origin, else this request's host.
#[cfg(feature = "ssr")]
fn app_base(state: &crate::server::state::ServerState) -> reqwest::Url {
    let origin = state
        .config
        .security
        .public_origin
        .as_ref()
        .map(crate::server::security::settings::Origin::url)
        .or_else(|| {
            let parts = use_context::<axum::http::request::Parts>()?;
            let host = parts.headers.get(axum::http::header::HOST)?.to_str().ok()?;
            let scheme = if state.config.security.cookie_secure {
                "https"
            } else {
                "http"
            };
            Some(format!("{scheme}://{host}"))
        });
    origin
        .and_then(|origin| reqwest::Url::parse(&origin).ok())
        .or_else(|| reqwest::Url::parse("http://localhost").ok())
        .expect("a constant URL parses")
}

/// Adds a rule, or with `id` changes one (fields and channels together, in one transaction):
/// what to watch, optionally one instance and/or workflow, the threshold for a failure-rate
/// rule, and the channels to notify (`channels[ch-<id>]=on` in the form: the form decoder
/// reads a key that starts with a digit as a list index, and half of all ids do).
#[server(endpoint = "save_alert_rule")]
pub async fn save_alert_rule(
    name: String,
    kind: String,
    #[server(default)] instance: String,
    #[server(default)] workflow: String,
    #[server(default)] threshold: String,
    #[server(default)] channels: HashMap<String, String>,
    #[server(default)] id: String,
) -> Result<(), AppError> {
    with_status(
        async {
            let db = request::user_db()?;
            let rule = crate::server::alert_view::rule_body(
                &name, &kind, &instance, &workflow, &threshold,
            )?;
            let chosen: Vec<Uuid> = channels
                .iter()
                .filter(|(_, on)| matches!(on.as_str(), "on" | "true" | "1"))
                .map(|(id, _)| {
                    id.strip_prefix("ch-")
                        .unwrap_or(id)
                        .parse()
                        .map_err(|_| AppError::Invalid("Pick channels from the list.".into()))
                })
                .collect::<Result<_, _>>()?;
            if !id.trim().is_empty() {
                let id: Uuid = id.trim().parse().map_err(|_| rule_not_found())?;
                let updated: bool = db
                    .rpc(
                        "update_alert_rule",
                        &serde_json::json!({
                            "p_rule_id": id, "p_rule": rule, "p_channel_ids": chosen,
                        }),
                    )
                    .await
                    .map_err(|error| match AppError::from(error) {
                        AppError::NotFound(_) | AppError::Invalid(_) => AppError::Invalid(
                            "One of those channels, instances or workflows no longer exists. \
                             Reload the page."
                                .into(),
                        ),
                        other => other,
                    })?;
                return if updated {
                    Ok(())
                } else {
                    Err(rule_not_found())
                };
            }
            let id = rule["id"].as_str().unwrap_or_default().to_string();
            db.insert::<serde_json::Value>("alert_rules", &rule, &[("select", "id".into())])
                .await
                .map_err(|error| {
                    if error.is_duplicate() {
                        AppError::Conflict("You already have that rule.".into())
                    } else {
                        error.into()
                    }
                })?;
            if !chosen.is_empty() {
                let links: Vec<serde_json::Value> = chosen
                    .iter()
                    .map(|channel| serde_json::json!({"rule_id": id, "channel_id": channel}))
                    .collect();
                let linked = db
                    .insert::<serde_json::Value>("alert_rule_channels", &links, &[])
                    .await;
                if let Err(error) = linked {
                    // A channel that is not the user's (or is gone): no half-made rule.
                    let _ = db
                        .delete("alert_rules", &[("id", format!("eq.{id}"))])
                        .await;
                    return Err(match AppError::from(error) {
                        AppError::NotFound(_) | AppError::Invalid(_) => AppError::Invalid(
                            "One of those channels no longer exists. Reload the page.".into(),
                        ),
                        other => other,
                    });
                }
            }
            Ok(())
        }
        .await,
    )
}

/// Turns a rule on or off.
#[server(endpoint = "set_alert_rule_enabled")]
pub async fn set_alert_rule_enabled(id: Uuid, enabled: bool) -> Result<(), AppError> {
    with_status(
        async {
            let updated: Vec<serde_json::Value> = request::user_db()?
                .update(
                    "alert_rules",
                    &[("id", format!("eq.{id}")), ("select", "id".into())],
                    &serde_json::json!({ "enabled": enabled }),
                )
                .await?;
            if updated.is_empty() {
                return Err(rule_not_found());
            }
            Ok(())
        }
        .await,
    )
}

/// Deletes a rule with its alerts.
#[server(endpoint = "delete_alert_rule")]
pub async fn delete_alert_rule(id: Uuid) -> Result<(), AppError> {
    with_status(
        async {
            let deleted = request::user_db()?
                .delete("alert_rules", &[("id", format!("eq.{id}"))])
                .await?;
            if deleted == 0 {
                return Err(rule_not_found());
            }
            Ok(())
        }
        .await,
    )
}
