//! Insight on top of the sync: why an execution failed, what stopped running, and alerts.

pub mod alerts;
pub mod failure;
pub mod health;
pub mod redact;
pub mod schedule;
pub mod words;
