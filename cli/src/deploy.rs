//! Deploying `n8n_workflows` rows to an n8n instance: update in place when the workflow is
//! there (same id, so its executions and activation stay), create it when not, never send a
//! credential id, never overwrite a target edited after the definition. What was deployed
//! where is kept in `n8n_workflow_deployments`, so a second run changes nothing.

use crate::config::Instance;
use crate::error::Result;
use crate::n8n::N8nClient;
use crate::workflow::Definition;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::Client;

/// What a deploy did with one workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    /// The target was edited after the definition was and after our last deploy: kept.
    SkippedTargetNewer,
    /// Several target workflows carry the row's name and none is known to be it: kept.
    SkippedAmbiguousName,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::SkippedTargetNewer => "skipped (target is newer)",
            Action::SkippedAmbiguousName => "skipped (several target workflows have this name)",
        }
    }
}

/// One workflow's result.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub workflow_id: String,
    pub name: String,
    /// The workflow's id on the target, when there is one.
    pub target_id: Option<String>,
    pub action: Action,
}

/// The target workflow as the decision needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetState {
    pub hash: String,
    pub updated_at: DateTime<Utc>,
}

/// What the last deploy of this row to this target recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub hash: String,
    /// The target's `updatedAt` right after that deploy: a different one means someone
    /// edited the target since.
    pub target_updated_at: Option<DateTime<Utc>>,
}

/// The rule, in order: no target → create; same content → unchanged; already deployed and
/// the target untouched since → unchanged; target edited since our deploy (or never deployed
/// by us) and newer than the definition → skipped; otherwise → update.
pub fn decide(
    row_hash: &str,
    row_updated_at: DateTime<Utc>,
    target: Option<&TargetState>,
    tracked: Option<&Tracked>,
) -> Action {
    let Some(target) = target else {
        return Action::Created;
    };
    if target.hash == row_hash {
        return Action::Unchanged;
    }
    let edited_since_deploy =
        tracked.is_none_or(|t| t.target_updated_at != Some(target.updated_at));
    if !edited_since_deploy && tracked.is_some_and(|t| t.hash == row_hash) {
        return Action::Unchanged;
    }
    if edited_since_deploy && target.updated_at > row_updated_at {
        return Action::SkippedTargetNewer;
    }
    Action::Updated
}

fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Deploys every `n8n_workflows` row of the database behind `db` to `target`.
pub async fn deploy(db: &Client, target: &Instance) -> Result<Vec<Deployed>> {
    let n8n = N8nClient::new(target)?;
    let rows = db
        .query(
            "select id, name, active, nodes, connections, settings, created_at, updated_at
             from public.n8n_workflows order by name, id",
            &[],
        )
        .await?;
    let mut remote: Vec<Value> = n8n
        .list_workflows()
        .await?
        .into_iter()
        .filter(|w| w["isArchived"] != Value::Bool(true))
        .collect();
    let mut results = Vec::new();
    for row in rows {
        let definition = Definition {
            id: row.get(0),
            name: row.get(1),
            active: row.get(2),
            nodes: row.get(3),
            connections: row.get(4),
            settings: row.get(5),
            created_at: row.get(6),
            updated_at: row.get(7),
        };
        let tracked = db
            .query_opt(
                "select target_workflow_id, deployed_hash, target_updated_at
                 from public.n8n_workflow_deployments where workflow_id = $1 and target_url = $2",
                &[&definition.id, &target.url.as_str()],
            )
            .await?
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    Tracked {
                        hash: r.get(1),
                        target_updated_at: r.get(2),
                    },
                )
            });
        // The target workflow: the one we deployed before, the same id (the row came from
        // this instance), or the only one with the same name.
        let by_id = |id: &str| remote.iter().position(|w| w["id"].as_str() == Some(id));
        let by_name: Vec<usize> = (0..remote.len())
            .filter(|&i| remote[i]["name"].as_str() == Some(definition.name.as_str()))
            .collect();
        let found = tracked
            .as_ref()
            .and_then(|(id, _)| by_id(id))
            .or_else(|| by_id(&definition.id))
            .or(match by_name.as_slice() {
                [only] => Some(*only),
                _ => None,
            });
        let hash = definition.deploy_hash();
        let mut result = Deployed {
            workflow_id: definition.id.clone(),
            name: definition.name.clone(),
            target_id: None,
            action: Action::Unchanged,
        };
        if found.is_none() && by_name.len() > 1 {
            result.action = Action::SkippedAmbiguousName;
            results.push(result);
            continue;
        }
        let state = match found {
            Some(i) => {
                let existing = Definition::from_n8n(&remote[i])?;
                result.target_id = Some(existing.id.clone());
                Some(TargetState {
                    hash: existing.deploy_hash(),
                    updated_at: existing.updated_at,
                })
            }
            None => None,
        };
        result.action = decide(
            &hash,
            definition.updated_at,
            state.as_ref(),
            tracked.as_ref().map(|(_, t)| t),
        );
        let written = match result.action {
            Action::Created => Some(n8n.create_workflow(&definition.n8n_body()).await?),
            Action::Updated => {
                let id = result.target_id.clone().unwrap_or_default();
                Some(n8n.update_workflow(&id, &definition.n8n_body()).await?)
            }
            _ => None,
        };
        if let Some(written) = &written {
            result.target_id = written["id"].as_str().map(str::to_owned);
            match found {
                Some(i) => remote[i] = written.clone(),
                None => remote.push(written.clone()),
            }
        }
        if result.action != Action::SkippedTargetNewer {
            let target_updated_at = written
                .as_ref()
                .or(found.map(|i| &remote[i]))
                .and_then(|w| parse_time(&w["updatedAt"]));
            db.execute(
                "insert into public.n8n_workflow_deployments
                   (workflow_id, target_url, target_workflow_id, deployed_hash, target_updated_at)
                 values ($1, $2, $3, $4, $5)
                 on conflict (workflow_id, target_url) do update set
                   target_workflow_id = excluded.target_workflow_id,
                   deployed_hash = excluded.deployed_hash,
                   target_updated_at = excluded.target_updated_at,
                   deployed_at = now()
                 where (n8n_workflow_deployments.target_workflow_id,
                        n8n_workflow_deployments.deployed_hash,
                        n8n_workflow_deployments.target_updated_at)
                   is distinct from (excluded.target_workflow_id, excluded.deployed_hash,
                                     excluded.target_updated_at)",
                &[
                    &definition.id,
                    &target.url.as_str(),
                    &result.target_id.clone().unwrap_or_default(),
                    &hash,
                    &target_updated_at,
                ],
            )
            .await?;
        }
        results.push(result);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_deploy_rule() {
        let target = |hash: &str, hour| TargetState {
            hash: hash.into(),
            updated_at: at(hour),
        };
        let tracked = |hash: &str, hour| Tracked {
            hash: hash.into(),
            target_updated_at: Some(at(hour)),
        };
        assert_eq!(decide("a", at(10), None, None), Action::Created);
        assert_eq!(
            decide("a", at(10), Some(&target("a", 12)), None),
            Action::Unchanged
        );
        // Never deployed by us, target older: ours wins; target newer: kept.
        assert_eq!(
            decide("a", at(10), Some(&target("b", 9)), None),
            Action::Updated
        );
        assert_eq!(
            decide("a", at(10), Some(&target("b", 11)), None),
            Action::SkippedTargetNewer
        );
        // Deployed at 12 (n8n stored it slightly differently): untouched since → unchanged.
        assert_eq!(
            decide("a", at(10), Some(&target("n", 12)), Some(&tracked("a", 12))),
            Action::Unchanged
        );
        // A newer definition (11) replaces our own earlier deploy even though the target's
        // updatedAt (12, the deploy time) is later.
        assert_eq!(
            decide("c", at(11), Some(&target("a", 12)), Some(&tracked("a", 12))),
            Action::Updated
        );
        // Someone edited the target at 13, after our deploy: kept, whatever the row says.
        assert_eq!(
            decide("a", at(10), Some(&target("x", 13)), Some(&tracked("a", 12))),
            Action::SkippedTargetNewer
        );
        assert_eq!(
            decide("c", at(11), Some(&target("x", 13)), Some(&tracked("a", 12))),
            Action::SkippedTargetNewer
        );
        // ... unless the definition is newer still.
        assert_eq!(
            decide("c", at(14), Some(&target("x", 13)), Some(&tracked("a", 12))),
            Action::Updated
        );
    }
}
