//! Render once per user and change: the tabs of one user refreshing for the same change get
//! one server render between them; another user, a change the hub never announced, or a
//! refresh without a change number each get their own.

use crate::operations::{metrics, sample};
use crate::security::app_site::site;
use futures::future::join_all;
use std::time::Duration;

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
