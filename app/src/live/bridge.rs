//! The browser side of live updates: the `/events` stream, the refresh of live regions and the
//! clock that re-words relative times.

use super::wanted::LiveWanted;
use super::{controls, morph, REFRESH_EVENT, ROWS_ATTR, SKIPPED_ATTR, TABLES_ATTR};
use crate::format;
use leptos::prelude::document;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, DomParser, Element, EventSource, MessageEvent, RequestInit, Response};

/// Events arriving within this window cause one refresh: a sync touching 200 workflows
/// should not fetch the page 200 times.
const COALESCE: Duration = Duration::from_millis(25);

/// How often relative times ("5 minutes ago") are re-worded.
const CLOCK_TICK: Duration = Duration::from_secs(30);

thread_local! {
    /// The bridge starts once per page, however often its island hydrates.
    static STARTED: Cell<bool> = const { Cell::new(false) };
    /// A refresh is waiting for the coalescing window to close.
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
    /// A page fetch is under way; refreshes asked for meanwhile set `AGAIN`.
    static IN_FLIGHT: Cell<bool> = const { Cell::new(false) };
    /// Fetch once more when the current fetch is done: something changed during it.
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    /// The latest change number this page is catching up with, sent with the next fetch so
    /// the server renders the page once for every tab of the user (`server::live_renders`).
    /// Cleared when the stream (re)opens: changes may have been missed, so that fetch must be
    /// a fresh render.
    static GENERATION: Cell<Option<u64>> = const { Cell::new(None) };
    /// The next fetch must re-read the whole page (a reconnect, a filter, rows that moved).
    static WHOLE_PAGE: Cell<bool> = const { Cell::new(false) };
    /// The regions (and rows) the changes since the last fetch touched.
    static WANTED: RefCell<LiveWanted> = RefCell::new(LiveWanted::default());
}

#[derive(serde::Deserialize)]
struct Change {
    table: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    generation: Option<u64>,
}

/// Opens the stream and installs the listeners, once.
pub fn start() {
    if STARTED.with(|started| started.replace(true)) {
        return;
    }
    open_stream();
    controls::install();
    let on_refresh = Closure::<dyn FnMut()>::new(refresh);
    let _ = leptos::prelude::window()
        .add_event_listener_with_callback(REFRESH_EVENT, on_refresh.as_ref().unchecked_ref());
    on_refresh.forget();
    let _ = leptos::prelude::set_interval_with_handle(reword_times, CLOCK_TICK);
}

fn open_stream() {
    let Ok(source) = EventSource::new("/events") else {
        return;
    };
    let on_open = Closure::<dyn FnMut()>::new(|| {
        set_connected(true);
        GENERATION.with(|generation| generation.set(None));
        // Changes committed after the page was rendered but before the stream (re)opened
        // sent no event to this page: re-read it, so nothing is missed.
        refresh();
    });
    let on_error = Closure::<dyn FnMut()>::new(|| set_connected(false));
    let on_change = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data().as_string().unwrap_or_default();
        if let Ok(change) = serde_json::from_str::<Change>(&data) {
            if note_change(&change) {
                GENERATION.with(|latest| latest.set(latest.get().max(change.generation)));
                schedule_refresh();
            }
        }
    });
    let on_resync = Closure::<dyn FnMut()>::new(|| {
        GENERATION.with(|generation| generation.set(None));
        refresh();
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
    // The stream lives as long as the page: its callbacks must too.
    on_open.forget();
    on_error.forget();
    on_change.forget();
    on_resync.forget();
}

/// Switches every live dot of the page on or off.
fn set_connected(connected: bool) {
    let (title, text) = if connected {
        ("Live updates on", "Live updates on")
    } else {
        ("Live updates off: reconnecting…", "Live updates off")
    };
    for dot in select_all(&document(), "[data-live-dot]") {
        let _ = dot.class_list().toggle_with_force("on", connected);
        let _ = dot.set_attribute("data-connected", if connected { "true" } else { "false" });
        let _ = dot.set_attribute("title", title);
        if let Ok(Some(label)) = dot.query_selector(".visually-hidden") {
            label.set_text_content(Some(text));
        }
    }
}

/// Notes what `change` touches on this page: each region showing its table, and in a region
/// of that table's keyed rows only the row when an update reached a row already shown. False
/// when nothing on the page shows the table.
fn note_change(change: &Change) -> bool {
    let key = match &change.id {
        serde_json::Value::String(id) => id.clone(),
        other => other.to_string(),
    };
    let mut touched = false;
    for region in select_all(&document(), "[data-live-region]") {
        let shows = region
            .get_attribute(TABLES_ATTR)
            .is_some_and(|tables| tables.split_whitespace().any(|shown| shown == change.table));
        if !shows {
            continue;
        }
        touched = true;
        let keyed_row_shown = change.op == "update"
            && region.get_attribute(ROWS_ATTR).as_deref() == Some(change.table.as_str())
            && super::wanted::is_token(&key)
            && region
                .query_selector(&format!("[{}=\"{key}\"]", morph::KEY))
                .ok()
                .flatten()
                .is_some();
        WANTED.with(|wanted| {
            let mut wanted = wanted.borrow_mut();
            if keyed_row_shown {
                wanted.row(&region.id(), &key);
            } else {
                wanted.whole(&region.id());
            }
        });
    }
    touched
}

fn schedule_refresh() {
    if SCHEDULED.with(|scheduled| scheduled.replace(true)) {
        return;
    }
    leptos::prelude::set_timeout(
        || {
            SCHEDULED.with(|scheduled| scheduled.set(false));
            run_refresh();
        },
        COALESCE,
    );
}

/// Re-reads the whole page and patches its live regions.
pub fn refresh() {
    WHOLE_PAGE.with(|whole| whole.set(true));
    run_refresh();
}

/// Fetches what changed (or the whole page) and patches the live regions; one fetch at a time,
/// and one more at the end when something asked for a refresh meanwhile.
fn run_refresh() {
    if IN_FLIGHT.with(|in_flight| in_flight.replace(true)) {
        AGAIN.with(|again| again.set(true));
        return;
    }
    set_busy(true);
    leptos::task::spawn_local(async {
        loop {
            AGAIN.with(|again| again.set(false));
            if let Err(error) = fetch_and_patch().await {
                leptos::logging::warn!("live refresh failed: {error:?}");
                // What it was to read is unknown now: the next refresh reads everything.
                WHOLE_PAGE.with(|whole| whole.set(true));
            }
            if !AGAIN.with(Cell::get) {
                break;
            }
        }
        IN_FLIGHT.with(|in_flight| in_flight.set(false));
        set_busy(false);
    });
}

/// Marks the live regions as being re-read, for assistive technology and the cursor.
fn set_busy(busy: bool) {
    for region in select_all(&document(), "[data-live-region]") {
        let _ = if busy {
            region.set_attribute("aria-busy", "true")
        } else {
            region.remove_attribute("aria-busy")
        };
    }
}

async fn fetch_and_patch() -> Result<(), JsValue> {
    let window = leptos::prelude::window();
    let init = RequestInit::new();
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(&headers, &"Accept".into(), &"text/html".into())?;
    let wanted = WANTED.with(RefCell::take);
    if !WHOLE_PAGE.with(|whole| whole.replace(false)) && wanted != LiveWanted::default() {
        js_sys::Reflect::set(
            &headers,
            &super::wanted::REGIONS_HEADER.into(),
            &wanted.to_header().into(),
        )?;
    }
    if let Some(generation) = GENERATION.with(Cell::take) {
        js_sys::Reflect::set(
            &headers,
            &"X-Live-Generation".into(),
            &generation.to_string().into(),
        )?;
    }
    init.set_headers(&headers);
    let href = window.location().href()?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(&href, &init))
        .await?
        .dyn_into()?;
    let landed = web_sys::Url::new(&response.url())?;
    if landed.pathname() == "/sign-in" {
        // The session ended: the sign-in page says so and brings the user back here.
        return window.location().assign(&response.url());
    }
    if !response.ok() {
        return Err(JsValue::from_str(&format!("status {}", response.status())));
    }
    let html = JsFuture::from(response.text()?).await?;
    let html = html.as_string().unwrap_or_default();
    let fresh = DomParser::new()?.parse_from_string(&html, web_sys::SupportedType::TextHtml)?;
    patch_regions(&fresh, &window)
}

/// Patches each live region with its fresh version; reloads when the page's set of regions
/// changed (e.g. the first instance was added in another tab), since then the layout did.
fn patch_regions(fresh: &Document, window: &web_sys::Window) -> Result<(), JsValue> {
    let current = select_all(&document(), "[data-live-region]");
    let incoming = select_all(fresh, "[data-live-region]");
    let ids = |regions: &[Element]| regions.iter().map(Element::id).collect::<Vec<_>>();
    if ids(&current) != ids(&incoming) {
        return window.location().reload();
    }
    for (old, new) in current.iter().zip(&incoming) {
        if !new.has_attribute(SKIPPED_ATTR) {
            morph::patch_children(old, new);
        }
    }
    if morph::take_moved() {
        // Rows moved, came or went since the page was rendered: read the whole page again.
        WHOLE_PAGE.with(|whole| whole.set(true));
        AGAIN.with(|again| again.set(true));
    }
    Ok(())
}

/// Re-words every relative time of the page against the browser's clock.
fn reword_times() {
    let Some(now) = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64) else {
        return;
    };
    for time in select_all(&document(), "time[data-at]") {
        let at = time
            .get_attribute("data-at")
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(chrono::DateTime::from_timestamp_millis);
        if let Some(at) = at {
            let text = format::relative_time(at, now);
            if time.text_content().as_deref() != Some(text.as_str()) {
                time.set_text_content(Some(&text));
            }
        }
    }
}

/// The elements under `root` matching `selector`, as a list that later DOM changes leave alone.
pub fn select_all(root: &impl AsRef<web_sys::Node>, selector: &str) -> Vec<Element> {
    let node: &web_sys::Node = root.as_ref();
    let found = if let Some(document) = node.dyn_ref::<Document>() {
        document.query_selector_all(selector)
    } else if let Some(element) = node.dyn_ref::<Element>() {
        element.query_selector_all(selector)
    } else {
        return Vec::new();
    };
    let Ok(list) = found else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|index| list.item(index))
        .filter_map(|node| node.dyn_into::<Element>().ok())
        .collect()
}
