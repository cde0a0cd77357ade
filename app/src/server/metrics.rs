//! Prometheus metrics of the app server, served as OpenMetrics text at `/metrics`:
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `flowpulse_http_requests_total` | counter | `route`, `method`, `status` |
//! | `flowpulse_http_request_duration_seconds` | histogram | `route` |
//! | `flowpulse_live_connections` | gauge | — (open `/events` streams) |
//! | `flowpulse_sync_runs_total` | counter | `outcome` (`success`, `partial`, `error`) |
//! | `flowpulse_realtime_events_total` | counter | — (change events delivered to streams) |
//!
//! `route` is the matched route pattern (a page, a server function, `/events`), never the raw
//! path, so the number of series stays bounded; unmatched requests (static files, 404s) share
//! the route `other`.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Instant;

use super::state::ServerState;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

/// How a "Sync now" run ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Every instance synced.
    Success,
    /// Some instances failed.
    Partial,
    /// The run failed as a whole (the edge function refused or could not be reached).
    Error,
}

impl SyncOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Partial => "partial",
            Self::Error => "error",
        }
    }
}

impl EncodeLabelValue for SyncOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: SyncOutcome,
}

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabel, Histogram>,
    sync_runs: Family<OutcomeLabel, Counter>,
    /// Live-refresh renders: made, or shared with other tabs of the same user and change.
    live_renders: Counter,
    live_renders_shared: Counter,
}

/// The live values the realtime hub keeps itself (it updates them as streams open, close and
/// receive events); the registry reads the same atomics.
#[derive(Clone, Default)]
pub struct RealtimeGauges {
    /// Open `/events` streams.
    pub live_connections: Gauge,
    /// Change events delivered.
    pub events_delivered: Counter,
}

impl Metrics {
    /// The registry with every metric, reading the hub's live values.
    pub fn new(realtime: &RealtimeGauges) -> Self {
        let mut registry = Registry::with_prefix("flowpulse");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            // 1 ms to about 16 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by route",
            latency.clone(),
        );
        registry.register(
            "live_connections",
            "Open /events streams",
            realtime.live_connections.clone(),
        );
        let sync_runs = Family::<OutcomeLabel, Counter>::default();
        registry.register("sync_runs", "Sync now runs by outcome", sync_runs.clone());
        registry.register(
            "realtime_events",
            "Change events delivered to open streams",
            realtime.events_delivered.clone(),
        );
        let (live_renders, live_renders_shared) = (Counter::default(), Counter::default());
        registry.register(
            "live_renders",
            "Pages rendered for a live refresh that carried a change number",
            live_renders.clone(),
        );
        registry.register(
            "live_renders_shared",
            "Live refreshes answered with another tab's render of the same page and change",
            live_renders_shared.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            sync_runs,
            live_renders,
            live_renders_shared,
        }
    }

    /// Counts one answered request.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabel {
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Counts one "Sync now" run.
    pub fn sync_run(&self, outcome: SyncOutcome) {
        self.sync_runs
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }

    /// Counts one live refresh with a change number: `shared` when another tab's render of the
    /// same page and change answered it.
    pub fn live_render(&self, shared: bool) {
        if shared {
            self.live_renders_shared.inc();
        } else {
            self.live_renders.inc();
        }
    }

    /// Everything, as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The middleware that counts and times every request.
pub async fn record(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |path| path.as_str().to_string());
    let method = request.method().to_string();
    let response = next.run(request).await;
    state.metrics.observe_request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_each_metric_with_its_labels() {
        let realtime = RealtimeGauges::default();
        let metrics = Metrics::new(&realtime);
        metrics.observe_request("/providers", "GET", 200, 0.012);
        metrics.observe_request("/providers", "GET", 200, 0.020);
        metrics.sync_run(SyncOutcome::Partial);
        realtime.live_connections.inc();
        realtime.events_delivered.inc_by(3);
        let text = metrics.render();
        assert!(
            text.contains(
                r#"flowpulse_http_requests_total{route="/providers",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"flowpulse_http_request_duration_seconds_count{route="/providers"} 2"#),
            "{text}"
        );
        assert!(text.contains("flowpulse_live_connections 1"), "{text}");
        assert!(
            text.contains(r#"flowpulse_sync_runs_total{outcome="partial"} 1"#),
            "{text}"
        );
        assert!(text.contains("flowpulse_realtime_events_total 3"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
