//! Render once per user and change: every open tab of a user refetches its page when a change
//! arrives, and tabs showing the same page would each make the server render it. The bridge
//! sends the number of the change it is catching up with (`X-Live-Generation`); the first
//! request for (user, page, change) renders, the others wait for that render and get its HTML.
//!
//! Safe because the key holds the verified session's user (another user never gets it), the
//! change number is one the hub has announced (so the render started after that change was
//! committed), entries live a few seconds, and only requests carrying the header — the
//! bridge's fetches, read by a DOM parser — are ever answered from it. A tab that reconnects
//! (and may have missed changes) sends no number and gets a fresh render. The regions and rows
//! a refresh asks for (`X-Live-Regions`) are part of the page's key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::session::Session;
use super::state::ServerState;

/// The header the live bridge sends with the change number it refetches for.
pub const GENERATION_HEADER: &str = "x-live-generation";
/// How long a shared render is handed out.
const TTL: Duration = Duration::from_secs(10);
/// Most renders kept at once; past it, requests render for themselves.
const MOST_ENTRIES: usize = 2048;
/// Larger pages are not shared.
const MOST_BYTES: usize = 32 * 1024 * 1024;

type Key = (Uuid, String, u64);

/// A finished render others may reuse.
#[derive(Clone)]
struct Shared {
    content_type: Option<HeaderValue>,
    body: Bytes,
}

struct Entry {
    created: Instant,
    render: Arc<OnceCell<Option<Shared>>>,
}

/// The renders being shared, by (user, page, change).
#[derive(Clone, Default)]
pub struct LiveRenders {
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
}

impl LiveRenders {
    /// The slot for `key`, or `None` when too many are in use.
    fn slot(&self, key: Key) -> Option<Arc<OnceCell<Option<Shared>>>> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        entries.retain(|_, entry| now.duration_since(entry.created) < TTL);
        if !entries.contains_key(&key) && entries.len() >= MOST_ENTRIES {
            return None;
        }
        let entry = entries.entry(key).or_insert_with(|| Entry {
            created: now,
            render: Arc::new(OnceCell::new()),
        });
        Some(entry.render.clone())
    }
}

/// The axum middleware (inside the session middleware, which verified the session). A page
/// rendered for some regions or rows only is never stored by the browser: it is not the page.
pub async fn share_renders(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let partial = request
        .headers()
        .contains_key(crate::live::wanted::REGIONS_HEADER);
    let mut response = shared_or_rendered(state, request, next).await;
    if partial {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn shared_or_rendered(state: ServerState, request: Request, next: Next) -> Response {
    let generation = request
        .headers()
        .get(GENERATION_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let user = request.extensions().get::<Session>().map(Session::user_id);
    let (Some(generation), Some(user), true) = (generation, user, request.method() == Method::GET)
    else {
        return next.run(request).await;
    };
    // A number the hub never announced could pin a stale page under a future change.
    if generation == 0 || generation > state.hub.generation() {
        return next.run(request).await;
    }
    // The same page asked for other regions or rows is another render.
    let regions = request
        .headers()
        .get(crate::live::wanted::REGIONS_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let page = format!("{} {regions}", request.uri());
    let Some(slot) = state.live_renders.slot((user, page, generation)) else {
        return next.run(request).await;
    };
    let (mut request, mut next, mut own) = (Some(request), Some(next), None);
    let shared = {
        let (request, next, own) = (&mut request, &mut next, &mut own);
        slot.get_or_init(move || async move {
            let (Some(request), Some(next)) = (request.take(), next.take()) else {
                return None;
            };
            let (shared, response) = shareable(next.run(request).await).await;
            *own = Some(response);
            shared
        })
        .await
        .clone()
    };
    if let Some(response) = own {
        state.metrics.live_render(false);
        return response;
    }
    match (shared, request, next) {
        (Some(shared), _, _) => {
            state.metrics.live_render(true);
            let mut response = Response::new(Body::from(shared.body));
            if let Some(content_type) = shared.content_type {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
            }
            response
        }
        // The render waited for could not be shared (an error page, a redirect): render ours.
        (None, Some(request), Some(next)) => next.run(request).await,
        (None, _, _) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A successful HTML page can be shared: its bytes, and the response rebuilt from them.
async fn shareable(response: Response) -> (Option<Shared>, Response) {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if response.status() != StatusCode::OK || !is_html {
        return (None, response);
    }
    let (parts, body) = response.into_parts();
    match to_bytes(body, MOST_BYTES).await {
        Ok(bytes) => {
            let shared = Shared {
                content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
                body: bytes.clone(),
            };
            (Some(shared), Response::from_parts(parts, Body::from(bytes)))
        }
        Err(error) => {
            tracing::warn!(%error, "a live page could not be read to share it");
            (None, StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_shared_per_key_and_expires() {
        let renders = LiveRenders::default();
        let key = |user: u128, generation| (Uuid::from_u128(user), "/".to_string(), generation);
        let first = renders.slot(key(1, 5)).unwrap();
        assert!(Arc::ptr_eq(&first, &renders.slot(key(1, 5)).unwrap()));
        assert!(
            !Arc::ptr_eq(&first, &renders.slot(key(2, 5)).unwrap()),
            "per user"
        );
        assert!(
            !Arc::ptr_eq(&first, &renders.slot(key(1, 6)).unwrap()),
            "per change"
        );
        renders
            .entries
            .lock()
            .unwrap()
            .values_mut()
            .for_each(|entry| {
                entry.created = entry
                    .created
                    .checked_sub(TTL)
                    .expect("uptime beyond the TTL");
            });
        assert!(
            !Arc::ptr_eq(&first, &renders.slot(key(1, 5)).unwrap()),
            "expired"
        );
    }
}
