//! A workflow definition as FlowPulse stores and moves it, and the pure rules around it:
//! credential stripping, content hashes, slugs and `--since` windows.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// One `n8n_workflows` row: what an export writes and a deploy sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The workflow's id on the instance it was exported from.
    pub id: String,
    pub name: String,
    pub active: bool,
    /// Credential references carry type and name only (see [`strip_credentials`]).
    pub nodes: Value,
    pub connections: Value,
    pub settings: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Definition {
    /// Reads a workflow as n8n's public API returns it, credential ids dropped.
    pub fn from_n8n(workflow: &Value) -> Result<Definition> {
        let field = |name: &str| {
            workflow[name].as_str().ok_or_else(|| {
                Error::Usage(format!(
                    "n8n returned a workflow without {name}: {workflow}"
                ))
            })
        };
        let time = |name: &str| -> Result<DateTime<Utc>> {
            let text = field(name)?;
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| Error::Usage(format!("n8n returned {name} = {text:?}: {e}")))
        };
        let mut nodes = workflow["nodes"].clone();
        strip_credentials(&mut nodes);
        Ok(Definition {
            id: field("id")?.to_owned(),
            name: field("name")?.to_owned(),
            active: workflow["active"].as_bool().unwrap_or(false),
            nodes,
            connections: or_empty_object(&workflow["connections"]),
            settings: or_empty_object(&workflow["settings"]),
            created_at: time("createdAt")?,
            updated_at: time("updatedAt")?,
        })
    }

    /// Hash of what a deploy writes (name, nodes, connections, settings): equal hashes mean
    /// the target already has this definition.
    pub fn deploy_hash(&self) -> String {
        sha256(&canonical(&json!({
            "name": self.name, "nodes": self.nodes,
            "connections": self.connections, "settings": self.settings,
        })))
    }

    /// Hash of everything an export writes except timestamps: two exports of an unchanged
    /// workflow have the same one, so the second is skipped.
    pub fn export_hash(&self) -> String {
        sha256(&format!(
            "{}|{}|{}",
            self.id,
            self.active,
            self.deploy_hash()
        ))
    }

    /// The body of n8n's `POST`/`PUT /workflows`: name, nodes, connections, settings only
    /// (n8n refuses read-only fields such as `active`). Credential references go out as
    /// `{"id": null, "name"}`: n8n 2.x then binds the target's credential of that type and
    /// name when exactly one exists, and leaves the node unbound otherwise. (Without the
    /// explicit `null` it binds an arbitrary credential of the type, so it is never omitted.)
    pub fn n8n_body(&self) -> Value {
        let mut nodes = self.nodes.clone();
        for credential in credential_refs(&mut nodes) {
            credential.insert("id".into(), Value::Null);
        }
        json!({
            "name": self.name, "nodes": nodes,
            "connections": self.connections, "settings": self.settings,
        })
    }
}

fn or_empty_object(value: &Value) -> Value {
    match value {
        Value::Null => json!({}),
        other => other.clone(),
    }
}

/// The `{type: {id, name}}` objects of every node's `credentials`, legacy string references
/// (`{type: "name"}`) turned into objects first.
fn credential_refs(nodes: &mut Value) -> Vec<&mut Map<String, Value>> {
    let mut refs = Vec::new();
    for node in nodes.as_array_mut().into_iter().flatten() {
        let Some(credentials) = node.get_mut("credentials").and_then(Value::as_object_mut) else {
            continue;
        };
        for reference in credentials.values_mut() {
            if let Value::String(name) = reference {
                *reference = json!({ "name": name.clone() });
            }
            if let Some(object) = reference.as_object_mut() {
                refs.push(object);
            }
        }
    }
    refs
}

/// Keeps only the credential type (the key) and name of every node's credential reference.
/// Ids are instance-specific and, like anything else n8n might add there, never leave.
pub fn strip_credentials(nodes: &mut Value) {
    for credential in credential_refs(nodes) {
        credential.retain(|key, _| key == "name");
    }
}

/// JSON with object keys sorted at every level, so equal values hash equally whatever order
/// n8n (or serde_json's `preserve_order`) gives their keys.
pub fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for key in keys {
                    out.insert(key.clone(), sorted(&map[key]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file-name-safe version of a workflow name: ASCII letters and digits, single `_`
/// between words, at most 60 characters; `workflow` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.truncate(60);
    let trimmed = out.trim_end_matches('_');
    match trimmed.is_empty() {
        true => "workflow".into(),
        false => trimmed.into(),
    }
}

/// `--since`: `<n>` followed by `m` (minutes), `h`, `d` or `w`, e.g. `7d`, `36h`.
pub fn parse_since(text: &str) -> Result<chrono::Duration> {
    let bad = || {
        Error::Usage(format!(
            "--since {text:?}: expected a number and a unit, e.g. 30m, 12h, 7d, 2w"
        ))
    };
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(unit_at);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let duration = match unit {
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        "w" => chrono::Duration::try_weeks(n),
        _ => None,
    };
    duration
        .filter(|d| *d > chrono::Duration::zero())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n8n_workflow() -> Value {
        json!({
            "id": "OVO5xzEnnLFOmHt6", "name": "Order intake", "active": true,
            "createdAt": "2026-11-01T10:00:00.000Z", "updatedAt": "2026-11-02T10:00:00.000Z",
            "nodes": [
                {"name": "Call", "type": "n8n-nodes-base.httpRequest",
                 "credentials": {"httpHeaderAuth": {"id": "K3JgSWeFbMgOHqFr", "name": "Shop API"},
                                 "oAuth2Api": "Legacy name"}},
                {"name": "Done", "type": "n8n-nodes-base.noOp"}
            ],
            "connections": {"Call": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}},
            "settings": {"executionOrder": "v1"}
        })
    }

    #[test]
    fn credentials_keep_type_and_name_only() {
        let definition = Definition::from_n8n(&n8n_workflow()).unwrap();
        assert_eq!(
            definition.nodes[0]["credentials"],
            json!({"httpHeaderAuth": {"name": "Shop API"}, "oAuth2Api": {"name": "Legacy name"}})
        );
        assert!(!definition.nodes.to_string().contains("K3JgSWeFbMgOHqFr"));
        // Deploying asks n8n to bind by name: the id is sent, explicitly null.
        let body = definition.n8n_body();
        assert_eq!(
            body["nodes"][0]["credentials"]["httpHeaderAuth"],
            json!({"id": null, "name": "Shop API"})
        );
        assert_eq!(
            body.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["connections", "name", "nodes", "settings"]
        );
    }

    #[test]
    fn hashes_ignore_key_order_and_timestamps_but_not_content() {
        let a = Definition::from_n8n(&n8n_workflow()).unwrap();
        let mut later = n8n_workflow();
        later["updatedAt"] = json!("2026-11-03T10:00:00.000Z");
        // Same content, keys in another order: same hashes.
        later["settings"] = serde_json::from_str(r#"{"executionOrder":"v1"}"#).unwrap();
        let b = Definition::from_n8n(&later).unwrap();
        assert_eq!(a.export_hash(), b.export_hash());
        assert_eq!(
            canonical(&json!({"b": 1, "a": {"d": 2, "c": 3}})),
            r#"{"a":{"c":3,"d":2},"b":1}"#
        );
        let mut changed = n8n_workflow();
        changed["nodes"][1]["name"] = json!("Finished");
        let c = Definition::from_n8n(&changed).unwrap();
        assert_ne!(a.deploy_hash(), c.deploy_hash());
        let mut deactivated = n8n_workflow();
        deactivated["active"] = json!(false);
        let d = Definition::from_n8n(&deactivated).unwrap();
        assert_eq!(
            a.deploy_hash(),
            d.deploy_hash(),
            "deploys never touch activation"
        );
        assert_ne!(a.export_hash(), d.export_hash(), "exports record it");
    }

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("Order intake (v2) — EU"), "order_intake_v2_eu");
        assert_eq!(slug("  ../../etc/passwd"), "etc_passwd");
        assert_eq!(slug("Ünïcode only ✓"), "n_code_only");
        assert_eq!(slug("✓✓"), "workflow");
        assert_eq!(slug(&"x".repeat(200)).len(), 60);
    }

    #[test]
    fn since_windows() {
        assert_eq!(parse_since("7d").unwrap(), chrono::Duration::days(7));
        assert_eq!(parse_since("36h").unwrap(), chrono::Duration::hours(36));
        assert_eq!(parse_since("30m").unwrap(), chrono::Duration::minutes(30));
        assert_eq!(parse_since("2w").unwrap(), chrono::Duration::weeks(2));
        for bad in [
            "",
            "7",
            "d",
            "7y",
            "-1d",
            "0d",
            "1.5d",
            "99999999999999999999d",
        ] {
            assert!(parse_since(bad).is_err(), "{bad:?} is refused");
        }
    }
}
