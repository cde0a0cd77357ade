//! A checked plan → the workflow JSON `POST /api/v1/workflows` takes: `{name, nodes,
//! connections, settings}`.
//!
//! Core has no randomness, so node ids, webhook ids and condition ids come from the caller's
//! `new_id` (random when deploying, a counter in tests). Credentials are referenced by the ids
//! they have in the target n8n, which the caller creates first and passes as [`CredentialIds`].

mod params;

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};
use thiserror::Error;
use uuid::Uuid;

use super::catalogue::{spec, step_credential};
use super::graph::{flatten, Source};
use super::plan::{Step, WorkflowPlan};
use super::summary::{for_each_step, step_label};
use super::validate::{validate, PlanProblem, ValidPlan};
use crate::naming::user_workflow_name;

/// Horizontal distance between node columns on n8n's canvas.
pub const X_STEP: i64 = 240;
/// Vertical distance between rows (IF branches).
pub const Y_STEP: i64 = 200;

/// The ids the user's credentials have in the target n8n: (credential type, name) → id.
pub type CredentialIds = BTreeMap<(String, String), String>;

/// Why a plan could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// The plan has problems (see `validate`); each reads on its own.
    #[error("{}", join(.0))]
    Invalid(Vec<PlanProblem>),
    /// A credential the plan names has no id in the target n8n (it was not created there).
    #[error("{step}: the {credential_type} credential “{name}” does not exist in n8n yet.")]
    UnknownCredential {
        /// The step using it.
        step: String,
        /// Its type.
        credential_type: String,
        /// Its name.
        name: String,
    },
}

/// An n8n workflow, ready to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct N8nWorkflow {
    /// `[USR-xxxxxxxx] <title>`.
    pub name: String,
    /// The nodes, trigger first.
    pub nodes: Vec<N8nNode>,
    /// `{"<node name>": {"main": [[{node, type, index}], ...]}}`.
    pub connections: Value,
    /// `{"executionOrder": "v1"}`.
    pub settings: Value,
}

impl N8nWorkflow {
    /// The JSON body for `POST /api/v1/workflows`.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a workflow serializes")
    }
}

/// One n8n node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct N8nNode {
    /// A uuid.
    pub id: Uuid,
    /// Unique within the workflow; connections refer to it.
    pub name: String,
    /// e.g. `n8n-nodes-base.webhook`.
    #[serde(rename = "type")]
    pub node_type: String,
    /// The pinned version.
    #[serde(serialize_with = "version_number")]
    pub type_version: f64,
    /// `[x, y]` on the canvas.
    pub position: [i64; 2],
    /// The node's parameters.
    pub parameters: Value,
    /// `{"<type>": {"id", "name"}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// Nodes that own a webhook URL carry a stable id for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<Uuid>,
}

/// Whole versions as integers (`2`, not `2.0`), as n8n itself writes them.
fn version_number<S: Serializer>(version: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if version.fract() == 0.0 {
        serializer.serialize_u64(*version as u64)
    } else {
        serializer.serialize_f64(*version)
    }
}

fn join(problems: &[PlanProblem]) -> String {
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    texts.join(" ")
}

/// Checks `plan` and renders it as the JSON body of `POST /api/v1/workflows` for the workflow
/// `user` owns: [`render_workflow`] for a plan that may not have been checked.
pub fn render(
    plan: &WorkflowPlan,
    user: Uuid,
    credentials: &CredentialIds,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Value, RenderError> {
    let valid = validate(plan).map_err(RenderError::Invalid)?;
    render_workflow(&valid, user, credentials, new_id).map(|workflow| workflow.to_value())
}

/// Renders a checked plan as the workflow `user` owns in n8n.
pub fn render_workflow(
    plan: &ValidPlan,
    user: Uuid,
    credentials: &CredentialIds,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<N8nWorkflow, RenderError> {
    let plan = plan.plan();
    let flat = flatten(plan);
    let responds = responds(&plan.steps);
    let mut nodes = Vec::with_capacity(flat.nodes.len());
    for node in &flat.nodes {
        let spec = spec(node.kind);
        let id = new_id();
        let (parameters, credential) = match node.source {
            Source::Trigger(trigger) => (params::trigger(trigger, responds), None),
            Source::Step(step) => (
                params::step(step, new_id),
                node_credential(step, credentials)?,
            ),
        };
        nodes.push(N8nNode {
            id,
            name: node.name.clone(),
            node_type: spec.node_type.to_string(),
            type_version: spec.version,
            position: [
                i64::from(node.column) * X_STEP,
                i64::from(node.row) * Y_STEP,
            ],
            parameters,
            credentials: credential,
            webhook_id: spec.webhook_id.then(&mut *new_id),
        });
    }
    let mut connections = Map::new();
    for edge in &flat.edges {
        let spec = spec(flat.nodes[edge.from].kind);
        let from = &flat.nodes[edge.from].name;
        let entry = connections
            .entry(from.clone())
            .or_insert_with(|| json!({ "main": vec![Value::Array(Vec::new()); spec.outputs] }));
        entry["main"][edge.output]
            .as_array_mut()
            .expect("outputs are arrays")
            .push(json!({ "node": flat.nodes[edge.to].name, "type": "main", "index": 0 }));
    }
    Ok(N8nWorkflow {
        name: user_workflow_name(user, &plan.title),
        nodes,
        connections: Value::Object(connections),
        settings: json!({ "executionOrder": "v1" }),
    })
}

fn responds(steps: &[Step]) -> bool {
    let mut found = false;
    for_each_step(steps, &mut |step| {
        found |= matches!(step, Step::RespondToWebhook { .. });
    });
    found
}

fn node_credential(step: &Step, ids: &CredentialIds) -> Result<Option<Value>, RenderError> {
    let Some((credential_type, Some(name))) = step_credential(step) else {
        return Ok(None);
    };
    let id = ids
        .get(&(credential_type.to_string(), name.to_string()))
        .ok_or_else(|| RenderError::UnknownCredential {
            step: step_label(step),
            credential_type: credential_type.to_string(),
            name: name.to_string(),
        })?;
    Ok(Some(json!({ credential_type: { "id": id, "name": name } })))
}

#[cfg(test)]
mod tests;
