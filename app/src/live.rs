//! Live updates in the browser: an `EventSource` on `/events` bumps per-table counters that
//! the pages' resources depend on, so they refetch (through server functions, under RLS) and
//! update in place. Also a coarse clock for relative times.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// Change counters per table, plus the connection state. Provided by the app root.
#[derive(Clone, Copy)]
pub struct LiveUpdates {
    /// Bumped when an instance changed.
    pub providers: RwSignal<u64>,
    /// Bumped when a workflow (and so its counters) changed.
    pub workflows: RwSignal<u64>,
    /// Bumped when a sync run started, progressed or ended.
    pub sync_logs: RwSignal<u64>,
    /// True while the event stream is open.
    pub connected: RwSignal<bool>,
}

impl LiveUpdates {
    fn new() -> Self {
        Self {
            providers: RwSignal::new(0),
            workflows: RwSignal::new(0),
            sync_logs: RwSignal::new(0),
            connected: RwSignal::new(false),
        }
    }

    /// Everything changed (e.g. after a reconnect, events may have been missed).
    pub fn bump_all(&self) {
        for counter in [self.providers, self.workflows, self.sync_logs] {
            counter.update(|value| *value += 1);
        }
    }

    /// The counter for a table named in an event, if the app shows that table.
    pub fn counter_for(&self, table: &str) -> Option<RwSignal<u64>> {
        match table {
            "providers" => Some(self.providers),
            "mvp_workflows" => Some(self.workflows),
            "sync_logs" => Some(self.sync_logs),
            _ => None,
        }
    }
}

/// The live-update counters of the app.
pub fn use_live() -> LiveUpdates {
    use_context::<LiveUpdates>().unwrap_or_else(LiveUpdates::new)
}

/// The browser's clock, ticking every 30 s; `None` during server rendering and hydration, so
/// both render relative times against the server's time and agree.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<Option<DateTime<Utc>>>);

/// "Now" for relative times: the browser's clock once it ticks, else `server_now`.
pub fn now_or(server_now: DateTime<Utc>) -> DateTime<Utc> {
    use_context::<Clock>()
        .and_then(|clock| clock.0.get())
        .unwrap_or(server_now)
}

/// Provides the counters and the clock, and (in the browser, when signed in) opens the stream.
pub fn provide_live_updates(signed_in: Signal<bool>) {
    let live = LiveUpdates::new();
    provide_context(live);
    let clock = Clock(RwSignal::new(None));
    provide_context(clock);
    #[cfg(feature = "hydrate")]
    browser::start(live, clock, signed_in);
    #[cfg(not(feature = "hydrate"))]
    let _ = (signed_in, clock);
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Clock, LiveUpdates};
    use leptos::prelude::*;
    use std::time::Duration;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    /// Events arriving within this window cause one refetch: a sync touching 200 workflows
    /// should not trigger 200 reloads.
    const COALESCE: Duration = Duration::from_millis(25);

    #[derive(serde::Deserialize)]
    struct Change {
        table: String,
    }

    pub fn start(live: LiveUpdates, clock: Clock, signed_in: Signal<bool>) {
        let tick = move || {
            let now = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64);
            clock.0.set(now);
        };
        Effect::new(move |_| {
            tick();
            let _ = set_interval_with_handle(tick, Duration::from_secs(30));
        });
        Effect::new(move |opened: Option<bool>| {
            if opened == Some(true) || !signed_in.get() {
                return opened.unwrap_or(false);
            }
            open_stream(live);
            true
        });
    }

    fn open_stream(live: LiveUpdates) {
        let Ok(source) = EventSource::new("/events") else {
            return;
        };
        let ever_opened = StoredValue::new(false);
        let pending = StoredValue::new(Vec::<RwSignal<u64>>::new());
        let schedule = move |counter: RwSignal<u64>| {
            let first = pending.with_value(Vec::is_empty);
            pending.update_value(|list| {
                if !list.contains(&counter) {
                    list.push(counter);
                }
            });
            if first {
                set_timeout(
                    move || {
                        for counter in pending.get_value() {
                            counter.update(|value| *value += 1);
                        }
                        pending.set_value(Vec::new());
                    },
                    COALESCE,
                );
            }
        };
        let on_open = Closure::<dyn FnMut()>::new(move || {
            live.connected.set(true);
            // A reconnect may have missed events: refetch everything shown.
            if ever_opened.get_value() {
                live.bump_all();
            }
            ever_opened.set_value(true);
        });
        let on_error = Closure::<dyn FnMut()>::new(move || live.connected.set(false));
        let on_change = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data().as_string().unwrap_or_default();
            if let Some(counter) = serde_json::from_str::<Change>(&data)
                .ok()
                .and_then(|change| live.counter_for(&change.table))
            {
                schedule(counter);
            }
        });
        let on_resync = Closure::<dyn FnMut()>::new(move || live.bump_all());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ =
            source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
        // The stream lives as long as the page: the callbacks must too.
        on_open.forget();
        on_error.forget();
        on_change.forget();
        on_resync.forget();
    }
}
