//! The security settings of the app server, read once at start-up.

use anyhow::{bail, Context, Result};
use axum::http::uri::{Authority, Scheme, Uri};
use std::time::Duration;

/// Default absolute lifetime of a session: a week.
const DEFAULT_SESSION_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default number of live `/events` connections one user may hold (tabs, browsers).
const DEFAULT_EVENTS_PER_USER: usize = 8;

/// Cookies, sessions, live connections and the public origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    /// `FLOWPULSE_COOKIE_SECURE` (default on): `Secure` session cookie with the `__Host-`
    /// prefix. Only the local stack, on plain HTTP, turns it off.
    pub cookie_secure: bool,
    /// `FLOWPULSE_SESSION_MAX_AGE_SECS` (default 7 days): a session ends this long after
    /// sign-in, however active; no token is refreshed past it.
    pub session_max_age: Duration,
    /// `FLOWPULSE_EVENTS_PER_USER` (default 8): live `/events` connections per user.
    pub events_per_user: usize,
    /// `FLOWPULSE_PUBLIC_URL` (optional): the origin browsers see (`https://app.example.com`).
    /// When set, state-changing requests must come from exactly it; when not, from the
    /// request's own `Host`.
    pub public_origin: Option<Origin>,
}

impl SecuritySettings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let read = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        let cookie_secure = match read("FLOWPULSE_COOKIE_SECURE") {
            Some(value) => parse_bool(&value).context("FLOWPULSE_COOKIE_SECURE")?,
            None => true,
        };
        let session_max_age = match read("FLOWPULSE_SESSION_MAX_AGE_SECS") {
            Some(value) => Duration::from_secs(positive(&value, "FLOWPULSE_SESSION_MAX_AGE_SECS")?),
            None => DEFAULT_SESSION_MAX_AGE,
        };
        let events_per_user = match read("FLOWPULSE_EVENTS_PER_USER") {
            Some(value) => usize::try_from(positive(&value, "FLOWPULSE_EVENTS_PER_USER")?)?,
            None => DEFAULT_EVENTS_PER_USER,
        };
        let public_origin = read("FLOWPULSE_PUBLIC_URL")
            .map(|value| Origin::parse(&value).context("FLOWPULSE_PUBLIC_URL"))
            .transpose()?;
        Ok(Self {
            cookie_secure,
            session_max_age,
            events_per_user,
            public_origin,
        })
    }
}

fn parse_bool(value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        other => bail!("expected true or false, got {other:?}"),
    }
}

fn positive(value: &str, key: &str) -> Result<u64> {
    let number: u64 = value
        .trim()
        .parse()
        .with_context(|| format!("{key}: expected a whole number, got {value:?}"))?;
    if number == 0 {
        bail!("{key} must be at least 1");
    }
    Ok(number)
}

/// A web origin: scheme, host and port, as browsers send it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `scheme://host[:port]` (a trailing `/` is allowed; no other path, no userinfo).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim().trim_end_matches('/');
        let uri: Uri = text
            .parse()
            .with_context(|| format!("{text:?} is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            bail!("{text:?} is not an origin like https://app.example.com");
        };
        let has_path = !matches!(uri.path(), "" | "/") || uri.query().is_some();
        if has_path || authority.as_str().contains('@') {
            bail!("{text:?} is not an origin like https://app.example.com");
        }
        let scheme = scheme.as_str().to_ascii_lowercase();
        let port = authority
            .port_u16()
            .or_else(|| default_port(&scheme))
            .with_context(|| format!("{text:?} names no port and its scheme has none"))?;
        Ok(Self {
            host: authority.host().to_ascii_lowercase(),
            scheme,
            port,
        })
    }

    /// `scheme://host:port`, for links FlowPulse sends out (alerts).
    pub fn url(&self) -> String {
        format!("{}://{}:{}", self.scheme, self.host, self.port)
    }

    /// True when this origin is the one `host` (a `Host` header) names. The scheme is not in
    /// `Host`: the port stands in for it, the default one of this origin's scheme.
    pub fn is_host(&self, host: &str) -> bool {
        let Ok(authority) = host.trim().parse::<Authority>() else {
            return false;
        };
        let port = authority.port_u16().or_else(|| default_port(&self.scheme));
        authority.host().eq_ignore_ascii_case(&self.host) && port == Some(self.port)
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    if scheme == Scheme::HTTPS.as_str() {
        Some(443)
    } else if scheme == Scheme::HTTP.as_str() {
        Some(80)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<SecuritySettings> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SecuritySettings::from_lookup(|key| map.get(key).cloned())
    }

    #[test]
    fn the_defaults_are_secure_cookies_a_week_and_eight_streams() {
        let defaults = settings(&[]).unwrap();
        assert!(defaults.cookie_secure);
        assert_eq!(defaults.session_max_age, Duration::from_secs(604_800));
        assert_eq!(defaults.events_per_user, 8);
        assert_eq!(defaults.public_origin, None);
    }

    #[test]
    fn each_setting_is_read_and_nonsense_is_refused_by_name() {
        let read = settings(&[
            ("FLOWPULSE_COOKIE_SECURE", "false"),
            ("FLOWPULSE_SESSION_MAX_AGE_SECS", "90"),
            ("FLOWPULSE_EVENTS_PER_USER", "2"),
            ("FLOWPULSE_PUBLIC_URL", "https://App.Example.com/"),
        ])
        .unwrap();
        assert!(!read.cookie_secure);
        assert_eq!(read.session_max_age, Duration::from_secs(90));
        assert_eq!(read.events_per_user, 2);
        assert_eq!(
            read.public_origin,
            Some(Origin::parse("https://app.example.com:443").unwrap())
        );
        for (key, value) in [
            ("FLOWPULSE_COOKIE_SECURE", "maybe"),
            ("FLOWPULSE_SESSION_MAX_AGE_SECS", "0"),
            ("FLOWPULSE_EVENTS_PER_USER", "many"),
            ("FLOWPULSE_PUBLIC_URL", "https://app.example.com/path"),
        ] {
            let error = format!("{:#}", settings(&[(key, value)]).unwrap_err());
            assert!(error.contains(key), "{error}");
        }
    }

    #[test]
    fn an_origin_matches_the_host_header_that_names_it() {
        let local = Origin::parse("http://127.0.0.1:3000").unwrap();
        assert!(local.is_host("127.0.0.1:3000"));
        assert!(!local.is_host("127.0.0.1:3001"));
        assert!(!local.is_host("evil.example:3000"));
        let public = Origin::parse("https://app.example.com").unwrap();
        assert!(public.is_host("APP.example.com"));
        assert!(public.is_host("app.example.com:443"));
        assert!(!public.is_host("app.example.com:80"));
        assert!(!public.is_host("not a host"));
    }

    #[test]
    fn what_is_not_an_origin_is_refused() {
        assert!(Origin::parse("null").is_err());
        assert!(Origin::parse("app.example.com").is_err());
        assert!(Origin::parse("https://user@app.example.com").is_err());
    }
}
