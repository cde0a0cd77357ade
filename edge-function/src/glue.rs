//! The workerd entry points: convert between `worker` types and the crate's plain HTTP types,
//! read the bindings, and run the cron jobs. Everything else is target-independent.

use serde_json::json;
use worker::{event, Context, Env, Headers, Request, Response, ScheduleContext, ScheduledEvent};

use crate::config::WorkerConfig;
use crate::engine::run_scheduled;
use crate::error::EdgeError;
use crate::http::{handle, precheck, HttpRequest, HttpResponse};
use crate::runtime::{log, log_error, Level};
use flowpulse_core::contract::{RequestError, MAX_BODY_BYTES};

/// Runs once per isolate: a Rust panic then reaches the logs with its message and location
/// instead of an opaque "unreachable" trap.
#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let config = WorkerConfig::from_env(&env);
    if let Err(error) = &config {
        log_error(&format!("configuration: {error}"));
    }
    let mut request = HttpRequest {
        method: req.method().to_string().to_ascii_uppercase(),
        path: req.path(),
        headers: req.headers().entries().collect(),
        body: Vec::new(),
    };
    if let Some(refused) = precheck(config.as_ref(), &request) {
        return into_worker(refused);
    }
    if !matches!(request.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        request.body = match read_capped(&mut req).await {
            Ok(body) => body,
            Err(error) => return into_worker(HttpResponse::error(&error)),
        };
    }
    into_worker(handle(config.as_ref(), &request).await)
}

/// The body, read as a stream and abandoned one byte past the limit (a missing or false
/// `Content-Length` must not make the function buffer more than that).
async fn read_capped(req: &mut Request) -> Result<Vec<u8>, EdgeError> {
    use futures::StreamExt;
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(body);
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|error| EdgeError::Internal(format!("reading the request body: {error}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(EdgeError::BadRequest(RequestError::TooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn into_worker(reply: HttpResponse) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        headers.append(name, value)?;
    }
    let response = if reply.body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(reply.body.into_bytes())?
    };
    Ok(response.with_status(reply.status).with_headers(headers))
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let config = match WorkerConfig::from_env(&env) {
        Ok(config) => config,
        Err(error) => return log_error(&format!("cron: configuration: {error}")),
    };
    let cron = event.cron();
    for job in run_scheduled(&config, &cron).await {
        match job.outcome {
            Ok(response) => log(
                Level::Info,
                "cron job finished",
                &[
                    ("cron", json!(cron)),
                    ("action", json!(job.action)),
                    ("ok", json!(response.ok)),
                    ("providers", json!(response.results.len())),
                ],
            ),
            Err(error) => log(
                Level::Error,
                "cron job failed",
                &[
                    ("cron", json!(cron)),
                    ("action", json!(job.action)),
                    ("error", json!(error.log_detail())),
                ],
            ),
        }
    }
}
