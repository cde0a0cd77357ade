//! The app server: SSR pages, server functions and static files.

use axum::Router;
use flowpulse_app::app::{shell, App};
use flowpulse_app::server::config::AppConfig;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Arc::new(AppConfig::from_env()?);
    tracing::info!(?config, "starting");
    let leptos_options = get_configuration(None)?.leptos_options;
    let addr = leptos_options.site_addr;
    let routes = generate_route_list(App);
    let context = {
        let config = config.clone();
        move || provide_context(config.clone())
    };
    let app = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service()).await?;
    Ok(())
}
