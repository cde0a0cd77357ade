//! The `workflow-sync` edge function.
//!
//! A Cloudflare Worker (`worker` crate) whose logic is ordinary async Rust, so the same code
//! runs natively for tests:
//!
//! - [`http::handle`] — the whole HTTP surface over plain [`http::HttpRequest`] /
//!   [`http::HttpResponse`] values (routing, auth, body checks, CORS, error mapping);
//!   [`http::route`] and [`http::gate`] are its pure parts.
//! - [`engine::run_action`] — verify a token and run one [`SyncRequest`], as HTTP would;
//!   [`engine::run_authenticated`] for an already verified caller, returning the
//!   [`engine::RunReport`]; [`engine::run_scheduled`] — the cron jobs and the queue messages
//!   they leave; [`engine::run_queued`] — the queue consumer, one provider per message.
//! - [`config::WorkerConfig`] — the bindings, parsed.
//! - [`store::Store`] — the PostgREST client; n8n is reached through the `flowpulse-n8n` crate.
//!
//! Only `glue` (the `#[event]` entry points) is wasm-only.
//!
//! [`SyncRequest`]: flowpulse_core::contract::SyncRequest

pub mod auth;
pub mod config;
pub mod engine;
pub mod error;
pub mod http;
pub mod openapi;
pub mod runtime;
pub mod store;

#[cfg(target_arch = "wasm32")]
mod glue;

#[cfg(test)]
mod testing;

pub use config::WorkerConfig;
pub use engine::{
    run_action, run_authenticated, run_queued, run_scheduled, QueueVerdict, RunReport,
    ScheduledRun, Trigger,
};
pub use error::EdgeError;
pub use http::{handle, HttpRequest, HttpResponse};
