//! Live updates. Pages are rendered on the server only; the parts that show data sit in
//! *live regions* (`data-live-region`, an `id`, and `data-live-tables`: the tables they show).
//! The [`LiveBridge`] island listens on `/events` and, when a table a region shows changes,
//! fetches the current page again (the server reads it under RLS with the user's JWT, as for
//! any page load) and patches the regions in place, keeping focus, scroll and the islands in
//! them. The same refresh serves the filters, sorting, search and paging controls, which only
//! change the URL's query string (`data-query-param`, `data-live-link`).
//!
//! A refresh for a change asks only for what the change touched ([`wanted`]): the regions
//! showing its table, and in a region of keyed rows of that table (`data-live-rows`) only the
//! changed rows when the change updated rows already shown. The server renders the others as
//! empty stand-ins (`data-live-skipped`) and, in a region rendered by rows, sends the full
//! ordered list of keys (`data-live-keys`) beside the rows it rendered (`data-live-partial`),
//! so the page can tell when rows moved and then asks for the whole region.

use leptos::prelude::*;

/// Attribute naming the tables a live region shows, space separated.
pub const TABLES_ATTR: &str = "data-live-tables";

/// Attribute naming the table a region's keyed rows come from (their `data-key` is its id).
pub const ROWS_ATTR: &str = "data-live-rows";
/// Marks a region the server did not render: the page keeps what it shows.
pub const SKIPPED_ATTR: &str = "data-live-skipped";
/// On the element holding keyed rows: every key in order, in a whole or a partial render.
pub const KEYS_ATTR: &str = "data-live-keys";
/// On the element holding keyed rows: only some of them were rendered.
pub const PARTIAL_ATTR: &str = "data-live-partial";

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
/// when one of them changes. `id` pairs it with its fresh copy in the re-read page. `rows`
/// names the table whose ids key the region's rows (`data-key`), when it has such rows: an
/// update of rows already shown then re-reads only those rows.
#[component]
pub fn LiveRegion(
    id: &'static str,
    tables: &'static str,
    #[prop(optional)] rows: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    if region_wanted(id) == wanted::RegionWanted::Unchanged {
        return view! {
            <div id=id data-live-region data-live-tables=tables data-live-rows=rows data-live-skipped></div>
        }
        .into_any();
    }
    view! {
        <div id=id data-live-region data-live-tables=tables data-live-rows=rows>
            {children()}
        </div>
    }
    .into_any()
}

/// What the request being rendered asks of live region `id`: the whole region on a page load
/// (and in the browser), or what a live refresh named.
pub fn region_wanted(id: &str) -> wanted::RegionWanted {
    #[cfg(feature = "ssr")]
    if let Some(wanted) = crate::server::request::live_wanted() {
        return wanted.region(id);
    }
    let _ = id;
    wanted::RegionWanted::Whole
}

/// The rows of live region `id` to render: `None` for all of them.
pub fn rows_wanted(id: &str) -> Option<std::collections::BTreeSet<String>> {
    match region_wanted(id) {
        wanted::RegionWanted::Rows(keys) => Some(keys),
        wanted::RegionWanted::Whole | wanted::RegionWanted::Unchanged => None,
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

pub mod wanted;

#[cfg(feature = "hydrate")]
mod bridge;
#[cfg(feature = "hydrate")]
mod controls;
#[cfg(feature = "hydrate")]
mod morph;
