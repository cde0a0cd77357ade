//! Response headers and cookie flags: every reply of the app carries a Content-Security-Policy
//! (scripts only with this response's nonce, no framing) and the other protective headers, and
//! with `FLOWPULSE_COOKIE_SECURE` on the session cookie is a `__Host-` cookie.

use super::app_site::{site, site_with, PASSWORD};
use crate::helpers::app_client::{session_set_cookies, Site};
use crate::helpers::browser::{self, Browser};
use reqwest::Response;
use std::time::{Duration, Instant};

/// Asserts the protective headers on `reply`; returns the CSP's script nonce.
fn assert_protected(reply: &Response, what: &str) -> String {
    let header = |name: &str| {
        reply
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("connect-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{what}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(
        header("referrer-policy"),
        "strict-origin-when-cross-origin",
        "{what}"
    );
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src "))
        .unwrap_or_else(|| panic!("{what}: no script-src in {csp}"));
    script_src
        .split_whitespace()
        .find_map(|source| source.strip_prefix("'nonce-"))
        .and_then(|nonce| nonce.strip_suffix('\''))
        .unwrap_or_else(|| panic!("{what}: no nonce in {csp}"))
        .to_string()
}

#[tokio::test]
async fn every_kind_of_reply_carries_the_protective_headers() {
    let s = site().await;
    let cookie = s.client.sign_up("ada@example.com", PASSWORD).await;
    let sign_in = s.client.server_fn_url("/sign-in", None, "sign_in").await;

    let page = s.client.get("/", Some(&cookie)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_protected(&page, "a page");
    let redirect = s.client.get("/providers", None).send().await.unwrap();
    assert_eq!(redirect.status(), 303);
    assert_protected(&redirect, "a redirect");
    let file = s
        .client
        .get("/pkg/flowpulse.css", None)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_protected(&file, "a static file");
    let missing = s.client.get("/no-such-page", None).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_protected(&missing, "a 404 page");

    let wrong = [
        ("email", "ada@example.com"),
        ("password", "wrong"),
        ("next", "/"),
    ];
    let failed = s.client.post_form(&sign_in, &wrong, None, Site::Same).await;
    assert_eq!(failed.status(), 401);
    assert_protected(&failed, "a failed server function");
    let right = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("next", "/"),
    ];
    let ok = s.client.post_form(&sign_in, &right, None, Site::Same).await;
    assert_eq!(ok.status(), 200);
    assert_protected(&ok, "a server function");
    let forged = s
        .client
        .post_form(&sign_in, &right, None, Site::Foreign)
        .await;
    assert_eq!(forged.status(), 403);
    assert_protected(&forged, "a CSRF refusal");
    let events = s.client.get("/events", Some(&cookie)).send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert_protected(&events, "the live stream");
    // Last: the server closes a connection whose body it refused to read.
    let too_large = s
        .client
        .http
        .post(&sign_in)
        .body(vec![b'x'; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    assert_protected(&too_large, "a body-limit refusal");
}

#[tokio::test]
async fn a_pages_scripts_carry_the_nonce_its_policy_names_and_no_other() {
    let s = site().await;
    let cookie = s.client.sign_up("bea@example.com", PASSWORD).await;
    let mut nonces = Vec::new();
    for path in ["/sign-in", "/sign-in", "/"] {
        let signed_in = (path == "/").then_some(cookie.as_str());
        let reply = s.client.get(path, signed_in).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        let nonce = assert_protected(&reply, path);
        let html = reply.text().await.unwrap();
        let scripts: Vec<&str> = html
            .split("<script")
            .skip(1)
            .map(|rest| rest.split('>').next().unwrap())
            .collect();
        assert!(
            !scripts.is_empty(),
            "{path}: the page hydrates through a script"
        );
        for attributes in scripts {
            assert!(
                attributes.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: a script without this response's nonce: <script{attributes}>"
            );
        }
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce for every response");
}

#[tokio::test]
async fn with_secure_cookies_on_the_session_cookie_is_a_host_only_secure_cookie() {
    let s = site_with(&[("FLOWPULSE_COOKIE_SECURE", "true".to_string())]).await;
    let url = s.client.server_fn_url("/sign-up", None, "sign_up").await;
    let fields = [
        ("email", "cy@example.com"),
        ("password", PASSWORD),
        ("password_again", PASSWORD),
    ];
    let reply = s.client.post_form(&url, &fields, None, Site::Same).await;
    assert_eq!(reply.status(), 200);
    let set_cookie = session_set_cookies(&reply).pop().expect("a session cookie");
    assert!(
        set_cookie.starts_with("__Host-flowpulse_session="),
        "{set_cookie}"
    );
    let flags: Vec<&str> = set_cookie.split("; ").skip(1).collect();
    for flag in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(flags.contains(&flag), "{flag} missing: {set_cookie}");
    }
    assert!(
        !set_cookie.to_ascii_lowercase().contains("domain="),
        "{set_cookie}"
    );

    // The app reads it back under that name only.
    let pair = set_cookie.split(';').next().unwrap();
    let page = s.client.get("/", Some(pair)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let plain = pair.replacen("__Host-", "", 1);
    let page = s.client.get("/", Some(&plain)).send().await.unwrap();
    assert_eq!(
        page.status(),
        303,
        "a cookie without the prefix is not the session"
    );
}

#[tokio::test]
async fn on_the_local_plain_http_stack_the_cookie_is_not_secure() {
    let s = site().await;
    let url = s.client.server_fn_url("/sign-up", None, "sign_up").await;
    let fields = [
        ("email", "dan@example.com"),
        ("password", PASSWORD),
        ("password_again", PASSWORD),
    ];
    let reply = s.client.post_form(&url, &fields, None, Site::Same).await;
    let set_cookie = session_set_cookies(&reply).pop().expect("a session cookie");
    assert!(set_cookie.starts_with("flowpulse_session="), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
}

async fn wait_for_path(browser: &Browser, path: &str) {
    let started = Instant::now();
    loop {
        let url = browser.client.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still at {url}, expected {path}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn in_a_browser_the_islands_run_under_the_policy_and_an_injected_script_does_not() {
    let s = site().await;
    s.client.sign_up("eve@example.com", PASSWORD).await;
    let browser = browser::launch().await;
    browser
        .client
        .goto(&format!("{}/sign-in", s.client.url))
        .await
        .unwrap();
    browser.fill("sign-in-email", "eve@example.com").await;
    browser.fill("sign-in-password", PASSWORD).await;
    browser.click("sign-in-submit").await;
    wait_for_path(&browser, "/").await;
    // The live bridge is an island: connected means the nonce'd script, the wasm and the
    // `/events` stream were all allowed.
    let started = Instant::now();
    while browser
        .by_test_id("live-indicator")
        .await
        .attr("data-connected")
        .await
        .unwrap()
        .as_deref()
        != Some("true")
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the islands never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let injected = browser
        .client
        .execute(
            "const script = document.createElement('script');
             script.textContent = 'window.__injected = true;';
             document.body.appendChild(script);
             return window.__injected === true;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        injected,
        serde_json::json!(false),
        "an inline script without the nonce ran"
    );
    // Every violation since the page loaded: exactly the injected script, none of the page's.
    let violations = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const seen = [];
             const describe = (reports) => reports.forEach((r) =>
                 seen.push(r.body.effectiveDirective + ' ' + r.body.blockedURL));
             const observer = new ReportingObserver(describe,
                 { buffered: true, types: ['csp-violation'] });
             observer.observe();
             setTimeout(() => { describe(observer.takeRecords()); done(seen); }, 500);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(violations, serde_json::json!(["script-src-elem inline"]));

    browser.click("sign-out-everywhere").await;
    wait_for_path(&browser, "/sign-in").await;
    assert_eq!(s.live_session_rows("eve@example.com").await, 0);
    browser.client.close().await.unwrap();
}
