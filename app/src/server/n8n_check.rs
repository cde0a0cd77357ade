//! "Test connection": one cheap, authenticated call to an n8n instance's public API, and what
//! its outcome means for the instance's status.

use flowpulse_core::rows::ProviderStatus;
use std::time::{Duration, Instant};

/// Answers slower than this are reachable but flagged.
const SLOW: Duration = Duration::from_secs(5);

/// What happened when the instance was called.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// An HTTP answer arrived.
    Answered {
        /// Its status.
        status: u16,
        /// The body was n8n's `{"data": [...]}` list shape.
        is_workflow_list: bool,
        /// The body was JSON at all.
        is_json: bool,
        /// Time to the full answer.
        elapsed: Duration,
    },
    /// No answer within the timeout.
    TimedOut,
    /// No connection (DNS, refused, TLS, ...); the text is reqwest's description.
    Unreachable(String),
}

/// The verdict stored on the provider row.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `providers.status`.
    pub status: ProviderStatus,
    /// `providers.last_error`: what is wrong and what to check.
    pub problem: Option<String>,
}

/// Calls `GET {base_url}/api/v1/workflows?limit=1` with the API key.
pub async fn probe(client: &reqwest::Client, base_url: &str, api_key: &str) -> Probe {
    let started = Instant::now();
    let response = client
        .get(format!("{base_url}/api/v1/workflows"))
        .query(&[("limit", "1")])
        .header("X-N8N-API-KEY", api_key)
        .header("accept", "application/json")
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(error) if error.is_timeout() => return Probe::TimedOut,
        Err(error) => return Probe::Unreachable(describe(&error)),
    };
    let status = response.status().as_u16();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) if error.is_timeout() => return Probe::TimedOut,
        Err(error) => return Probe::Unreachable(describe(&error)),
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    Probe::Answered {
        status,
        is_workflow_list: json
            .as_ref()
            .and_then(|value| value.get("data"))
            .is_some_and(serde_json::Value::is_array),
        is_json: json.is_some(),
        elapsed: started.elapsed(),
    }
}

/// reqwest's error chain, without the URL (already shown next to the message).
fn describe(error: &reqwest::Error) -> String {
    // The innermost cause is the telling one ("Connection refused", "dns error: ...").
    let mut innermost: &dyn std::error::Error = error;
    while let Some(cause) = innermost.source() {
        innermost = cause;
    }
    let kind = if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    format!("{kind}: {innermost}")
}

/// What a probe means for the instance.
pub fn classify(probe: &Probe, base_url: &str) -> Verdict {
    let error = |problem: String| Verdict {
        status: ProviderStatus::Error,
        problem: Some(problem),
    };
    let warning = |problem: String| Verdict {
        status: ProviderStatus::Warning,
        problem: Some(problem),
    };
    match probe {
        Probe::TimedOut => error(format!(
            "No answer from {base_url} within 10 s. Is the URL right and the instance running?"
        )),
        Probe::Unreachable(reason) => error(format!(
            "Could not reach {base_url} ({reason}). Check the URL and that this server can reach it."
        )),
        Probe::Answered { status: 401 | 403, .. } => error(
            "n8n refused the API key: wrong API key? Create one in n8n under Settings → n8n API."
                .into(),
        ),
        Probe::Answered { status: 404, .. } => error(format!(
            "{base_url}/api/v1 was not found. Use the instance's base URL and check that n8n's public API is enabled."
        )),
        Probe::Answered { status: 300..=399, .. } => warning(format!(
            "{base_url} redirects elsewhere. Enter the final address (e.g. with https://) instead."
        )),
        Probe::Answered { status, .. } if !(200..300).contains(status) => error(format!(
            "n8n answered with HTTP {status}. Check the instance's health and logs."
        )),
        Probe::Answered { is_json: false, .. } => warning(format!(
            "{base_url} answered, but not with JSON. Is this the n8n base URL (not a login page or proxy)?"
        )),
        Probe::Answered {
            is_workflow_list: false,
            ..
        } => warning(
            "The answer did not look like n8n's workflow list. Is this an n8n instance?".into(),
        ),
        Probe::Answered { elapsed, .. } if *elapsed > SLOW => warning(format!(
            "Connected, but n8n took {:.1} s to answer. Syncs may be slow.",
            elapsed.as_secs_f64()
        )),
        Probe::Answered { .. } => Verdict {
            status: ProviderStatus::Connected,
            problem: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://n8n.example.com";

    fn answered(status: u16, is_json: bool, list: bool, secs: u64) -> Probe {
        Probe::Answered {
            status,
            is_workflow_list: list,
            is_json,
            elapsed: Duration::from_secs(secs),
        }
    }

    #[test]
    fn a_quick_workflow_list_means_connected() {
        let verdict = classify(&answered(200, true, true, 1), URL);
        assert_eq!(verdict.status, ProviderStatus::Connected);
        assert_eq!(verdict.problem, None);
    }

    #[test]
    fn a_401_means_a_wrong_api_key() {
        let verdict = classify(&answered(401, true, false, 0), URL);
        assert_eq!(verdict.status, ProviderStatus::Error);
        assert!(verdict.problem.unwrap().contains("wrong API key"));
    }

    #[test]
    fn unreachable_and_timed_out_instances_are_errors_naming_the_url() {
        for probe in [
            Probe::TimedOut,
            Probe::Unreachable("could not connect".into()),
        ] {
            let verdict = classify(&probe, URL);
            assert_eq!(verdict.status, ProviderStatus::Error);
            assert!(verdict.problem.unwrap().contains(URL));
        }
    }

    #[test]
    fn reachable_but_odd_answers_are_warnings() {
        let html = classify(&answered(200, false, false, 0), URL);
        assert_eq!(html.status, ProviderStatus::Warning);
        assert!(html.problem.unwrap().contains("not with JSON"));
        let slow = classify(&answered(200, true, true, 6), URL);
        assert_eq!(slow.status, ProviderStatus::Warning);
        assert!(slow.problem.unwrap().contains("6.0 s"));
        let redirect = classify(&answered(302, false, false, 0), URL);
        assert_eq!(redirect.status, ProviderStatus::Warning);
    }

    #[test]
    fn server_errors_and_missing_api_are_errors() {
        assert_eq!(
            classify(&answered(500, false, false, 0), URL).status,
            ProviderStatus::Error
        );
        let missing = classify(&answered(404, false, false, 0), URL);
        assert!(missing.problem.unwrap().contains("public API"));
    }
}
