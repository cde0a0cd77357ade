//! In workerd: the runtime's `fetch` with `redirect: "manual"` (a 3xx comes back as itself and
//! is never followed), reading the body as a stream up to the cap. Names are resolved by the
//! runtime, whose own network rules apply (Cloudflare's edge reaches only public addresses;
//! the local workerd config allows exactly what the operator's policy allows).

use flowpulse_core::outbound::OutboundPolicy;
use futures::StreamExt;
use worker::{Fetch, Headers, Request, RequestInit, RequestRedirect};

use super::{Method, Outgoing, RawReply, TransportError};
use crate::error::ConnectFailure;

/// The HTTP side of the n8n client.
#[derive(Debug, Clone)]
pub struct Transport {
    policy: OutboundPolicy,
}

impl Transport {
    /// A transport for URLs that `policy` allows.
    pub fn new(policy: OutboundPolicy) -> Self {
        Self { policy }
    }

    /// The outbound rule this transport applies.
    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    pub(crate) async fn send(&self, out: Outgoing<'_>) -> Result<RawReply, TransportError> {
        let connect = |error: worker::Error| {
            TransportError::Connect(ConnectFailure::from_description(&error.to_string()))
        };
        let headers = Headers::new();
        if let Some(api_key) = out.api_key {
            headers.set("X-N8N-API-KEY", api_key).map_err(connect)?;
        }
        if let Some(token) = out.bearer {
            headers
                .set("Authorization", &format!("Bearer {token}"))
                .map_err(connect)?;
        }
        headers.set("Accept", "application/json").map_err(connect)?;
        let mut init = RequestInit::new();
        init.with_method(match out.method {
            Method::Get => worker::Method::Get,
            Method::Post => worker::Method::Post,
            Method::Put => worker::Method::Put,
            Method::Delete => worker::Method::Delete,
        })
        .with_redirect(RequestRedirect::Manual);
        if let Some(body) = out.body {
            headers
                .set("Content-Type", "application/json")
                .map_err(connect)?;
            let text = String::from_utf8_lossy(body).into_owned();
            init.with_body(Some(worker::wasm_bindgen::JsValue::from_str(&text)));
        }
        init.with_headers(headers);
        let request = Request::new_with_init(out.url, &init).map_err(connect)?;
        let mut response = Fetch::Request(request).send().await.map_err(connect)?;
        let status = response.status_code();
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        let declared = response
            .headers()
            .get("Content-Length")
            .ok()
            .flatten()
            .and_then(|value| value.parse::<usize>().ok());
        if declared.is_some_and(|length| length > out.max_reply_bytes) {
            return Err(TransportError::TooLarge);
        }
        let mut body = Vec::new();
        // A 3xx or a 204 may carry no body stream at all.
        if let Ok(mut stream) = response.stream() {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(connect)?;
                if body.len() + chunk.len() > out.max_reply_bytes {
                    return Err(TransportError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(RawReply {
            status,
            retry_after,
            body,
        })
    }
}
