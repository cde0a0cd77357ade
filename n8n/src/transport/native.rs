//! Natively: reqwest, with no redirects, no proxies, and a resolver that only hands the
//! connector addresses the outbound rule allows — so the address that was checked is the
//! address that is dialled, and a name that resolves differently the second time (DNS
//! rebinding) cannot slip past the check.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use flowpulse_core::outbound::{OutboundPolicy, Refusal};
use futures::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{Method, Outgoing, RawReply, TransportError};
use crate::error::ConnectFailure;

/// How names become addresses; the system resolver unless a test supplies its own.
pub trait Lookup: Send + Sync {
    /// Every address `host` resolves to.
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>>;
}

/// The operating system's resolver (getaddrinfo through tokio).
struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        let host = host.to_string();
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .map(|addr| addr.ip())
                .collect())
        })
    }
}

/// The refusal travels through reqwest's error chain as this type.
#[derive(Debug)]
struct PolicyRefusal(Refusal);

impl fmt::Display for PolicyRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for PolicyRefusal {}

/// Resolves, then keeps only the addresses the policy allows.
struct GuardedResolver {
    policy: OutboundPolicy,
    lookup: Arc<dyn Lookup>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let lookup = self.lookup.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addresses = lookup.lookup(&host).await?;
            let mut first_refusal = None;
            let allowed: Vec<SocketAddr> = addresses
                .into_iter()
                .filter(|ip| match policy.check_ip(&host, *ip) {
                    Ok(()) => true,
                    Err(refusal) => {
                        first_refusal.get_or_insert(refusal);
                        false
                    }
                })
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if allowed.is_empty() {
                let refusal = first_refusal.unwrap_or(Refusal::NoAddress { host });
                return Err(Box::new(PolicyRefusal(refusal)) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The HTTP side of the n8n client. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    policy: OutboundPolicy,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport that connects only where `policy` allows.
    pub fn new(policy: OutboundPolicy) -> Self {
        Self::with_lookup(policy, Arc::new(SystemLookup))
    }

    /// The same, resolving names through `lookup` (tests use it to play DNS).
    pub fn with_lookup(policy: OutboundPolicy, lookup: Arc<dyn Lookup>) -> Self {
        let http = reqwest::Client::builder()
            // reqwest would carry the X-N8N-API-KEY header along to whatever host a redirect
            // names.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the name itself, past the guarded resolver.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
                lookup,
            }))
            .build()
            // Only fails when the TLS backend cannot initialise: a broken build, not input.
            .expect("the HTTP client's TLS backend initialises");
        Self { http, policy }
    }

    /// The outbound rule this transport applies.
    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    pub(crate) async fn send(&self, out: Outgoing<'_>) -> Result<RawReply, TransportError> {
        let method = match out.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut request = self
            .http
            .request(method, out.url)
            .header("Accept", "application/json");
        if let Some(api_key) = out.api_key {
            request = request.header("X-N8N-API-KEY", api_key);
        }
        if let Some(token) = out.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = out.body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_vec());
        }
        let mut response = request.send().await.map_err(|error| failure(&error))?;
        if response
            .content_length()
            .is_some_and(|length| length > out.max_reply_bytes as u64)
        {
            return Err(TransportError::TooLarge);
        }
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| failure(&error))? {
            if body.len() + chunk.len() > out.max_reply_bytes {
                return Err(TransportError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawReply {
            status,
            retry_after,
            body,
        })
    }
}

/// A policy refusal found in the error chain, or the category of the failure.
fn failure(error: &reqwest::Error) -> TransportError {
    let mut text = error.to_string();
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<PolicyRefusal>() {
            return TransportError::Refused(refused.0.clone());
        }
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError::Connect(ConnectFailure::from_description(&text))
}
