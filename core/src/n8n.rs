//! Serde types for the replies of the n8n 2.x public API (`/api/v1`).
//!
//! Field names follow n8n's camelCase. Unknown fields are ignored everywhere so a newer n8n
//! that adds fields does not break a sync; fields n8n may send as `null` are `Option`s.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A workflow as listed by `GET /api/v1/workflows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// n8n's own id, a short random string such as `OVO5xzEnnLFOmHt6`.
    pub id: String,
    /// Display name; FlowPulse-created workflows carry the `[USR-…]` prefix (see `naming`).
    pub name: String,
    /// Whether the workflow's triggers are live.
    #[serde(default)]
    pub active: bool,
    /// Archived in n8n (n8n 2.x archives instead of deleting from the editor).
    #[serde(default)]
    pub is_archived: bool,
    /// Changes on every save; `None` on instances that do not version workflows.
    #[serde(default)]
    pub version_id: Option<String>,
    /// When the workflow was created in n8n.
    pub created_at: DateTime<Utc>,
    /// When the workflow was last saved in n8n.
    pub updated_at: DateTime<Utc>,
    /// The workflow's nodes, in n8n's order.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// Node connections, kept opaque: FlowPulse only stores and shows them.
    #[serde(default)]
    pub connections: Value,
    /// Workflow settings, kept opaque.
    #[serde(default)]
    pub settings: Value,
    /// Tags attached to the workflow.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A workflow tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag id; absent in some embedded forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Tag name as shown in n8n.
    pub name: String,
}

/// One node of a workflow.
///
/// Only the fields FlowPulse reasons about are typed; everything else (`position`, `disabled`,
/// `webhookId`, `notes`, …) is kept in [`Node::extra`] so a node serializes back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Node id (a uuid in recent n8n; absent in very old workflows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Node name, unique within the workflow.
    pub name: String,
    /// Node type such as `n8n-nodes-base.webhook`.
    #[serde(rename = "type")]
    pub node_type: String,
    /// Integer or decimal (`1`, `2.1`), so kept as raw JSON to avoid lossy conversions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_version: Option<Value>,
    /// Node parameters, opaque.
    #[serde(default = "empty_object")]
    pub parameters: Value,
    /// Credentials used by the node, keyed by credential TYPE (e.g. `slackApi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<BTreeMap<String, CredentialRef>>,
    /// Every other field, preserved verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A node's reference to a stored credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRef {
    /// Instance-specific credential id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The credential's display name.
    #[serde(default)]
    pub name: String,
}

/// An n8n execution id: an integer, unique per n8n instance, increasing over time.
///
/// The public API sends ids as strings (`"123"`) in listings but as numbers in some replies
/// (`DELETE /executions/{id}`), so both are accepted; it is always written as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExecutionId(pub u64);

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ExecutionId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(ExecutionId)
    }
}

impl Serialize for ExecutionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ExecutionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl de::Visitor<'_> for IdVisitor {
            type Value = ExecutionId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer or a string holding one")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExecutionId, E> {
                Ok(ExecutionId(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExecutionId, E> {
                u64::try_from(v)
                    .map(ExecutionId)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ExecutionId, E> {
                v.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

/// The status of an execution, lowercase on the wire.
///
/// Deserialization never fails: a value this version does not know (or a non-string) becomes
/// [`ExecutionStatus::Unknown`], because one odd execution must not abort a whole sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExecutionStatus {
    /// Stopped by a user or a timeout.
    Canceled,
    /// The process running it died.
    Crashed,
    /// Finished with an error.
    Error,
    /// Queued, not started.
    New,
    /// In progress (never listed by `GET /executions`).
    Running,
    /// Finished successfully.
    Success,
    /// n8n's own "unknown", or a value this version does not recognise.
    #[default]
    Unknown,
    /// Paused on a Wait node.
    Waiting,
}

impl ExecutionStatus {
    /// Every status, in wire-name order.
    pub const ALL: [ExecutionStatus; 8] = [
        Self::Canceled,
        Self::Crashed,
        Self::Error,
        Self::New,
        Self::Running,
        Self::Success,
        Self::Unknown,
        Self::Waiting,
    ];

    /// True for states an execution never leaves: success, error, crashed, canceled.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Success | Self::Error | Self::Crashed | Self::Canceled
        )
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Canceled => "canceled",
            Self::Crashed => "crashed",
            Self::Error => "error",
            Self::New => "new",
            Self::Running => "running",
            Self::Success => "success",
            Self::Unknown => "unknown",
            Self::Waiting => "waiting",
        }
    }

    /// Maps a wire name to a status; anything unrecognised is `Unknown`.
    pub fn from_wire(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .unwrap_or(Self::Unknown)
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ExecutionStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExecutionStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        Ok(raw.as_str().map_or(Self::Unknown, Self::from_wire))
    }
}

/// An execution as returned by `GET /api/v1/executions` or `GET /api/v1/executions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    /// Per-instance integer id.
    pub id: ExecutionId,
    /// Deprecated by n8n in favour of `status`; kept for completeness.
    #[serde(default)]
    pub finished: bool,
    /// How it was started: `webhook`, `trigger`, `manual`, `retry`, …
    #[serde(default)]
    pub mode: String,
    /// The execution this one retried, if any.
    #[serde(default)]
    pub retry_of: Option<ExecutionId>,
    /// The successful retry of this execution, if any.
    #[serde(default)]
    pub retry_success_id: Option<ExecutionId>,
    /// Current status.
    #[serde(default)]
    pub status: ExecutionStatus,
    /// Absent for executions that have not started yet.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Absent until the execution stops.
    #[serde(default)]
    pub stopped_at: Option<DateTime<Utc>>,
    /// The n8n id of the workflow that ran.
    pub workflow_id: String,
    /// When a waiting execution resumes.
    #[serde(default)]
    pub wait_till: Option<DateTime<Utc>>,
    /// Run data, only present when fetched with `includeData=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl Execution {
    /// The error message n8n recorded (`data.resultData.error.message`), when the execution was
    /// fetched with `includeData=true` and failed.
    pub fn error_message(&self) -> Option<&str> {
        self.data
            .as_ref()?
            .pointer("/resultData/error/message")?
            .as_str()
    }
}

/// One page of a paginated listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items. Deliberately required: an unexpected reply shape must fail loudly rather
    /// than look like an empty, exhausted listing (which would let the sync plan conclude
    /// things it must not).
    pub data: Vec<T>,
    /// Opaque cursor for the next page; `null` or absent on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The body of an n8n API error reply, e.g. `{"message":"Unauthorized"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Human-readable message from n8n.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests;
