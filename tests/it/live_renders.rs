//! Render once per user and change: the tabs of one user refreshing for the same change get
//! one server render between them; another user, a change the hub never announced, or a
//! refresh without a change number each get their own. And render only what a change touched:
//! a refresh names its regions and rows (`X-Live-Regions`), never reaching another user's.

use crate::helpers::TestUser;
use crate::operations::{metrics, sample};
use crate::security::app_site::{site, AppSite};
use futures::future::join_all;
use std::time::Duration;
use uuid::Uuid;

const RENDERED: &str = "flowpulse_live_renders_total";
const SHARED: &str = "flowpulse_live_renders_shared_total";

/// The change number of the next event on an open `/events` stream.
async fn next_generation(stream: &mut reqwest::Response) -> u64 {
    let mut text = String::new();
    while !text.contains("\"generation\"") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text
        .lines()
        .find_map(|line| line.strip_prefix("data:"))
        .expect("an SSE data line");
    let event: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
    event["generation"].as_u64().expect("a change number")
}

#[tokio::test]
async fn one_users_tabs_share_one_render_per_change_and_nobody_else_gets_it() {
    let s = site().await;
    let owner_cookie = s
        .client
        .sign_up("tabs@example.com", "correct horse 42 battery")
        .await;
    let other_cookie = s
        .client
        .sign_up("other@example.com", "correct horse 42 battery")
        .await;
    let owner = s.user("tabs@example.com").await;
    let mut stream = s
        .client
        .get("/events", Some(&owner_cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    s.stack
        .add_provider(
            &owner,
            "Owner's n8n",
            "http://127.0.0.1:9",
            "n8n_api_key_0123456789",
        )
        .await;
    let generation = next_generation(&mut stream).await;

    let before = metrics(&s.client).await;
    let counted = |text: &str, name| sample(text, name).unwrap_or(0.0);
    let tab = |cookie: String, generation: Option<u64>| {
        let request = s.client.get("/", Some(&cookie));
        let request = match generation {
            Some(generation) => request.header("x-live-generation", generation.to_string()),
            None => request,
        };
        async move {
            let reply = request.send().await.unwrap();
            assert_eq!(reply.status(), 200);
            reply.text().await.unwrap()
        }
    };
    let pages = join_all((0..5).map(|_| tab(owner_cookie.clone(), Some(generation)))).await;
    assert!(pages[0].contains("Owner's n8n"), "the owner's page");
    assert!(
        pages.iter().all(|page| page == &pages[0]),
        "one render, five tabs"
    );
    let after = metrics(&s.client).await;
    assert_eq!(
        counted(&after, RENDERED) - counted(&before, RENDERED),
        1.0,
        "{after}"
    );
    assert_eq!(
        counted(&after, SHARED) - counted(&before, SHARED),
        4.0,
        "{after}"
    );

    // Another user asking for the same page and change renders their own.
    let theirs = tab(other_cookie.clone(), Some(generation)).await;
    assert!(
        !theirs.contains("Owner's n8n"),
        "never another user's render"
    );
    // A change number the hub has not announced, and a refresh without one, are not shared.
    tab(owner_cookie.clone(), Some(generation + 1_000)).await;
    tab(owner_cookie.clone(), None).await;
    let last = metrics(&s.client).await;
    assert_eq!(
        counted(&last, RENDERED) - counted(&after, RENDERED),
        1.0,
        "{last}"
    );
    assert_eq!(counted(&last, SHARED), counted(&after, SHARED), "{last}");
}

/// Adds workflows named `names` on a new instance of `user`; their ids, in order.
async fn seed_workflows(s: &AppSite, user: &TestUser, names: &[&str]) -> Vec<Uuid> {
    let provider = s
        .stack
        .add_provider(user, "Rows n8n", "http://127.0.0.1:9", "n8n_api_key_rows")
        .await;
    let mut ids = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let row = s
            .stack
            .db
            .query_one(
                "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name,
                   active, execution_count)
                 values ($1, $2, $3, $4, true, 3) returning id",
                &[&user.id, &provider, &format!("wf{index}"), name],
            )
            .await
            .unwrap();
        ids.push(row.get(0));
    }
    ids
}

/// The dashboard as a live refresh asking for `regions` (`X-Live-Regions`) sees it.
async fn refreshed(s: &AppSite, cookie: &str, regions: &str) -> (String, String) {
    let reply = s
        .client
        .get("/", Some(cookie))
        .header("x-live-regions", regions)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let cache = reply
        .headers()
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (reply.text().await.unwrap(), cache)
}

fn row_of(id: Uuid) -> String {
    format!("data-workflow-id=\"{id}\"")
}

#[tokio::test]
async fn a_refresh_for_updated_rows_renders_only_those_rows_and_never_another_users() {
    let s = site().await;
    let cookie = s
        .client
        .sign_up("rows@example.com", "correct horse 42 battery")
        .await;
    let other_cookie = s
        .client
        .sign_up("strange@example.com", "correct horse 42 battery")
        .await;
    let owner = s.user("rows@example.com").await;
    let other = s.user("strange@example.com").await;
    let mine = seed_workflows(&s, &owner, &["Alpha", "Bravo", "Charlie"]).await;
    let theirs = seed_workflows(&s, &other, &["Secret"]).await;

    // One updated row: only it is rendered, beside every key in order; the summary is skipped.
    let (page, cache) = refreshed(&s, &cookie, &format!("dashboard-workflows={}", mine[1])).await;
    assert!(page.contains(&row_of(mine[1])), "the asked-for row");
    assert!(!page.contains(&row_of(mine[0])) && !page.contains(&row_of(mine[2])));
    assert!(page.contains("data-live-partial"));
    let keys = mine
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        page.contains(&format!("data-live-keys=\"{keys}\"")),
        "{page}"
    );
    assert!(
        page.contains("id=\"dashboard-summary\"") && page.contains("data-live-skipped"),
        "the untouched region is a stand-in"
    );
    assert!(!page.contains("total-workflows"), "and renders nothing");
    assert_eq!(cache, "no-store", "never stored as the page");

    // Another user's workflow id asked for by the owner, or by its owner's neighbour: nothing.
    let (page, _) = refreshed(&s, &cookie, &format!("dashboard-workflows={}", theirs[0])).await;
    assert!(!page.contains(&row_of(theirs[0])) && !page.contains("Secret"));
    assert!(
        !page.contains(&row_of(mine[0])),
        "and none of the owner's rows either"
    );
    let (page, _) = refreshed(
        &s,
        &other_cookie,
        &format!("dashboard-workflows={} dashboard-summary", mine[0]),
    )
    .await;
    assert!(!page.contains(&row_of(mine[0])) && !page.contains("Alpha"));
    assert!(page.contains("total-workflows"), "their own summary");

    // A header that does not parse asks for nothing less than the whole page.
    let (page, _) = refreshed(&s, &cookie, "dashboard-workflows=<script>").await;
    assert!(mine.iter().all(|id| page.contains(&row_of(*id))));
    assert!(!page.contains("data-live-skipped") && !page.contains("data-live-partial"));
}
