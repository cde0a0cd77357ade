//! Session handling around every request: signed-out visitors of app pages go to the sign-in
//! page, signed-in visitors of the sign-in/up pages go to the app, and a session with less
//! than half its life left gets a fresh token.

use super::request::now_unix;
use super::session::{self, Claims, COOKIE_NAME};
use super::state::ServerState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Pages that need a signed-in user.
const APP_PAGES: &[&str] = &["/", "/providers", "/sync-logs", "/executions"];
/// Pages only for signed-out visitors.
const AUTH_PAGES: &[&str] = &["/sign-in", "/sign-up"];

/// The axum middleware.
pub async fn sessions(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let now = now_unix();
    let session = session::from_headers(&state.sessions, request.headers(), now);
    let path = request.uri().path().to_string();
    if request.method() == Method::GET {
        if session.is_none() && APP_PAGES.contains(&path.as_str()) {
            let target = match path.as_str() {
                "/" => "/sign-in".to_string(),
                other => format!("/sign-in?next={other}"),
            };
            return Redirect::to(&target).into_response();
        }
        if session.is_some() && AUTH_PAGES.contains(&path.as_str()) {
            let next = next_from_query(request.uri().query().unwrap_or(""));
            return Redirect::to(next).into_response();
        }
    }
    let secure = session::is_https(request.headers());
    let mut response = next.run(request).await;
    if let Some(session) = session {
        refresh_if_due(&state, &session.claims, now, secure, &mut response);
    }
    response
}

/// Re-issues the session token, unless the response already sets the cookie (sign-out).
fn refresh_if_due(
    state: &ServerState,
    claims: &Claims,
    now: i64,
    secure: bool,
    response: &mut Response,
) {
    if !claims.needs_refresh(now) {
        return;
    }
    let already_set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| {
            value
                .as_bytes()
                .starts_with(format!("{COOKIE_NAME}=").as_bytes())
        });
    if already_set {
        return;
    }
    let fresh = Claims::for_user(claims.sub, &claims.email, now);
    match state.sessions.mint(&fresh) {
        Ok(token) => {
            if let Ok(value) = HeaderValue::from_str(&session::session_cookie(&token, secure)) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        Err(error) => tracing::error!(%error, "could not refresh a session token"),
    }
}

/// The `next=` target of a sign-in URL when it is a page of this app, else `/`.
pub fn next_from_query(query: &str) -> &str {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "next")
        .map(|(_, value)| safe_next(value))
        .unwrap_or("/")
}

/// Only local paths of the app: never `//evil.example` or `https://...` (open redirects).
pub fn safe_next(target: &str) -> &str {
    let local = target.starts_with('/')
        && !target.starts_with("//")
        && target
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'));
    if local {
        target
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(safe_next("/providers"), "/providers");
        assert_eq!(safe_next("/sync-logs"), "/sync-logs");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/a?b=c"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn the_next_target_is_read_from_the_query() {
        assert_eq!(next_from_query("next=/executions"), "/executions");
        assert_eq!(next_from_query("x=1&next=/providers"), "/providers");
        assert_eq!(next_from_query("next=%2F%2Fevil"), "/");
        assert_eq!(next_from_query(""), "/");
    }
}
