//! Every data read and write of the app: PostgREST with the signed-in user's JWT.
//!
//! The token goes in `Authorization: Bearer` (Supabase's gateway also wants the anon key as
//! `apikey`), PostgREST switches to the `authenticated` role, and row-level security decides
//! what the user sees. Queries never add a `user_id` filter in place of that.

use super::errors;
use super::session::Session;
use super::state::ServerState;
use crate::error::AppError;
use flowpulse_core::postgrest::{classify, ErrorBody, ErrorKind};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A query string: PostgREST filters such as `("status", "eq.error")`.
pub type Query<'a> = [(&'a str, String)];

/// A failed PostgREST request: its status and the database's error code.
#[derive(Debug)]
pub struct DbError {
    /// HTTP status, 0 when there was no answer.
    pub status: u16,
    /// PostgREST / SQLSTATE code such as `23505`, when given.
    pub code: Option<String>,
    /// The message, for the server log.
    pub message: String,
}

impl DbError {
    /// What kind of failure PostgREST reported (see `flowpulse_core::postgrest`).
    pub fn kind(&self) -> ErrorKind {
        match self.status {
            // No reply at all.
            0 => ErrorKind::Other,
            status => classify(status, self.code.as_deref()),
        }
    }

    /// True for a unique-constraint violation.
    pub fn is_duplicate(&self) -> bool {
        self.kind() == ErrorKind::Duplicate
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error.kind() {
            ErrorKind::BadToken => AppError::Unauthorized,
            // Row-level security refused the row: to this user it does not exist.
            ErrorKind::RowSecurity | ErrorKind::NotFound => {
                AppError::NotFound("That item does not exist or is not yours.".into())
            }
            ErrorKind::Duplicate => AppError::Conflict("That already exists.".into()),
            ErrorKind::Rejected => AppError::Invalid("The database rejected that value.".into()),
            ErrorKind::LimitReached => AppError::Conflict(
                "You already have as many instances as one account may have (the operator sets \
                 the limit). Delete one first."
                    .into(),
            ),
            ErrorKind::Other => errors::internal(
                "PostgREST request failed",
                format_args!("{} {:?}: {}", error.status, error.code, error.message),
            ),
        }
    }
}

/// PostgREST as the signed-in user. Owns what it needs (cheap clones), so a server function
/// can get one in a line: `request::user_db()`.
pub struct Db {
    state: ServerState,
    token: String,
}

impl Db {
    /// Requests carrying this session's token.
    pub fn new(state: &ServerState, session: &Session) -> Self {
        Self {
            state: state.clone(),
            token: session.token.clone(),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.state
            .http
            .request(
                method,
                format!("{}/{path}", self.state.config.postgrest_url),
            )
            .header("apikey", &self.state.config.anon_key)
            .bearer_auth(&self.token)
    }

    /// `GET /<table>?<query>`.
    pub async fn select<T: DeserializeOwned>(
        &self,
        table: &str,
        query: &Query<'_>,
    ) -> Result<Vec<T>, DbError> {
        let response = send(self.request(Method::GET, table).query(query)).await?;
        json(response).await
    }

    /// Like [`Self::select`], plus the number of rows matching over all pages.
    pub async fn select_counted<T: DeserializeOwned>(
        &self,
        table: &str,
        query: &Query<'_>,
    ) -> Result<(Vec<T>, u64), DbError> {
        let response = send(
            self.request(Method::GET, table)
                .query(query)
                .header("Prefer", "count=exact"),
        )
        .await?;
        let total = response
            .headers()
            .get("content-range")
            .and_then(|value| value.to_str().ok())
            .and_then(total_from_content_range);
        let rows: Vec<T> = json(response).await?;
        let total = total.unwrap_or(rows.len() as u64);
        Ok((rows, total))
    }

    /// `POST /<table>`, returning the inserted rows.
    pub async fn insert<T: DeserializeOwned>(
        &self,
        table: &str,
        body: &impl Serialize,
        query: &Query<'_>,
    ) -> Result<Vec<T>, DbError> {
        let request = self
            .request(Method::POST, table)
            .query(query)
            .header("Prefer", "return=representation")
            .json(body);
        json(send(request).await?).await
    }

    /// `PATCH /<table>?<filters>`, returning the updated rows (none when RLS hides them).
    pub async fn update<T: DeserializeOwned>(
        &self,
        table: &str,
        filters: &Query<'_>,
        body: &impl Serialize,
    ) -> Result<Vec<T>, DbError> {
        let request = self
            .request(Method::PATCH, table)
            .query(filters)
            .header("Prefer", "return=representation")
            .json(body);
        json(send(request).await?).await
    }

    /// `DELETE /<table>?<filters>`, returning how many rows went.
    pub async fn delete(&self, table: &str, filters: &Query<'_>) -> Result<usize, DbError> {
        let request = self
            .request(Method::DELETE, table)
            .query(filters)
            .query(&[("select", "id")])
            .header("Prefer", "return=representation");
        let rows: Vec<serde_json::Value> = json(send(request).await?).await?;
        Ok(rows.len())
    }

    /// `POST /rpc/<function>`.
    pub async fn rpc<T: DeserializeOwned>(
        &self,
        function: &str,
        arguments: &impl Serialize,
    ) -> Result<T, DbError> {
        let request = self
            .request(Method::POST, &format!("rpc/{function}"))
            .json(arguments);
        json(send(request).await?).await
    }
}

async fn send(request: RequestBuilder) -> Result<Response, DbError> {
    let response = request.send().await.map_err(|error| DbError {
        status: 0,
        code: None,
        message: error.to_string(),
    })?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
    Err(DbError {
        status,
        code: body.as_ref().and_then(|body| body.code.clone()),
        message: body.and_then(|body| body.message).unwrap_or(text),
    })
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, DbError> {
    let status = response.status().as_u16();
    response.json().await.map_err(|error| DbError {
        status,
        code: None,
        message: format!("unexpected reply: {error}"),
    })
}

/// The total of `Content-Range: 0-49/1234` (or `*/0`); `None` when unknown (`*`).
pub fn total_from_content_range(value: &str) -> Option<u64> {
    value.rsplit_once('/')?.1.trim().parse().ok()
}

/// A PostgREST `in.(...)` list of uuids.
pub fn in_list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let joined: Vec<String> = items.into_iter().map(|item| item.to_string()).collect();
    format!("in.({})", joined.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_is_read_from_content_range() {
        assert_eq!(total_from_content_range("0-49/1234"), Some(1234));
        assert_eq!(total_from_content_range("*/0"), Some(0));
        assert_eq!(total_from_content_range("0-49/*"), None);
        assert_eq!(total_from_content_range("garbage"), None);
    }

    #[test]
    fn database_errors_become_user_facing_errors() {
        let error = |status, code: &str| DbError {
            status,
            code: Some(code.into()),
            message: "m".into(),
        };
        assert_eq!(
            AppError::from(error(401, "PGRST303")),
            AppError::Unauthorized
        );
        assert!(matches!(
            AppError::from(error(401, "42501")),
            AppError::NotFound(_)
        ));
        assert!(matches!(
            AppError::from(error(409, "23505")),
            AppError::Conflict(_)
        ));
        assert!(matches!(
            AppError::from(error(400, "23514")),
            AppError::Invalid(_)
        ));
        assert_eq!(AppError::from(error(500, "XX000")), AppError::Internal);
    }

    #[test]
    fn in_lists_use_postgrest_syntax() {
        assert_eq!(in_list(["a", "b"]), "in.(a,b)");
    }
}
