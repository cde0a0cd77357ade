//! Test doubles for the function's HTTP peers (PostgREST, n8n) on `wiremock`: one catch-all
//! mock whose handler sees every request (and its index) and picks the reply, and a log of what
//! arrived when — the engine tests measure how requests overlap. Test-only.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A request as the fake server saw it.
#[derive(Debug, Clone)]
pub(crate) struct FakeRequest {
    pub method: String,
    /// Path and query, e.g. `/api/v1/executions?limit=250`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: Instant,
}

impl FakeRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What to answer: a status and body, possibly after a pause.
pub(crate) struct FakeReply {
    template: ResponseTemplate,
}

impl FakeReply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            template: ResponseTemplate::new(status).set_body_json(body),
        }
    }

    pub fn raw(status: u16, body: &str) -> Self {
        Self {
            template: ResponseTemplate::new(status).set_body_string(body),
        }
    }

    pub fn after(self, delay: Duration) -> Self {
        Self {
            template: self.template.set_delay(delay),
        }
    }
}

type Handler = dyn Fn(&FakeRequest, usize) -> FakeReply + Send + Sync;

/// Logs each request, then lets the handler answer it.
struct Recorder {
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<FakeRequest>>>,
}

impl Respond for Recorder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let target = match request.url.query() {
            Some(query) => format!("{}?{query}", request.url.path()),
            None => request.url.path().to_string(),
        };
        let seen = FakeRequest {
            method: request.method.to_string(),
            target,
            headers: request
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        value.to_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            body: request.body.clone(),
            received_at: Instant::now(),
        };
        let index = {
            let mut log = self.seen.lock().expect("lock");
            log.push(seen.clone());
            log.len() - 1
        };
        (self.handler)(&seen, index).template
    }
}

/// A running fake server; stops when dropped.
pub(crate) struct FakeServer {
    pub url: String,
    requests: Arc<Mutex<Vec<FakeRequest>>>,
    _server: MockServer,
}

impl FakeServer {
    /// Starts a server whose `handler` gets each request and its 0-based index.
    pub async fn start(
        handler: impl Fn(&FakeRequest, usize) -> FakeReply + Send + Sync + 'static,
    ) -> Self {
        let server = MockServer::start().await;
        let requests = Arc::new(Mutex::new(Vec::new()));
        Mock::given(any())
            .respond_with(Recorder {
                handler: Arc::new(handler),
                seen: requests.clone(),
            })
            .mount(&server)
            .await;
        Self {
            url: server.uri(),
            requests,
            _server: server,
        }
    }

    pub fn requests(&self) -> Vec<FakeRequest> {
        self.requests.lock().expect("lock").clone()
    }
}
