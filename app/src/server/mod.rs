//! Server-only code: configuration, the HTTP router, calls to the backing services.

pub mod config;
pub mod health;
