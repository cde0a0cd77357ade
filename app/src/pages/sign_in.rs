//! `/sign-in` and `/sign-up`.

use crate::api::auth::{SignIn, SignUp};
use crate::app::load_page;
use crate::components::ErrorNotice;
use crate::pages::query::PageQuery;
use crate::validation::PASSWORD_RULE;
use leptos::prelude::*;

/// `/sign-in`; `?next=` is where a successful sign-in leads.
#[component]
pub fn SignInPage() -> impl IntoView {
    let next = PageQuery::current()
        .value("next")
        .unwrap_or_else(|| "/".into());
    view! {
        <section class="auth card" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in to FlowPulse"</h1>
            <p class="muted">"Live execution numbers for every n8n instance you run."</p>
            <SignInForm next />
            <p>"New here? " <a href="/sign-up" data-testid="to-sign-up">"Create an account"</a></p>
        </section>
    }
}

/// Email and password; on success the page the server names is loaded.
#[island]
fn SignInForm(next: String) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = action.value().get() {
            load_page(&path);
        }
    });
    view! {
        <ActionForm action=action>
            <input type="hidden" name="next" value=next />
            <label for="sign-in-email">"Email"</label>
            <input id="sign-in-email" name="email" type="email" autocomplete="username" required data-testid="sign-in-email" />
            <label for="sign-in-password">"Password"</label>
            <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required data-testid="sign-in-password" />
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            <button type="submit" class="primary" data-testid="sign-in-submit" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
            </button>
        </ActionForm>
    }
}

/// `/sign-up`
#[component]
pub fn SignUpPage() -> impl IntoView {
    view! {
        <section class="auth card" aria-labelledby="sign-up-title">
            <h1 id="sign-up-title">"Create your FlowPulse account"</h1>
            <SignUpForm />
            <p>"Already have an account? " <a href="/sign-in" data-testid="to-sign-in">"Sign in"</a></p>
        </section>
    }
}

/// Email, password and its repetition; on success the dashboard is loaded.
#[island]
fn SignUpForm() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = action.value().get() {
            load_page(&path);
        }
    });
    view! {
        <ActionForm action=action>
            <label for="sign-up-email">"Email"</label>
            <input id="sign-up-email" name="email" type="email" autocomplete="username" required data-testid="sign-up-email" />
            <label for="sign-up-password">"Password"</label>
            <input id="sign-up-password" name="password" type="password" autocomplete="new-password" minlength="10" required aria-describedby="password-rule" data-testid="sign-up-password" />
            <p id="password-rule" class="hint">{PASSWORD_RULE}</p>
            <label for="sign-up-password-again">"Repeat the password"</label>
            <input id="sign-up-password-again" name="password_again" type="password" autocomplete="new-password" required data-testid="sign-up-password-again" />
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            <button type="submit" class="primary" data-testid="sign-up-submit" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Creating the account…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}
