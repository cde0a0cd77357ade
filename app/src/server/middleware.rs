//! Session handling around every request — the one place a session cookie is verified: the
//! token, and its session row (not revoked, not past its absolute end). A live session goes
//! into the request extensions, where server functions (`request::signed_in`) and `/events`
//! (the `Session` extractor) find it. Signed-out visitors of app pages go to the sign-in page,
//! signed-in visitors of the sign-in/up pages go to the app, a session with less than half its
//! token's life left gets a fresh token, and a cookie of an ended session is removed.

use super::request::now_unix;
use super::session::manager::Presented;
use super::state::ServerState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Pages that need a signed-in user.
const APP_PAGES: &[&str] = &[
    "/",
    "/providers",
    "/sync-logs",
    "/executions",
    "/failures",
    "/health",
    "/alerts",
    "/chat",
    "/credentials",
];
/// Prefixes of pages with an id (`/executions/<id>`, `/workflows/<id>`) that need one too.
const APP_PAGE_PREFIXES: &[&str] = &["/executions/", "/workflows/"];

/// True when `path` is a page only a signed-in user may see.
fn is_app_page(path: &str) -> bool {
    APP_PAGES.contains(&path)
        || APP_PAGE_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix))
}
/// Pages only for signed-out visitors.
const AUTH_PAGES: &[&str] = &["/sign-in", "/sign-up"];
/// What a visitor sees when sessions cannot be checked.
const SESSIONS_UNAVAILABLE: &str =
    "FlowPulse cannot check your session right now. Please try again in a moment.";

/// The axum middleware.
pub async fn sessions(
    State(state): State<ServerState>,
    mut request: Request,
    next: Next,
) -> Response {
    let now = now_unix();
    let presented = match state.sessions.authenticate(request.headers(), now).await {
        Ok(presented) => presented,
        Err(error) => {
            // Failing closed: a session that cannot be checked might be revoked.
            tracing::error!(%error, "could not check a session");
            return (StatusCode::SERVICE_UNAVAILABLE, SESSIONS_UNAVAILABLE).into_response();
        }
    };
    let session = match &presented {
        Presented::Live(session) => Some(session),
        Presented::NoCookie | Presented::Ended => None,
    };
    if let Some(session) = session {
        super::telemetry::record_user(session.user_id());
        request.extensions_mut().insert(session.clone());
    }
    let path = request.uri().path().to_string();
    let mut response = if request.method() == Method::GET && session.is_none() && is_app_page(&path)
    {
        let target = match path.as_str() {
            "/" => "/sign-in".to_string(),
            other => format!("/sign-in?next={other}"),
        };
        Redirect::to(&target).into_response()
    } else if request.method() == Method::GET
        && session.is_some()
        && AUTH_PAGES.contains(&path.as_str())
    {
        let next = next_from_query(request.uri().query().unwrap_or(""));
        Redirect::to(next).into_response()
    } else {
        next.run(request).await
    };
    // Sign-in and sign-out set the cookie themselves; theirs wins.
    let cookie = state.sessions.cookie();
    if cookie.is_set_in(response.headers()) {
        return response;
    }
    let set_cookie = match &presented {
        Presented::Live(session) => match state.sessions.refresh(session, now).await {
            Ok(fresh) => fresh,
            Err(error) => {
                // The current token stays valid until its `exp`; the next request tries again.
                tracing::warn!(%error, "could not refresh a session token");
                None
            }
        },
        Presented::Ended => Some(cookie.clear()),
        Presented::NoCookie => None,
    };
    if let Some(value) = set_cookie.and_then(|value| HeaderValue::from_str(&value).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
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
    fn insight_pages_and_pages_with_an_id_need_a_session() {
        for page in [
            "/failures",
            "/health",
            "/alerts",
            "/executions/42",
            "/workflows/x",
        ] {
            assert!(is_app_page(page), "{page}");
        }
        assert!(!is_app_page("/sign-in") && !is_app_page("/healthz"));
    }

    #[test]
    fn the_next_target_is_read_from_the_query() {
        assert_eq!(next_from_query("next=/executions"), "/executions");
        assert_eq!(next_from_query("x=1&next=/providers"), "/providers");
        assert_eq!(next_from_query("next=%2F%2Fevil"), "/");
        assert_eq!(next_from_query(""), "/");
    }
}
