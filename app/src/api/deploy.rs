//! Deploying a chat's plan to an instance and removing it again, through the edge function's
//! `deploy_workflow` and `remove_workflow` with the user's JWT. The page shows each
//! deployment's state from `workflow_deployments`, live; these return what happened in words.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{deploy, errors::with_status, postgrest::Db, request, telemetry};

/// Deploys the current plan of chat `conversation_id` to instance `provider_id` (created the
/// first time, updated in place after), activating or deactivating it as `activate` says
/// (`None` leaves that as it is).
#[server]
pub async fn deploy_workflow(
    conversation_id: Uuid,
    provider_id: Uuid,
    activate: Option<bool>,
) -> Result<String, AppError> {
    with_status(
        async {
            telemetry::record_provider(provider_id);
            let (state, session) = request::signed_in()?;
            let instance = instance_name(&Db::new(&state, &session), provider_id).await?;
            let report =
                deploy::deploy(&state, &session, conversation_id, provider_id, activate).await?;
            Ok(deploy::describe(&report, &instance))
        }
        .await,
    )
}

/// Removes a workflow the chat deployed: deleted in n8n, its history kept in FlowPulse.
#[server]
pub async fn remove_workflow(workflow_id: Uuid) -> Result<String, AppError> {
    with_status(
        async {
            #[derive(serde::Deserialize)]
            struct Row {
                provider_id: Uuid,
            }
            let (state, session) = request::signed_in()?;
            let db = Db::new(&state, &session);
            let rows: Vec<Row> = db
                .select(
                    "mvp_workflows",
                    &[
                        ("select", "provider_id".into()),
                        ("id", format!("eq.{workflow_id}")),
                    ],
                )
                .await?;
            let provider_id = rows.first().map(|row| row.provider_id).ok_or_else(|| {
                AppError::NotFound("That workflow no longer exists. Reload the page.".into())
            })?;
            let instance = instance_name(&db, provider_id).await?;
            let report = deploy::remove(&state, &session, workflow_id).await?;
            Ok(deploy::describe(&report, &instance))
        }
        .await,
    )
}

/// The name of one of the user's instances.
#[cfg(feature = "ssr")]
async fn instance_name(db: &Db, id: Uuid) -> Result<String, AppError> {
    #[derive(serde::Deserialize)]
    struct Row {
        name: String,
    }
    let rows: Vec<Row> = db
        .select(
            "providers",
            &[("select", "name".into()), ("id", format!("eq.{id}"))],
        )
        .await?;
    rows.into_iter().next().map(|row| row.name).ok_or_else(|| {
        AppError::NotFound("That instance no longer exists. Reload the page.".into())
    })
}
