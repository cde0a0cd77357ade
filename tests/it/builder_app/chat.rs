//! The chat through the app: a message is answered and both messages and the composer's state
//! are stored (as the user, under RLS); follow-ups change the same plan; empty and over-long
//! messages are refused naming the limit; another user's chat stays out of reach.

use super::{send, signed_up, JOURNEY};
use crate::security::app_site::site;
use serde_json::Value;
use uuid::Uuid;

async fn messages(
    site: &crate::security::app_site::AppSite,
    chat: Uuid,
) -> Vec<(String, String, bool)> {
    site.stack
        .db
        .query(
            "select role, content, plan is not null from public.chat_messages
             where conversation_id = $1 order by created_at, role desc",
            &[&chat],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

async fn state(site: &crate::security::app_site::AppSite, chat: Uuid) -> Value {
    site.stack
        .db
        .query_one(
            "select state from public.conversations where id = $1",
            &[&chat],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_message_round_trip_stores_both_messages_and_the_state() {
    let s = site().await;
    let cookie = signed_up(&s, "chat@example.com").await;
    let (status, body) = send(&s, &cookie, "", JOURNEY).await;
    assert_eq!(status, 200, "{body}");
    let chat: Uuid = body["conversation_id"].as_str().unwrap().parse().unwrap();

    let stored = messages(&s, chat).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(
        (stored[0].0.as_str(), stored[0].1.as_str(), stored[0].2),
        ("user", JOURNEY, false)
    );
    assert_eq!(stored[1].0, "assistant");
    assert!(stored[1].2, "the reply carries the plan it showed");
    assert!(stored[1].1.contains("Slack #sales"), "{}", stored[1].1);
    let plan = &state(&s, chat).await["plan"];
    assert_eq!(plan["trigger"]["path"], "orders", "{plan}");

    let html = s
        .client
        .page(&format!("/chat?c={chat}"), Some(&cookie))
        .await;
    assert!(
        html.contains("data-testid=\"plan-graph\""),
        "the reply shows the plan's picture"
    );
    assert!(html.contains("Still needed: Slack credential"), "{html}");
    assert!(html.contains("data-testid=\"plan-json\""));

    let (status, body) = send(&s, &cookie, &chat.to_string(), "rename it to Order alerts").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["conversation_id"], chat.to_string(), "the same chat");
    assert_eq!(messages(&s, chat).await.len(), 4);
    assert_eq!(state(&s, chat).await["plan"]["title"], "Order alerts");
    let title: String = s
        .stack
        .db
        .query_one(
            "select title from public.conversations where id = $1",
            &[&chat],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(title, "Order alerts", "a chat is named after its plan");
}

#[tokio::test]
async fn an_empty_or_over_long_message_is_refused_naming_the_limit() {
    let s = site().await;
    let cookie = signed_up(&s, "limits@example.com").await;
    let (status, body) = send(&s, &cookie, "", "   ").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("Type a message"), "{body}");
    let (status, body) = send(&s, &cookie, "", &"x".repeat(2001)).await;
    assert_eq!(status, 400);
    let text = body.to_string();
    assert!(
        text.contains("2000 characters") && text.contains("2001"),
        "{text}"
    );
    let stored: i64 = s
        .stack
        .db
        .query_one(
            "select (select count(*) from public.conversations) + (select count(*) from public.chat_messages)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "nothing stored for a refused message");
    let html = s.client.page("/chat", Some(&cookie)).await;
    assert!(
        html.contains("maxlength=\"2000\""),
        "the box states the limit too"
    );
}

#[tokio::test]
async fn another_users_chat_can_neither_be_read_nor_written() {
    let s = site().await;
    let alice = signed_up(&s, "alice-chat@example.com").await;
    let (_, body) = send(&s, &alice, "", JOURNEY).await;
    let chat = body["conversation_id"].as_str().unwrap().to_string();
    let bob = signed_up(&s, "bob-chat@example.com").await;

    let html = s.client.page(&format!("/chat?c={chat}"), Some(&bob)).await;
    assert!(!html.contains("Slack #sales"), "Bob sees Alice's plan");
    assert!(
        html.contains("no longer exists"),
        "Bob is told there is no such chat"
    );
    let (status, _) = send(&s, &bob, &chat, "rename it to Mine").await;
    assert_eq!(status, 404);
    let chat: Uuid = chat.parse().unwrap();
    assert_eq!(
        messages(&s, chat).await.len(),
        2,
        "nothing added to Alice's chat"
    );
    assert_ne!(state(&s, chat).await["plan"]["title"], "Mine");
}
