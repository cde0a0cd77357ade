//! Live updates. Pages are rendered on the server only; the parts that show data sit in
//! *live regions* (`data-live-region`, an `id`, and `data-live-tables`: the tables they show).
//! The [`LiveBridge`] island listens on `/events` and, when a table a region shows changes,
//! fetches the current page again (the server reads it under RLS with the user's JWT, as for
//! any page load) and patches the regions in place, keeping focus, scroll and the islands in
//! them. The same refresh serves the filters, sorting, search and paging controls, which only
//! change the URL's query string (`data-query-param`, `data-live-link`).

use leptos::prelude::*;

/// Attribute naming the tables a live region shows, space separated.
pub const TABLES_ATTR: &str = "data-live-tables";

/// Name of the window event that asks the bridge to refresh the page's live regions now.
pub const REFRESH_EVENT: &str = "flowpulse:refresh";

/// The connection to `/events`, rendered once per signed-in page. It shows nothing itself:
/// it drives every `[data-live-dot]` indicator and the live regions of the page.
#[island]
pub fn LiveBridge() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    bridge::start();
    view! { <span class="live-bridge" hidden></span> }
}

/// Asks the live bridge to refresh the page's regions now (after an island changed data).
pub fn request_refresh() {
    #[cfg(feature = "hydrate")]
    {
        if let Ok(event) = web_sys::Event::new(REFRESH_EVENT) {
            let _ = window().dispatch_event(&event);
        }
    }
}

/// A part of a page that shows rows of `tables` (space separated): the live bridge re-reads it
/// when one of them changes. `id` pairs it with its fresh copy in the re-read page.
#[component]
pub fn LiveRegion(id: &'static str, tables: &'static str, children: Children) -> impl IntoView {
    view! {
        <div id=id data-live-region data-live-tables=tables>
            {children()}
        </div>
    }
}

/// The live-connection dot shown beside "Sync now"; the bridge switches it on and off.
#[component]
pub fn LiveDot() -> impl IntoView {
    view! {
        <span class="live-dot" data-live-dot data-testid="live-indicator" data-connected="false"
            title="Live updates off: connecting…">
            <span class="visually-hidden">"Live updates off"</span>
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod bridge;
#[cfg(feature = "hydrate")]
mod controls;
#[cfg(feature = "hydrate")]
mod morph;
