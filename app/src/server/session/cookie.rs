//! The session cookie: its name, its flags, and reading it back.
//!
//! HttpOnly keeps the token from scripts; SameSite=Lax keeps it off cross-site POSTs in
//! browsers that honour it (the CSRF guard does not rely on that). With
//! `FLOWPULSE_COOKIE_SECURE` on (the default) the cookie is `Secure` and named with the
//! `__Host-` prefix, which browsers accept only from a secure origin, with `Path=/` and without
//! `Domain`: no subdomain and no plain-HTTP page can plant or overwrite it.

use axum::http::{header, HeaderMap};

/// Name of the session cookie over plain HTTP (the local stack).
const PLAIN_NAME: &str = "flowpulse_session";
/// Name of the session cookie when it is `Secure`.
const HOST_NAME: &str = "__Host-flowpulse_session";

/// How the session cookie is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCookie {
    secure: bool,
}

impl SessionCookie {
    /// `secure`: `FLOWPULSE_COOKIE_SECURE`.
    pub fn new(secure: bool) -> Self {
        Self { secure }
    }

    /// The cookie's name.
    pub fn name(&self) -> &'static str {
        if self.secure {
            HOST_NAME
        } else {
            PLAIN_NAME
        }
    }

    /// `Set-Cookie` value carrying `token` for `max_age` seconds.
    pub fn issue(&self, token: &str, max_age: i64) -> String {
        self.format(token, max_age.max(0))
    }

    /// `Set-Cookie` value that removes the cookie.
    pub fn clear(&self) -> String {
        self.format("", 0)
    }

    /// The cookie's value in a request, if present.
    pub fn read<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        let name = self.name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim())
    }

    /// True when a response already sets (or clears) this cookie.
    pub fn is_set_in(&self, response_headers: &HeaderMap) -> bool {
        let prefix = format!("{}=", self.name());
        response_headers
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|value| value.as_bytes().starts_with(prefix.as_bytes()))
    }

    fn format(&self, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
            self.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_secure_cookie_is_a_host_cookie() {
        let cookie = SessionCookie::new(true).issue("tok", 3600);
        assert!(
            cookie.starts_with("__Host-flowpulse_session=tok;"),
            "{cookie}"
        );
        assert!(cookie.contains("; Path=/;"), "{cookie}");
        assert!(cookie.ends_with("; Secure"), "{cookie}");
        assert!(!cookie.to_ascii_lowercase().contains("domain"), "{cookie}");
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
        assert!(cookie.contains("; SameSite=Lax"), "{cookie}");
    }

    #[test]
    fn the_plain_cookie_has_no_prefix_and_no_secure_flag() {
        let cookie = SessionCookie::new(false).issue("tok", 3600);
        assert!(cookie.starts_with("flowpulse_session=tok;"), "{cookie}");
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
        assert!(cookie.contains("; SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("; Path=/"), "{cookie}");
        assert!(cookie.contains("; Max-Age=3600"), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
    }

    #[test]
    fn clearing_expires_the_cookie_under_the_same_name() {
        for secure in [true, false] {
            let policy = SessionCookie::new(secure);
            let cleared = policy.clear();
            assert!(cleared.starts_with(&format!("{}=;", policy.name())));
            assert!(cleared.contains("Max-Age=0"), "{cleared}");
        }
    }

    #[test]
    fn the_cookie_is_read_from_among_others_and_only_under_its_own_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; flowpulse_session=plain; x=y"),
        );
        assert_eq!(SessionCookie::new(false).read(&headers), Some("plain"));
        // With Secure on, a plain-named cookie (which any HTTP page could have set) is ignored.
        assert_eq!(SessionCookie::new(true).read(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-flowpulse_session=host"),
        );
        assert_eq!(SessionCookie::new(true).read(&headers), Some("host"));
    }

    #[test]
    fn a_response_setting_the_cookie_is_recognised() {
        let policy = SessionCookie::new(true);
        let mut headers = HeaderMap::new();
        assert!(!policy.is_set_in(&headers));
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&policy.clear()).unwrap(),
        );
        assert!(policy.is_set_in(&headers));
        assert!(!SessionCookie::new(false).is_set_in(&headers));
    }
}
