//! `cargo xtask bench app`: the app's goals, measured in one run (release build of the app).
//!
//! - Realtime: a committed change to a workflow row → the other tab's DOM, p50/p99 over 100
//!   changes. The browser stamps the moment the cell shows the new value (a MutationObserver,
//!   `Date.now()`), the benchmark stamps the commit; both clocks are this machine's. Then the
//!   same with 20 tabs (5 users × 4) and 10 changes a second.
//! - Dashboard server render with 1,000 workflows, then with 10,000 workflows and 1,000,000
//!   executions over the last 30 days (median/p95 of 30 requests on loopback; the default view,
//!   the last 24 hours, and the 30-day view).
//! - Hydrate wasm size, raw and gzipped (what a visitor downloads).
//!
//! `FLOWPULSE_BENCH_APP=crowd` measures only the 20-tab figure (a quicker look).

use flowpulse_tests::app_client::AppClient;
use flowpulse_tests::browser;
use flowpulse_tests::{spawn_stack, TestStack, TestUser};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CHANGES: usize = 100;
const WORKFLOWS: i64 = 1000;
/// The scale figure: workflows and executions (spread over 30 days and the workflows).
const MANY_WORKFLOWS: i64 = 10_000;
const MANY_EXECUTIONS: i64 = 1_000_000;
const RENDERS: usize = 30;
/// The crowd figure: users, open tabs per user, changes (one every `CROWD_EVERY`).
const CROWD_USERS: usize = 5;
const TABS_PER_USER: usize = 4;
const CROWD_CHANGES: usize = 200;
const CROWD_EVERY: Duration = Duration::from_millis(100);
const PASSWORD: &str = "bench password 1234";

#[tokio::main]
async fn main() {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app(&worker).await;
    let crowd_only = std::env::var("FLOWPULSE_BENCH_APP").is_ok_and(|only| only == "crowd");
    // A user with a password, so the browser signs in through the form like a person.
    let user = stack
        .create_user_with_password("bench@example.com", PASSWORD)
        .await;
    let provider = stack
        .add_provider(&user, "bench n8n", "http://127.0.0.1:9", "n8n_api_bench")
        .await;
    seed_workflows(&stack, &user, provider).await;

    if !crowd_only {
        let (p50, p99) = realtime(&stack, &app.url, &user).await;
        println!("realtime, commit → other tab's DOM over {CHANGES} changes: p50 {p50} ms, p99 {p99} ms (goal p99 < 250 ms: {})", verdict(p99 < 250));
    }
    let crowd = realtime_crowd(&stack, &app.url).await;
    println!(
        "realtime, {} tabs ({CROWD_USERS} users × {TABS_PER_USER}, {WORKFLOWS} workflows each), \
         {CROWD_CHANGES} changes at 10 a second: commit → every tab's DOM p50 {} ms, p99 {} ms, \
         {} never shown (goal p99 < 100 ms: {})",
        CROWD_USERS * TABS_PER_USER,
        crowd.0,
        crowd.1,
        crowd.2,
        verdict(crowd.1 < 100 && crowd.2 == 0)
    );
    if crowd_only {
        return;
    }

    // A real session (the app honours only tokens whose session row lives).
    let cookie = AppClient::new(&app).sign_in(&user.email, PASSWORD).await;
    let (median, p95) = dashboard_render(&app.url, &cookie, "/?range=30d").await;
    println!(
        "dashboard server render, {WORKFLOWS} workflows: median {median} ms, p95 {p95} ms over {RENDERS} requests (goal < 150 ms: {})",
        verdict(median < 150)
    );
    seed_scale(&stack, provider).await;
    for (view, path) in [("last 24 h", "/"), ("last 30 days", "/?range=30d")] {
        let (median, p95) = dashboard_render(&app.url, &cookie, path).await;
        println!(
            "dashboard server render, {MANY_WORKFLOWS} workflows and {MANY_EXECUTIONS} executions, {view}: median {median} ms, p95 {p95} ms (goal < 150 ms: {})",
            verdict(median < 150)
        );
    }

    let site = flowpulse_tests::built_artifact(flowpulse_stack::artifacts::ENV_SITE_ROOT);
    let wasm = std::fs::read(site.join("pkg/flowpulse_bg.wasm")).expect("hydrate wasm");
    let gzipped = gzip_len(&wasm);
    println!(
        "hydrate wasm: {} KB raw, {} KB gzipped (goal < 1024 KB and < 300 KB: {})",
        wasm.len() / 1024,
        gzipped / 1024,
        verdict(wasm.len() < 1024 * 1024 && gzipped < 300 * 1024)
    );
}

async fn seed_workflows(stack: &TestStack, user: &TestUser, provider: uuid::Uuid) {
    stack
        .db
        .execute(
            "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name, active,
               node_types, execution_count, successful_executions, failed_executions,
               last_execution_at, last_execution_status, last_sync_at)
             select $1, $2, 'wf' || i, 'Workflow ' || lpad(i::text, 4, '0'), i % 3 <> 0,
               array['n8n-nodes-base.webhook'], i * 3, i * 2, i, now() - (i || ' minutes')::interval,
               case when i % 4 = 0 then 'error' else 'success' end, now()
             from generate_series(1, $3::bigint) as i",
            &[&user.id, &provider, &WORKFLOWS],
        )
        .await
        .expect("seed workflows");
}

/// Up to `MANY_WORKFLOWS` workflows, and `MANY_EXECUTIONS` finished executions spread over the
/// last 30 days and every workflow.
async fn seed_scale(stack: &TestStack, provider: uuid::Uuid) {
    stack
        .db
        .execute(
            "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name, active,
               node_types, execution_count, successful_executions, failed_executions, last_sync_at)
             select p.user_id, p.id, 'wf' || i, 'Workflow ' || lpad(i::text, 5, '0'), true,
               array['n8n-nodes-base.webhook'], 100, 90, 10, now()
             from public.providers p, generate_series($2::bigint + 1, $3::bigint) as i
             where p.id = $1",
            &[&provider, &WORKFLOWS, &MANY_WORKFLOWS],
        )
        .await
        .expect("seed workflows");
    stack
        .db
        .execute(
            "insert into public.executions (user_id, provider_id, workflow_id, n8n_workflow_id,
               n8n_execution_id, status, mode, started_at, stopped_at, duration_ms)
             select w.user_id, w.provider_id, w.id, w.n8n_workflow_id, n,
               case when n % 10 = 0 then 'error' else 'success' end, 'trigger',
               now() - (n % 2592000) * interval '1 second',
               now() - (n % 2592000) * interval '1 second' + interval '250 milliseconds',
               50 + n % 500
             from generate_series(1, $2::bigint) as n
             join lateral (select * from public.mvp_workflows w
                           where w.provider_id = $1 and w.n8n_workflow_id = 'wf' || (1 + n % $3::bigint)) w
               on true",
            &[&provider, &MANY_EXECUTIONS, &MANY_WORKFLOWS],
        )
        .await
        .expect("seed executions");
    // What the instance's next sync does after ingesting: keep the finished hours' and days' figures.
    stack
        .db
        .execute("select public.roll_up_execution_periods($1)", &[&provider])
        .await
        .expect("keep the finished hours and days");
    stack
        .db
        .batch_execute(
            "analyze public.executions; analyze public.mvp_workflows; analyze public.execution_periods;",
        )
        .await
        .expect("analyze");
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn realtime(stack: &TestStack, app_url: &str, user: &TestUser) -> (u64, u64) {
    let tab = browser::launch().await;
    sign_in(&tab, app_url, &user.email).await;
    let workflow: uuid::Uuid = stack
        .db
        .query_one(
            "select id from public.mvp_workflows where name = 'Workflow 0001'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let mut delays = Vec::with_capacity(CHANGES);
    for change in 1..=CHANGES as i64 {
        // Below 1,000: the table prints thousands with separators.
        let value = 500 + change;
        // The observer stamps the first moment the cell shows `value`.
        tab.client
            .execute(
                "const want = String(arguments[0]); const id = arguments[1]; window.__seen = null;
                 const cell = () => document.querySelector(`[data-workflow-id='${id}'] [data-testid='workflow-executions']`);
                 const check = () => { const c = cell(); if (c && c.textContent.trim() === want && window.__seen === null) window.__seen = Date.now(); };
                 if (window.__observer) window.__observer.disconnect();
                 window.__observer = new MutationObserver(check);
                 window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});",
                vec![serde_json::json!(value), serde_json::json!(workflow)],
            )
            .await
            .unwrap();
        stack
            .db
            .execute(
                "update public.mvp_workflows set execution_count = $1 where id = $2",
                &[&value, &workflow],
            )
            .await
            .unwrap();
        let committed = epoch_ms();
        let started = Instant::now();
        let seen = loop {
            let seen = tab
                .client
                .execute("return window.__seen;", vec![])
                .await
                .unwrap();
            if let Some(at) = seen.as_u64() {
                break at;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "change {change} never reached the page"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        delays.push(seen.saturating_sub(committed));
    }
    delays.sort_unstable();
    (percentile(&delays, 50), percentile(&delays, 99))
}

/// Records in the tab every value the workflow's executions cell shows, with the moment
/// (`window.__shown`: `[value, Date.now()]`).
const WATCH_CELL: &str = "const id = arguments[0]; window.__shown = [];
  const cell = () => document.querySelector(`[data-workflow-id='${id}'] [data-testid='workflow-executions']`);
  let last = null;
  const check = () => { const c = cell(); const v = c && Number(c.textContent.trim());
    if (v && v !== last) { last = v; window.__shown.push([v, Date.now()]); } };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});";

/// Times, in the tab, the live bridge's page fetches (until the headers arrive) and their
/// parsing, and sums the main thread's long tasks (`window.__perf`).
const TIME_REFRESHES: &str = "const perf = window.__perf = {fetches: 0, fetchMs: 0, parses: 0, parseMs: 0, longMs: 0};
  const fetch = window.fetch.bind(window);
  window.fetch = async (...args) => { const t = performance.now(); const reply = await fetch(...args);
    perf.fetches += 1; perf.fetchMs += performance.now() - t; return reply; };
  const parse = DOMParser.prototype.parseFromString;
  DOMParser.prototype.parseFromString = function (...args) { const t = performance.now();
    const parsed = parse.apply(this, args); perf.parses += 1; perf.parseMs += performance.now() - t; return parsed; };
  new PerformanceObserver((list) => list.getEntries().forEach((e) => { perf.longMs += e.duration; }))
    .observe({type: 'longtask'});";

/// Twenty tabs (five users with four tabs each, every user 1,000 workflows) while their
/// workflows change ten times a second in turn: for every change and every tab of its user, the
/// delay from the commit to the tab first showing that value or a newer one (a tab may skip a
/// value a newer one overtook). Returns p50, p99 and how many (change, tab) pairs never showed.
async fn realtime_crowd(stack: &TestStack, app_url: &str) -> (u64, u64, usize) {
    let mut tabs = Vec::new();
    let mut workflows = Vec::new();
    for index in 0..CROWD_USERS {
        let email = format!("crowd{index}@example.com");
        let user = stack.create_user_with_password(&email, PASSWORD).await;
        let provider = stack
            .add_provider(&user, "crowd n8n", "http://127.0.0.1:9", "n8n_api_crowd")
            .await;
        seed_workflows(stack, &user, provider).await;
        let workflow: uuid::Uuid = stack
            .db
            .query_one(
                "select id from public.mvp_workflows where provider_id = $1 and name = 'Workflow 0001'",
                &[&provider],
            )
            .await
            .unwrap()
            .get(0);
        workflows.push(workflow);
        for _ in 0..TABS_PER_USER {
            let tab = browser::launch().await;
            sign_in(&tab, app_url, &email).await;
            tab.client
                .execute(WATCH_CELL, vec![serde_json::json!(workflow)])
                .await
                .unwrap();
            tab.client.execute(TIME_REFRESHES, vec![]).await.unwrap();
            tabs.push((index, tab));
        }
    }
    let mut commits = Vec::with_capacity(CROWD_CHANGES);
    let idle = cpu_by_command();
    tokio::time::sleep(Duration::from_secs(5)).await;
    print!("idle for 5 s, ");
    let cpu_before = cpu_by_command();
    print_cpu_used(&idle, &cpu_before);
    let mut tick = tokio::time::interval(CROWD_EVERY);
    for change in 0..CROWD_CHANGES {
        tick.tick().await;
        let user = change % CROWD_USERS;
        // Rising per user, and below 1,000 (the table prints thousands with separators).
        let value = 500 + change as i64;
        stack
            .db
            .execute(
                "update public.mvp_workflows set execution_count = $1 where id = $2",
                &[&value, &workflows[user]],
            )
            .await
            .unwrap();
        commits.push((user, value, epoch_ms()));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    print!("during the changes and 5 s after, ");
    print_cpu_used(&cpu_before, &cpu_by_command());
    let mut per_tab = serde_json::Map::new();
    for (_, tab) in &tabs {
        let perf = tab
            .client
            .execute("return window.__perf;", vec![])
            .await
            .unwrap();
        for (name, value) in perf.as_object().into_iter().flatten() {
            let sum = per_tab
                .entry(name.clone())
                .or_insert(serde_json::json!(0.0));
            *sum = serde_json::json!(sum.as_f64().unwrap_or(0.0) + value.as_f64().unwrap_or(0.0));
        }
    }
    println!(
        "in the tabs, all together: {}",
        serde_json::Value::Object(per_tab)
    );
    let size = tabs[0]
        .1
        .client
        .execute(
            "return [document.documentElement.outerHTML.length, document.getElementsByTagName('*').length,
                     ...[...document.querySelectorAll('[data-live-region]')].map((r) => [r.id, r.outerHTML.length, r.getElementsByTagName('*').length])];",
            vec![],
        )
        .await
        .unwrap();
    println!("a tab's page: [characters, elements, then each live region's]: {size}");
    let mut delays = Vec::new();
    let mut never = 0;
    for (user, tab) in &tabs {
        let shown: Vec<(i64, u64)> = serde_json::from_value(
            tab.client
                .execute("return window.__shown;", vec![])
                .await
                .unwrap(),
        )
        .expect("the tab's record");
        for (_, value, committed) in commits.iter().filter(|(u, _, _)| u == user) {
            match shown.iter().find(|(v, _)| v >= value) {
                Some((_, at)) => delays.push(at.saturating_sub(*committed)),
                None => never += 1,
            }
        }
    }
    delays.sort_unstable();
    (percentile(&delays, 50), percentile(&delays, 99), never)
}

/// CPU seconds each kind of process on the machine has used so far, by command name
/// (Chromium's renderers, the app, PostgREST, Postgres' backends, workerd, ...).
fn cpu_by_command() -> BTreeMap<String, f64> {
    let ticks = procfs::ticks_per_second() as f64;
    let mut used = BTreeMap::new();
    for process in procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(stat) = process.stat() {
            *used.entry(stat.comm).or_insert(0.0) += (stat.utime + stat.stime) as f64 / ticks;
        }
    }
    used
}

/// What each kind of process used between two readings, most first (processes that ended in
/// between are not counted).
fn print_cpu_used(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) {
    let mut used: Vec<(&String, f64)> = after
        .iter()
        .map(|(command, seconds)| (command, seconds - before.get(command).unwrap_or(&0.0)))
        .filter(|(_, seconds)| *seconds >= 0.05)
        .collect();
    used.sort_by(|a, b| b.1.total_cmp(&a.1));
    let listed: Vec<String> = used
        .iter()
        .take(8)
        .map(|(command, seconds)| format!("{command} {seconds:.1} s"))
        .collect();
    println!("CPU used: {}", listed.join(", "));
}

async fn sign_in(tab: &browser::Browser, app_url: &str, email: &str) {
    tab.client
        .goto(&format!("{app_url}/sign-in"))
        .await
        .unwrap();
    tab.fill("sign-in-email", email).await;
    tab.fill("sign-in-password", PASSWORD).await;
    tab.click("sign-in-submit").await;
    tab.by_test_id("workflow-row").await;
    wait_live(tab).await;
}

async fn wait_live(tab: &browser::Browser) {
    let started = Instant::now();
    while tab
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
            "the live connection never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn dashboard_render(app_url: &str, cookie: &str, path: &str) -> (u64, u64) {
    let http = reqwest::Client::new();
    let get = || {
        http.get(format!("{app_url}{path}"))
            .header("cookie", cookie)
            .send()
    };
    let warm = get().await.unwrap();
    assert_eq!(warm.status(), 200);
    let page = warm.text().await.unwrap();
    assert!(
        page.contains("Workflow 0001") && page.contains("workflow-page-info"),
        "the server renders the table's first page"
    );
    let mut times = Vec::with_capacity(RENDERS);
    for _ in 0..RENDERS {
        let started = Instant::now();
        let reply = get().await.unwrap();
        reply.bytes().await.unwrap();
        times.push(started.elapsed().as_millis() as u64);
    }
    times.sort_unstable();
    (percentile(&times, 50), percentile(&times, 95))
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    let index = ((sorted.len() * p).div_ceil(100))
        .saturating_sub(1)
        .min(sorted.len() - 1);
    sorted[index]
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}
