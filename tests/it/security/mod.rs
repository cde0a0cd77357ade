//! Attacks on FlowPulse's two promises — each user only sees and changes their own data, and
//! secrets never leave the server — tried through the real parts, each refused.

mod api_key_binding;
pub(crate) mod app_site;
mod csrf;
mod headers;
mod include_directive;
mod limits;
mod outbound;
mod postgres_tls;
mod sessions;
