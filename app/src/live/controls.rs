//! Filters, search, sorting and paging: server-rendered controls that only change the URL's
//! query string, after which the bridge refreshes the live regions. One listener per event
//! type on the document, so controls patched in by a refresh work without hydration.
//!
//! - `<select data-query-param="instance">`: sets `instance` to the chosen value (removed when
//!   empty); `data-query-resets="workflow page"` removes other parameters it invalidates.
//! - `<input data-query-param="q">`: the same on typing, after a short pause.
//! - `<a data-live-link href="?sort=name">`: a history entry and a refresh instead of a load.

use super::bridge::refresh;
use std::cell::Cell;
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlInputElement, HtmlSelectElement, MouseEvent};

/// Typing pause before a search runs.
const SEARCH_PAUSE: Duration = Duration::from_millis(150);

thread_local! {
    /// Bumped on every keystroke in a search box; only the last one's timer searches.
    static KEYSTROKE: Cell<u32> = const { Cell::new(0) };
}

/// Installs the document-wide listeners.
pub fn install() {
    let document = leptos::prelude::document();
    listen(&document, "change", on_change);
    listen(&document, "input", on_input);
    listen(&document, "click", on_click);
    let window = leptos::prelude::window();
    // Back and forward over pages and sort orders: the URL changed, the regions follow.
    listen(&window, "popstate", |_| refresh());
}

fn listen(target: &web_sys::EventTarget, kind: &str, handler: fn(Event)) {
    let callback = Closure::<dyn FnMut(Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
    callback.forget();
}

fn target_closest(event: &Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

/// A select was changed, or a search box committed (Enter, leaving it, clearing it).
fn on_change(event: Event) {
    let Some(control) = target_closest(&event, "[data-query-param]") else {
        return;
    };
    let value = if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
        select.value()
    } else if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
        input.value().trim().to_string()
    } else {
        return;
    };
    set_query(&control, &value);
    refresh();
}

fn on_input(event: Event) {
    let Some(input) = target_closest(&event, "input[data-query-param]") else {
        return;
    };
    let keystroke = KEYSTROKE.with(|count| {
        count.set(count.get().wrapping_add(1));
        count.get()
    });
    leptos::prelude::set_timeout(
        move || {
            if KEYSTROKE.with(Cell::get) != keystroke {
                return;
            }
            let value = input
                .dyn_ref::<HtmlInputElement>()
                .map(HtmlInputElement::value)
                .unwrap_or_default();
            set_query(&input, value.trim());
            refresh();
        },
        SEARCH_PAUSE,
    );
}

fn on_click(event: Event) {
    let Some(mouse) = event.dyn_ref::<MouseEvent>() else {
        return;
    };
    // A modified click opens a new tab or window: the browser's business.
    if mouse.button() != 0 || mouse.ctrl_key() || mouse.meta_key() || mouse.shift_key() {
        return;
    }
    let Some(link) = target_closest(&event, "a[data-live-link]") else {
        return;
    };
    let Some(href) = link.get_attribute("href") else {
        return;
    };
    event.prevent_default();
    let history = leptos::prelude::window().history();
    if let Ok(history) = history {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&href));
    }
    refresh();
}

/// Writes the control's parameter (and removes the ones it resets) into the current URL,
/// replacing the history entry: a filter is a refinement, not a new page.
fn set_query(control: &Element, value: &str) {
    let Some(param) = control.get_attribute("data-query-param") else {
        return;
    };
    let window = leptos::prelude::window();
    let Ok(href) = window.location().href() else {
        return;
    };
    let Ok(url) = web_sys::Url::new(&href) else {
        return;
    };
    let params = url.search_params();
    if value.is_empty() {
        params.delete(&param);
    } else {
        params.set(&param, value);
    }
    let resets = control
        .get_attribute("data-query-resets")
        .unwrap_or_default();
    for reset in resets.split_whitespace() {
        params.delete(reset);
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}
