//! The base URL of an n8n instance, parsed once at the edge and trusted everywhere after.
//!
//! One rule for every part that takes such a URL (the app's form, the edge function reading a
//! stored row, the `flowpulse` tool's config): `http` or `https`, a host, no user-info (the API
//! key travels in a header, and a password in a URL ends up in logs), no query or fragment
//! (they could swallow the `/api/v1/...` path FlowPulse appends), no whitespace. Parsing follows
//! the WHATWG rules browsers use, so `http://0x7f.1/` and `http://2130706433/` become
//! `127.0.0.1` here — the outbound policy (`crate::outbound`) judges the real address, not
//! its spelling. A trailing `/` or `/api/v1` is dropped: FlowPulse adds the API path itself.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::{Host, Url};

/// Why a text is not a usable instance URL. `Display` is the message a user sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a URL at all, or not http(s).
    #[error("The URL must start with http:// or https://, e.g. https://n8n.example.com.")]
    NotHttp,
    /// No host, or one the URL rules reject.
    #[error("Enter the address of your n8n instance, e.g. https://n8n.example.com.")]
    NoHost,
    /// `user:password@` in the URL.
    #[error(
        "Remove the user name and password from the URL: FlowPulse sends the API key in a \
         header, never in the address."
    )]
    UserInfo,
    /// A `?` or `#` part.
    #[error("Remove the ?… or #… part: enter only the instance's base address.")]
    QueryOrFragment,
    /// Spaces or control characters.
    #[error("The URL contains spaces or control characters.")]
    Whitespace,
    /// Longer than [`MAX_LEN`].
    #[error("The URL is too long (at most 2,000 characters).")]
    TooLong,
}

/// Longest accepted URL, in bytes.
pub const MAX_LEN: usize = 2000;

/// A checked n8n base URL: normalised, without a trailing `/` or `/api/v1`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    url: Url,
    /// `url` as text without the trailing `/` that `Url` keeps for an empty path.
    text: String,
}

impl BaseUrl {
    /// Parses and normalises `input` (surrounding spaces are ignored).
    pub fn parse(input: &str) -> Result<Self, BaseUrlError> {
        let input = input.trim();
        if input.len() > MAX_LEN {
            return Err(BaseUrlError::TooLong);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BaseUrlError::Whitespace);
        }
        let lower = input.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(BaseUrlError::NotHttp);
        }
        // Checked on the raw text too: `Url` drops an empty `?` or `#`.
        if input.contains(['?', '#']) {
            return Err(BaseUrlError::QueryOrFragment);
        }
        let mut url = Url::parse(input).map_err(|_| BaseUrlError::NoHost)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BaseUrlError::UserInfo);
        }
        if matches!(url.host(), None | Some(Host::Domain(""))) {
            return Err(BaseUrlError::NoHost);
        }
        let path = url.path().trim_end_matches('/');
        let path = path.strip_suffix("/api/v1").unwrap_or(path);
        let path = path.trim_end_matches('/').to_string();
        url.set_path(&path);
        let text = url.as_str().trim_end_matches('/').to_string();
        Ok(Self { url, text })
    }

    /// The normalised URL, e.g. `https://n8n.example.com` or `https://example.com/n8n`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `scheme://host[:port]`, the default port left out: what an API key is bound to.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// The URL of a public-API path, e.g. `api("/workflows")` →
    /// `https://n8n.example.com/api/v1/workflows`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.text)
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The host as the URL rules normalised it (lower case, punycode, canonical IP).
    pub fn host(&self) -> UrlHost<'_> {
        match self.url.host() {
            Some(Host::Ipv4(ip)) => UrlHost::Ip(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => UrlHost::Ip(IpAddr::V6(ip)),
            Some(Host::Domain(domain)) => UrlHost::Name(domain),
            // Parsing refused URLs without a host.
            None => UrlHost::Name(""),
        }
    }

    /// The port the connection goes to (the scheme's default when none is written).
    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(80)
    }
}

/// `raw` for display: a URL stored before the rule existed may carry `user:password@`, which
/// must never reach a page or a log. Unparseable text is shown as is (it has no user-info part
/// that a URL parser would find).
pub fn redact_user_info(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            // Both only fail for URLs that cannot have credentials in the first place.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.as_str().trim_end_matches('/').to_string()
        }
        _ => raw.trim().to_string(),
    }
}

/// Where a URL points: an address written in the URL, or a name to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlHost<'a> {
    /// An IP address literal (after normalisation).
    Ip(IpAddr),
    /// A DNS name, lower case.
    Name(&'a str),
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.text)
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = BaseUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for BaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ok(input: &str) -> String {
        BaseUrl::parse(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .to_string()
    }

    #[test]
    fn a_base_url_loses_trailing_slashes_and_the_api_path() {
        assert_eq!(ok(" https://n8n.example.com/ "), "https://n8n.example.com");
        assert_eq!(
            ok("https://n8n.example.com/api/v1/"),
            "https://n8n.example.com"
        );
        assert_eq!(ok("https://example.com/n8n/"), "https://example.com/n8n");
        assert_eq!(ok("http://127.0.0.1:5678"), "http://127.0.0.1:5678");
        assert_eq!(ok("HTTPS://N8N.Example.COM"), "https://n8n.example.com");
    }

    #[test]
    fn the_api_path_is_appended_to_the_base() {
        let url = BaseUrl::parse("https://example.com/n8n").unwrap();
        assert_eq!(
            url.api("/workflows"),
            "https://example.com/n8n/api/v1/workflows"
        );
    }

    #[test]
    fn the_origin_leaves_out_the_default_port_and_the_path() {
        let origin = |s: &str| BaseUrl::parse(s).unwrap().origin();
        assert_eq!(
            origin("https://n8n.example.com:443/x"),
            "https://n8n.example.com"
        );
        assert_eq!(
            origin("http://n8n.example.com:8080"),
            "http://n8n.example.com:8080"
        );
        assert_ne!(
            origin("http://n8n.example.com"),
            origin("https://n8n.example.com")
        );
    }

    #[test]
    fn user_info_query_and_fragment_are_refused() {
        let refused = |s: &str| BaseUrl::parse(s).unwrap_err();
        assert_eq!(
            refused("https://user:pw@n8n.example.com"),
            BaseUrlError::UserInfo
        );
        assert_eq!(
            refused("https://user@n8n.example.com"),
            BaseUrlError::UserInfo
        );
        assert_eq!(
            refused("http://127.0.0.1:8788/__scheduled?cron=17+3+*+*+*#"),
            BaseUrlError::QueryOrFragment
        );
        assert_eq!(
            refused("https://n8n.example.com/?"),
            BaseUrlError::QueryOrFragment
        );
        assert_eq!(
            refused("https://n8n.example.com/#"),
            BaseUrlError::QueryOrFragment
        );
    }

    #[test]
    fn other_schemes_missing_hosts_and_spaces_are_refused() {
        let refused = |s: &str| BaseUrl::parse(s).unwrap_err();
        assert_eq!(refused("n8n.example.com"), BaseUrlError::NotHttp);
        assert_eq!(refused("ftp://n8n.example.com"), BaseUrlError::NotHttp);
        assert_eq!(refused("file:///etc/passwd"), BaseUrlError::NotHttp);
        assert_eq!(refused("https://"), BaseUrlError::NoHost);
        assert_eq!(refused("https://n8n example.com"), BaseUrlError::Whitespace);
        assert_eq!(
            refused("https://n8n.example.com/a\nb"),
            BaseUrlError::Whitespace
        );
        assert_eq!(
            refused(&format!("https://{}.com", "a".repeat(2000))),
            BaseUrlError::TooLong
        );
    }

    #[test]
    fn ip_shorthands_are_normalised_to_the_address_they_reach() {
        for spelling in [
            "http://0x7f.1",
            "http://2130706433",
            "http://127.1",
            "http://0177.0.0.1",
        ] {
            let url = BaseUrl::parse(spelling).unwrap();
            assert_eq!(
                url.host(),
                UrlHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                "{spelling}"
            );
        }
        let v6 = BaseUrl::parse("http://[::ffff:169.254.169.254]").unwrap();
        assert!(matches!(v6.host(), UrlHost::Ip(IpAddr::V6(_))));
    }

    #[test]
    fn the_port_is_the_written_one_or_the_schemes_default() {
        assert_eq!(BaseUrl::parse("https://x.example").unwrap().port(), 443);
        assert_eq!(BaseUrl::parse("http://x.example").unwrap().port(), 80);
        assert_eq!(
            BaseUrl::parse("http://x.example:8788").unwrap().port(),
            8788
        );
    }

    #[test]
    fn user_info_is_redacted_for_display() {
        assert_eq!(
            redact_user_info("https://ada:hunter2@n8n.example.com/"),
            "https://n8n.example.com"
        );
        assert_eq!(
            redact_user_info("https://n8n.example.com"),
            "https://n8n.example.com"
        );
    }

    #[test]
    fn a_base_url_round_trips_through_serde_and_rejects_bad_text() {
        let url = BaseUrl::parse("https://n8n.example.com").unwrap();
        let json = serde_json::to_string(&url).unwrap();
        assert_eq!(json, "\"https://n8n.example.com\"");
        assert_eq!(serde_json::from_str::<BaseUrl>(&json).unwrap(), url);
        assert!(serde_json::from_str::<BaseUrl>("\"https://a@b.example\"").is_err());
    }
}
