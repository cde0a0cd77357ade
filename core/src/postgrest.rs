//! PostgREST's error replies, read once for every client: the JSON body, and what kind of
//! failure its code means, so each edge maps "duplicate", "refused by row-level security" and
//! "bad token" the same way.

use serde::Deserialize;
use serde_json::Value;

/// The body of a PostgREST error reply: `{code, message, details, hint}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// PostgreSQL SQLSTATE (`23505`) or PostgREST's own (`PGRST301`).
    #[serde(default)]
    pub code: Option<String>,
    /// The message.
    #[serde(default)]
    pub message: Option<String>,
    /// Extra detail, if any (text, or JSON on some errors).
    #[serde(default)]
    pub details: Option<Value>,
    /// A hint, if any.
    #[serde(default)]
    pub hint: Option<Value>,
}

impl ErrorBody {
    /// `details` as text.
    pub fn details_text(&self) -> Option<String> {
        text_of(self.details.as_ref())
    }

    /// `hint` as text.
    pub fn hint_text(&self) -> Option<String> {
        text_of(self.hint.as_ref())
    }

    /// What kind of failure this body reports with `status`.
    pub fn kind(&self, status: u16) -> ErrorKind {
        classify(status, self.code.as_deref())
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// What a failed request means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A unique constraint (`23505`): that row already exists.
    Duplicate,
    /// Row-level security or a missing privilege (`42501`): to this caller the row does not
    /// exist. (postrust answers these with 401, PostgREST with 403: the code decides.)
    RowSecurity,
    /// The JWT is missing, expired or forged (`PGRST301`–`PGRST303`).
    BadToken,
    /// A check, not-null, type or foreign-key rule refused the value (`23514`, `23502`,
    /// `22P02`, `23503`).
    Rejected,
    /// A function said the thing does not exist (`P0002`).
    NotFound,
    /// A per-user limit is reached (`54000`, program_limit_exceeded, raised by FlowPulse's
    /// own guards, e.g. the instance cap).
    LimitReached,
    /// Anything else: a server-side failure.
    Other,
}

/// Sorts a failure by its code (the status only matters when there is no code).
pub fn classify(status: u16, code: Option<&str>) -> ErrorKind {
    match code {
        Some("23505") => ErrorKind::Duplicate,
        Some("42501") => ErrorKind::RowSecurity,
        Some(code) if code.starts_with("PGRST30") => ErrorKind::BadToken,
        Some("23514" | "23502" | "22P02" | "23503") => ErrorKind::Rejected,
        Some("P0002") => ErrorKind::NotFound,
        Some("54000") => ErrorKind::LimitReached,
        None if status == 401 => ErrorKind::BadToken,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide_the_kind_whatever_the_status() {
        assert_eq!(classify(409, Some("23505")), ErrorKind::Duplicate);
        assert_eq!(classify(401, Some("42501")), ErrorKind::RowSecurity);
        assert_eq!(classify(403, Some("42501")), ErrorKind::RowSecurity);
        assert_eq!(classify(401, Some("PGRST303")), ErrorKind::BadToken);
        assert_eq!(classify(401, None), ErrorKind::BadToken);
        assert_eq!(classify(400, Some("23514")), ErrorKind::Rejected);
        assert_eq!(classify(409, Some("23503")), ErrorKind::Rejected);
        assert_eq!(classify(400, Some("P0002")), ErrorKind::NotFound);
        assert_eq!(classify(400, Some("54000")), ErrorKind::LimitReached);
        assert_eq!(classify(500, Some("XX000")), ErrorKind::Other);
    }

    #[test]
    fn an_error_body_reads_with_missing_fields() {
        let body: ErrorBody = serde_json::from_str(r#"{"code":"23505","message":"dup"}"#).unwrap();
        assert_eq!(body.code.as_deref(), Some("23505"));
        assert_eq!(body.hint_text(), None);
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"P0002","details":null,"hint":"It is not yours."}"#)
                .unwrap();
        assert_eq!(body.hint_text().as_deref(), Some("It is not yours."));
        assert_eq!(body.details_text(), None);
        assert_eq!(body.kind(400), ErrorKind::NotFound);
    }
}
