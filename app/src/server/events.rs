//! `GET /events`: the browser's Server-Sent Events stream of its user's changes.

use super::realtime::HubMessage;
use super::request::now_unix;
use super::session;
use super::state::ServerState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::convert::Infallible;
use std::time::Duration;

/// Opens the stream for the session in the cookie (verified here, once). The stream ends when
/// the token expires; the browser's `EventSource` reconnects with the refreshed cookie, or
/// stops if the session is over.
pub async fn events(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    let now = now_unix();
    let Some(session) = session::from_headers(&state.sessions, &headers, now) else {
        return (StatusCode::UNAUTHORIZED, "Sign in to receive live updates.").into_response();
    };
    let subscription = state.hub.subscribe(session.user_id());
    let lifetime = Duration::from_secs(u64::try_from(session.claims.exp - now).unwrap_or(0));
    let stream = futures::stream::unfold(subscription, |mut subscription| async move {
        let event = match subscription.receiver.recv().await? {
            HubMessage::Change(change) => Event::default()
                .event("change")
                .json_data(&change)
                .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
            HubMessage::Resync => Event::default().event("resync").data("{}"),
        };
        Some((Ok::<_, Infallible>(event), subscription))
    })
    .take_until(tokio::time::sleep(lifetime));
    (
        [("cache-control", "no-cache"), ("x-accel-buffering", "no")],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
        .into_response()
}
