//! Applies `supabase/local/` (every time; it is idempotent) and then the pending files of
//! `supabase/migrations/`, recorded in `supabase_migrations.schema_migrations` exactly where the
//! Supabase CLI records them, so a database migrated here and by `supabase db push` agree.
//!
//! Each file runs in its own transaction together with its bookkeeping row: a failing file
//! leaves nothing behind and stops the run with its name and the database's message.
//!
//! A line `-- flowpulse:include <name>.json` (the whole line) is replaced, before the file
//! runs, by the content of that file (same directory) as a dollar-quoted literal: how large
//! exported workflows keep their JSON beside the SQL. The recorded statements are the
//! expanded text, so `flowpulse migrate status` also notices a changed JSON file. Plain
//! `supabase db push` does not know the directive and fails on such a file instead of
//! applying it half.

use anyhow::{Context, Result};
use std::fmt;
use std::path::{Path, PathBuf};
use tokio_postgres::Client;

/// A migration file that failed; the database is as it was before the file.
#[derive(Debug)]
pub struct MigrationError {
    pub file: String,
    pub message: String,
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "migration {} failed, nothing of it was applied: {}",
            self.file, self.message
        )
    }
}

impl std::error::Error for MigrationError {}

/// What a run did.
#[derive(Debug, Default)]
pub struct MigrationReport {
    pub applied: Vec<String>,
    pub already_applied: usize,
}

/// A migration file: `<version>_<name>.sql`, version = the leading digits.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    pub path: PathBuf,
    pub file_name: String,
    pub version: String,
    pub name: String,
}

/// The `.sql` files of `dir` in version order; names must start with digits and `_`.
pub fn list(dir: &Path) -> Result<Vec<MigrationFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(stem) = file_name.strip_suffix(".sql") else {
            continue;
        };
        let (version, name) = stem.split_once('_').unwrap_or((stem, ""));
        anyhow::ensure!(
            !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()),
            "{file_name}: migration files are named <timestamp>_<name>.sql"
        );
        files.push(MigrationFile {
            version: version.into(),
            name: name.into(),
            file_name,
            path,
        });
    }
    files.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then(a.file_name.cmp(&b.file_name))
    });
    for pair in files.windows(2) {
        anyhow::ensure!(
            pair[0].version != pair[1].version,
            "{} and {} share the version {}",
            pair[0].file_name,
            pair[1].file_name,
            pair[0].version
        );
    }
    Ok(files)
}

/// Runs every file of `dir` (the local bootstrap), each in its own transaction.
pub async fn apply_bootstrap(client: &mut Client, dir: &Path) -> Result<()> {
    for file in list(dir)? {
        let sql = read_sql(&file)?;
        run_in_transaction(client, &file, &sql, None).await?;
    }
    Ok(())
}

/// Applies the files of `dir` that `supabase_migrations.schema_migrations` does not list yet.
pub async fn apply_pending(client: &mut Client, dir: &Path) -> Result<MigrationReport> {
    client
        .batch_execute(
            "create schema if not exists supabase_migrations;
             create table if not exists supabase_migrations.schema_migrations
               (version text primary key, statements text[], name text);",
        )
        .await?;
    let applied: std::collections::HashSet<String> = client
        .query(
            "select version from supabase_migrations.schema_migrations",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut report = MigrationReport::default();
    for file in list(dir)? {
        if applied.contains(&file.version) {
            report.already_applied += 1;
            continue;
        }
        let sql = read_sql(&file)?;
        run_in_transaction(client, &file, &sql, Some(&file)).await?;
        report.applied.push(file.file_name.clone());
    }
    if !report.applied.is_empty() {
        // PostgREST caches the schema; tell it (and postrust) to reload.
        client
            .batch_execute("notify pgrst, 'reload schema'")
            .await?;
    }
    Ok(report)
}

/// The statements of `file` as they run: its text with `-- flowpulse:include` lines expanded.
pub fn read_sql(file: &MigrationFile) -> Result<String> {
    let sql = std::fs::read_to_string(&file.path)
        .with_context(|| format!("read {}", file.path.display()))?;
    let dir = file.path.parent().unwrap_or(Path::new("."));
    expand_includes(&file.file_name, &sql, |name| {
        std::fs::read_to_string(dir.join(name))
    })
}

/// The marker of an include line.
const INCLUDE: &str = "-- flowpulse:include ";

/// Replaces every include line of `sql` by the named file's text, dollar-quoted.
pub fn expand_includes(
    file_name: &str,
    sql: &str,
    read: impl Fn(&str) -> std::io::Result<String>,
) -> Result<String> {
    if !sql.contains(INCLUDE) {
        return Ok(sql.to_owned());
    }
    let mut out = String::with_capacity(sql.len());
    for (index, line) in sql.split_inclusive('\n').enumerate() {
        let Some(name) = line.trim().strip_prefix(INCLUDE).map(str::trim) else {
            out.push_str(line);
            continue;
        };
        let fail = |why: String| MigrationError {
            file: file_name.into(),
            message: format!("line {}: include {name}: {why}", index + 1),
        };
        // Only a plain file name: an include never reaches outside the migrations folder.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(fail("only a file name in the same folder can be included".into()).into());
        }
        let text = read(name).map_err(|e| fail(e.to_string()))?;
        let tag = (0..)
            .map(|n| format!("$flowpulse_include{n}$"))
            .find(|tag| !text.contains(tag.as_str()))
            .expect("some tag is free");
        out.push_str(&format!("{tag}{text}{tag}"));
        out.push_str(if line.ends_with('\n') { "\n" } else { "" });
    }
    Ok(out)
}

async fn run_in_transaction(
    client: &mut Client,
    file: &MigrationFile,
    sql: &str,
    record: Option<&MigrationFile>,
) -> Result<()> {
    let fail = |message: String| MigrationError {
        file: file.file_name.clone(),
        message,
    };
    let tx = client
        .transaction()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if let Err(error) = tx.batch_execute(sql).await {
        // Dropping the transaction rolls it back.
        return Err(fail(describe(&error, sql)).into());
    }
    if let Some(file) = record {
        tx.execute(
            "insert into supabase_migrations.schema_migrations (version, name, statements)
             values ($1, $2, array[$3])",
            &[&file.version, &file.name, &sql],
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
    }
    tx.commit().await.map_err(|e| fail(describe(&e, sql)))?;
    Ok(())
}

/// The database's message with the line it points at, its detail and hint.
fn describe(error: &tokio_postgres::Error, sql: &str) -> String {
    let Some(db) = error.as_db_error() else {
        return error.to_string();
    };
    let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
    if let Some(tokio_postgres::error::ErrorPosition::Original(position)) = db.position() {
        let before: String = sql.chars().take(*position as usize).collect();
        let line = before.matches('\n').count() + 1;
        text.push_str(&format!(" at line {line}"));
    }
    if let Some(detail) = db.detail() {
        text.push_str(&format!("; detail: {detail}"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!("; hint: {hint}"));
    }
    if let Some(context) = db.where_() {
        text.push_str(&format!("; where: {context}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_ordered_by_version_and_bad_names_are_refused() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("20260102000000_second.sql"), "").unwrap();
        std::fs::write(dir.join("20260101000000_first.sql"), "").unwrap();
        std::fs::write(dir.join("README.md"), "").unwrap();
        let names: Vec<String> = list(&dir).unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["first", "second"]);
        std::fs::write(dir.join("oops.sql"), "").unwrap();
        assert!(list(&dir).unwrap_err().to_string().contains("oops.sql"));
    }

    #[test]
    fn two_files_with_one_version_are_refused() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("20260101000000_a.sql"), "").unwrap();
        std::fs::write(dir.join("20260101000000_b.sql"), "").unwrap();
        assert!(list(&dir)
            .unwrap_err()
            .to_string()
            .contains("share the version"));
    }

    #[test]
    fn include_lines_are_replaced_by_the_file_quoted() {
        let sql = "select (\n-- flowpulse:include big.json\n)::jsonb;\n";
        let read = |name: &str| match name {
            "big.json" => Ok("{\"a\": \"$flowpulse_include0$\"}".to_string()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        };
        let expanded = expand_includes("x.sql", sql, read).unwrap();
        assert_eq!(
            expanded,
            "select (\n$flowpulse_include1${\"a\": \"$flowpulse_include0$\"}$flowpulse_include1$\n)::jsonb;\n"
        );
        let missing = expand_includes("x.sql", "-- flowpulse:include gone.json\n", read)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("x.sql")
                && missing.contains("gone.json")
                && missing.contains("line 1"),
            "{missing}"
        );
        let outside = expand_includes("x.sql", "-- flowpulse:include ../secret.json\n", read);
        assert!(outside.is_err(), "no path escapes the folder");
        assert_eq!(
            expand_includes("x.sql", "select 1;", read).unwrap(),
            "select 1;"
        );
    }

    /// A fresh directory, kept (it is tiny) so the returned path stays valid.
    fn tempfile_dir() -> PathBuf {
        tempfile::tempdir().unwrap().keep()
    }
}
