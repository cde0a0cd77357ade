//! The FlowPulse web app. Compiled twice: with `ssr` into the axum server binary, and with
//! `hydrate` into the wasm bundle that makes the server-rendered page interactive.
//!
//! Leptos runs in islands mode: pages are rendered on the server only, and the wasm bundle
//! holds just the interactive islands (forms, Sync now, the live bridge). That keeps the
//! download small; live updates re-render on the server and the bridge patches the page.

// Leptos views are deeply nested types; the default limit is too low for whole pages.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod chart;
pub mod components;
pub mod error;
pub mod format;
pub mod live;
pub mod model;
pub mod pages;
pub mod validation;

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the wasm bundle: sets up the reactive runtime; Leptos' island script then
/// hydrates each `<leptos-island>` of the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
