//! The one client FlowPulse uses for n8n's public API — in the edge function (workerd), the
//! app's connection test, the `flowpulse` tool, the local stack's demo and the tests.
//!
//! - [`N8nClient`]: typed calls (workflows, executions incl. retry and run data, credentials,
//!   tags), one paging helper ([`all_pages`]), retries with backoff, per-request timeouts and a
//!   run's [`runtime::Deadline`].
//! - [`Transport`]: the HTTP side, built with an [`OutboundPolicy`]: every URL is judged
//!   before anything is sent, natively every resolved address too, redirects are never
//!   followed (the API key would travel with them), and replies are read up to a size cap.
//! - [`N8nError`]: failures in FlowPulse's own words, naming the instance.
//! - [`WebhookSender`]: one JSON POST to an alert channel's URL through the same transport,
//!   without the API key.
//! - [`BaseUrl`] (from core): the one rule for an instance URL.

pub mod client;
pub mod error;
pub mod runtime;
pub mod transport;
pub mod types;
pub mod webhook;

pub use client::{all_pages, ClientSettings, ExecutionQuery, N8nClient, PAGE_LIMIT};
pub use error::{ConnectFailure, N8nError};
pub use flowpulse_core::base_url::BaseUrl;
pub use flowpulse_core::outbound::OutboundPolicy;
pub use transport::{Method, Transport};
pub use types::{CreatedCredential, NewCredential, WorkflowDefinition};
pub use webhook::{undelivered_because, WebhookError, WebhookSender};
