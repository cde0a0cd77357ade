//! Sessions that end: a cookie copied before sign-out (or "sign out everywhere" in another
//! browser) is refused at once by pages, server functions and `/events`, an open live stream
//! closes, and no token is refreshed for an ended session or past a session's absolute end.

use super::app_site::{claims, cookie_with, now, site, site_with, AppSite, PASSWORD};
use crate::helpers::app_client::{session_cookie, session_set_cookies, Site};
use std::time::Duration;

fn cookie_name(cookie: &str) -> &str {
    cookie.split_once('=').unwrap().0
}

/// The same session's token as the app issued it 40 minutes ago: its refresh is due.
fn aged(cookie: &str) -> String {
    let mut aged = claims(cookie);
    aged["iat"] = (now() - 2400).into();
    aged["exp"] = (now() + 1200).into();
    cookie_with(cookie_name(cookie), &aged)
}

async fn assert_signed_out(s: &AppSite, cookie: &str, save_provider: &str) {
    let page = s.client.get("/", Some(cookie)).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/sign-in");
    assert_eq!(session_cookie(&page), None, "no fresh token");
    let other = s
        .client
        .get("/providers", Some(cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 303);
    let fields = [
        ("id", ""),
        ("name", "Sneaky"),
        ("base_url", "https://n8n.example.com"),
        ("api_key", "n8n_api_sneaky"),
    ];
    let call = s
        .client
        .post_form(save_provider, &fields, Some(cookie), Site::Same)
        .await;
    assert_eq!(call.status(), 401);
    let events = s.client.get("/events", Some(cookie)).send().await.unwrap();
    assert_eq!(events.status(), 401);
}

#[tokio::test]
async fn a_cookie_copied_before_sign_out_is_refused_and_never_refreshed() {
    let s = site().await;
    let cookie = s.client.sign_up("ada@example.com", PASSWORD).await;
    let copied = cookie.clone();
    let aged = aged(&cookie);
    let save_provider = s
        .client
        .server_fn_url("/providers", Some(&cookie), "save_provider")
        .await;
    let sign_out = s.client.server_fn_url("/", Some(&cookie), "sign_out").await;

    // While the session lives, a token whose refresh is due gets a fresh one.
    let reply = s.client.get("/", Some(&aged)).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let fresh = session_cookie(&reply).expect("a due token is refreshed");
    assert_eq!(claims(&fresh)["sid"], claims(&cookie)["sid"]);

    let reply = s
        .client
        .post_form(&sign_out, &[], Some(&cookie), Site::Same)
        .await;
    assert_eq!(reply.status(), 200);
    assert!(session_set_cookies(&reply)[0].contains("Max-Age=0"));
    assert_eq!(s.live_session_rows("ada@example.com").await, 0);

    for cookie in [&copied, &aged, &fresh] {
        assert_signed_out(&s, cookie, &save_provider).await;
    }
    // The browser is told to drop the dead cookie.
    let sign_in = s
        .client
        .get("/sign-in", Some(&copied))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 200);
    assert!(session_set_cookies(&sign_in)[0].contains("Max-Age=0"));
}

#[tokio::test]
async fn signing_out_everywhere_ends_a_second_browsers_session_and_its_live_stream() {
    let s = site().await;
    let laptop = s.client.sign_up("bea@example.com", PASSWORD).await;
    let phone = s.client.sign_in("bea@example.com", PASSWORD).await;
    let save_provider = s
        .client
        .server_fn_url("/providers", Some(&phone), "save_provider")
        .await;
    let mut stream = s.client.get("/events", Some(&phone)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(s.live_session_rows("bea@example.com").await, 2);

    let everywhere = s
        .client
        .server_fn_url("/", Some(&laptop), "sign_out_everywhere")
        .await;
    let reply = s
        .client
        .post_form(&everywhere, &[], Some(&laptop), Site::Same)
        .await;
    assert_eq!(reply.status(), 200);
    assert_eq!(s.live_session_rows("bea@example.com").await, 0);

    // The phone's open stream closes at once (the server ends it; no keep-alive is due yet).
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the revoked session's stream is still open");
    assert_signed_out(&s, &phone, &save_provider).await;
    assert_signed_out(&s, &laptop, &save_provider).await;
}

#[tokio::test]
async fn a_session_past_its_absolute_lifetime_is_refused_and_not_refreshed() {
    const MAX_AGE: i64 = 10;
    let s = site_with(&[("FLOWPULSE_SESSION_MAX_AGE_SECS", MAX_AGE.to_string())]).await;
    let cookie = s.client.sign_up("cy@example.com", PASSWORD).await;
    let save_provider = s
        .client
        .server_fn_url("/providers", Some(&cookie), "save_provider")
        .await;
    let issued = claims(&cookie);
    let ends = issued["iat"].as_i64().unwrap() + MAX_AGE;
    assert!(
        issued["exp"].as_i64().unwrap() <= ends,
        "the token ends with the session"
    );

    // A token of this session that claims a longer life and is due for a refresh.
    let mut longer = issued.clone();
    longer["exp"] = (now() + 1200).into();
    let longer = cookie_with(cookie_name(&cookie), &longer);
    assert!(
        now() < ends,
        "the machine was too slow to test within the session's life"
    );
    let reply = s.client.get("/", Some(&longer)).send().await.unwrap();
    assert_eq!(reply.status(), 200, "valid within the session's life");
    assert_eq!(
        session_cookie(&reply),
        None,
        "never refreshed past the session's end"
    );

    tokio::time::sleep(Duration::from_secs((ends - now() + 1).max(0) as u64)).await;
    assert_signed_out(&s, &longer, &save_provider).await;
}
