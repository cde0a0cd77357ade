//! The `flowpulse` tool as a library: n8n workflow definitions as reviewed migration files
//! (`workflows export`), applied and deployed to an n8n instance (`migrate up`), and where each
//! file stands (`migrate status`). `cargo xtask dev` and the tests call the same functions.

pub mod cli;
pub mod config;
pub mod deploy;
pub mod error;
pub mod export;
pub mod migrate;
pub mod n8n;
pub mod sql;
pub mod status;
pub mod workflow;

pub use error::{Error, Result};
