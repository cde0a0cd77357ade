//! Cross-site request forgery against the app's server functions: a page of another site
//! posting a form to the app (login CSRF, or changes in a signed-in victim's name) is refused
//! before any handler runs, and nothing changes.

use super::app_site::{site, PASSWORD};
use crate::helpers::app_client::{session_set_cookies, Site};
use crate::helpers::fake_n8n::FakeN8n;

const REFUSAL: &str = "Cross-site request refused";

#[tokio::test]
async fn a_cross_site_sign_in_is_refused_and_sets_no_cookie() {
    let s = site().await;
    // The attacker's own account, which a forged sign-in would plant in the victim's browser.
    s.client.sign_up("attacker@example.com", PASSWORD).await;
    let url = s.client.server_fn_url("/sign-in", None, "sign_in").await;
    let fields = [
        ("email", "attacker@example.com"),
        ("password", PASSWORD),
        ("next", "/"),
    ];
    for site in [Site::Foreign, Site::ForeignOriginOnly] {
        let reply = s.client.post_form(&url, &fields, None, site).await;
        assert_eq!(reply.status(), 403, "{site:?}");
        assert!(session_set_cookies(&reply).is_empty(), "{site:?}");
        let body = reply.text().await.unwrap();
        assert!(body.contains(REFUSAL), "{site:?}: {body}");
    }
    // The same credentials from the app's own page, or from a script, do sign in.
    for site in [Site::Same, Site::Script] {
        let reply = s.client.post_form(&url, &fields, None, site).await;
        assert_eq!(reply.status(), 200, "{site:?}");
        assert_eq!(session_set_cookies(&reply).len(), 1, "{site:?}");
    }
}

#[tokio::test]
async fn a_cross_site_instance_change_with_a_valid_session_changes_nothing() {
    let s = site().await;
    let fake = FakeN8n::start().await;
    let cookie = s.client.sign_up("victim@example.com", PASSWORD).await;
    let victim = s.user("victim@example.com").await;
    let id = s
        .stack
        .add_provider(&victim, "Team n8n", &fake.url, &fake.api_key)
        .await;
    let url = s
        .client
        .server_fn_url("/providers", Some(&cookie), "save_provider")
        .await;
    let id = id.to_string();
    let rename = [
        ("id", id.as_str()),
        ("name", "Renamed"),
        ("base_url", fake.url.as_str()),
        ("api_key", ""),
    ];
    let add = [
        ("id", ""),
        ("name", "Attacker's n8n"),
        ("base_url", "https://n8n.evil.example"),
        ("api_key", "n8n_api_attacker"),
    ];
    let names = || async {
        s.stack
            .db
            .query("select name from public.providers order by name", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect::<Vec<_>>()
    };

    for site in [Site::Foreign, Site::ForeignOriginOnly] {
        for fields in [&rename, &add] {
            let reply = s.client.post_form(&url, fields, Some(&cookie), site).await;
            assert_eq!(reply.status(), 403, "{site:?}");
            assert!(reply.text().await.unwrap().contains(REFUSAL));
        }
    }
    assert_eq!(names().await, ["Team n8n"], "nothing changed");

    // The same change from the app's own page goes through.
    let reply = s
        .client
        .post_form(&url, &rename, Some(&cookie), Site::Same)
        .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    assert_eq!(names().await, ["Renamed"]);
}

#[tokio::test]
async fn a_cross_site_sign_out_leaves_the_session_alone() {
    let s = site().await;
    let cookie = s.client.sign_up("busy@example.com", PASSWORD).await;
    let url = s
        .client
        .server_fn_url("/", Some(&cookie), "sign_out_everywhere")
        .await;
    let reply = s
        .client
        .post_form(&url, &[], Some(&cookie), Site::Foreign)
        .await;
    assert_eq!(reply.status(), 403);
    assert_eq!(s.live_session_rows("busy@example.com").await, 1);
    let dashboard = s.client.get("/", Some(&cookie)).send().await.unwrap();
    assert_eq!(dashboard.status(), 200, "still signed in");
}
