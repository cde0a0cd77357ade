//! FlowPulse domain core.
//!
//! Everything here is pure: n8n API types, the execution sync plan, counter rules, the `[USR-]`
//! naming rule, the checked n8n base URL and the outbound-address rule, the secret encryption
//! format, shared row types and the edge function's JSON contract. It must stay free of I/O — no network, files, clock reads (callers pass `now`)
//! or async runtime — so it builds for both native and `wasm32-unknown-unknown`, and so the
//! rules the worker, the app and the tests share can be unit-tested in isolation.

#![warn(missing_docs)]

pub mod base_url;
pub mod builder;
pub mod claims;
pub mod contract;
pub mod counters;
pub mod crypto;
pub mod fan_out;
pub mod insight;
pub mod n8n;
pub mod naming;
pub mod outbound;
pub mod plan;
pub mod postgrest;
pub mod retry;
pub mod rows;
pub mod text;
