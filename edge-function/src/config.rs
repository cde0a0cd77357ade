//! The function's configuration, read once per request from the worker's bindings (Cloudflare
//! `[vars]` and secrets; text bindings in the local workerd config) or, natively, from any
//! name → value lookup.

use std::fmt;
use std::time::Duration;

use flowpulse_core::crypto::{KeyRing, CURRENT_KEY_VERSION};
use flowpulse_core::insight::health::HealthConfig;
use flowpulse_core::outbound::OutboundPolicy;
use flowpulse_core::retry::RetryPolicy;
use flowpulse_n8n::client::DEFAULT_MAX_REPLY_BYTES;

/// Default hard time budget of one run.
pub const DEFAULT_SYNC_TIME_BUDGET: Duration = Duration::from_secs(25);
/// Default budget of one provider when others wait for its slot.
pub const DEFAULT_PROVIDER_TIME_BUDGET: Duration = Duration::from_secs(10);
/// Default timeout of one request to n8n.
pub const DEFAULT_N8N_TIMEOUT: Duration = Duration::from_secs(10);
/// Default retention of `sync_logs` rows.
pub const DEFAULT_SYNC_LOG_RETENTION_DAYS: u32 = 30;
/// Default retention of `executions` rows.
pub const DEFAULT_EXECUTION_RETENTION_DAYS: u32 = 365;

/// Everything the function needs to run, parsed and checked.
///
/// `Debug` never prints secrets.
#[derive(Clone)]
pub struct WorkerConfig {
    /// `POSTGREST_URL`: PostgREST base URL without a trailing slash, e.g.
    /// `http://127.0.0.1:3000/api` locally or `https://<ref>.supabase.co/rest/v1` on Supabase.
    pub postgrest_url: String,
    /// `POSTGREST_API_KEY` (secret): sent as the `apikey` header, as Supabase's API gateway
    /// wants (the project's anon key). The caller's JWT goes in `Authorization`.
    pub postgrest_api_key: String,
    /// `JWT_SECRET` (secret): the HS256 secret PostgREST verifies tokens with; the function
    /// verifies callers' tokens with it before doing anything.
    pub jwt_secret: String,
    /// `SERVICE_ROLE_KEY` (secret): a `service_role` JWT, the identity of cron runs.
    pub service_role_key: String,
    /// `ENCRYPTION_KEY` (secret): base64 of 32 bytes, the current key version; decrypts
    /// `providers.api_key_ciphertext`.
    pub key_ring: KeyRing,
    /// `OUTBOUND_ALLOW` / `OUTBOUND_DENY_PORTS` (optional): which n8n addresses may be
    /// contacted. Default: public addresses only, every port.
    pub outbound: OutboundPolicy,
    /// `N8N_MAX_REPLY_BYTES` (optional, default 16 MiB): larger n8n replies are refused.
    pub n8n_max_reply_bytes: usize,
    /// `ALLOWED_ORIGINS`: comma-separated browser origins that get CORS headers (`*` = any).
    pub allowed_origins: Vec<String>,
    /// `SYNC_TIME_BUDGET_MS` (optional, default 25 000): hard wall-clock budget of one run;
    /// providers still unfinished then end `partial` or `error`.
    pub sync_time_budget: Duration,
    /// `PROVIDER_TIME_BUDGET_MS` (optional, default 10 000): most time one provider gets when
    /// a run covers more providers than it syncs at once, so a slow or hostile instance cannot
    /// hold a slot the others wait for; a backlog continues next run.
    pub provider_time_budget: Duration,
    /// `N8N_TIMEOUT_MS` (optional, default 10 000): timeout of one request to n8n (capped by
    /// what is left of the budget).
    pub n8n_timeout: Duration,
    /// `SYNC_LOG_RETENTION_DAYS` (optional, default 30): cleanup prunes older `sync_logs`.
    pub sync_log_retention_days: u32,
    /// `EXECUTION_RETENTION_DAYS` (optional, default 365): cleanup prunes older `executions`.
    pub execution_retention_days: u32,
    /// Retry policy for n8n requests (not a binding: core's default).
    pub retry: RetryPolicy,
    /// How many providers one run syncs at once (not a binding).
    pub provider_concurrency: usize,
    /// Thresholds of the health check after each sync (`STUCK_AFTER_MINUTES`, default 30).
    pub health: HealthConfig,
    /// `MAIL_RELAY_URL` and `MAIL_RELAY_TOKEN` (secret), both or neither: where alert e-mail
    /// goes (the app's `/internal/alert-mail`), since a worker cannot speak SMTP.
    pub mail_relay: Option<MailRelay>,
    /// `APP_URL` (optional): the app's address, which alert links point into; without it, the
    /// first of `ALLOWED_ORIGINS`.
    pub app_url: Option<String>,
}

/// The app's mail relay: an operator's own service, so its address may be private.
#[derive(Clone, PartialEq, Eq)]
pub struct MailRelay {
    /// The endpoint, e.g. `https://app.example.com/internal/alert-mail`.
    pub url: String,
    /// Sent as `Authorization: Bearer …`.
    pub token: String,
}

impl fmt::Debug for MailRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailRelay")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("postgrest_url", &self.postgrest_url)
            .field("postgrest_api_key", &"<redacted>")
            .field("jwt_secret", &"<redacted>")
            .field("service_role_key", &"<redacted>")
            .field("key_ring", &self.key_ring)
            .field("outbound", &self.outbound)
            .field("n8n_max_reply_bytes", &self.n8n_max_reply_bytes)
            .field("allowed_origins", &self.allowed_origins)
            .field("sync_time_budget", &self.sync_time_budget)
            .field("provider_time_budget", &self.provider_time_budget)
            .field("n8n_timeout", &self.n8n_timeout)
            .field("sync_log_retention_days", &self.sync_log_retention_days)
            .field("execution_retention_days", &self.execution_retention_days)
            .field("retry", &self.retry)
            .field("provider_concurrency", &self.provider_concurrency)
            .field("health", &self.health)
            .field("app_url", &self.app_url)
            .field(
                "mail_relay",
                &self.mail_relay.as_ref().map(|relay| relay.url.as_str()),
            )
            .finish()
    }
}

/// A binding is missing or unusable. Names the binding, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required binding is absent or empty.
    #[error("binding {0} is missing or empty")]
    Missing(&'static str),
    /// A binding has a value of the wrong shape.
    #[error("binding {name} is invalid: {reason}")]
    Invalid {
        /// The binding.
        name: &'static str,
        /// What is wrong with it (no secret material).
        reason: String,
    },
}

impl WorkerConfig {
    /// Reads the configuration through `lookup` (binding name → value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            lookup(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let optional = |name: &'static str| {
            lookup(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let number =
            |name: &'static str, default: u64| -> Result<u64, ConfigError> {
                optional(name).map_or(Ok(default), |value| {
                    value.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                        ConfigError::Invalid {
                            name,
                            reason: format!("expected a positive integer, got {value:?}"),
                        }
                    })
                })
            };
        let days = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            let value = number(name, u64::from(default))?;
            u32::try_from(value).map_err(|_| ConfigError::Invalid {
                name,
                reason: "too large".into(),
            })
        };

        let postgrest_url = required("POSTGREST_URL")?.trim_end_matches('/').to_string();
        if !(postgrest_url.starts_with("http://") || postgrest_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "POSTGREST_URL",
                reason: "must start with http:// or https://".into(),
            });
        }
        let header_safe = |name: &'static str, value: String| {
            if value.bytes().all(|b| b.is_ascii_graphic()) {
                Ok(value)
            } else {
                Err(ConfigError::Invalid {
                    name,
                    reason: "must be printable ASCII without spaces".into(),
                })
            }
        };
        let key_ring = KeyRing::from_base64(CURRENT_KEY_VERSION, &required("ENCRYPTION_KEY")?)
            .map_err(|error| ConfigError::Invalid {
                name: "ENCRYPTION_KEY",
                reason: error.to_string(),
            })?;
        let outbound = OutboundPolicy::parse(
            optional("OUTBOUND_ALLOW").as_deref(),
            optional("OUTBOUND_DENY_PORTS").as_deref(),
        )
        .map_err(|error| ConfigError::Invalid {
            name: "OUTBOUND_ALLOW / OUTBOUND_DENY_PORTS",
            reason: error.to_string(),
        })?;
        let mail_relay = match (optional("MAIL_RELAY_URL"), optional("MAIL_RELAY_TOKEN")) {
            (None, None) => None,
            (Some(url), Some(token)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::Invalid {
                        name: "MAIL_RELAY_URL",
                        reason: "must start with http:// or https://".into(),
                    });
                }
                Some(MailRelay {
                    url,
                    token: header_safe("MAIL_RELAY_TOKEN", token)?,
                })
            }
            (Some(_), None) => return Err(ConfigError::Missing("MAIL_RELAY_TOKEN")),
            (None, Some(_)) => return Err(ConfigError::Missing("MAIL_RELAY_URL")),
        };
        let n8n_max_reply_bytes = usize::try_from(number(
            "N8N_MAX_REPLY_BYTES",
            DEFAULT_MAX_REPLY_BYTES as u64,
        )?)
        .unwrap_or(usize::MAX);
        Ok(Self {
            postgrest_url,
            postgrest_api_key: header_safe("POSTGREST_API_KEY", required("POSTGREST_API_KEY")?)?,
            jwt_secret: required("JWT_SECRET")?,
            service_role_key: header_safe("SERVICE_ROLE_KEY", required("SERVICE_ROLE_KEY")?)?,
            key_ring,
            outbound,
            n8n_max_reply_bytes,
            allowed_origins: optional("ALLOWED_ORIGINS")
                .map(|origins| {
                    origins
                        .split(',')
                        .map(|origin| origin.trim().trim_end_matches('/').to_string())
                        .filter(|origin| !origin.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            sync_time_budget: Duration::from_millis(number(
                "SYNC_TIME_BUDGET_MS",
                millis(DEFAULT_SYNC_TIME_BUDGET),
            )?),
            provider_time_budget: Duration::from_millis(number(
                "PROVIDER_TIME_BUDGET_MS",
                millis(DEFAULT_PROVIDER_TIME_BUDGET),
            )?),
            n8n_timeout: Duration::from_millis(number(
                "N8N_TIMEOUT_MS",
                millis(DEFAULT_N8N_TIMEOUT),
            )?),
            sync_log_retention_days: days(
                "SYNC_LOG_RETENTION_DAYS",
                DEFAULT_SYNC_LOG_RETENTION_DAYS,
            )?,
            execution_retention_days: days(
                "EXECUTION_RETENTION_DAYS",
                DEFAULT_EXECUTION_RETENTION_DAYS,
            )?,
            retry: RetryPolicy::default(),
            provider_concurrency: 4,
            health: HealthConfig {
                stuck_after: chrono::TimeDelta::minutes(
                    i64::try_from(number("STUCK_AFTER_MINUTES", 30)?).unwrap_or(i64::MAX),
                ),
                ..HealthConfig::default()
            },
            mail_relay,
            app_url: match optional("APP_URL") {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
                Some(_) => {
                    return Err(ConfigError::Invalid {
                        name: "APP_URL",
                        reason: "must start with http:// or https://".into(),
                    })
                }
                None => None,
            },
        })
    }

    /// Reads the configuration from the worker's bindings (vars and secrets alike).
    #[cfg(target_arch = "wasm32")]
    pub fn from_env(env: &worker::Env) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env.var(name).ok().map(|value| value.to_string()))
    }

    /// True if `origin` may call the function from a browser.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(crate) const TEST_JWT_SECRET: &str = "test-secret-with-at-least-32-characters!!";
    pub(crate) const TEST_ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    pub(crate) fn bindings() -> HashMap<&'static str, String> {
        HashMap::from([
            ("POSTGREST_URL", "http://127.0.0.1:1/api/".to_string()),
            ("POSTGREST_API_KEY", "anon-key".to_string()),
            ("JWT_SECRET", TEST_JWT_SECRET.to_string()),
            ("SERVICE_ROLE_KEY", "service.role.key".to_string()),
            ("ENCRYPTION_KEY", TEST_ENCRYPTION_KEY.to_string()),
            (
                "ALLOWED_ORIGINS",
                " https://app.example.com, http://127.0.0.1:3000/ ".to_string(),
            ),
        ])
    }

    pub(crate) fn test_config() -> WorkerConfig {
        let bindings = bindings();
        WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap()
    }

    #[test]
    fn required_bindings_are_read_and_optional_ones_default() {
        let config = test_config();
        assert_eq!(config.postgrest_url, "http://127.0.0.1:1/api");
        assert_eq!(config.sync_time_budget, DEFAULT_SYNC_TIME_BUDGET);
        assert_eq!(config.provider_time_budget, DEFAULT_PROVIDER_TIME_BUDGET);
        assert_eq!(config.n8n_timeout, DEFAULT_N8N_TIMEOUT);
        assert_eq!(config.sync_log_retention_days, 30);
        assert_eq!(config.execution_retention_days, 365);
        assert_eq!(config.key_ring.current_version(), CURRENT_KEY_VERSION);
        assert_eq!(config.outbound, OutboundPolicy::public_only());
        assert_eq!(config.n8n_max_reply_bytes, DEFAULT_MAX_REPLY_BYTES);
        assert!(config.origin_allowed("http://127.0.0.1:3000"));
        assert!(config.origin_allowed("https://APP.example.com"));
        assert!(!config.origin_allowed("https://evil.example.com"));
    }

    #[test]
    fn the_mail_relay_needs_both_bindings_and_its_token_is_never_printed() {
        assert_eq!(test_config().mail_relay, None);
        let mut bindings = bindings();
        bindings.insert(
            "MAIL_RELAY_URL",
            "http://10.0.0.7:3000/internal/alert-mail".into(),
        );
        let error = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap_err();
        assert_eq!(error, ConfigError::Missing("MAIL_RELAY_TOKEN"));
        bindings.insert("MAIL_RELAY_TOKEN", "relay-secret-0123456789".into());
        let config = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap();
        let relay = config.mail_relay.clone().unwrap();
        assert_eq!(relay.token, "relay-secret-0123456789");
        assert!(!format!("{config:?}").contains("relay-secret"));
        bindings.insert("MAIL_RELAY_URL", "smtp://mail".into());
        let error = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap_err();
        assert!(error.to_string().contains("MAIL_RELAY_URL"), "{error}");
    }

    #[test]
    fn a_missing_binding_is_named_and_a_bad_number_is_rejected() {
        let mut bindings = bindings();
        bindings.remove("JWT_SECRET");
        let error = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap_err();
        assert_eq!(error, ConfigError::Missing("JWT_SECRET"));

        let mut bindings = super::tests::bindings();
        bindings.insert("N8N_TIMEOUT_MS", "soon".into());
        let error = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap_err();
        assert!(error.to_string().contains("N8N_TIMEOUT_MS"), "{error}");

        let mut bindings = super::tests::bindings();
        bindings.insert("ENCRYPTION_KEY", "c2hvcnQ=".into());
        let error = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap_err();
        assert!(error.to_string().contains("ENCRYPTION_KEY"), "{error}");
    }

    #[test]
    fn the_outbound_policy_is_read_and_a_bad_one_named() {
        let mut bindings = bindings();
        bindings.insert("OUTBOUND_ALLOW", "loopback".into());
        bindings.insert("OUTBOUND_DENY_PORTS", "8788".into());
        let config = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap();
        assert_eq!(
            config.outbound,
            OutboundPolicy::public_only()
                .allowing_loopback()
                .denying_ports([8788])
        );
        bindings.insert("OUTBOUND_ALLOW", "everything".into());
        let error = WorkerConfig::from_lookup(|name| bindings.get(name).cloned()).unwrap_err();
        assert!(error.to_string().contains("OUTBOUND_ALLOW"), "{error}");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let shown = format!("{:?}", test_config());
        for secret in [
            TEST_JWT_SECRET,
            "anon-key",
            "service.role.key",
            TEST_ENCRYPTION_KEY,
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
