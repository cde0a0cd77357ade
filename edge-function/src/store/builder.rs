//! The builder's tables: conversations (their current plan), the user's credentials and where
//! each went, deployments, and the rows of builder-made workflows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{Store, StoreError};

/// A conversation, as a deploy reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConversationRow {
    /// `conversations.id`.
    pub id: Uuid,
    /// Its owner.
    pub user_id: Uuid,
    /// The composer's state; its `plan` is what gets deployed.
    pub state: Value,
}

/// A user's stored credential (still encrypted).
#[derive(Clone, Deserialize)]
pub struct CredentialRow {
    /// `credentials.id`.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// n8n credential type.
    pub credential_type: String,
    /// The fields, encrypted (bound to the row and type).
    pub secret_ciphertext: String,
    /// Changes whenever the credential is edited.
    pub updated_at: DateTime<Utc>,
}

// The ciphertext is not a secret in itself, but nothing about a credential needs logging.
impl std::fmt::Debug for CredentialRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("credential_type", &self.credential_type)
            .finish_non_exhaustive()
    }
}

/// Where a credential went on one instance.
#[derive(Debug, Clone, Deserialize)]
pub struct CredentialDeploymentRow {
    /// The credential.
    pub credential_id: Uuid,
    /// n8n's id of it there.
    pub n8n_credential_id: String,
    /// The credential's `updated_at` when it was written there.
    pub credential_version: DateTime<Utc>,
}

/// A deployment row after `claim_deployment`.
#[derive(Debug, Clone, Deserialize)]
pub struct Claim {
    /// `workflow_deployments.id`.
    pub id: Uuid,
    /// The workflow row, once deployed.
    pub workflow_id: Option<Uuid>,
    /// n8n's id, once deployed.
    pub n8n_workflow_id: Option<String>,
    /// Hash of what was last deployed.
    pub version_hash: Option<String>,
    /// Active in n8n after the last deploy.
    #[serde(default)]
    pub active: bool,
    /// This request holds the claim (false: another one is deploying right now).
    pub claimed: bool,
}

/// What a finished (or failed) deployment records.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentUpdate {
    /// `deployed`, `failed` or `removed`.
    pub status: &'static str,
    /// The workflow row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<Uuid>,
    /// n8n's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n8n_workflow_id: Option<String>,
    /// Hash of what was deployed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_hash: Option<String>,
    /// Active now.
    pub active: bool,
    /// Why it failed, in FlowPulse's words.
    pub error: Option<String>,
    /// The claim is released.
    pub claimed_at: Option<DateTime<Utc>>,
}

/// A builder-made workflow's row, written when it is deployed (before any sync sees it, so
/// cleanup never takes it for an orphan).
#[derive(Debug, Clone, Serialize)]
pub struct BuilderWorkflowRow {
    /// Owner.
    pub user_id: Uuid,
    /// Instance.
    pub provider_id: Uuid,
    /// n8n's id.
    pub n8n_workflow_id: String,
    /// `[USR-<8 hex>] <title>`.
    pub name: String,
    /// Active in n8n.
    pub active: bool,
    /// Node types, for the dashboard's filter.
    pub node_types: Vec<String>,
    /// Credential types, for the dashboard's filter.
    pub required_credential_types: Vec<String>,
    /// `{nodes, connections, settings}`, credential ids stripped.
    pub definition: Value,
    /// The request that built it.
    pub prompt: Option<String>,
    /// Always `builder`.
    pub origin: &'static str,
    /// A redeploy of an archived one brings it back.
    pub archived: bool,
    /// Likewise.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A workflow row, as `remove_workflow` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct BuilderWorkflowRef {
    /// `mvp_workflows.id`.
    pub id: Uuid,
    /// Instance.
    pub provider_id: Uuid,
    /// n8n's id.
    pub n8n_workflow_id: String,
    /// Name.
    pub name: String,
    /// `sync` or `builder`.
    pub origin: String,
    /// Already archived.
    pub archived: bool,
}

fn encode(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Malformed(e.to_string()))
}

/// A failed execution whose details were never looked for.
#[derive(Debug, Clone, Deserialize)]
pub struct UnexplainedFailure {
    /// `executions.id`.
    pub id: i64,
    /// n8n's id.
    pub n8n_execution_id: i64,
    /// Its workflow row, when linked.
    pub workflow_id: Option<Uuid>,
}

/// An execution row, as `retry_execution` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct ExecutionRef {
    /// `executions.id`.
    pub id: i64,
    /// Its instance.
    pub provider_id: Uuid,
    /// n8n's id.
    pub n8n_execution_id: i64,
    /// Its status.
    pub status: flowpulse_core::n8n::ExecutionStatus,
}

impl Store {
    /// The newest failed executions of a provider whose details were never looked for.
    pub async fn failures_without_details(
        &self,
        provider_id: Uuid,
        limit: usize,
    ) -> Result<Vec<UnexplainedFailure>, StoreError> {
        self.json(
            self.client
                .from("executions")
                .select("id,n8n_execution_id,workflow_id")
                .eq("provider_id", provider_id.to_string())
                .in_("status", ["error", "crashed"])
                .is("error_fetched_at", "null")
                .order("n8n_execution_id.desc")
                .limit(limit),
        )
        .await
    }

    /// The stored nodes of the given workflows (to name the type of a node that failed).
    pub async fn workflow_nodes(
        &self,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Vec<flowpulse_core::n8n::Node>)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: Uuid,
            definition: Option<Value>,
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<Row> = self
            .json(
                self.client
                    .from("mvp_workflows")
                    .select("id,definition")
                    .in_("id", list),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let nodes = row
                    .definition
                    .and_then(|definition| definition.get("nodes").cloned())
                    .and_then(|nodes| serde_json::from_value(nodes).ok())
                    .unwrap_or_default();
                (row.id, nodes)
            })
            .collect())
    }

    /// Records why execution `id` failed (or that n8n had nothing to say).
    pub async fn record_failure_detail(
        &self,
        id: i64,
        detail: Option<&flowpulse_core::insight::failure::FailureDetail>,
    ) -> Result<(), StoreError> {
        let mut body = json!({"error_fetched_at": Utc::now()});
        if let Some(detail) = detail {
            body["error_message"] = json!(detail.message);
            body["error_description"] = json!(detail.description);
            body["error_node"] = json!(detail.node_name);
            body["error_node_type"] = json!(detail.node_type);
        }
        let builder = self
            .client
            .from("executions")
            .eq("id", id.to_string())
            .update(body.to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// The execution row `id`, if the token can see it.
    pub async fn execution(&self, id: i64) -> Result<Option<ExecutionRef>, StoreError> {
        let rows: Vec<ExecutionRef> = self
            .json(
                self.client
                    .from("executions")
                    .select("id,provider_id,n8n_execution_id,status")
                    .eq("id", id.to_string()),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// The conversation `id`, if the token can see it.
    pub async fn conversation(&self, id: Uuid) -> Result<Option<ConversationRow>, StoreError> {
        let rows: Vec<ConversationRow> = self
            .json(
                self.client
                    .from("conversations")
                    .select("id,user_id,state")
                    .eq("id", id.to_string()),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// The first thing the user asked in a conversation: the workflow's prompt.
    pub async fn first_request(&self, conversation_id: Uuid) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            content: String,
        }
        let rows: Vec<Row> = self
            .json(
                self.client
                    .from("chat_messages")
                    .select("content")
                    .eq("conversation_id", conversation_id.to_string())
                    .eq("role", "user")
                    .order("created_at.asc")
                    .limit(1),
            )
            .await?;
        Ok(rows.into_iter().next().map(|row| row.content))
    }

    /// The user's credentials of the given types.
    pub async fn credentials_of_types(
        &self,
        types: &[String],
    ) -> Result<Vec<CredentialRow>, StoreError> {
        if types.is_empty() {
            return Ok(Vec::new());
        }
        self.json(
            self.client
                .from("credentials")
                .select("id,name,credential_type,secret_ciphertext,updated_at")
                .in_("credential_type", types),
        )
        .await
    }

    /// Where the given credentials went on `provider_id`.
    pub async fn credential_deployments(
        &self,
        provider_id: Uuid,
    ) -> Result<Vec<CredentialDeploymentRow>, StoreError> {
        self.json(
            self.client
                .from("credential_deployments")
                .select("credential_id,n8n_credential_id,credential_version")
                .eq("provider_id", provider_id.to_string()),
        )
        .await
    }

    /// Records that `credential_id` is `n8n_credential_id` on `provider_id`.
    pub async fn record_credential_deployment(
        &self,
        user_id: Uuid,
        credential_id: Uuid,
        provider_id: Uuid,
        n8n_credential_id: &str,
        version: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let body = json!({
            "user_id": user_id, "credential_id": credential_id, "provider_id": provider_id,
            "n8n_credential_id": n8n_credential_id, "credential_version": version,
            "deployed_at": Utc::now(),
        });
        let builder = self
            .client
            .from("credential_deployments")
            .upsert(body.to_string())
            .on_conflict("credential_id,provider_id");
        self.send(builder, Some("resolution=merge-duplicates,return=minimal"))
            .await
            .map(drop)
    }

    /// Claims the deployment of a conversation to an instance (see `claim_deployment`).
    pub async fn claim_deployment(
        &self,
        conversation_id: Uuid,
        provider_id: Uuid,
    ) -> Result<Claim, StoreError> {
        self.rpc(
            "claim_deployment",
            json!({"p_conversation_id": conversation_id, "p_provider_id": provider_id}),
        )
        .await
    }

    /// Records how a deployment ended.
    pub async fn finish_deployment(
        &self,
        id: Uuid,
        update: &DeploymentUpdate,
    ) -> Result<(), StoreError> {
        let builder = self
            .client
            .from("workflow_deployments")
            .eq("id", id.to_string())
            .update(encode(update)?);
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Marks every deployment of a workflow removed.
    pub async fn mark_deployments_removed(&self, workflow_id: Uuid) -> Result<(), StoreError> {
        let body = json!({"status": "removed", "active": false, "error": null});
        let builder = self
            .client
            .from("workflow_deployments")
            .eq("workflow_id", workflow_id.to_string())
            .update(body.to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Writes a builder-made workflow's row (insert, or update on (provider, n8n id)); returns
    /// its id.
    pub async fn upsert_builder_workflow(
        &self,
        row: &BuilderWorkflowRow,
    ) -> Result<Uuid, StoreError> {
        #[derive(Deserialize)]
        struct Written {
            id: Uuid,
        }
        let builder = self
            .client
            .from("mvp_workflows")
            .upsert(encode(row)?)
            .on_conflict("provider_id,n8n_workflow_id")
            .select("id");
        let body = self
            .send(
                builder,
                Some("resolution=merge-duplicates,return=representation"),
            )
            .await?;
        let rows: Vec<Written> = serde_json::from_slice(&body)
            .map_err(|error| StoreError::Malformed(error.to_string()))?;
        rows.into_iter()
            .next()
            .map(|row| row.id)
            .ok_or_else(|| StoreError::Malformed("the workflow upsert returned no row".into()))
    }

    /// The workflow row `id` with what `remove_workflow` needs, if the token can see it.
    pub async fn builder_workflow(
        &self,
        id: Uuid,
    ) -> Result<Option<BuilderWorkflowRef>, StoreError> {
        let rows: Vec<BuilderWorkflowRef> = self
            .json(
                self.client
                    .from("mvp_workflows")
                    .select("id,provider_id,n8n_workflow_id,name,origin,archived")
                    .eq("id", id.to_string()),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// Archives a workflow row (its history stays).
    pub async fn archive_workflow(&self, id: Uuid) -> Result<(), StoreError> {
        let body = json!({"archived": true, "active": false, "deleted_at": Utc::now()});
        let builder = self
            .client
            .from("mvp_workflows")
            .eq("id", id.to_string())
            .update(body.to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }
}
