//! Server-only code: configuration, sessions and accounts, the security layers, the PostgREST
//! and edge-function clients, the realtime hub and the HTTP plumbing around the Leptos routes.

pub mod alert_channels;
pub mod alert_view;
pub mod auth;
pub mod chat_state;
pub mod chat_store;
pub mod chat_view;
pub mod config;
pub mod credential_fields;
pub mod credential_usage;
pub mod deploy;
pub mod durations;
pub mod edge;
pub mod errors;
pub mod events;
pub mod health;
pub mod live_renders;
pub mod llm;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod n8n_check;
pub mod ops;
pub mod postgrest;
pub mod realtime;
pub mod request;
pub mod retry;
pub mod security;
pub mod session;
pub mod state;
pub mod telemetry;
pub mod workflow_table;
