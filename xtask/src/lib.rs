//! FlowPulse's developer tasks as a library: the `xtask` binary (`cargo xtask ...`) and the
//! integration tests start the very same parts (Postgres, PostgREST, workerd, the app) with it.

pub mod app;
pub mod bench;
pub mod config;
pub mod cron;
pub mod demo;
pub mod dev;
pub mod freshness;
pub mod jwt;
pub mod lint;
pub mod n8n;
pub mod n8n_api;
pub mod pg;
pub mod postgrest;
pub mod process;
pub mod smoke;
pub mod stack;
pub mod test_cmd;
pub mod tools;
pub mod worker;

/// The whole `flowpulse` tool, for the integration tests (their crate reaches it through us).
pub use flowpulse_cli;
/// The migration runner lives in the `flowpulse` tool (one implementation for `cargo xtask`,
/// the tests and `flowpulse migrate up`); `xtask::migrate::...` keeps working.
pub use flowpulse_cli::migrate;
