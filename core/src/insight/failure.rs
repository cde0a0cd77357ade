//! Why an execution failed, in a form FlowPulse may keep and show.
//!
//! A failed execution fetched with `includeData=true` carries n8n's error under
//! `data.resultData.error` (`message`, `description`, `name`, and `node` for node errors) and
//! the failing node's name under `data.resultData.lastNodeExecuted`. Only those are read: the
//! run data holds the workflow's business data, and the error's `stack` and `node.parameters`
//! hold server paths and, too often, credentials. What is read is redacted
//! ([`super::redact`]) and cut to the lengths the `executions` columns allow.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::redact::{bounded, clip, redact};
use crate::n8n::{Execution, Node};

/// Longest message kept, in characters.
pub const MESSAGE_MAX_CHARS: usize = 500;
/// Longest description kept, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 1000;
/// Longest node name or type kept, in characters (the columns allow 200).
pub const NODE_MAX_CHARS: usize = 200;

/// How much of n8n's text is looked at before redaction: far more than is kept, so a secret is
/// never cut in half before the rules see it, yet bounded however much a service echoed.
const SCAN_MAX_CHARS: usize = 16 * 1024;

/// Why one execution failed: n8n's error message and description (redacted and cut) and the
/// node that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDetail {
    /// n8n's error message, e.g. `Authorization failed - please check your credentials`.
    pub message: String,
    /// n8n's longer explanation, often the service's own words; absent when n8n had none.
    pub description: Option<String>,
    /// The name of the node that failed, e.g. `Fetch orders`.
    pub node_name: Option<String>,
    /// That node's type, e.g. `n8n-nodes-base.httpRequest`.
    pub node_type: Option<String>,
}

/// The failure details of `execution`, or `None` when it carries no error (not fetched with
/// `includeData=true`, not failed, or crashed before n8n could record one).
///
/// The failing node's type comes from the error itself, else from `workflow_nodes` (the stored
/// definition's nodes, or the synced workflow's), else from the execution's own copy of the
/// workflow (`data.workflowData.nodes`) when it has one.
pub fn failure_detail(execution: &Execution, workflow_nodes: &[Node]) -> Option<FailureDetail> {
    failure_detail_from_data(execution.data.as_ref()?, workflow_nodes)
}

/// [`failure_detail`] over the execution's `data` object alone.
pub fn failure_detail_from_data(data: &Value, workflow_nodes: &[Node]) -> Option<FailureDetail> {
    let result = data.get("resultData")?;
    let error = result.get("error").filter(|error| error.is_object())?;
    let text = |field: &str| {
        error
            .get(field)
            .and_then(Value::as_str)
            .map(clean)
            .filter(|text| !text.is_empty())
    };
    let message = text("message")
        .or_else(|| text("name"))
        .unwrap_or_else(|| "n8n recorded no error message".to_string());
    let description = text("description").filter(|description| *description != message);

    let error_node = error.get("node");
    let node_name = error_node
        .and_then(|node| node.get("name"))
        .and_then(Value::as_str)
        .or_else(|| result.get("lastNodeExecuted").and_then(Value::as_str))
        .map(|name| clip(name, NODE_MAX_CHARS))
        .filter(|name| !name.is_empty());
    let node_type = error_node
        .and_then(|node| node.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            let name = node_name.as_deref()?;
            node_type_in(workflow_nodes, name).or_else(|| execution_copy_node_type(data, name))
        })
        .map(|node_type| clip(&node_type, NODE_MAX_CHARS));

    Some(FailureDetail {
        message: clip(&message, MESSAGE_MAX_CHARS),
        description: description.map(|description| clip(&description, DESCRIPTION_MAX_CHARS)),
        node_name,
        node_type,
    })
}

/// Redacted text, trimmed; cutting to length comes last, after the message and description
/// have been compared.
fn clean(raw: &str) -> String {
    redact(bounded(raw, SCAN_MAX_CHARS)).trim().to_string()
}

fn node_type_in(nodes: &[Node], name: &str) -> Option<String> {
    nodes
        .iter()
        .find(|node| node.name == name)
        .map(|node| node.node_type.clone())
}

fn execution_copy_node_type(data: &Value, name: &str) -> Option<String> {
    data.pointer("/workflowData/nodes")?
        .as_array()?
        .iter()
        .find(|node| node.get("name").and_then(Value::as_str) == Some(name))?
        .get("type")?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests;
