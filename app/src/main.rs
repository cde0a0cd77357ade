//! The app server: SSR pages, server functions, the `/events` stream and static files.

// Leptos views are deeply nested types; the default limit is too low for whole pages.
#![recursion_limit = "256"]

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use flowpulse_app::app::{shell, App};
use flowpulse_app::server::config::AppConfig;
use flowpulse_app::server::state::ServerState;
use flowpulse_app::server::{
    events, live_renders, mail, metrics, middleware, ops, realtime, security, telemetry,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;

/// axum's state: Leptos' options for its handlers, ours for middleware and `/events`.
#[derive(Clone)]
struct AppState {
    leptos_options: LeptosOptions,
    server: ServerState,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for ServerState {
    fn from_ref(state: &AppState) -> Self {
        state.server.clone()
    }
}

/// Stack of each runtime thread. Server rendering walks deeply nested view types, and in
/// debug builds their frames overflow tokio's 2 MiB default on the larger pages.
const THREAD_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()?
        .block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
    telemetry::init_logging(telemetry::LogFormat::from_setting(
        std::env::var("FLOWPULSE_LOG_FORMAT").ok().as_deref(),
    )?);
    let config = AppConfig::from_env()?;
    tracing::info!(?config, "starting");
    let server = ServerState::new(config)?;
    tokio::spawn(realtime::listener::run(
        server.hub.clone(),
        server.config.database_url.clone(),
    ));

    let leptos_options = get_configuration(None)?.leptos_options;
    let addr = leptos_options.site_addr;
    let routes = generate_route_list(App);
    let context = {
        let server = server.clone();
        move || {
            provide_context(server.clone());
            security::headers::provide_request_nonce();
        }
    };
    let state = AppState {
        leptos_options: leptos_options.clone(),
        server: server.clone(),
    };
    let app = Router::new()
        .route("/events", get(events::events))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/internal/alert-mail", post(mail::relay))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context.clone(), shell))
        // Inside the session middleware: it needs the verified session.
        .layer(axum::middleware::from_fn_with_state(
            server.clone(),
            live_renders::share_renders,
        ))
        .layer(axum::middleware::from_fn_with_state(
            server.clone(),
            middleware::sessions,
        ));
    let app = security::protect(app, &server).layer(axum::middleware::from_fn_with_state(
        server.clone(),
        metrics::record,
    ));
    let app = telemetry::trace(app).with_state(state);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!("listening on http://{addr}");
    // Connect info gives server functions the client address the sign-in/up throttles key on.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
