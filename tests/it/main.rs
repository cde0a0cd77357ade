//! FlowPulse's cross-part tests, built as one binary. Run them with `cargo xtask test`, which
//! installs the tools and builds the artifacts these tests start.

use flowpulse_tests as helpers;
mod browser_e2e;
mod builder_app;
mod builder_catalogue;
mod builder_deploy;
mod counter_deltas;
mod dashboard_table;
mod execution_periods;
mod insight;
mod insight_app;
mod live_renders;
mod migrations;
mod operations;
mod real_n8n_e2e;
mod rls;
mod security;
mod sync_engine;
mod worker_http;
mod workflow_migrations;
