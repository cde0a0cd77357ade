//! `cargo xtask bench sync-now`: 50 users press "Sync now" at once, each with one instance
//! (a fake n8n, 60 ms per request) holding 1,000 executions the database has not seen. Every
//! press goes the way a browser's does: the app's `POST /api/sync_now` with the user's session,
//! the edge function in Miniflare with the user's JWT, PostgREST under RLS (release builds).
//!
//! Goals: no errors (every press answers 200, every instance syncs in full), p95 < 2 s.

use flowpulse_tests::app_client::{AppClient, Site};
use flowpulse_tests::fake_n8n::FakeN8n;
use flowpulse_tests::spawn_stack;
use futures::future::join_all;
use std::time::{Duration, Instant};

const USERS: usize = 50;
const EXECUTIONS: usize = 1_000;
const LATENCY: Duration = Duration::from_millis(60);
const PASSWORD: &str = "bench password 1234";

#[tokio::main]
async fn main() {
    println!(
        "sync-now benchmark: {USERS} users at once, one instance each with {EXECUTIONS} new \
         executions, {} ms per n8n request",
        LATENCY.as_millis()
    );
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app(&worker).await;
    let client = AppClient::new(&app);
    let mut fakes = Vec::new();
    let mut cookies = Vec::new();
    for index in 0..USERS {
        let email = format!("user{index}@example.com");
        let user = stack.create_user_with_password(&email, PASSWORD).await;
        let fake = FakeN8n::start().await;
        let workflow = fake.add_workflow("Orders");
        for i in 0..EXECUTIONS {
            fake.add_execution(&workflow, if i % 10 == 0 { "error" } else { "success" });
        }
        fake.set_latency(LATENCY);
        stack
            .add_provider(&user, "n8n", &fake.url, &fake.api_key)
            .await;
        cookies.push(client.sign_in(&email, PASSWORD).await);
        fakes.push(fake);
    }

    let url = format!("{}/api/sync_now", client.url);
    let presses = cookies.iter().map(|cookie| {
        let (client, url) = (&client, &url);
        async move {
            let started = Instant::now();
            let reply = client.post_form(url, &[], Some(cookie), Site::Same).await;
            let status = reply.status();
            let body: serde_json::Value = reply.json().await.unwrap_or_default();
            (started.elapsed(), status, body)
        }
    });
    let started = Instant::now();
    let replies = join_all(presses).await;
    let wall = started.elapsed();

    let mut errors = Vec::new();
    let mut times: Vec<u128> = Vec::new();
    for (elapsed, status, body) in &replies {
        times.push(elapsed.as_millis());
        let result = &body["results"][0];
        let full = result["status"] == "success"
            && result["executions_synced"].as_u64() == Some(EXECUTIONS as u64);
        if !status.is_success() || !full {
            errors.push(format!("{status}: {body}"));
        }
    }
    times.sort_unstable();
    let percentile = |p: usize| times[((times.len() * p).div_ceil(100)).saturating_sub(1)];
    println!(
        "  {USERS} presses in {wall:.1?}: p50 {} ms, p95 {} ms, max {} ms; {} errors",
        percentile(50),
        percentile(95),
        percentile(100),
        errors.len()
    );
    for error in errors.iter().take(3) {
        println!("  error: {error}");
    }
    println!(
        "sync now, {USERS} users at once: p95 {} ms (goal < 2000 ms and no errors: {})",
        percentile(95),
        if percentile(95) < 2000 && errors.is_empty() {
            "met"
        } else {
            "MISSED"
        }
    );
    for fake in &fakes {
        fake.stop();
    }
}
