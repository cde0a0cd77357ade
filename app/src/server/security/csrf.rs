//! Cross-site request forgery: a state-changing request (anything but GET, HEAD, OPTIONS) must
//! come from our own pages.
//!
//! Browsers say where a request comes from: `Sec-Fetch-Site` (every current browser) and
//! `Origin` (older ones too). A request naming another site is refused before any handler runs
//! — including sign-in, which needs no cookie, so a foreign page cannot sign a visitor into an
//! account of the attacker's. Requests without either header do not come from a web page
//! (curl, scripts) and carry no ambient browser credentials worth forging: they pass.

use super::settings::Origin;
use crate::server::state::ServerState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What the refused browser shows.
pub const REFUSAL: &str = "Cross-site request refused: FlowPulse only accepts changes sent \
from its own pages. Open FlowPulse and try again from there.";

/// Why a request was refused (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forgery {
    /// `Sec-Fetch-Site` named another origin.
    FetchedFrom(String),
    /// `Origin` named another origin (or `null`).
    ForeignOrigin(String),
}

/// The axum middleware.
pub async fn guard(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let public = state.config.security.public_origin.as_ref();
    match check(request.method(), request.headers(), public) {
        Ok(()) => next.run(request).await,
        Err(forgery) => {
            tracing::warn!(?forgery, path = %request.uri().path(), "cross-site request refused");
            (StatusCode::FORBIDDEN, REFUSAL).into_response()
        }
    }
}

/// `Ok` for requests that may proceed. `public`: the configured public origin, if any;
/// otherwise `Origin` must name the request's `Host`.
pub fn check(method: &Method, headers: &HeaderMap, public: Option<&Origin>) -> Result<(), Forgery> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed into the address bar or a bookmark, never a foreign page.
        return match site.to_str() {
            Ok("same-origin" | "none") => Ok(()),
            other => Err(Forgery::FetchedFrom(other.unwrap_or("?").to_string())),
        };
    }
    let Some(origin) = text(header::ORIGIN) else {
        return Ok(());
    };
    let foreign = || Forgery::ForeignOrigin(origin.to_string());
    let origin = Origin::parse(origin).map_err(|_| foreign())?;
    let ours = match public {
        Some(public) => origin == *public,
        None => text(header::HOST).is_some_and(|host| origin.is_host(host)),
    };
    ours.then_some(()).ok_or_else(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn post(pairs: &[(&'static str, &'static str)]) -> Result<(), Forgery> {
        check(&Method::POST, &headers(pairs), None)
    }

    #[test]
    fn a_cross_site_or_same_site_fetch_is_refused() {
        for site in ["cross-site", "same-site"] {
            assert_eq!(
                post(&[("sec-fetch-site", site), ("host", "app.test")]),
                Err(Forgery::FetchedFrom(site.into()))
            );
        }
    }

    #[test]
    fn a_same_origin_or_user_initiated_fetch_passes() {
        assert_eq!(post(&[("sec-fetch-site", "same-origin")]), Ok(()));
        assert_eq!(post(&[("sec-fetch-site", "none")]), Ok(()));
    }

    #[test]
    fn sec_fetch_site_wins_over_a_matching_origin() {
        assert!(post(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://app.test"),
            ("host", "app.test"),
        ])
        .is_err());
    }

    #[test]
    fn without_sec_fetch_site_the_origin_must_be_the_host() {
        assert_eq!(
            post(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ]),
            Ok(())
        );
        assert_eq!(
            post(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:3000")
            ]),
            Err(Forgery::ForeignOrigin("https://evil.example".into()))
        );
        assert!(post(&[("origin", "null"), ("host", "127.0.0.1:3000")]).is_err());
        assert!(
            post(&[("origin", "http://127.0.0.1:3000")]).is_err(),
            "no Host"
        );
    }

    #[test]
    fn a_configured_public_origin_replaces_the_host() {
        let public = Origin::parse("https://app.example.com").unwrap();
        let behind_proxy = headers(&[
            ("origin", "https://app.example.com"),
            ("host", "10.0.0.5:3000"),
        ]);
        assert_eq!(check(&Method::POST, &behind_proxy, Some(&public)), Ok(()));
        let spoofed = headers(&[
            ("origin", "http://app.example.com"),
            ("host", "app.example.com"),
        ]);
        assert!(check(&Method::POST, &spoofed, Some(&public)).is_err());
    }

    #[test]
    fn requests_without_browser_headers_pass() {
        assert_eq!(post(&[("host", "127.0.0.1:3000")]), Ok(()));
    }

    #[test]
    fn reads_pass_whatever_their_origin() {
        let foreign = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ]);
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(check(&method, &foreign, None), Ok(()));
        }
        for method in [Method::PUT, Method::DELETE, Method::PATCH] {
            assert!(check(&method, &foreign, None).is_err());
        }
    }
}
