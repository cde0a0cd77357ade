//! One HTTP exchange with an n8n instance, on each target: reqwest natively (behind a resolver
//! that applies the outbound rule to the addresses it dials), the runtime's `fetch` in workerd.
//! Both never follow redirects and stop reading a reply at a size cap.

#[cfg(not(target_arch = "wasm32"))]
use flowpulse_core::outbound::Refusal;

use crate::error::ConnectFailure;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{Lookup, Transport};

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub use wasm::Transport;

/// HTTP methods the public API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Creates (and actions such as activate, retry).
    Post,
    /// Replaces.
    Put,
    /// Deletes.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// A request, ready to send.
pub(crate) struct Outgoing<'a> {
    pub method: Method,
    /// The full URL, query included.
    pub url: &'a str,
    /// n8n's API key, sent as `X-N8N-API-KEY`; `None` for a request that is not to n8n (an
    /// alert webhook), which must never carry it.
    pub api_key: Option<&'a str>,
    /// A bearer token, sent as `Authorization: Bearer …`: only for the operator's own services
    /// (the app's mail relay), never for a user's address.
    pub bearer: Option<&'a str>,
    /// A JSON body.
    pub body: Option<&'a [u8]>,
    /// Stop reading the reply beyond this many bytes.
    pub max_reply_bytes: usize,
}

/// A reply as far as the client cares.
pub(crate) struct RawReply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// Why an exchange produced no reply.
#[derive(Debug)]
pub(crate) enum TransportError {
    /// The outbound rule refused every address the name resolved to (natively; in workerd the
    /// runtime resolves names).
    #[cfg(not(target_arch = "wasm32"))]
    Refused(Refusal),
    /// No connection, or it broke.
    Connect(ConnectFailure),
    /// The reply was longer than the cap.
    TooLarge,
}
