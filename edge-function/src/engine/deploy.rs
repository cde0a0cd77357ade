//! `deploy_workflow` and `remove_workflow`: a builder conversation's plan goes to one of the
//! user's n8n instances as `[USR-<8 hex>] <title>`, with the credentials it needs created there
//! from the user's encrypted ones; and comes back out again.
//!
//! Order matters for "nothing half-created": the deployment is claimed first (a second tab
//! gets `in_progress`); credentials are created and recorded one by one (each is complete and
//! reused by later deploys); the workflow is created (or updated in place, keeping its id and
//! executions); its row is written right after, and if that fails the new n8n workflow is
//! deleted again. A failure marks the deployment `failed` with FlowPulse's own message.

use std::collections::BTreeMap;

use flowpulse_core::builder::plan::WorkflowPlan;
use flowpulse_core::builder::{render, summary, validate};
use flowpulse_core::contract::{DeployOutcome, DeploymentReport};
use flowpulse_core::crypto::SecretBinding;
use flowpulse_core::rows::Provider;
use flowpulse_n8n::{N8nClient, NewCredential, WorkflowDefinition};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Ctx, RunReport};
use crate::error::EdgeError;
use crate::runtime;
use crate::store::{Claim, CredentialRow, DeploymentUpdate, StoreError};

/// A deploy step that failed, in words the user reads.
enum Failure {
    /// Something the user can fix in FlowPulse (a credential missing or unreadable): 422.
    Input(String),
    /// n8n or the database failed or refused: 502.
    Upstream(String),
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Self::Input(message) | Self::Upstream(message) => message,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        runtime::log_error(&format!("deploy: {error}"));
        Failure::Upstream("FlowPulse could not save the deployment; try again.".into())
    }
}

impl From<flowpulse_n8n::N8nError> for Failure {
    fn from(error: flowpulse_n8n::N8nError) -> Self {
        Failure::Upstream(error.to_string())
    }
}

/// `deploy_workflow`.
pub(super) async fn deploy(
    ctx: &Ctx<'_>,
    conversation_id: Uuid,
    provider_id: Uuid,
    activate: Option<bool>,
) -> Result<RunReport, EdgeError> {
    let conversation = ctx
        .store
        .conversation(conversation_id)
        .await?
        .ok_or_else(|| {
            EdgeError::NotFound(format!(
                "conversation {conversation_id} does not exist or is not yours"
            ))
        })?;
    let plan: WorkflowPlan = conversation
        .state
        .get("plan")
        .cloned()
        .filter(|plan| !plan.is_null())
        .ok_or_else(|| EdgeError::Unprocessable("the conversation has no workflow yet".into()))
        .and_then(|plan| {
            serde_json::from_value(plan)
                .map_err(|_| EdgeError::Unprocessable("the conversation's plan is damaged".into()))
        })?;
    if let Err(problems) = validate::validate(&plan) {
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(EdgeError::Unprocessable(problems.join(" ")));
    }
    let provider = ctx
        .store
        .providers(Some(provider_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            EdgeError::NotFound(format!(
                "provider {provider_id} does not exist or is not yours"
            ))
        })?;
    let name = flowpulse_core::naming::user_workflow_name(conversation.user_id, &plan.title);
    let claim = ctx
        .store
        .claim_deployment(conversation_id, provider_id)
        .await?;
    if !claim.claimed {
        return Ok(ctx.deployment_report(deployment(&claim, &name, DeployOutcome::InProgress)));
    }
    let job = Job {
        ctx,
        provider: &provider,
        user_id: conversation.user_id,
        conversation_id,
        plan: &plan,
        name: &name,
        claim: &claim,
        activate,
    };
    match job.run().await {
        Ok(done) => Ok(ctx.deployment_report(done)),
        Err(failure) => {
            let message = failure.message().to_string();
            let update = DeploymentUpdate {
                status: "failed",
                workflow_id: None,
                n8n_workflow_id: None,
                version_hash: None,
                active: claim.active,
                error: Some(message.clone()),
                claimed_at: None,
            };
            if let Err(error) = ctx.store.finish_deployment(claim.id, &update).await {
                runtime::log_error(&format!("deploy: could not record a failure: {error}"));
            }
            Err(match failure {
                Failure::Input(_) => EdgeError::Unprocessable(message),
                Failure::Upstream(_) => EdgeError::DeployFailed(message),
            })
        }
    }
}

/// One deploy in progress.
struct Job<'a> {
    ctx: &'a Ctx<'a>,
    provider: &'a Provider,
    user_id: Uuid,
    conversation_id: Uuid,
    plan: &'a WorkflowPlan,
    name: &'a str,
    claim: &'a Claim,
    activate: Option<bool>,
}

impl Job<'_> {
    async fn run(&self) -> Result<DeploymentReport, Failure> {
        let n8n = self.ctx.client(self.provider).map_err(Failure::Input)?;
        let (credential_ids, created, replaced) = self.credentials(&n8n).await?;
        let definition = self.render(&credential_ids)?;
        let hash = version_hash(&definition);
        let existing = match &self.claim.n8n_workflow_id {
            Some(id) => match n8n.get_workflow(id).await {
                Ok(workflow) => Some(workflow),
                Err(error) if error.is_not_found() => None,
                Err(error) => return Err(error.into()),
            },
            None => None,
        };
        let (workflow, outcome) = match existing {
            Some(current) if self.claim.version_hash.as_deref() == Some(hash.as_str()) => {
                (current, DeployOutcome::Unchanged)
            }
            Some(current) => (
                n8n.update_workflow(&current.id, &definition).await?,
                DeployOutcome::Updated,
            ),
            None => (
                n8n.create_workflow(&definition).await?,
                DeployOutcome::Created,
            ),
        };
        let active = match self.activate {
            Some(true) if !workflow.active => n8n.activate_workflow(&workflow.id).await?.active,
            Some(false) if workflow.active => n8n.deactivate_workflow(&workflow.id).await?.active,
            _ => workflow.active,
        };
        let row = crate::store::BuilderWorkflowRow {
            user_id: self.user_id,
            provider_id: self.provider.id,
            n8n_workflow_id: workflow.id.clone(),
            name: self.name.to_string(),
            active,
            node_types: summary::node_types(self.plan),
            required_credential_types: summary::needed_credentials(self.plan)
                .into_iter()
                .map(|needed| needed.credential_type)
                .collect(),
            definition: stripped(&definition),
            prompt: self.ctx.store.first_request(self.conversation_id).await?,
            origin: "builder",
            archived: false,
            deleted_at: None,
        };
        let workflow_id = match self.ctx.store.upsert_builder_workflow(&row).await {
            Ok(id) => id,
            Err(error) => {
                if outcome == DeployOutcome::Created {
                    // Nothing half-created: without its row the workflow would be an orphan.
                    let _ = n8n.delete_workflow(&workflow.id).await;
                }
                return Err(error.into());
            }
        };
        let update = DeploymentUpdate {
            status: "deployed",
            workflow_id: Some(workflow_id),
            n8n_workflow_id: Some(workflow.id.clone()),
            version_hash: Some(hash),
            active,
            error: None,
            claimed_at: None,
        };
        self.ctx
            .store
            .finish_deployment(self.claim.id, &update)
            .await?;
        // Credentials a changed one replaced: the workflow now uses the new ones.
        for old in replaced {
            let _ = n8n.delete_credential(&old).await;
        }
        Ok(DeploymentReport {
            deployment_id: Some(self.claim.id),
            workflow_id: Some(workflow_id),
            n8n_workflow_id: Some(workflow.id),
            name: self.name.to_string(),
            outcome,
            active,
            credentials_created: created,
        })
    }

    /// The n8n credential id of every credential the plan needs on this instance, creating
    /// (or, when edited since, re-creating) them there; with the names created and the ids
    /// replaced.
    async fn credentials(
        &self,
        n8n: &N8nClient,
    ) -> Result<(BTreeMap<(String, String), String>, Vec<String>, Vec<String>), Failure> {
        let needed = summary::needed_credentials(self.plan);
        let types: Vec<String> = needed.iter().map(|n| n.credential_type.clone()).collect();
        let stored = self.ctx.store.credentials_of_types(&types).await?;
        let deployed = self
            .ctx
            .store
            .credential_deployments(self.provider.id)
            .await?;
        let mut ids = BTreeMap::new();
        let mut created = Vec::new();
        let mut replaced = Vec::new();
        for need in needed {
            let Some(name) = need.name.clone() else {
                return Err(Failure::Input(format!(
                    "choose a {} credential for \"{}\" first",
                    need.credential_type, need.step
                )));
            };
            let Some(credential) = stored
                .iter()
                .find(|c| c.credential_type == need.credential_type && c.name == name)
            else {
                return Err(Failure::Input(format!(
                    "you have no {} credential named \"{name}\": add it on the Credentials page",
                    need.credential_type
                )));
            };
            let key = (need.credential_type.clone(), name.clone());
            if ids.contains_key(&key) {
                continue;
            }
            let previous = deployed.iter().find(|d| d.credential_id == credential.id);
            let n8n_id = match previous {
                Some(current) if current.credential_version >= credential.updated_at => {
                    current.n8n_credential_id.clone()
                }
                _ => {
                    let id = self.create_credential(n8n, credential).await?;
                    if let Some(old) = previous {
                        replaced.push(old.n8n_credential_id.clone());
                    }
                    created.push(name.clone());
                    id
                }
            };
            ids.insert(key, n8n_id);
        }
        Ok((ids, created, replaced))
    }

    /// Creates `credential` in the target n8n and records where it went.
    async fn create_credential(
        &self,
        n8n: &N8nClient,
        credential: &CredentialRow,
    ) -> Result<String, Failure> {
        let binding = SecretBinding::credential(credential.id, &credential.credential_type);
        let fields = self
            .ctx
            .config
            .key_ring
            .decrypt(&credential.secret_ciphertext, &binding)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .ok_or_else(|| {
                Failure::Input(format!(
                    "the credential \"{}\" cannot be read any more: enter its fields again",
                    credential.name
                ))
            })?;
        let created = n8n
            .create_credential(&NewCredential {
                name: credential.name.clone(),
                credential_type: credential.credential_type.clone(),
                data: fields,
            })
            .await?;
        self.ctx
            .store
            .record_credential_deployment(
                self.user_id,
                credential.id,
                self.provider.id,
                &created.id,
                credential.updated_at,
            )
            .await?;
        Ok(created.id)
    }

    fn render(
        &self,
        credential_ids: &BTreeMap<(String, String), String>,
    ) -> Result<WorkflowDefinition, Failure> {
        // Ids derived from the deployment: the same plan renders the same JSON (so a redeploy
        // without changes is recognised), and a node keeps its id — and a webhook its
        // registration — across redeploys.
        let mut counter = 0u32;
        let mut next_id = || {
            counter += 1;
            Uuid::new_v5(&self.claim.id, &counter.to_be_bytes())
        };
        let workflow = render::render(self.plan, self.user_id, credential_ids, &mut next_id)
            .map_err(|error| Failure::Input(error.to_string()))?;
        serde_json::from_value(workflow)
            .map_err(|_| Failure::Upstream("the rendered workflow is not n8n's shape".into()))
    }
}

/// sha256 of the rendered workflow, to tell a redeploy that changes nothing.
fn version_hash(definition: &WorkflowDefinition) -> String {
    let json = serde_json::to_vec(definition).unwrap_or_default();
    format!("{:x}", Sha256::digest(&json))
}

/// `{nodes, connections, settings}` with credential ids left out, as the sync stores them.
fn stripped(definition: &WorkflowDefinition) -> Value {
    let mut nodes = definition.nodes.clone();
    if let Some(nodes) = nodes.as_array_mut() {
        for credentials in nodes
            .iter_mut()
            .filter_map(|node| node.get_mut("credentials"))
            .filter_map(Value::as_object_mut)
        {
            for reference in credentials.values_mut().filter_map(Value::as_object_mut) {
                reference.remove("id");
            }
        }
    }
    serde_json::json!({
        "nodes": nodes, "connections": definition.connections, "settings": definition.settings,
    })
}

fn deployment(claim: &Claim, name: &str, outcome: DeployOutcome) -> DeploymentReport {
    DeploymentReport {
        deployment_id: Some(claim.id),
        workflow_id: claim.workflow_id,
        n8n_workflow_id: claim.n8n_workflow_id.clone(),
        name: name.to_string(),
        outcome,
        active: claim.active,
        credentials_created: Vec::new(),
    }
}

/// Deletes a just-deactivated workflow. n8n answers 409 ("still being unpublished") for a
/// moment after a deactivation that follows a run; a few short waits ride that out.
async fn delete_when_unpublished(n8n: &N8nClient, id: &str) -> Result<(), EdgeError> {
    const ATTEMPTS: u32 = 10;
    for attempt in 1..=ATTEMPTS {
        match n8n.delete_workflow(id).await {
            Ok(()) => return Ok(()),
            Err(flowpulse_n8n::N8nError::Rejected { status: 409, .. }) if attempt < ATTEMPTS => {
                runtime::sleep(std::time::Duration::from_millis(300)).await;
            }
            Err(error) => return Err(EdgeError::DeployFailed(error.to_string())),
        }
    }
    Ok(())
}

/// `remove_workflow`.
pub(super) async fn remove(ctx: &Ctx<'_>, workflow_id: Uuid) -> Result<RunReport, EdgeError> {
    let not_found = || {
        EdgeError::NotFound(format!(
            "workflow {workflow_id} does not exist or is not yours"
        ))
    };
    let workflow = ctx
        .store
        .builder_workflow(workflow_id)
        .await?
        .ok_or_else(not_found)?;
    if workflow.origin != "builder" {
        return Err(EdgeError::Unprocessable(
            "only workflows built in FlowPulse's chat can be removed here".into(),
        ));
    }
    let provider = ctx
        .store
        .providers(Some(workflow.provider_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    let n8n = ctx.client(&provider).map_err(EdgeError::DeployFailed)?;
    // Deleting an active workflow answers 409 in n8n: deactivate first (gone is fine).
    match n8n.deactivate_workflow(&workflow.n8n_workflow_id).await {
        Ok(_) => {}
        Err(error) if error.is_not_found() => {}
        Err(error) => return Err(EdgeError::DeployFailed(error.to_string())),
    }
    delete_when_unpublished(&n8n, &workflow.n8n_workflow_id).await?;
    ctx.store.archive_workflow(workflow.id).await?;
    ctx.store.mark_deployments_removed(workflow.id).await?;
    Ok(ctx.deployment_report(DeploymentReport {
        deployment_id: None,
        workflow_id: Some(workflow.id),
        n8n_workflow_id: Some(workflow.n8n_workflow_id),
        name: workflow.name,
        outcome: DeployOutcome::Removed,
        active: false,
        credentials_created: Vec::new(),
    }))
}
