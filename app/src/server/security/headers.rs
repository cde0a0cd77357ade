//! Headers on every response: a Content-Security-Policy whose scripts need this response's
//! nonce, and the fixed ones (`nosniff`, `Referrer-Policy`, `X-Frame-Options`).
//!
//! The nonce is made here, per request, handed to Leptos (its hydration and resource scripts
//! carry it) and named in the policy, so an injected `<script>` without it never runs.

use axum::extract::Request;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::{provide_context, use_context};
use rand_core::{OsRng, RngCore};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// This response's script nonce: 128 random bits, hex (a valid CSP `base64-value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(Arc<str>);

impl CspNonce {
    fn generate() -> Self {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        Self(
            bytes
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
                .into(),
        )
    }
}

/// The policy for a response whose scripts carry `nonce`.
///
/// - scripts: only ours with the nonce (no `unsafe-inline`), plus `'wasm-unsafe-eval'` for
///   compiling the hydrate bundle; files under `'self'` for the module it imports;
/// - `connect-src 'self'`: server functions, `/events` and the live bridge's page fetches;
/// - no plugins, no `<base>`, forms only to us, and no framing (clickjacking).
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The axum middleware: a fresh nonce for the request, its policy on the response.
pub async fn content_security_policy(mut request: Request, next: Next) -> Response {
    let nonce = CspNonce::generate();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    match HeaderValue::from_str(&policy(&nonce.0)) {
        Ok(value) => {
            response
                .headers_mut()
                .insert(CONTENT_SECURITY_POLICY, value);
        }
        Err(error) => tracing::error!(%error, "content security policy is not a header value"),
    }
    response
}

/// For the Leptos context of a request: makes Leptos put this request's nonce on its scripts
/// (leptos_axum would otherwise make up its own, which the policy does not name).
pub fn provide_request_nonce() {
    let nonce =
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// `X-Content-Type-Options: nosniff`: a reply is only ever what its type says.
pub fn no_sniffing() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))
}

/// Other sites learn our origin at most, never a page address with its filters.
pub fn referrer_policy() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    )
}

/// No framing, for browsers that predate `frame-ancestors`.
pub fn no_framing() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_need_the_nonce_and_inline_code_is_not_allowed() {
        let policy = policy("abc123");
        assert!(
            policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'self'"), "{policy}");
        assert!(policy.contains("object-src 'none'"), "{policy}");
        assert!(HeaderValue::from_str(&policy).is_ok());
    }

    #[test]
    fn each_request_gets_a_new_unguessable_nonce() {
        let (first, second) = (CspNonce::generate(), CspNonce::generate());
        assert_ne!(first, second);
        assert_eq!(first.0.len(), 32);
        assert!(first.0.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
