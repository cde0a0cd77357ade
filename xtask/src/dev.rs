//! `cargo xtask dev`: the whole local stack, in dependency order, until Ctrl-C.

use anyhow::Result;
use flowpulse_stack::app;
use flowpulse_stack::config::StackConfig;
use flowpulse_stack::pg::{Durability, PgCluster};
use flowpulse_stack::process::{self, Service};
use flowpulse_stack::tools::{Extras, Tools};
use flowpulse_stack::{database, postgrest, worker};
use std::time::{Duration, Instant};

/// The database the dev stack uses inside its cluster.
pub const DATABASE: &str = "flowpulse";

/// Builds everything, starts every service, prints where they are, waits for Ctrl-C (or a
/// service dying) and stops them all.
pub async fn run(cfg: &StackConfig, demo: bool) -> Result<()> {
    let started = Instant::now();
    for (port, what, setting) in [
        (cfg.pg_port, "PostgreSQL", "FLOWPULSE_PG_PORT"),
        (cfg.postgrest_port, "PostgREST", "FLOWPULSE_POSTGREST_PORT"),
        (
            cfg.worker_port,
            "the edge function (Miniflare)",
            "FLOWPULSE_WORKER_PORT",
        ),
        (cfg.cron_port, "the cron hook", "FLOWPULSE_CRON_PORT"),
        (cfg.app_port, "the app", "FLOWPULSE_APP_PORT"),
    ] {
        process::ensure_port_free(port, what, setting)?;
    }
    let tools = Tools::ensure(&cfg.repo, &cfg.cache_dir, Extras::default())?;
    let worker_build = worker::build(&cfg.repo, &tools)?;
    let app_build = app::build(&cfg.repo, &tools, app::Profile::Dev)?;

    let logs = cfg.data_dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let pg = PgCluster::start(
        &cfg.data_dir.join("pg"),
        cfg.pg_port,
        &cfg.db_password,
        Durability::Durable,
        &logs.join("postgres.log"),
    )
    .await?;
    let report = database::prepare_database(
        &pg,
        DATABASE,
        &cfg.repo,
        &cfg.repo.join("supabase/migrations"),
        &cfg.db_password,
    )
    .await?;
    for file in &report.applied {
        println!("migrated: {file}");
    }
    let client = pg.connect(DATABASE).await?;
    // `flowpulse migrate up --deploy-to <[deploy] dev>`: a teammate who pulled new workflow
    // migrations gets them in their n8n. Without that setting there is nothing to do.
    if let Some(warning) = flowpulse_cli::cli::dev_deploy(&cfg.repo, &client).await {
        println!("{warning}");
    }
    let demo_user = database::upsert_user(&client, &cfg.demo_email, &cfg.demo_password).await?;
    let demo_n8n = match demo {
        true => Some(flowpulse_stack::demo::start(cfg, &client, demo_user).await?),
        false => None,
    };

    let postgrest = postgrest::start(postgrest::PostgrestSettings {
        binary: &tools.postrust,
        pg_port: cfg.pg_port,
        database: DATABASE,
        authenticator_password: &cfg.db_password,
        jwt_secret: &cfg.jwt_secret,
        port: cfg.postgrest_port,
        log: &logs.join("postgrest.log"),
    })
    .await?;
    let app_url = format!("http://127.0.0.1:{}", cfg.app_port);
    let worker_config = worker::write_config(
        &cfg.data_dir.join("worker"),
        &worker::WorkerSettings {
            build_dir: &worker_build,
            port: cfg.worker_port,
            cron_port: cfg.cron_port,
            cron_token: cfg.service_role_key.clone(),
            bindings: worker_bindings(cfg, &app_url),
            node_modules: &tools.node_modules,
        },
    )?;
    let worker_host = worker::start(
        &tools,
        &worker_config,
        cfg.worker_port,
        cfg.cron_port,
        &logs.join("worker.log"),
    )
    .await?;
    let functions_url = format!("http://127.0.0.1:{}/functions/v1", cfg.worker_port);
    let app = app::start(
        &app_build,
        cfg.app_port,
        &app_env(cfg, &functions_url),
        &logs.join("app.log"),
    )
    .await?;
    let mut services: Vec<Service> = vec![app, worker_host, postgrest];
    let mut demo_line = String::new();
    if let Some(demo) = demo_n8n {
        let traffic = demo.traffic(
            format!("{functions_url}/workflow-sync"),
            cfg.service_role_key.clone(),
        );
        tokio::spawn(traffic.run());
        demo_line = format!(
            "\n  demo n8n         {} (owner {} / {}), instance \"{}\" in the demo account",
            demo.base_url,
            flowpulse_stack::n8n::OWNER_EMAIL,
            flowpulse_stack::n8n::OWNER_PASSWORD,
            flowpulse_stack::demo::PROVIDER_NAME
        );
        services.push(demo.service);
    }

    println!(
        "\nFlowPulse is up (started in {:.1?}):\n\
         \x20 app              {app_url}\n\
         \x20 demo login       {} / {}\n\
         \x20 edge function    {functions_url}/workflow-sync  (health: {functions_url}/workflow-sync/health)\n\
         \x20 cron hook        http://127.0.0.1:{}/__scheduled?cron=*/15+*+*+*+* (Authorization: Bearer <FLOWPULSE_SERVICE_ROLE_KEY>)\n\
         \x20 PostgREST        {}\n\
         \x20 PostgreSQL       postgres://postgres:<FLOWPULSE_DB_PASSWORD>@127.0.0.1:{}/{DATABASE}\n\
         \x20 logs             {}{demo_line}\n\
         Press Ctrl-C to stop.",
        started.elapsed(),
        cfg.demo_email,
        cfg.demo_password,
        cfg.cron_port,
        cfg.postgrest_url(),
        cfg.pg_port,
        logs.display(),
    );
    // `services` is in reverse start order: clients stop before the servers they use.
    let crons = flowpulse_stack::cron::schedules(&cfg.repo.join("edge-function/wrangler.toml"))?;
    let cron_hook = format!("http://127.0.0.1:{}/__scheduled", cfg.cron_port);
    let outcome = supervise(&mut services, &crons, &cron_hook, &cfg.service_role_key).await;
    println!("stopping ...");
    for service in &mut services {
        service.stop(Duration::from_secs(10));
    }
    drop(pg);
    println!("stopped.");
    outcome
}

/// The edge function's bindings (Cloudflare: `[vars]` and secrets).
pub fn worker_bindings(cfg: &StackConfig, app_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("POSTGREST_URL", cfg.postgrest_url()),
        ("POSTGREST_API_KEY", cfg.anon_key.clone()),
        ("JWT_SECRET", cfg.jwt_secret.clone()),
        ("SERVICE_ROLE_KEY", cfg.service_role_key.clone()),
        ("ENCRYPTION_KEY", cfg.encryption_key.clone()),
        ("ALLOWED_ORIGINS", app_url.to_string()),
        ("APP_URL", app_url.to_string()),
        ("OUTBOUND_ALLOW", cfg.outbound_allow.clone()),
        ("OUTBOUND_DENY_PORTS", cfg.own_ports()),
        // Alert e-mail goes through the app (a worker cannot speak SMTP); the app answers 404
        // there until FLOWPULSE_SMTP_URL and FLOWPULSE_MAIL_FROM are set.
        ("MAIL_RELAY_URL", format!("{app_url}/internal/alert-mail")),
        ("MAIL_RELAY_TOKEN", cfg.mail_relay_token.clone()),
    ]
}

/// The app server's environment.
pub fn app_env(cfg: &StackConfig, functions_url: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("FLOWPULSE_POSTGREST_URL", cfg.postgrest_url()),
        ("FLOWPULSE_ANON_KEY", cfg.anon_key.clone()),
        ("FLOWPULSE_JWT_SECRET", cfg.jwt_secret.clone()),
        ("FLOWPULSE_ENCRYPTION_KEY", cfg.encryption_key.clone()),
        ("FLOWPULSE_FUNCTIONS_URL", functions_url.to_string()),
        (
            "FLOWPULSE_DATABASE_URL",
            flowpulse_stack::pg::url(cfg.pg_port, DATABASE, "postgres", &cfg.db_password),
        ),
        // The local stack serves plain HTTP on 127.0.0.1, where a `Secure` cookie cannot be set.
        ("FLOWPULSE_COOKIE_SECURE", "false".to_string()),
        ("FLOWPULSE_OUTBOUND_ALLOW", cfg.outbound_allow.clone()),
        ("FLOWPULSE_OUTBOUND_DENY_PORTS", cfg.own_ports()),
        ("FLOWPULSE_MAIL_RELAY_TOKEN", cfg.mail_relay_token.clone()),
    ];
    if let Some((smtp_url, from)) = &cfg.mail {
        env.push(("FLOWPULSE_SMTP_URL", smtp_url.clone()));
        env.push(("FLOWPULSE_MAIL_FROM", from.clone()));
    }
    env
}

/// Watches the services and fires the wrangler.toml cron schedules through the cron hook,
/// until Ctrl-C/SIGTERM (Ok) or a service dies (Err).
async fn supervise(
    services: &mut [Service],
    crons: &[String],
    cron_hook: &str,
    cron_token: &str,
) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    // Signal streams made once: a signal arriving between two turns of the loop is kept.
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let http = reqwest::Client::new();
    loop {
        let next = flowpulse_stack::cron::next_firing(crons, chrono::Utc::now())?;
        let until_next = next
            .as_ref()
            .map(|(at, _)| (*at - chrono::Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = tokio::time::sleep(until_next), if next.is_some() => {
                let (_, expression) = next.expect("guarded");
                let reply = http
                    .get(cron_hook)
                    .query(&[("cron", &expression)])
                    .bearer_auth(cron_token)
                    .send()
                    .await;
                match reply {
                    Ok(r) => println!("cron {expression}: {}", r.text().await.unwrap_or_default()),
                    Err(e) => println!("cron {expression}: the hook did not answer: {e}"),
                }
            }
            _ = tick.tick() => {
                for service in services.iter_mut() {
                    service.ensure_running()?;
                }
            }
        }
    }
}
