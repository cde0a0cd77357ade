//! The HTTP surface as plain functions over plain types, so the wasm entry point and native
//! tests drive exactly the same routing, gatekeeping, CORS and error mapping.
//!
//! Order of checks for `POST /functions/v1/workflow-sync`: path and method (404/405), token
//! (401/403), body size (413), body shape (400), then the run (404 for an unknown provider or
//! workflow, 502 when every requested provider's n8n was unreachable, else 200).

use flowpulse_core::contract::{
    parse_request, RequestError, SyncRequest, SyncResponse, MAX_BODY_BYTES,
};
use serde::Serialize;
use serde_json::json;

use crate::auth::{authenticate, Authenticated};
use crate::config::{ConfigError, WorkerConfig};
use crate::engine::{run_authenticated, RunReport, Trigger};
use crate::error::EdgeError;
use crate::{openapi, runtime};

/// The function's path, as Supabase serves edge functions.
pub const FUNCTION_PATH: &str = "/functions/v1/workflow-sync";
/// Liveness probe.
pub const HEALTH_PATH: &str = "/functions/v1/workflow-sync/health";
/// The OpenAPI document.
pub const OPENAPI_PATH: &str = "/functions/v1/workflow-sync/openapi.json";

const CORS_METHODS: &str = "POST, GET, OPTIONS";
const CORS_HEADERS: &str = "authorization, content-type, apikey, x-client-info";

/// A request, stripped to what the function looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A reply: status, headers, body (empty for 204).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body (JSON unless empty).
    pub body: String,
}

impl HttpResponse {
    /// A JSON reply.
    pub fn json(status: u16, value: &impl Serialize) -> Self {
        let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string());
        Self {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
        }
    }

    /// The JSON error reply for `error`; a 500's detail is logged, never sent.
    pub fn error(error: &EdgeError) -> Self {
        if error.is_internal() {
            runtime::log_error(&error.log_detail());
        }
        let mut response = Self::json(error.status(), &error.body());
        if let EdgeError::MethodNotAllowed { allow, .. } = error {
            response.headers.push(("Allow".into(), (*allow).into()));
        }
        response
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /functions/v1/workflow-sync`.
    Sync,
    /// `GET .../health`.
    Health,
    /// `GET .../openapi.json`.
    OpenApi,
    /// `OPTIONS` on any of them: CORS preflight.
    Preflight,
}

/// Routes by path and method: unknown path → 404, known path with the wrong method → 405
/// (with the `Allow` value).
pub fn route(method: &str, path: &str) -> Result<Route, EdgeError> {
    let trimmed = path.trim_end_matches('/');
    let (route, allow) = match trimmed {
        FUNCTION_PATH => (Route::Sync, "POST, OPTIONS"),
        HEALTH_PATH => (Route::Health, "GET, OPTIONS"),
        OPENAPI_PATH => (Route::OpenApi, "GET, OPTIONS"),
        _ => return Err(EdgeError::RouteNotFound(path.to_string())),
    };
    match (method.to_ascii_uppercase().as_str(), route) {
        ("OPTIONS", _) => Ok(Route::Preflight),
        ("POST", Route::Sync) | ("GET", Route::Health | Route::OpenApi) => Ok(route),
        _ => Err(EdgeError::MethodNotAllowed {
            method: method.to_string(),
            allow,
        }),
    }
}

/// Checks the token, then the body: the caller and the parsed request, or the 401/403/413/400.
pub fn gate(
    config: &WorkerConfig,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<(Authenticated, SyncRequest), EdgeError> {
    let auth = authenticate(&config.jwt_secret, authorization)?;
    let request = parse_request(body)?;
    Ok((auth, request))
}

/// What can be refused before the body is read: an unknown route or method, a missing or bad
/// token, a declared `Content-Length` over the limit. The runtime calls this first and only
/// reads the body (itself capped) when it answers `None`, so an anonymous client cannot make
/// the function buffer a large upload. [`handle`] repeats these checks.
pub fn precheck(
    config: Result<&WorkerConfig, &ConfigError>,
    request: &HttpRequest,
) -> Option<HttpResponse> {
    let refusal = match route(&request.method, &request.path) {
        Err(error) => error,
        Ok(Route::Sync) => {
            let Ok(config) = config else {
                return None;
            };
            let declared = request
                .header("content-length")
                .and_then(|value| value.trim().parse::<u64>().ok());
            match authenticate(&config.jwt_secret, request.header("authorization")) {
                Err(error) => error,
                Ok(_) if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) => {
                    EdgeError::BadRequest(RequestError::TooLarge)
                }
                Ok(_) => return None,
            }
        }
        Ok(_) => return None,
    };
    let mut response = HttpResponse::error(&refusal);
    if let (Some(origin), Ok(config)) = (request.header("origin"), config) {
        add_cors(&mut response, config, origin, false);
    }
    Some(response)
}

/// Handles one request end to end. `config` is the result of reading the bindings: health,
/// OpenAPI and preflight work without it; a sync with a broken configuration is a 500.
pub async fn handle(
    config: Result<&WorkerConfig, &ConfigError>,
    request: &HttpRequest,
) -> HttpResponse {
    let mut response = match route(&request.method, &request.path) {
        Err(error) => HttpResponse::error(&error),
        Ok(Route::Preflight) => HttpResponse {
            status: 204,
            headers: Vec::new(),
            body: String::new(),
        },
        Ok(Route::Health) => HttpResponse::json(
            200,
            &json!({"status": "ok", "service": "workflow-sync", "configured": config.is_ok()}),
        ),
        Ok(Route::OpenApi) => HttpResponse::json(200, &openapi::document()),
        Ok(Route::Sync) => match sync(config, request).await {
            Ok(reply) => HttpResponse::json(200, &reply),
            Err(error) => HttpResponse::error(&error),
        },
    };
    if let (Some(origin), Ok(config)) = (request.header("origin"), config) {
        add_cors(
            &mut response,
            config,
            origin,
            request.method.eq_ignore_ascii_case("OPTIONS"),
        );
    }
    response
}

async fn sync(
    config: Result<&WorkerConfig, &ConfigError>,
    request: &HttpRequest,
) -> Result<SyncResponse, EdgeError> {
    let config = config.map_err(|error| EdgeError::Config(error.clone()))?;
    let (auth, sync_request) = gate(config, request.header("authorization"), &request.body)?;
    run_authenticated(config, &auth, sync_request, Trigger::Http)
        .await
        .and_then(RunReport::into_response)
}

/// CORS for allowed origins only; others get no CORS headers, so browsers refuse the reply.
fn add_cors(response: &mut HttpResponse, config: &WorkerConfig, origin: &str, preflight: bool) {
    response.headers.push(("Vary".into(), "Origin".into()));
    if !config.origin_allowed(origin) {
        return;
    }
    response
        .headers
        .push(("Access-Control-Allow-Origin".into(), origin.to_string()));
    if preflight {
        response.headers.extend([
            ("Access-Control-Allow-Methods".into(), CORS_METHODS.into()),
            ("Access-Control-Allow-Headers".into(), CORS_HEADERS.into()),
            ("Access-Control-Max-Age".into(), "86400".into()),
        ]);
    }
}

#[cfg(test)]
mod tests;
