//! The assistant's settings, read at start-up: `FLOWPULSE_LLM_BASE_URL`,
//! `FLOWPULSE_LLM_API_KEY` and `FLOWPULSE_LLM_MODEL` together (or none: no assistant), and
//! `FLOWPULSE_LLM_TIMEOUT_SECS`. The key is kept in an [`ApiKey`], which never prints.

use anyhow::{bail, Context, Result};
use reqwest::Url;
use std::fmt;
use std::time::Duration;
use thiserror::Error;

/// How long one answer may take when `FLOWPULSE_LLM_TIMEOUT_SECS` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

const BASE_URL: &str = "FLOWPULSE_LLM_BASE_URL";
const API_KEY: &str = "FLOWPULSE_LLM_API_KEY";
const MODEL: &str = "FLOWPULSE_LLM_MODEL";
const TIMEOUT: &str = "FLOWPULSE_LLM_TIMEOUT_SECS";

/// Where the assistant's model is and how to reach it.
#[derive(Clone)]
pub struct LlmConfig {
    /// `<FLOWPULSE_LLM_BASE_URL>/chat/completions`.
    pub endpoint: Url,
    /// `FLOWPULSE_LLM_API_KEY`, sent as `Authorization: Bearer`.
    pub api_key: ApiKey,
    /// `FLOWPULSE_LLM_MODEL`.
    pub model: String,
    /// `FLOWPULSE_LLM_TIMEOUT_SECS` (default 30): one whole answer, body included.
    pub timeout: Duration,
}

impl LlmConfig {
    /// Reads the environment: `None` when none of the three variables is set.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let read = |key: &str| {
            lookup(key)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let (base, key, model) = match (read(BASE_URL), read(API_KEY), read(MODEL)) {
            (None, None, None) => return Ok(None),
            (Some(base), Some(key), Some(model)) => (base, key, model),
            (base, key, model) => {
                let missing: Vec<&str> = [(BASE_URL, base), (API_KEY, key), (MODEL, model)]
                    .into_iter()
                    .filter(|(_, value)| value.is_none())
                    .map(|(name, _)| name)
                    .collect();
                bail!(
                    "{} not set: the language model needs {BASE_URL}, {API_KEY} and {MODEL} \
                     together (or none of them)",
                    missing.join(" and ")
                );
            }
        };
        let timeout = match read(TIMEOUT) {
            None => DEFAULT_TIMEOUT,
            Some(value) => match value.parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => bail!("{TIMEOUT} must be a whole number of seconds above 0"),
            },
        };
        Ok(Some(Self {
            endpoint: chat_completions_url(&base).context(BASE_URL)?,
            api_key: ApiKey::new(key),
            model,
            timeout,
        }))
    }
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("api_key", &self.api_key)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The provider's API key. No `Display`; its `Debug` is a placeholder.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header only.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Why a base URL is refused. The URL itself is never repeated (it could hold a password).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BaseUrlError {
    /// Not a URL at all.
    #[error("is not a URL (expected e.g. https://api.openai.com/v1)")]
    NotAUrl,
    /// Another scheme.
    #[error("must start with http:// or https://")]
    Scheme,
    /// `user:password@`.
    #[error("must not contain a user name or password (the key goes in FLOWPULSE_LLM_API_KEY)")]
    UserInfo,
    /// `?...` or `#...`.
    #[error("must not contain a query (?) or fragment (#)")]
    QueryOrFragment,
}

/// `<base>/chat/completions` for an operator's base URL: http(s), a host, no user-info, no
/// query or fragment; a path such as `/v1` is kept.
pub fn chat_completions_url(base: &str) -> Result<Url, BaseUrlError> {
    let mut url = Url::parse(base).map_err(|_| BaseUrlError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BaseUrlError::Scheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(BaseUrlError::NotAUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BaseUrlError::UserInfo);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment);
    }
    url.path_segments_mut()
        .map_err(|()| BaseUrlError::NotAUrl)?
        .pop_if_empty()
        .extend(["chat", "completions"]);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Option<LlmConfig>> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LlmConfig::from_lookup(|key| vars.get(key).cloned())
    }

    const ALL: [(&str, &str); 3] = [
        (BASE_URL, "https://llm.example.com/v1/"),
        (API_KEY, "sk-config-secret"),
        (MODEL, "gpt-test"),
    ];

    #[test]
    fn no_variables_means_no_assistant() {
        assert!(read(&[]).unwrap().is_none());
        assert!(read(&[(BASE_URL, "  "), (TIMEOUT, "10")])
            .unwrap()
            .is_none());
    }

    #[test]
    fn all_three_variables_configure_the_assistant() {
        let config = read(&ALL).unwrap().unwrap();
        assert_eq!(
            config.endpoint.as_str(),
            "https://llm.example.com/v1/chat/completions"
        );
        assert_eq!(config.model, "gpt-test");
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        let mut with_timeout = ALL.to_vec();
        with_timeout.push((TIMEOUT, "7"));
        let config = read(&with_timeout).unwrap().unwrap();
        assert_eq!(config.timeout, Duration::from_secs(7));
    }

    #[test]
    fn a_partial_set_is_an_error_naming_what_is_missing() {
        let error = read(&ALL[..1]).unwrap_err().to_string();
        assert!(
            error.starts_with("FLOWPULSE_LLM_API_KEY and FLOWPULSE_LLM_MODEL not set"),
            "{error}"
        );
        let error = read(&ALL[1..]).unwrap_err().to_string();
        assert!(
            error.starts_with("FLOWPULSE_LLM_BASE_URL not set"),
            "{error}"
        );
        assert!(!error.contains("sk-config-secret"), "{error}");
    }

    #[test]
    fn a_bad_timeout_is_an_error_naming_the_variable() {
        for bad in ["0", "ten", "-3"] {
            let mut vars = ALL.to_vec();
            vars.push((TIMEOUT, bad));
            let error = read(&vars).unwrap_err().to_string();
            assert!(error.contains(TIMEOUT), "{error}");
        }
    }

    #[test]
    fn base_urls_follow_the_url_rule() {
        let ok = |base: &str| chat_completions_url(base).unwrap().to_string();
        assert_eq!(
            ok("http://127.0.0.1:11434/v1"),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            ok("https://llm.example.com"),
            "https://llm.example.com/chat/completions"
        );
        assert_eq!(
            chat_completions_url("ftp://llm.example.com"),
            Err(BaseUrlError::Scheme)
        );
        assert_eq!(
            chat_completions_url("llm.example.com/v1"),
            Err(BaseUrlError::NotAUrl)
        );
        assert_eq!(
            chat_completions_url("https://user:pw@llm.example.com/v1"),
            Err(BaseUrlError::UserInfo)
        );
        assert_eq!(
            chat_completions_url("https://llm.example.com/v1?key=1"),
            Err(BaseUrlError::QueryOrFragment)
        );
    }

    #[test]
    fn a_refused_base_url_is_not_repeated_in_the_error() {
        let mut vars = ALL.to_vec();
        vars[0] = (BASE_URL, "https://me:hunter2@llm.example.com/v1");
        let error = format!("{:#}", read(&vars).unwrap_err());
        assert!(error.contains(BASE_URL), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn the_key_never_appears_in_debug_output() {
        let config = read(&ALL).unwrap().unwrap();
        let debug = format!("{config:?} {:?} {config:#?}", config.api_key);
        assert!(!debug.contains("sk-config-secret"), "{debug}");
        assert!(debug.contains("gpt-test"), "{debug}");
    }
}
