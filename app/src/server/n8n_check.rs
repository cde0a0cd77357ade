//! "Test connection": one cheap, authenticated call to an n8n instance's public API through the
//! shared n8n client (outbound rule, no redirects, capped replies), and what its outcome means
//! for the instance's status. Every message is FlowPulse's own wording: nothing the remote
//! server wrote is stored or shown.

use flowpulse_core::base_url::BaseUrl;
use flowpulse_core::retry::RetryPolicy;
use flowpulse_core::rows::ProviderStatus;
use flowpulse_n8n::{ClientSettings, N8nClient, N8nError, Transport};
use std::time::{Duration, Instant};

/// Answers slower than this are reachable but flagged.
const SLOW: Duration = Duration::from_secs(5);
/// A connection test gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The verdict stored on the provider row.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `providers.status`.
    pub status: ProviderStatus,
    /// `providers.last_error`: what is wrong and what to check.
    pub problem: Option<String>,
}

/// Calls the instance once (no retries: the person pressing the button is waiting) and
/// judges the outcome.
pub async fn test(transport: &Transport, base_url: &BaseUrl, api_key: &str) -> Verdict {
    let settings = ClientSettings {
        timeout: TIMEOUT,
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..ClientSettings::default()
    };
    let client = N8nClient::new(base_url.clone(), api_key, transport.clone(), settings);
    let started = Instant::now();
    let outcome = client.ping().await;
    classify(&outcome, started.elapsed(), base_url)
}

/// What an outcome means for the instance.
pub fn classify(outcome: &Result<(), N8nError>, elapsed: Duration, base_url: &BaseUrl) -> Verdict {
    let verdict = |status, problem: String| Verdict {
        status,
        problem: Some(problem),
    };
    match outcome {
        Ok(()) if elapsed > SLOW => verdict(
            ProviderStatus::Warning,
            format!(
                "Connected, but n8n took {:.1} s to answer. Syncs may be slow.",
                elapsed.as_secs_f64()
            ),
        ),
        Ok(()) => Verdict {
            status: ProviderStatus::Connected,
            problem: None,
        },
        Err(N8nError::Unauthorized { .. }) => verdict(
            ProviderStatus::Error,
            "n8n refused the API key: wrong API key? Create one in n8n under Settings → n8n API."
                .into(),
        ),
        Err(N8nError::NotFound { .. }) => verdict(
            ProviderStatus::Error,
            format!(
                "{base_url}/api/v1 was not found. Use the instance's base URL and check that n8n's public API is enabled."
            ),
        ),
        Err(error @ (N8nError::Redirected { .. } | N8nError::Malformed { .. })) => {
            verdict(ProviderStatus::Warning, sentence(error))
        }
        Err(error) => verdict(ProviderStatus::Error, sentence(error)),
    }
}

/// The client's message as a sentence.
fn sentence(error: &N8nError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let capitalised = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect::<String>())
        .unwrap_or_default();
    format!("{capitalised}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowpulse_core::outbound::{AddressClass, Refusal};
    use flowpulse_n8n::ConnectFailure;

    fn url() -> BaseUrl {
        BaseUrl::parse("https://n8n.example.com").unwrap()
    }

    fn judge(outcome: Result<(), N8nError>, secs: u64) -> Verdict {
        classify(&outcome, Duration::from_secs(secs), &url())
    }

    fn instance() -> String {
        url().to_string()
    }

    #[test]
    fn a_quick_answer_means_connected_and_a_slow_one_is_flagged() {
        assert_eq!(judge(Ok(()), 1).status, ProviderStatus::Connected);
        assert_eq!(judge(Ok(()), 1).problem, None);
        let slow = judge(Ok(()), 6);
        assert_eq!(slow.status, ProviderStatus::Warning);
        assert!(slow.problem.unwrap().contains("6.0 s"));
    }

    #[test]
    fn a_refused_key_means_a_wrong_api_key() {
        let verdict = judge(
            Err(N8nError::Unauthorized {
                instance: instance(),
                status: 401,
            }),
            0,
        );
        assert_eq!(verdict.status, ProviderStatus::Error);
        assert!(verdict.problem.unwrap().contains("wrong API key"));
    }

    #[test]
    fn unreachable_refused_and_timed_out_instances_are_errors_naming_the_url() {
        for error in [
            N8nError::Timeout {
                instance: instance(),
                after_ms: 10_000,
            },
            N8nError::Unreachable {
                instance: instance(),
                detail: ConnectFailure::Refused,
            },
            N8nError::Refused {
                instance: instance(),
                reason: Refusal::Address {
                    host: "n8n.example.com".into(),
                    class: AddressClass::Private,
                },
            },
        ] {
            let verdict = judge(Err(error), 0);
            assert_eq!(verdict.status, ProviderStatus::Error);
            let problem = verdict.problem.unwrap();
            assert!(problem.contains(&instance()), "{problem}");
            assert!(problem.ends_with('.'), "{problem}");
        }
    }

    #[test]
    fn redirects_and_answers_that_are_not_n8n_are_warnings() {
        let redirect = judge(
            Err(N8nError::Redirected {
                instance: instance(),
                status: 301,
            }),
            0,
        );
        assert_eq!(redirect.status, ProviderStatus::Warning);
        assert!(redirect.problem.unwrap().contains("final address"));
        let html = judge(
            Err(N8nError::Malformed {
                instance: instance(),
                what: "workflow listing".into(),
            }),
            0,
        );
        assert_eq!(html.status, ProviderStatus::Warning);
    }

    #[test]
    fn a_missing_api_is_an_error_pointing_at_the_public_api() {
        let missing = judge(
            Err(N8nError::NotFound {
                instance: instance(),
                what: "workflow listing".into(),
            }),
            0,
        );
        assert_eq!(missing.status, ProviderStatus::Error);
        assert!(missing.problem.unwrap().contains("public API"));
    }
}
