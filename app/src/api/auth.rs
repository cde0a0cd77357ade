//! Sign-up, sign-in, sign-out and "who am I".
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
    session::{self, Claims},
};
#[cfg(feature = "ssr")]
use crate::validation::{email_problem, normalize_email, password_problem};

/// Creates an account and signs it in.
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
            start_session(&state, user.id, &user.email)?;
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
            if let Err(wait) = state.throttle.check(&email, client, now) {
                return Err(AppError::TooManyAttempts(wait.as_secs_f64().ceil() as u64));
            }
            let user = match state.auth.sign_in(&email, &password).await {
                Ok(user) => user,
                Err(AuthError::WrongCredentials) => {
                    state.throttle.record_failure(&email, client, now);
                    return Err(AppError::WrongCredentials);
                }
                Err(other) => return Err(internal("sign-in", other)),
            };
            state.throttle.record_success(&email, client);
            start_session(&state, user.id, &user.email)?;
            Ok(safe_next(&next).to_string())
        }
        .await,
    )
}

/// Ends the session: the cookie is removed.
#[server]
pub async fn sign_out() -> Result<String, AppError> {
    with_status(
        request::set_cookie(&session::clearing_cookie(request::is_https()))
            .map(|()| "/sign-in".to_string()),
    )
}

/// The signed-in user, if any.
#[server]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    with_status(
        async {
            let state = request::state()?;
            Ok(
                request::optional_session(&state)?.map(|session| SignedInUser {
                    email: session.claims.email,
                }),
            )
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn start_session(
    state: &crate::server::state::ServerState,
    user_id: uuid::Uuid,
    email: &str,
) -> Result<(), AppError> {
    let claims = Claims::for_user(user_id, email, request::now_unix());
    let token = state
        .sessions
        .mint(&claims)
        .map_err(|error| internal("mint session token", error))?;
    request::set_cookie(&session::session_cookie(&token, request::is_https()))
}
