//! The `workflow-sync` edge function.

use worker::{event, Context, Env, Request, Response, Result, Router};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/functions/v1/workflow-sync/health", |_, _| {
            Response::from_json(&serde_json::json!({"status": "ok", "service": "workflow-sync"}))
        })
        .run(req, env)
        .await
}
