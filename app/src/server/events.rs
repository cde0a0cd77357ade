//! `GET /events`: the browser's Server-Sent Events stream of its user's changes.

use super::realtime::{HubMessage, Subscription};
use super::request::now_unix;
use super::session::manager::Revoked;
use super::session::Session;
use super::state::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

/// How often an open stream asks whether its session still lives, for revocations made by
/// another app process (this process's own end streams at once).
const RECHECK_EVERY: Duration = Duration::from_secs(30);

/// Opens the stream for the request's session (verified by the session middleware). The
/// stream ends when the token expires, when the session is revoked, or when it reaches its
/// absolute end; the browser's `EventSource` then reconnects with the refreshed cookie, or
/// stops on the 401 of a session that is over.
pub async fn events(State(state): State<ServerState>, session: Session) -> Response {
    let limit = state.config.security.events_per_user;
    let subscription = match state.hub.subscribe(session.user_id(), limit) {
        Ok(subscription) => subscription,
        Err(too_many) => {
            return (StatusCode::TOO_MANY_REQUESTS, too_many.to_string()).into_response();
        }
    };
    let now = now_unix();
    let ends = session.claims.exp.min(session.ends_at);
    let lifetime = Duration::from_secs(u64::try_from(ends - now).unwrap_or(0));
    let open = OpenStream {
        revocations: state.sessions.revocations(),
        recheck: tokio::time::interval_at(
            tokio::time::Instant::now() + RECHECK_EVERY,
            RECHECK_EVERY,
        ),
        subscription,
        session,
        state,
    };
    let stream = futures::stream::unfold(open, |mut open| async move {
        let event = open.next_event().await?;
        Some((Ok::<_, Infallible>(event), open))
    })
    .take_until(tokio::time::sleep(lifetime));
    (
        [("cache-control", "no-cache"), ("x-accel-buffering", "no")],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
        .into_response()
}

/// One open stream and what may end it.
struct OpenStream {
    subscription: Subscription,
    revocations: broadcast::Receiver<Revoked>,
    recheck: tokio::time::Interval,
    session: Session,
    state: ServerState,
}

impl OpenStream {
    /// The next event to send, or `None` when the session is over.
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                message = self.subscription.receiver.recv() => {
                    return Some(match message? {
                        HubMessage::Change(change) => Event::default()
                            .event("change")
                            .json_data(&change)
                            .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
                        HubMessage::Resync => Event::default().event("resync").data("{}"),
                    });
                }
                revoked = self.revocations.recv() => match revoked {
                    Ok(revoked) if revoked.ends(&self.session) => return None,
                    Ok(_) => {}
                    // Missed some: ask the store instead.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !self.still_live().await {
                            return None;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.recheck.tick() => {
                    if !self.still_live().await {
                        return None;
                    }
                }
            }
        }
    }

    async fn still_live(&self) -> bool {
        match self.state.sessions.is_live(&self.session, now_unix()).await {
            Ok(live) => live,
            Err(error) => {
                // The store is down: keep the stream (the token still bounds its life) rather
                // than make every browser reconnect into the same outage.
                tracing::warn!(%error, "could not re-check a live stream's session");
                true
            }
        }
    }
}
