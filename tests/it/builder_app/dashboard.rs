//! The dashboard and builder-made workflows: a badge on them, and the table filtered by node
//! type and credential type (the arrays' `cs.{…}` at PostgREST), with choices taken from the
//! user's own workflows.

use super::signed_up;
use crate::security::app_site::site;

/// The number an element `data-testid=<id>` shows.
fn stat(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("data-testid=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let text = html[at..].split_once('>').map_or("", |(_, rest)| rest);
    text.chars().take_while(char::is_ascii_digit).collect()
}

fn rows(html: &str) -> usize {
    html.matches("data-testid=\"workflow-row\"").count()
}

#[tokio::test]
async fn builder_workflows_carry_a_badge_and_the_table_filters_by_node_and_credential() {
    let s = site().await;
    let cookie = signed_up(&s, "dash@example.com").await;
    let user = s.user("dash@example.com").await;
    let provider = s
        .stack
        .add_provider(
            &user,
            "Team n8n",
            "http://127.0.0.1:9",
            "n8n_api_key_0123456789",
        )
        .await;
    for (n8n_id, name, origin, nodes, credentials) in [
        (
            "b1",
            "[USR-00000000] Webhook /orders → Slack #sales",
            "builder",
            vec!["n8n-nodes-base.webhook", "n8n-nodes-base.slack"],
            vec!["slackApi"],
        ),
        (
            "s1",
            "Nightly export",
            "sync",
            vec![
                "n8n-nodes-base.scheduleTrigger",
                "n8n-nodes-base.httpRequest",
            ],
            vec!["httpHeaderAuth"],
        ),
    ] {
        let nodes: Vec<String> = nodes.into_iter().map(str::to_string).collect();
        let credentials: Vec<String> = credentials.into_iter().map(str::to_string).collect();
        s.stack
            .db
            .execute(
                "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name,
                   origin, node_types, required_credential_types)
                 values ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &user.id,
                    &provider,
                    &n8n_id,
                    &name,
                    &origin,
                    &nodes,
                    &credentials,
                ],
            )
            .await
            .unwrap();
    }

    let all = s.client.page("/", Some(&cookie)).await;
    assert_eq!(rows(&all), 2);
    assert_eq!(
        all.matches("data-testid=\"workflow-built-in-chat\"")
            .count(),
        1
    );
    assert!(all.contains(">built in chat<"), "the badge says so");
    for choice in [
        "value=\"n8n-nodes-base.slack\"",
        "value=\"n8n-nodes-base.scheduleTrigger\"",
        "value=\"slackApi\"",
        "value=\"httpHeaderAuth\"",
    ] {
        assert!(all.contains(choice), "a filter offers {choice}");
    }

    let slack = s
        .client
        .page("/?node=n8n-nodes-base.slack", Some(&cookie))
        .await;
    assert_eq!(rows(&slack), 1);
    assert!(slack.contains("Slack #sales") && !slack.contains("Nightly export"));
    let header = s
        .client
        .page("/?credential=httpHeaderAuth", Some(&cookie))
        .await;
    assert_eq!(rows(&header), 1);
    assert!(header.contains("Nightly export"));
    let both = s
        .client
        .page(
            "/?node=n8n-nodes-base.slack&credential=httpHeaderAuth",
            Some(&cookie),
        )
        .await;
    assert_eq!(rows(&both), 0);
    assert!(both.contains("No workflow uses that node or credential"));
    // The totals stay those of every workflow: the filters narrow the table only.
    assert_eq!(
        stat(&both, "total-workflows"),
        "2",
        "totals unchanged by the filters"
    );
    let odd = s.client.page("/?node=a%2Cb%22%7D", Some(&cookie)).await;
    assert_eq!(
        rows(&odd),
        0,
        "an odd value is one element, not a broken filter"
    );
}
