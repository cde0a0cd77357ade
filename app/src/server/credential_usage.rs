//! Where credentials are used: the references in deployed workflows (for the warning before a
//! delete) and the types that plans and workflows need but the user has none of.

use crate::model::builder::NeededType;
use flowpulse_core::builder::catalogue::{credential, CredentialSetup};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Chats or workflows named per type at most this often; the rest is "and N more".
const NAMED_PER_TYPE: usize = 3;

/// The `(type, name)` of every credential the nodes of a stored workflow definition
/// reference (`{"nodes": [{"credentials": {"slackApi": {"name": "Team Slack"}}}]}`).
pub fn references(definition: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let nodes = definition.get("nodes").and_then(Value::as_array);
    for credentials in nodes
        .into_iter()
        .flatten()
        .filter_map(|node| node.get("credentials"))
        .filter_map(Value::as_object)
    {
        for (credential_type, reference) in credentials {
            if let Some(name) = reference.get("name").and_then(Value::as_str) {
                let pair = (credential_type.clone(), name.to_string());
                if !found.contains(&pair) {
                    found.push(pair);
                }
            }
        }
    }
    found
}

/// The type as people call it: the catalogue's name, else n8n's type name.
pub fn type_label(credential_type: &str) -> String {
    credential(credential_type)
        .map_or(credential_type, |spec| spec.display_name)
        .to_string()
}

/// The types in `needs` (type, who needs it) that are not in `have`, each with who needs it.
pub fn still_needed(
    have: &BTreeSet<String>,
    needs: impl IntoIterator<Item = (String, String)>,
) -> Vec<NeededType> {
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (credential_type, who) in needs {
        if have.contains(&credential_type) {
            continue;
        }
        let names = by_type.entry(credential_type).or_default();
        if !names.contains(&who) {
            names.push(who);
        }
    }
    by_type
        .into_iter()
        .map(|(credential_type, mut needed_by)| {
            if needed_by.len() > NAMED_PER_TYPE {
                let more = needed_by.len() - NAMED_PER_TYPE;
                needed_by.truncate(NAMED_PER_TYPE);
                needed_by.push(format!("{more} more"));
            }
            NeededType {
                label: type_label(&credential_type),
                can_add: credential(&credential_type)
                    .is_some_and(|spec| matches!(spec.setup, CredentialSetup::Fields(_))),
                credential_type,
                needed_by,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_read_from_every_node_once() {
        let definition = json!({"nodes": [
            {"name": "Webhook"},
            {"name": "Slack", "credentials": {"slackApi": {"name": "Team Slack"}}},
            {"name": "Slack1", "credentials": {"slackApi": {"id": "7", "name": "Team Slack"}}},
            {"name": "Mail", "credentials": {"smtp": {"name": "Mailer"}}}
        ]});
        assert_eq!(
            references(&definition),
            [
                ("slackApi".to_string(), "Team Slack".to_string()),
                ("smtp".to_string(), "Mailer".to_string())
            ]
        );
        assert!(references(&json!({"nodes": "odd"})).is_empty());
    }

    #[test]
    fn only_types_the_user_lacks_are_still_needed_with_who_needs_them() {
        let have = BTreeSet::from(["smtp".to_string()]);
        let needs = [
            ("slackApi", "Orders chat"),
            ("smtp", "Digest"),
            ("slackApi", "Orders chat"),
            ("googleSheetsOAuth2Api", "Synced sheet"),
            ("slackOAuth2Api", "Alerts"),
        ]
        .map(|(t, who)| (t.to_string(), who.to_string()));
        let needed = still_needed(&have, needs);
        let summary: Vec<(&str, &str, bool, usize)> = needed
            .iter()
            .map(|n| {
                (
                    n.credential_type.as_str(),
                    n.label.as_str(),
                    n.can_add,
                    n.needed_by.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("googleSheetsOAuth2Api", "googleSheetsOAuth2Api", false, 1),
                ("slackApi", "Slack API", true, 1),
                ("slackOAuth2Api", "Slack OAuth2 API", false, 1),
            ]
        );
    }

    #[test]
    fn a_long_list_of_needers_is_cut_short() {
        let needs = (0..5).map(|n| ("slackApi".to_string(), format!("Chat {n}")));
        let needed = still_needed(&BTreeSet::new(), needs);
        assert_eq!(
            needed[0].needed_by,
            ["Chat 0", "Chat 1", "Chat 2", "2 more"]
        );
    }
}
