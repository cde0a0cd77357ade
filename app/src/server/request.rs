//! What a server function needs from the request it serves: the shared state, the session,
//! the client's address, and a way to set cookies.

use super::errors;
use super::postgrest::Db;
use super::session::Session;
use super::state::ServerState;
use crate::error::AppError;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use leptos::prelude::use_context;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The shared server state.
pub fn state() -> Result<ServerState, AppError> {
    use_context::<ServerState>()
        .ok_or_else(|| errors::internal("server state", "missing from the Leptos context"))
}

/// The session the session middleware verified for this request, if any. Never re-verified
/// here: the middleware is the one place that reads the cookie.
pub fn session() -> Option<Session> {
    use_context::<Parts>().and_then(|parts| Session::from_parts(&parts))
}

/// What a live refresh asks of the page (`X-Live-Regions`), or `None` for the whole page.
pub fn live_wanted() -> Option<crate::live::wanted::LiveWanted> {
    let parts = use_context::<Parts>()?;
    let header = parts
        .headers
        .get(crate::live::wanted::REGIONS_HEADER)?
        .to_str()
        .ok()?;
    crate::live::wanted::LiveWanted::parse(header)
}

/// The shared state and this request's session (or `Unauthorized`): how every server
/// function that acts for a signed-in user begins.
pub fn signed_in() -> Result<(ServerState, Session), AppError> {
    let state = state()?;
    let session = session().ok_or(AppError::Unauthorized)?;
    Ok((state, session))
}

/// PostgREST as this request's signed-in user (or `Unauthorized`): for server functions that
/// only read or write data.
pub fn user_db() -> Result<Db, AppError> {
    let (state, session) = signed_in()?;
    Ok(Db::new(&state, &session))
}

/// The peer address of the connection (not `X-Forwarded-For`, which any client can forge).
pub fn client_ip() -> IpAddr {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<ConnectInfo<SocketAddr>>().copied())
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

/// Adds a `Set-Cookie` header to the response.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let response = use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| errors::internal("response options", "missing from the context"))?;
    let value = HeaderValue::from_str(value).map_err(|e| errors::internal("cookie", e))?;
    response.append_header(header::SET_COOKIE, value);
    Ok(())
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
