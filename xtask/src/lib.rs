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
pub mod migrate;
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
