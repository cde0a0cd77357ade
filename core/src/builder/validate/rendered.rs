//! Checks of the n8n workflow JSON itself — what `render` produced, or a workflow read back
//! from n8n — against the catalogue: the structure `POST /api/v1/workflows` takes, exactly one
//! trigger, known node types at their pinned versions with their required parameters,
//! connections between existing nodes, and the webhook rules n8n applies when it runs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use thiserror::Error;

use crate::builder::catalogue::{spec_by_type, NodeKind, NodeSpec};

/// What is wrong with a workflow's JSON. These name nodes, not plan steps: they mean a
/// renderer bug or a workflow edited elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowProblem {
    /// A top-level field missing or of the wrong kind.
    #[error("the workflow's “{0}” is missing or malformed")]
    Shape(&'static str),
    /// A node without an id, a name, a position or parameters.
    #[error("node #{index} is malformed: {what}")]
    NodeShape {
        /// Its index in `nodes`.
        index: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// Two nodes share a name.
    #[error("two nodes are named “{0}”")]
    DuplicateName(String),
    /// A type the builder does not produce.
    #[error("node “{node}” has type {node_type}, which the builder does not know")]
    UnknownType {
        /// The node.
        node: String,
        /// Its type.
        node_type: String,
    },
    /// A version other than the pinned one.
    #[error("node “{node}” is version {found}; the catalogue pins {pinned}")]
    Version {
        /// The node.
        node: String,
        /// Its version.
        found: String,
        /// The pinned one.
        pinned: String,
    },
    /// A required parameter missing.
    #[error("node “{node}” lacks its “{parameter}” parameter")]
    MissingParameter {
        /// The node.
        node: String,
        /// The parameter.
        parameter: &'static str,
    },
    /// A credential reference that is not `{"<allowed type>": {"id", "name"}}`.
    #[error("node “{node}” references a credential wrongly ({what})")]
    Credential {
        /// The node.
        node: String,
        /// What is wrong.
        what: String,
    },
    /// A webhook-owning node without a webhook id.
    #[error("node “{0}” has no webhookId")]
    NoWebhookId(String),
    /// Not exactly one trigger.
    #[error("the workflow has {0} triggers; it needs exactly one")]
    TriggerCount(usize),
    /// A connection from or to a node that does not exist, or from an output it lacks.
    #[error("a connection from “{from}” is broken: {what}")]
    Connection {
        /// The node it leaves.
        from: String,
        /// What is wrong.
        what: String,
    },
    /// A node nothing leads to.
    #[error("node “{0}” is not reachable from the trigger")]
    Unreachable(String),
    /// Respond to Webhook present but the webhook answers on its own, or the reverse.
    #[error("the webhook's responseMode must be “{expected}” (it is “{found}”)")]
    ResponseMode {
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// Settings other than n8n's v1 execution order.
    #[error("settings.executionOrder must be “v1”")]
    ExecutionOrder,
}

/// Every problem of a workflow's JSON (empty when it is sound).
pub fn workflow_problems(workflow: &Value) -> Vec<WorkflowProblem> {
    let mut out = Vec::new();
    if !filled(&workflow["name"]) {
        out.push(WorkflowProblem::Shape("name"));
    }
    if workflow["settings"]["executionOrder"] != "v1" {
        out.push(WorkflowProblem::ExecutionOrder);
    }
    let Some(nodes) = workflow["nodes"].as_array() else {
        out.push(WorkflowProblem::Shape("nodes"));
        return out;
    };
    let mut specs: BTreeMap<String, &'static NodeSpec> = BTreeMap::new();
    for (index, node) in nodes.iter().enumerate() {
        if let Some((name, spec)) = check_node(index, node, &mut out) {
            if specs.insert(name.clone(), spec).is_some() {
                out.push(WorkflowProblem::DuplicateName(name));
            }
        }
    }
    let triggers: Vec<&String> = specs
        .iter()
        .filter(|(_, spec)| spec.is_trigger())
        .map(|(name, _)| name)
        .collect();
    if triggers.len() != 1 {
        out.push(WorkflowProblem::TriggerCount(triggers.len()));
    }
    let Some(connections) = workflow["connections"].as_object() else {
        out.push(WorkflowProblem::Shape("connections"));
        return out;
    };
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, outputs) in connections {
        let broken = |what: String| WorkflowProblem::Connection {
            from: from.clone(),
            what,
        };
        let Some(spec) = specs.get(from) else {
            out.push(broken("no such node".into()));
            continue;
        };
        let Some(main) = outputs["main"].as_array() else {
            out.push(broken("no “main” outputs".into()));
            continue;
        };
        if main.len() > spec.outputs {
            out.push(broken(format!(
                "{} outputs, the node has {}",
                main.len(),
                spec.outputs
            )));
        }
        for target in main.iter().flat_map(|o| o.as_array().into_iter().flatten()) {
            match target["node"].as_str() {
                Some(to) if specs.contains_key(to) && target["type"] == "main" => {
                    next.entry(from.as_str()).or_default().push(to);
                }
                _ => out.push(broken(format!("bad target {target}"))),
            }
        }
    }
    if let [trigger] = triggers[..] {
        let mut seen = BTreeSet::from([trigger.as_str()]);
        let mut queue = vec![trigger.as_str()];
        while let Some(node) = queue.pop() {
            for to in next.get(node).into_iter().flatten() {
                if seen.insert(to) {
                    queue.push(to);
                }
            }
        }
        out.extend(
            specs
                .keys()
                .filter(|name| !seen.contains(name.as_str()))
                .map(|name| WorkflowProblem::Unreachable(name.clone())),
        );
    }
    check_response_mode(nodes, &specs, &mut out);
    out
}

fn check_node(
    index: usize,
    node: &Value,
    out: &mut Vec<WorkflowProblem>,
) -> Option<(String, &'static NodeSpec)> {
    let shape = |what| WorkflowProblem::NodeShape { index, what };
    let Some(name) = node["name"].as_str().filter(|n| !n.is_empty()) else {
        out.push(shape("no name"));
        return None;
    };
    let name = name.to_string();
    if !filled(&node["id"]) {
        out.push(shape("no id"));
    }
    let position = node["position"].as_array();
    if !position.is_some_and(|p| p.len() == 2 && p.iter().all(Value::is_number)) {
        out.push(shape("position is not [x, y]"));
    }
    let node_type = node["type"].as_str().unwrap_or_default();
    let Some(spec) = spec_by_type(node_type) else {
        out.push(WorkflowProblem::UnknownType {
            node: name,
            node_type: node_type.to_string(),
        });
        return None;
    };
    if node["typeVersion"].as_f64() != Some(spec.version) {
        out.push(WorkflowProblem::Version {
            node: name.clone(),
            found: node["typeVersion"].to_string(),
            pinned: spec.version.to_string(),
        });
    }
    match node["parameters"].as_object() {
        None => out.push(shape("parameters is not an object")),
        Some(parameters) => out.extend(
            spec.required_parameters
                .iter()
                .filter(|p| !parameters.contains_key(**p))
                .map(|parameter| WorkflowProblem::MissingParameter {
                    node: name.clone(),
                    parameter,
                }),
        ),
    }
    if let Some(what) = credential_problem(spec, &node["credentials"]) {
        out.push(WorkflowProblem::Credential {
            node: name.clone(),
            what,
        });
    }
    if spec.webhook_id && !filled(&node["webhookId"]) {
        out.push(WorkflowProblem::NoWebhookId(name.clone()));
    }
    Some((name, spec))
}

/// A string with something in it.
fn filled(value: &Value) -> bool {
    value.as_str().is_some_and(|text| !text.trim().is_empty())
}

fn credential_problem(spec: &NodeSpec, credentials: &Value) -> Option<String> {
    let map = match credentials {
        Value::Null => return None,
        Value::Object(map) => map,
        _ => return Some("not an object".into()),
    };
    for (credential_type, reference) in map {
        if !spec.credential_types.contains(&credential_type.as_str()) {
            return Some(format!("{credential_type} is not a type this node uses"));
        }
        if !filled(&reference["id"]) || !filled(&reference["name"]) {
            return Some(format!("{credential_type} needs an id and a name"));
        }
    }
    None
}

fn check_response_mode(
    nodes: &[Value],
    specs: &BTreeMap<String, &'static NodeSpec>,
    out: &mut Vec<WorkflowProblem>,
) {
    let responds = specs
        .values()
        .any(|spec| spec.kind == NodeKind::RespondToWebhook);
    let webhook = nodes.iter().find(|node| {
        spec_by_type(node["type"].as_str().unwrap_or_default())
            .is_some_and(|s| s.kind == NodeKind::Webhook)
    });
    if let Some(webhook) = webhook {
        let found = webhook["parameters"]["responseMode"]
            .as_str()
            .unwrap_or_default();
        let ok = if responds {
            found == "responseNode"
        } else {
            found != "responseNode"
        };
        if !ok {
            out.push(WorkflowProblem::ResponseMode {
                expected: if responds {
                    "responseNode"
                } else {
                    "onReceived"
                },
                found: found.to_string(),
            });
        }
    }
}
