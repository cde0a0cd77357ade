//! Resource exhaustion against the app server: huge request bodies, a flood of live
//! connections from one account, scripted sign-ups. Each is refused early, and others are not
//! affected.

use super::app_site::{site, site_with, PASSWORD};
use crate::helpers::app_client::{session_set_cookies, Site};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn a_one_mebibyte_post_is_refused_before_its_body_is_read() {
    let s = site().await;
    let url = s.client.server_fn_url("/sign-in", None, "sign_in").await;
    let path = url.strip_prefix(&s.client.url).unwrap();

    // Announce 1 MiB and send none of it: the answer must not wait for the body.
    let address = s.client.url.strip_prefix("http://").unwrap();
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {MIB}\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("the server waited for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Sent in full, it is refused just as quickly.
    let started = Instant::now();
    let body = format!("email=a%40b.c&next=%2F&password={}", "x".repeat(MIB));
    // Its own client: the server closes this connection, which must not be reused below.
    let reply = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 413);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Without a length up front (chunked), it is refused once the limit is passed.
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("password={}", "x".repeat(MIB));
    // The server may answer and close before taking all of it.
    let _ = socket
        .write_all(format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len()).as_bytes())
        .await;
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("no answer to a chunked oversized body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A form under the limit is served as usual.
    let long_password = "x".repeat(60 * 1024);
    let fields = [
        ("email", "nobody@example.com"),
        ("password", long_password.as_str()),
        ("next", "/"),
    ];
    let reply = s.client.post_form(&url, &fields, None, Site::Same).await;
    assert_eq!(reply.status(), 401, "a wrong password, not a refusal");
}

#[tokio::test]
async fn one_account_gets_no_more_live_streams_than_allowed_while_another_still_does() {
    let s = site_with(&[("FLOWPULSE_EVENTS_PER_USER", "2".to_string())]).await;
    let ada = s.client.sign_up("ada@example.com", PASSWORD).await;
    let bob = s.client.sign_up("bob@example.com", PASSWORD).await;
    let open = |cookie: &str| s.client.get("/events", Some(cookie)).send();

    let first = open(&ada).await.unwrap();
    let second = open(&ada).await.unwrap();
    assert_eq!(
        [first.status().as_u16(), second.status().as_u16()],
        [200, 200]
    );
    let third = open(&ada).await.unwrap();
    assert_eq!(third.status(), 429);
    let message = third.text().await.unwrap();
    assert!(message.contains("Too many live connections"), "{message}");
    let bobs = open(&bob).await.unwrap();
    assert_eq!(bobs.status(), 200, "another account is not affected");

    // Closing one of them makes room again.
    drop(first);
    let started = Instant::now();
    loop {
        let again = open(&ada).await.unwrap();
        if again.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a closed stream still counts"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);
}

#[tokio::test]
async fn repeated_sign_ups_from_one_client_are_refused_like_repeated_failed_sign_ins() {
    let s = site().await;
    let url = s.client.server_fn_url("/sign-up", None, "sign_up").await;
    let mut replies = Vec::new();
    for n in 0..6 {
        let email = format!("spam{n}@example.com");
        let fields = [
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ];
        replies.push(s.client.post_form(&url, &fields, None, Site::Script).await);
    }
    let statuses: Vec<u16> = replies.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    let refused = replies.pop().unwrap();
    assert!(session_set_cookies(&refused).is_empty());
    let error: serde_json::Value = refused.json().await.unwrap();
    let accounts: i64 = s
        .stack
        .db
        .query_one(
            "select count(*) from auth.users where email = 'spam5@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(accounts, 0, "the refused sign-up created nothing");

    // Sign-in's throttle answers in the same form. Its first delays (2 s, then doubling) run
    // from the last failure and a slow machine may spend them on hashing: try until refused.
    let sign_in = s.client.server_fn_url("/sign-in", None, "sign_in").await;
    let wrong = [
        ("email", "spam0@example.com"),
        ("password", "not the password"),
        ("next", "/"),
    ];
    let mut throttled = None;
    for _ in 0..8 {
        let reply = s
            .client
            .post_form(&sign_in, &wrong, None, Site::Script)
            .await;
        if reply.status() != 401 {
            throttled = Some(reply);
            break;
        }
    }
    let throttled = throttled.expect("repeated failed sign-ins are never slowed down");
    assert_eq!(throttled.status(), 429);
    let sign_in_error: serde_json::Value = throttled.json().await.unwrap();
    for error in [&error, &sign_in_error] {
        let wait = error["TooManyAttempts"].as_u64();
        assert!(wait.is_some_and(|seconds| seconds > 0), "{error}");
    }
}

/// Adds an instance for `user` through PostgREST with their token; the reply's status.
async fn insert_instance(
    s: &super::app_site::AppSite,
    user: &crate::helpers::TestUser,
    name: &str,
) -> (u16, Option<String>) {
    let rest = crate::helpers::postgrest::Rest::new(&s.stack.postgrest_url);
    let id = uuid::Uuid::new_v4();
    let reply = rest
        .insert(
            "providers",
            &crate::helpers::postgrest::Auth::Bearer(user.token.clone()),
            serde_json::json!({"id": id, "name": name, "base_url": "https://n8n.example.com",
                               "api_key_ciphertext": s.stack.encrypt_api_key(id, "https://n8n.example.com", "k")}),
        )
        .await;
    (reply.status.as_u16(), reply.code().map(str::to_string))
}

#[tokio::test]
async fn one_account_holds_at_most_the_instance_cap_however_it_adds_them() {
    let s = site().await;
    let cookie = crate::builder_app::signed_up(&s, "many@example.com").await;
    let user = s.user("many@example.com").await;
    for n in 0..24 {
        assert_eq!(insert_instance(&s, &user, &format!("n8n {n}")).await.0, 201);
    }
    // The 25th and 26th at once: one gets in, the other meets the cap (default 25).
    let (a, b) = tokio::join!(
        insert_instance(&s, &user, "n8n 24"),
        insert_instance(&s, &user, "n8n 25")
    );
    let mut outcomes = [a.0, b.0];
    outcomes.sort_unstable();
    assert_eq!(outcomes[0], 201, "{a:?} {b:?}");
    assert_ne!(outcomes[1], 201, "the cap held under a race: {a:?} {b:?}");
    assert!([a.1.as_deref(), b.1.as_deref()].contains(&Some("54000")));
    // Through the app: refused in words.
    let url = s
        .client
        .server_fn_url("/providers", Some(&cookie), "save_provider")
        .await;
    let reply = s
        .client
        .post_form(
            &url,
            &[
                ("id", ""),
                ("name", "One more"),
                ("base_url", "https://n8n.example.com"),
                ("api_key", "n8n_api_key_0123456789"),
            ],
            Some(&cookie),
            Site::Same,
        )
        .await;
    assert_eq!(reply.status(), 409);
    assert!(
        reply
            .text()
            .await
            .unwrap()
            .contains("as many instances as one account may have"),
        "the reason is given"
    );
    let count: i64 = s
        .stack
        .db
        .query_one(
            "select count(*) from public.providers where user_id = $1",
            &[&user.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 25);
    // Another account is not affected.
    crate::builder_app::signed_up(&s, "few@example.com").await;
    let other = s.user("few@example.com").await;
    assert_eq!(insert_instance(&s, &other, "mine").await.0, 201);
    // The operator's setting is what counts: with a cap of 26, one more fits.
    let id = uuid::Uuid::new_v4();
    let key = s.stack.encrypt_api_key(id, "https://n8n.example.com", "k");
    s.stack
        .db
        .batch_execute(&format!(
            "begin;
             set local flowpulse.max_instances_per_user = '26';
             insert into public.providers (id, user_id, name, base_url, api_key_ciphertext)
               values ('{id}', '{}', 'n8n 26', 'https://n8n.example.com', '{key}');
             commit;",
            user.id
        ))
        .await
        .expect("a higher cap lets one more in");
}
