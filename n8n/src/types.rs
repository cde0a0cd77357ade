//! Request bodies and the replies that have no home in `core::n8n` (which models what a sync
//! reads).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `POST/PUT /api/v1/workflows` accept: exactly these fields (n8n refuses others, e.g.
/// `active`, which only the activate/deactivate calls change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDefinition {
    /// The workflow's name.
    pub name: String,
    /// Its nodes, as n8n takes them. Kept as JSON so nothing is lost or added on the way: n8n
    /// reads a credential reference differently with and without an explicit `"id": null`.
    pub nodes: Value,
    /// `{"<node name>": {"main": [[{node, type, index}]]}}`.
    pub connections: Value,
    /// Settings; n8n requires the field (`{}` at least).
    pub settings: Value,
}

/// A credential to create. `data` holds secrets: this type has no `Debug` that could print it.
#[derive(Clone, Serialize)]
pub struct NewCredential {
    /// Display name, unique enough for a person to pick it in the editor.
    pub name: String,
    /// The credential type, e.g. `httpHeaderAuth`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The type's fields (see `credential_schema`).
    pub data: Value,
}

impl std::fmt::Debug for NewCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCredential")
            .field("name", &self.name)
            .field("credential_type", &self.credential_type)
            .finish_non_exhaustive()
    }
}

/// n8n's reply to a credential creation (never the data).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedCredential {
    /// The new credential's id on that instance.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub credential_type: String,
}
