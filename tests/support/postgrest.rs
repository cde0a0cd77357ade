//! Raw PostgREST requests, as a browser or curl would send them.

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Who sends a request.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No `Authorization` header: PostgREST uses the anon role.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

/// A PostgREST reply: status and parsed body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// Rows of a successful reply (an array), or an empty list for an error reply.
    pub fn rows(&self) -> Vec<Value> {
        self.body.as_array().cloned().unwrap_or_default()
    }

    /// The PostgreSQL/PostgREST error code of an error reply (`42501`, `PGRST301`, ...).
    pub fn code(&self) -> Option<&str> {
        self.body.get("code").and_then(Value::as_str)
    }
}

/// A client for one PostgREST base URL.
pub struct Rest {
    base: String,
    http: reqwest::Client,
}

impl Rest {
    pub fn new(base: &str) -> Self {
        Rest {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends `method` to `/<path>` (path may include a query string) with an optional body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
        prefer: &str,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}/{}", self.base, path));
        if let Auth::Bearer(token) = auth {
            request = request.bearer_auth(token);
        }
        if !prefer.is_empty() {
            request = request.header("Prefer", prefer);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("PostgREST answers");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }

    /// Calls the RPC `function` with `body` (`POST /rpc/<function>`).
    pub async fn rpc(&self, function: &str, auth: &Auth, body: Value) -> Reply {
        self.send(
            Method::POST,
            &format!("rpc/{function}"),
            auth,
            Some(body),
            "",
        )
        .await
    }

    pub async fn select(&self, path: &str, auth: &Auth) -> Reply {
        self.send(Method::GET, path, auth, None, "").await
    }

    pub async fn insert(&self, table: &str, auth: &Auth, row: Value) -> Reply {
        self.send(
            Method::POST,
            table,
            auth,
            Some(row),
            "return=representation",
        )
        .await
    }

    pub async fn upsert(&self, table_and_conflict: &str, auth: &Auth, row: Value) -> Reply {
        self.send(
            Method::POST,
            table_and_conflict,
            auth,
            Some(row),
            "return=representation,resolution=merge-duplicates",
        )
        .await
    }

    pub async fn update(&self, path: &str, auth: &Auth, patch: Value) -> Reply {
        self.send(
            Method::PATCH,
            path,
            auth,
            Some(patch),
            "return=representation",
        )
        .await
    }

    pub async fn delete(&self, path: &str, auth: &Auth) -> Reply {
        self.send(Method::DELETE, path, auth, None, "return=representation")
            .await
    }
}
