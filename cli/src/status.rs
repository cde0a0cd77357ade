//! `flowpulse migrate status`: each migration file as applied, pending or changed since it was
//! applied (its statements differ from the ones recorded), plus versions recorded in the
//! database whose file is gone.

use crate::error::{Error, Result};
use crate::migrate;
use std::collections::BTreeMap;
use std::path::Path;
use tokio_postgres::Client;

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the file's statements are no longer the recorded ones.
    Changed,
    /// Recorded in the database, no such file.
    Missing,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Changed => "changed since applied",
            State::Missing => "applied, file missing",
        }
    }
}

/// Classifies `files` (version, file name, statements as they would run) against `recorded`
/// (version → statements the database stored), in version order.
pub fn classify(
    files: &[(String, String, String)],
    recorded: &BTreeMap<String, Vec<String>>,
) -> Vec<(String, State)> {
    let mut out: Vec<(String, String, State)> = files
        .iter()
        .map(|(version, name, sql)| {
            let state = match recorded.get(version) {
                None => State::Pending,
                Some(statements) if same_statements(statements, sql) => State::Applied,
                Some(_) => State::Changed,
            };
            (version.clone(), name.clone(), state)
        })
        .collect();
    for version in recorded.keys() {
        if !files.iter().any(|(v, _, _)| v == version) {
            out.push((version.clone(), format!("{version}_*"), State::Missing));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter()
        .map(|(_, name, state)| (name, state))
        .collect()
}

/// Our runner records a file as one statement; the Supabase CLI splits it into several, so
/// those are compared without whitespace and semicolons (its splitting drops some of them).
fn same_statements(recorded: &[String], sql: &str) -> bool {
    match recorded {
        [single] => single == sql,
        many => {
            let squash = |s: &str| -> String {
                s.chars()
                    .filter(|c| !c.is_whitespace() && *c != ';')
                    .collect()
            };
            squash(&many.concat()) == squash(sql)
        }
    }
}

/// Reads the files of `dir` and the bookkeeping of the database behind `client`.
pub async fn status(client: &Client, dir: &Path) -> Result<Vec<(String, State)>> {
    let mut files = Vec::new();
    for file in migrate::list(dir).map_err(Error::Migration)? {
        let sql = migrate::read_sql(&file).map_err(Error::Migration)?;
        files.push((file.version.clone(), file.file_name.clone(), sql));
    }
    let exists: bool = client
        .query_one(
            "select to_regclass('supabase_migrations.schema_migrations') is not null",
            &[],
        )
        .await?
        .get(0);
    let mut recorded = BTreeMap::new();
    if exists {
        for row in client
            .query(
                "select version, coalesce(statements, '{}') from supabase_migrations.schema_migrations",
                &[],
            )
            .await?
        {
            recorded.insert(row.get(0), row.get(1));
        }
    }
    Ok(classify(&files, &recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_applied_pending_changed_or_missing() {
        let file = |v: &str, sql: &str| (v.to_string(), format!("{v}_x.sql"), sql.to_string());
        let files = [
            file("1", "create table a (id int);"),
            file("2", "create table b (id int);"),
            file("3", "create table c (id int);\nselect 1;"),
            file("4", "create table d (id int);"),
        ];
        let recorded = BTreeMap::from([
            (
                "1".to_string(),
                vec!["create table a (id int);".to_string()],
            ),
            (
                "2".to_string(),
                vec!["create table b (id bigint);".to_string()],
            ),
            // Split by the Supabase CLI: still the same file.
            (
                "3".to_string(),
                vec!["create table c (id int)".into(), "select 1".into()],
            ),
            ("0".to_string(), vec!["select 0;".to_string()]),
        ]);
        let states: Vec<State> = classify(&files, &recorded)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            states,
            [
                State::Missing,
                State::Applied,
                State::Changed,
                State::Applied,
                State::Pending
            ]
        );
    }
}
