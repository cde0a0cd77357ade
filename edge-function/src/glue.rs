//! The workerd entry points: convert between `worker` types and the crate's plain HTTP types,
//! read the bindings, and run the cron jobs. Everything else is target-independent.

use worker::{event, Context, Env, Headers, Request, Response, ScheduleContext, ScheduledEvent};

use crate::config::WorkerConfig;
use crate::engine::run_scheduled;
use crate::error::EdgeError;
use crate::http::{handle, HttpRequest, HttpResponse};
use crate::runtime::log_error;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let config = WorkerConfig::from_env(&env);
    if let Err(error) = &config {
        log_error(&format!("configuration: {error}"));
    }
    let method = req.method().to_string().to_ascii_uppercase();
    let body = if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        Vec::new()
    } else {
        match req.bytes().await {
            Ok(body) => body,
            Err(error) => {
                let error = EdgeError::Internal(format!("reading the request body: {error}"));
                return into_worker(HttpResponse::error(&error));
            }
        }
    };
    let request = HttpRequest {
        method,
        path: req.path(),
        headers: req.headers().entries().collect(),
        body,
    };
    into_worker(handle(config.as_ref(), &request).await)
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
            Ok(response) => worker::console_log!(
                "cron {cron:?}: {} finished, ok={}, {} provider(s)",
                job.action,
                response.ok,
                response.results.len()
            ),
            Err(error) => log_error(&format!(
                "cron {cron:?}: {} failed: {}",
                job.action,
                error.log_detail()
            )),
        }
    }
}
