//! The n8n client's error type.
//!
//! `Display` is FlowPulse's own wording — it names the instance and says what to check — and is
//! what sync logs store and pages show. It never contains the API key, and never text that the
//! remote server chose (an instance URL can point anywhere; its error pages must not be reflected
//! back to the user). n8n's own `message` for a refused request is kept apart
//! ([`N8nError::server_message`]) for operator tools that talk to their own instances.

use flowpulse_core::outbound::Refusal;

/// Why a call to n8n failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum N8nError {
    /// The outbound rule refused the destination: nothing was sent.
    #[error("FlowPulse did not connect to {instance}: {reason}")]
    Refused {
        /// The instance's base URL.
        instance: String,
        /// Which rule refused it.
        reason: Refusal,
    },
    /// No HTTP reply at all (DNS, refused connection, TLS, reset).
    #[error(
        "n8n at {instance} is unreachable ({detail}); check the instance URL and that the \
         instance is running and reachable from FlowPulse"
    )]
    Unreachable {
        /// The instance's base URL.
        instance: String,
        /// What went wrong, in FlowPulse's words (see [`ConnectFailure`]).
        detail: ConnectFailure,
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
    /// A 3xx: never followed, because the API key would travel to wherever it points.
    #[error(
        "{instance} answered with a redirect (HTTP {status}); FlowPulse never follows \
         redirects with the API key: enter the final address (e.g. with https://) as the \
         instance URL"
    )]
    Redirected {
        /// The instance's base URL.
        instance: String,
        /// The 3xx status.
        status: u16,
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
    #[error("n8n at {instance} refused the request for {what} (HTTP {status})")]
    Rejected {
        /// The instance's base URL.
        instance: String,
        /// What was asked for.
        what: String,
        /// The status.
        status: u16,
        /// n8n's `message`, shortened; not part of `Display` (see the module docs).
        message: Option<String>,
    },
    /// A success status with a body that is not the expected JSON.
    #[error(
        "{instance} sent a reply to the {what} that is not n8n's JSON; check that the URL \
         points at n8n itself (not a proxy or login page)"
    )]
    Malformed {
        /// The instance's base URL.
        instance: String,
        /// What was asked for.
        what: String,
    },
    /// The reply was larger than the client reads.
    #[error(
        "{instance} sent more than {limit_bytes} bytes for the {what}; FlowPulse stopped \
         reading (the operator can raise the limit)"
    )]
    TooLarge {
        /// The instance's base URL.
        instance: String,
        /// What was asked for.
        what: String,
        /// The cap that was reached.
        limit_bytes: usize,
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

    /// n8n's own explanation of a refused request, for operator tools (never shown to users
    /// of someone else's instance URL).
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Self::Rejected { message, .. } => message.as_deref(),
            _ => None,
        }
    }
}

/// Why no connection could be made, as categories rather than the HTTP stack's text (which can
/// carry the remote TLS certificate's names or a platform's internals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConnectFailure {
    /// DNS found no address.
    #[error("its host name could not be resolved")]
    UnknownHost,
    /// Nothing listens at that address and port.
    #[error("the connection was refused")]
    Refused,
    /// The TLS handshake failed.
    #[error("the TLS handshake failed: is the certificate valid for this host?")]
    Tls,
    /// The connection broke during the exchange.
    #[error("the connection was closed before n8n answered")]
    Reset,
    /// The runtime's own network rules do not allow that address.
    #[error("this server's network does not allow connecting to that address")]
    NotAllowed,
    /// Anything else.
    #[error("the connection failed")]
    Other,
}

impl ConnectFailure {
    /// Sorts a failure by the words of the error chain that describes it.
    pub fn from_description(description: &str) -> Self {
        let text = description.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|word| text.contains(word));
        if has(&["not allowed", "blocked", "permission denied"]) {
            Self::NotAllowed
        } else if has(&[
            "dns",
            "resolve",
            "lookup",
            "name or service not known",
            "no address",
        ]) {
            Self::UnknownHost
        } else if has(&["refused"]) {
            Self::Refused
        } else if has(&["certificate", "tls", "ssl", "handshake"]) {
            Self::Tls
        } else if has(&["reset", "closed", "lost", "broken pipe", "eof"]) {
            Self::Reset
        } else {
            Self::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_sorted_into_categories() {
        let cases = [
            (
                "error sending request: dns error: failed to lookup address",
                ConnectFailure::UnknownHost,
            ),
            (
                "tcp connect error: Connection refused (os error 111)",
                ConnectFailure::Refused,
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                ConnectFailure::Tls,
            ),
            ("Network connection lost.", ConnectFailure::Reset),
            (
                "connecting to 10.0.0.1 is not allowed",
                ConnectFailure::NotAllowed,
            ),
            ("something odd", ConnectFailure::Other),
        ];
        for (text, expected) in cases {
            assert_eq!(ConnectFailure::from_description(text), expected, "{text}");
        }
    }

    #[test]
    fn a_refused_request_shows_no_server_text() {
        let error = N8nError::Rejected {
            instance: "https://n8n.example.com".into(),
            what: "workflow creation".into(),
            status: 400,
            message: Some("<script>alert(1)</script>".into()),
        };
        assert!(!error.to_string().contains("script"), "{error}");
        assert_eq!(error.server_message(), Some("<script>alert(1)</script>"));
    }
}
