//! Sign-up, sign-in, sign-out (here or everywhere) and "who am I".
//!
//! Each returns where the browser should go next; the page then loads it in full, so the
//! server renders it with the new session (and the no-JS form post is redirected by the
//! session middleware instead).

use crate::error::AppError;
use crate::model::SignedInUser;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    auth::AuthError,
    errors::{internal, with_status},
    middleware::safe_next,
    request,
};
#[cfg(feature = "ssr")]
use crate::validation::{email_problem, normalize_email, password_problem};

/// Creates an account and signs it in. Sign-ups from one client beyond a few are slowed down
/// exponentially, whatever their outcome.
#[server]
pub async fn sign_up(
    email: String,
    password: String,
    password_again: String,
) -> Result<String, AppError> {
    with_status(
        async {
            let email = normalize_email(&email);
            if let Some(problem) = email_problem(&email) {
                return Err(AppError::Invalid(problem.into()));
            }
            if let Some(problem) = password_problem(&password) {
                return Err(AppError::Invalid(problem.into()));
            }
            if password != password_again {
                return Err(AppError::Invalid(
                    "The two passwords differ. Type the same password twice.".into(),
                ));
            }
            let state = request::state()?;
            let client = request::client_ip();
            let now = std::time::Instant::now();
            if let Err(wait) = state.sign_up_throttle.check(&client, now) {
                return Err(too_many(wait));
            }
            state.sign_up_throttle.record(&client, now);
            let user =
                state
                    .auth
                    .sign_up(&email, &password)
                    .await
                    .map_err(|error| match error {
                        AuthError::EmailTaken => AppError::Conflict(
                            "An account with this email already exists. Sign in instead.".into(),
                        ),
                        other => internal("sign-up", other),
                    })?;
            start_session(&state, user.id, &user.email).await?;
            Ok("/".to_string())
        }
        .await,
    )
}

/// Checks email and password; repeated failures for one email from one client are slowed
/// down exponentially.
#[server]
pub async fn sign_in(email: String, password: String, next: String) -> Result<String, AppError> {
    with_status(
        async {
            let email = normalize_email(&email);
            if email.is_empty() || password.is_empty() {
                return Err(AppError::Invalid("Enter your email and password.".into()));
            }
            let state = request::state()?;
            let client = request::client_ip();
            let now = std::time::Instant::now();
            let key = (email.clone(), client);
            if let Err(wait) = state.throttle.check(&key, now) {
                return Err(too_many(wait));
            }
            let user = match state.auth.sign_in(&email, &password).await {
                Ok(user) => user,
                Err(AuthError::WrongCredentials) => {
                    state.throttle.record(&key, now);
                    return Err(AppError::WrongCredentials);
                }
                Err(other) => return Err(internal("sign-in", other)),
            };
            state.throttle.clear(&key);
            start_session(&state, user.id, &user.email).await?;
            Ok(safe_next(&next).to_string())
        }
        .await,
    )
}

/// Ends this browser's session: its row is revoked (a copied cookie dies with it) and the
/// cookie is removed.
#[server]
pub async fn sign_out() -> Result<String, AppError> {
    with_status(
        async {
            let state = request::state()?;
            if let Some(session) = request::session() {
                state
                    .sessions
                    .end(&session)
                    .await
                    .map_err(|error| internal("sign-out", error))?;
            }
            request::set_cookie(&state.sessions.cookie().clear())?;
            Ok("/sign-in".to_string())
        }
        .await,
    )
}

/// Ends every session of the signed-in user, in every browser; open live streams close.
#[server]
pub async fn sign_out_everywhere() -> Result<String, AppError> {
    with_status(
        async {
            let (state, session) = request::signed_in()?;
            state
                .sessions
                .end_everywhere(session.user_id())
                .await
                .map_err(|error| internal("sign-out everywhere", error))?;
            request::set_cookie(&state.sessions.cookie().clear())?;
            Ok("/sign-in".to_string())
        }
        .await,
    )
}

/// The signed-in user, if any.
#[server]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    with_status(Ok(request::session().map(|session| SignedInUser {
        email: session.claims.email.clone(),
    })))
}

#[cfg(feature = "ssr")]
async fn start_session(
    state: &crate::server::state::ServerState,
    user_id: uuid::Uuid,
    email: &str,
) -> Result<(), AppError> {
    let cookie = state
        .sessions
        .start(user_id, email, request::now_unix())
        .await
        .map_err(|error| internal("start a session", error))?;
    request::set_cookie(&cookie)
}

/// The refusal of a throttled attempt, in whole seconds to wait.
#[cfg(feature = "ssr")]
fn too_many(wait: std::time::Duration) -> AppError {
    AppError::TooManyAttempts(wait.as_secs_f64().ceil() as u64)
}
