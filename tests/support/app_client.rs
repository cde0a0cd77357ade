//! The app over plain HTTP, the way a browser's requests reach it: server functions posted to
//! the URLs their forms name, the session cookie carried by hand, and the headers that say
//! which site a request comes from.

use super::app::TestApp;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{RequestBuilder, Response};

/// Where a request says it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// One of the app's own pages (a current browser sends both headers).
    Same,
    /// A page of another site, in a current browser.
    Foreign,
    /// A page of another site, in a browser that sends `Origin` but not `Sec-Fetch-Site`.
    ForeignOriginOnly,
    /// Not a browser (curl, a script): neither header.
    Script,
}

/// The attacker's site in the tests.
pub const EVIL_ORIGIN: &str = "https://evil.example";

/// An HTTP client for one app; follows no redirects and keeps no cookies.
pub struct AppClient {
    pub url: String,
    pub http: reqwest::Client,
}

impl AppClient {
    pub fn new(app: &TestApp) -> Self {
        Self {
            url: app.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// `GET path`, with the session cookie pair `cookie` (`name=value`) if given.
    pub fn get(&self, path: &str, cookie: Option<&str>) -> RequestBuilder {
        with_cookie(self.http.get(format!("{}{path}", self.url)), cookie)
    }

    /// The HTML of page `path`, which must answer 200.
    pub async fn page(&self, path: &str, cookie: Option<&str>) -> String {
        let reply = self.get(path, cookie).send().await.unwrap();
        assert_eq!(reply.status(), 200, "GET {path}");
        reply.text().await.unwrap()
    }

    /// The URL of server function `name` as the form on `page` names it.
    pub async fn server_fn_url(&self, page: &str, cookie: Option<&str>, name: &str) -> String {
        let html = self.page(page, cookie).await;
        let path = form_action(&html, name)
            .unwrap_or_else(|| panic!("no form for {name} on {page}:\n{html}"));
        format!("{}{path}", self.url)
    }

    /// Posts a server function's form fields, as a page of `site` would.
    pub async fn post_form(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
        site: Site,
    ) -> Response {
        let request = with_cookie(self.http.post(url).form(fields), cookie);
        let request = match site {
            Site::Same => request
                .header(ORIGIN, &self.url)
                .header("sec-fetch-site", "same-origin"),
            Site::Foreign => request
                .header(ORIGIN, EVIL_ORIGIN)
                .header("sec-fetch-site", "cross-site"),
            Site::ForeignOriginOnly => request.header(ORIGIN, EVIL_ORIGIN),
            Site::Script => request,
        };
        request.send().await.unwrap()
    }

    /// Creates an account through the sign-up form's server function; returns the session
    /// cookie pair (`name=value`).
    pub async fn sign_up(&self, email: &str, password: &str) -> String {
        let url = self.server_fn_url("/sign-up", None, "sign_up").await;
        let fields = [
            ("email", email),
            ("password", password),
            ("password_again", password),
        ];
        let reply = self.post_form(&url, &fields, None, Site::Same).await;
        assert_eq!(reply.status(), 200, "sign-up of {email}");
        session_cookie(&reply).expect("sign-up sets the session cookie")
    }

    /// Signs in through the sign-in form's server function; returns the cookie pair.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let url = self.server_fn_url("/sign-in", None, "sign_in").await;
        let fields = [("email", email), ("password", password), ("next", "/")];
        let reply = self.post_form(&url, &fields, None, Site::Same).await;
        assert_eq!(reply.status(), 200, "sign-in of {email}");
        session_cookie(&reply).expect("sign-in sets the session cookie")
    }
}

fn with_cookie(request: RequestBuilder, cookie: Option<&str>) -> RequestBuilder {
    match cookie {
        Some(cookie) => request.header(COOKIE, cookie),
        None => request,
    }
}

/// The `Set-Cookie` headers of a reply that concern the session cookie.
pub fn session_set_cookies(reply: &Response) -> Vec<String> {
    reply
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter(|value| value.contains("flowpulse_session="))
        .map(str::to_string)
        .collect()
}

/// The session cookie pair (`name=value`) a reply sets, if it sets a non-empty one.
pub fn session_cookie(reply: &Response) -> Option<String> {
    session_set_cookies(reply)
        .iter()
        .filter_map(|value| value.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(_, value)| !value.is_empty())
        })
        .map(str::to_string)
}

/// The `action` of the form posting to server function `name` (Leptos names it
/// `/api/<name><hash digits>`).
fn form_action(html: &str, name: &str) -> Option<String> {
    html.split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|action| {
            action
                .strip_prefix("/api/")
                .and_then(|rest| rest.strip_prefix(name))
                .is_some_and(|hash| !hash.is_empty() && hash.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_string)
}
