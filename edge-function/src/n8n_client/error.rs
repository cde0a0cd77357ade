//! The n8n client's error type.

/// Why a call to n8n failed. `Display` names the instance and says what to check; it never
/// contains the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum N8nError {
    /// No HTTP reply at all (DNS, refused connection, TLS, reset).
    #[error(
        "n8n at {instance} is unreachable ({detail}); check the provider's base URL and that \
         the instance is running and reachable from the edge function"
    )]
    Unreachable {
        /// The instance's base URL.
        instance: String,
        /// What the HTTP stack reported.
        detail: String,
    },
    /// 401 or 403.
    #[error(
        "n8n at {instance} rejected the API key (HTTP {status}): wrong API key, expired, or \
         missing scopes; create a new one in n8n under Settings > n8n API"
    )]
    Unauthorized {
        /// The instance's base URL.
        instance: String,
        /// 401 or 403.
        status: u16,
    },
    /// The stored API key cannot even be sent (not a valid header value).
    #[error("the API key stored for n8n at {instance} is not a valid header value; re-enter it")]
    InvalidApiKey {
        /// The instance's base URL.
        instance: String,
    },
    /// 404.
    #[error("n8n at {instance} has no {what} (HTTP 404)")]
    NotFound {
        /// The instance's base URL.
        instance: String,
        /// What was asked for, e.g. `execution 42`.
        what: String,
    },
    /// 5xx, or 429 once retries ran out.
    #[error(
        "n8n at {instance} answered HTTP {status} after retries; check the instance's health \
         and logs"
    )]
    Server {
        /// The instance's base URL.
        instance: String,
        /// The last status seen.
        status: u16,
    },
    /// Another 4xx: the request itself was refused (bad cursor, active workflow, ...).
    #[error("n8n at {instance} refused the request (HTTP {status}: {message})")]
    Rejected {
        /// The instance's base URL.
        instance: String,
        /// The status.
        status: u16,
        /// n8n's `message`, if any.
        message: String,
    },
    /// A success status with a body that is not the expected JSON.
    #[error(
        "n8n at {instance} sent a reply that is not the expected JSON ({detail}); check that \
         the base URL points at n8n itself (not a proxy or login page)"
    )]
    Malformed {
        /// The instance's base URL.
        instance: String,
        /// The decoder's complaint, shortened.
        detail: String,
    },
    /// No reply within the request timeout (or the run's remaining budget).
    #[error(
        "n8n at {instance} did not answer within {after_ms} ms; check that the instance is up \
         and not overloaded"
    )]
    Timeout {
        /// The instance's base URL.
        instance: String,
        /// The limit that ran out.
        after_ms: u64,
    },
}

impl N8nError {
    /// True when n8n could not be reached at all (no reply, or none in time): the case the
    /// edge function answers 502 for when it hits every requested provider.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Timeout { .. })
    }

    /// True for a 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}
