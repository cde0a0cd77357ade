//! The workerd entry points: convert between `worker` types and the crate's plain HTTP types,
//! read the bindings, run the cron jobs and queue their messages, and consume the queue.
//! Everything else is target-independent.

use serde_json::json;
use worker::{
    event, Context, Env, Headers, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Request,
    Response, ScheduleContext, ScheduledEvent,
};

use crate::config::WorkerConfig;
use crate::engine::{run_queued, run_scheduled, QueueVerdict};
use crate::error::EdgeError;
use crate::http::{handle, precheck, HttpRequest, HttpResponse};
use crate::runtime::{log, log_error, Level};
use flowpulse_core::contract::{RequestError, MAX_BODY_BYTES};
use flowpulse_core::fan_out::{ProviderSyncMessage, MAX_SEND_BATCH};

/// The queue binding the cron sends provider syncs to and this worker consumes
/// (`wrangler.toml`'s `[[queues.producers]]` and `[[queues.consumers]]`).
const PROVIDER_SYNC_QUEUE: &str = "PROVIDER_SYNC_QUEUE";

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
    let run = run_scheduled(&config, &cron).await;
    for job in run.jobs {
        match job.outcome {
            Ok(response) => log(
                Level::Info,
                "cron job finished",
                &[
                    ("cron", json!(cron)),
                    ("action", json!(job.action)),
                    ("ok", json!(response.ok)),
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
    let queued = match run.messages {
        Ok(messages) => enqueue(&env, &messages)
            .await
            .map(|()| messages.len())
            .map_err(|error| format!("sending to the {PROVIDER_SYNC_QUEUE} queue: {error}")),
        Err(error) => Err(format!("listing providers: {}", error.log_detail())),
    };
    match queued {
        Ok(providers) => log(
            Level::Info,
            "cron queued provider syncs",
            &[("cron", json!(cron)), ("providers", json!(providers))],
        ),
        Err(error) => log(
            Level::Error,
            "cron could not queue provider syncs",
            &[("cron", json!(cron)), ("error", json!(error))],
        ),
    }
}

/// Sends `messages` in as few batches as the queue takes, in order.
async fn enqueue(env: &Env, messages: &[ProviderSyncMessage]) -> worker::Result<()> {
    let queue = env.queue(PROVIDER_SYNC_QUEUE)?;
    for chunk in messages.chunks(MAX_SEND_BATCH) {
        let texts: Vec<String> = chunk.iter().map(ProviderSyncMessage::to_text).collect();
        queue.send_batch(texts).await?;
    }
    Ok(())
}

/// The queue consumer: each message's provider synced (see `engine::run_queued`), then each
/// message acknowledged or handed back to the queue with a delay. Never an `Err`: the `worker`
/// macro turns one into a panic, and the verdicts are per message anyway.
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    let config = match WorkerConfig::from_env(&env) {
        Ok(config) => config,
        Err(error) => {
            log_error(&format!("queue: configuration: {error}"));
            batch.retry_all();
            return Ok(());
        }
    };
    let mut runnable = Vec::new();
    let mut messages = Vec::new();
    for raw in batch.raw_iter() {
        let parsed = raw
            .body()
            .as_string()
            .ok_or_else(|| "not a text message".to_string())
            .and_then(|text| ProviderSyncMessage::from_text(&text));
        match parsed {
            Ok(message) => {
                messages.push(message);
                runnable.push(raw);
            }
            Err(problem) => {
                // Not ours, and no retry would make it so.
                log_error(&format!("queue: dropped message {}: {problem}", raw.id()));
                raw.ack();
            }
        }
    }
    let verdicts = run_queued(&config, &messages).await;
    for ((raw, message), verdict) in runnable.iter().zip(&messages).zip(verdicts) {
        let provider = json!(message.provider_id);
        match verdict {
            QueueVerdict::Ack { skipped, result } => {
                raw.ack();
                log(
                    Level::Info,
                    "queued provider sync done",
                    &[
                        ("provider_id", provider),
                        ("skipped", json!(skipped)),
                        ("status", json!(result.as_ref().map(|r| r.status))),
                    ],
                );
            }
            QueueVerdict::Retry { delay, reason } => {
                let seconds = u32::try_from(delay.as_secs()).unwrap_or(u32::MAX);
                let options = QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(seconds)
                    .build();
                raw.retry_with_options(&options);
                log(
                    Level::Error,
                    "queued provider sync retried later",
                    &[
                        ("provider_id", provider),
                        ("delay_seconds", json!(seconds)),
                        ("reason", json!(reason)),
                    ],
                );
            }
        }
    }
    Ok(())
}
