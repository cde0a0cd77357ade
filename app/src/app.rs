//! The HTML shell, the top bar and the router. All of it renders on the server; the islands
//! inside (sign-out, the live bridge, each page's forms) are what the browser hydrates.

use crate::api::auth::{current_user, SignOut, SignOutEverywhere};
use crate::live::LiveBridge;
use crate::pages::{
    alerts::AlertsPage,
    chat::ChatPage,
    credentials::CredentialsPage,
    dashboard::DashboardPage,
    execution_detail::ExecutionDetailPage,
    executions::ExecutionsPage,
    failures::FailuresPage,
    health::HealthPage,
    providers::ProvidersPage,
    sign_in::{SignInPage, SignUpPage},
    sync_logs::SyncLogsPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::hooks::use_params_map;
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Loads `path` as a full page, so the server renders it with the current session.
pub fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Stylesheet id="flowpulse" href="/pkg/flowpulse.css" />
        <Title text="FlowPulse" />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/" data-testid="nav-brand">
                    <img src="/favicon.svg" alt="" width="22" height="22" />
                    "FlowPulse"
                </a>
                <Suspense fallback=|| ()>
                    {move || {
                        user.get()
                            .and_then(Result::ok)
                            .flatten()
                            .map(|user| view! { <SignedInNav email=user.email /> })
                    }}
                </Suspense>
            </header>
            <main class="page" id="main">
                // Async: each page is sent whole once its data is read. The live bridge fetches
                // pages to patch them in place, and it cannot run streamed-in fragments.
                <Routes fallback=|| {
                    view! {
                        <section class="card empty">
                            <h1>"Page not found"</h1>
                            <p>
                                "Nothing lives at this address. " <a href="/">"Go to the dashboard"</a>
                            </p>
                        </section>
                    }
                }>
                    <Route path=StaticSegment("") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("providers") view=ProvidersPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("executions") view=ExecutionsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("executions"), ParamSegment("id")) view=ExecutionDetailPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("workflows"), ParamSegment("id")) view=WorkflowLink ssr=SsrMode::Async />
                    <Route path=StaticSegment("failures") view=FailuresPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("health") view=HealthPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("alerts") view=AlertsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("sync-logs") view=SyncLogsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("chat") view=ChatPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("credentials") view=CredentialsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("sign-up") view=SignUpPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// `/workflows/<id>`, where alert notifications link a workflow: its execution history.
#[component]
fn WorkflowLink() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|id| id.parse::<uuid::Uuid>().ok());
    match id {
        Some(id) => view! { <Redirect path=format!("/executions?workflow={id}") /> }.into_any(),
        None => view! {
            <section class="card empty">
                <h1>"Page not found"</h1>
                <p>"That is not a workflow's address. " <a href="/">"Go to the dashboard"</a></p>
            </section>
        }
        .into_any(),
    }
}

/// Navigation and the account menu of a signed-in user.
#[component]
fn SignedInNav(email: String) -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label="Main">
            <A href="/" exact=true attr:data-testid="nav-dashboard">"Dashboard"</A>
            <A href="/providers" attr:data-testid="nav-providers">"Instances"</A>
            <A href="/executions" attr:data-testid="nav-executions">"Executions"</A>
            <A href="/failures" attr:data-testid="nav-failures">"Failures"</A>
            <A href="/health" attr:data-testid="nav-health">"Health"</A>
            <A href="/alerts" attr:data-testid="nav-alerts">"Alerts"</A>
            <A href="/sync-logs" attr:data-testid="nav-sync-logs">"Sync logs"</A>
            <A href="/chat" attr:data-testid="nav-chat">"Chat"</A>
            <A href="/credentials" attr:data-testid="nav-credentials">"Credentials"</A>
        </nav>
        <div class="account">
            <span class="muted account-email" data-testid="account-email">{email}</span>
            <SignOutButton />
        </div>
        <LiveBridge />
    }
}

/// "Sign out" ends this browser's session, "Sign out everywhere" every session of the user
/// (other browsers, a copied cookie); either then loads the sign-in page.
#[island]
fn SignOutButton() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    Effect::new(move |_| {
        let done = sign_out.value().get().or_else(|| everywhere.value().get());
        if let Some(Ok(path)) = done {
            load_page(&path);
        }
    });
    view! {
        <ActionForm action=sign_out>
            <button type="submit" class="link-button" data-testid="sign-out">"Sign out"</button>
        </ActionForm>
        <ActionForm action=everywhere>
            <button type="submit" class="link-button" data-testid="sign-out-everywhere"
                title="Also ends your sessions in other browsers and devices">
                "Sign out everywhere"
            </button>
        </ActionForm>
    }
}
