//! The local stack as a library: the parts `cargo xtask dev` runs and the integration tests
//! start — PostgreSQL (`pg`), PostgREST (`postgrest`), the edge function on Miniflare
//! (`worker`), the app (`app`), a real n8n (`n8n`, `n8n_api`, `demo`) — their configuration
//! (`config`), the tools they need (`tools`, `node`) and the supervised processes they run as
//! (`process`).

pub mod app;
pub mod artifacts;
pub mod config;
pub mod cron;
pub mod database;
pub mod demo;
pub mod freshness;
pub mod jwt;
pub mod n8n;
pub mod n8n_api;
pub mod node;
pub mod pg;
pub mod postgrest;
pub mod process;
pub mod tools;
pub mod worker;
