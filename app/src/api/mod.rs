//! Server functions: the browser's only way to data. Each checks the session and reads or
//! writes through PostgREST with the user's token (see `crate::server::postgrest`).

pub mod alerts;
pub mod auth;
pub mod chat;
pub mod credentials;
pub mod dashboard;
pub mod deploy;
pub mod health;
pub mod history;
pub mod insight;
pub mod providers;
pub mod status;
