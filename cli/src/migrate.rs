//! Applies `supabase/local/` (every time; it is idempotent) and then the pending files of
//! `supabase/migrations/`, recorded in `supabase_migrations.schema_migrations` exactly where the
//! Supabase CLI records them, so a database migrated here and by `supabase db push` agree.
//!
//! Each file runs in its own transaction together with its bookkeeping row: a failing file
//! leaves nothing behind and stops the run with its name and the database's message.
//!
//! Large exported workflows keep their JSON beside the SQL: `<stem>.sql` reads `<stem>.json`
//! through one line `-- flowpulse:include <stem>.json`, which is replaced, before the file
//! runs, by that file's content as a dollar-quoted literal. Only the exact form
//! `flowpulse workflows export` writes is honoured — the migration's own JSON file, alone on
//! its line between `from (select (` and `)::jsonb as doc) as included` — and any other line
//! that starts like the directive fails the file (naming the line) before anything runs: a
//! directive is text a line-based reader acts on, so one that arrived some other way (a value
//! spanning lines, a hand edit) must never paste a file into the SQL. The recorded statements
//! are the expanded text, so `flowpulse migrate status` also notices a changed JSON file.
//! Plain `supabase db push` does not know the directive and fails on such a file instead of
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
    let mut pending = Vec::new();
    for file in list(dir)? {
        if applied.contains(&file.version) {
            report.already_applied += 1;
            continue;
        }
        // Every pending file is read (and its include checked) before the first one runs, so
        // an unreadable file or a refused include changes nothing at all.
        let sql = read_sql(&file)?;
        pending.push((file, sql));
    }
    for (file, sql) in pending {
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

/// How an include line starts, and what must surround it (`export::render` writes them).
const INCLUDE: &str = "-- flowpulse:include ";
const INCLUDE_OPENS: &str = "from (select (";
const INCLUDE_CLOSES: &str = ")::jsonb as doc) as included";

/// Replaces the include line of the migration `file_name` by its own JSON file
/// (`<stem>.json`, read through `read`), dollar-quoted. Refuses, naming the line, any other
/// line that starts like the directive: another file, another place, a second include.
pub fn expand_includes(
    file_name: &str,
    sql: &str,
    read: impl Fn(&str) -> std::io::Result<String>,
) -> Result<String> {
    let marker = INCLUDE.trim_end();
    if !sql.contains(marker) {
        return Ok(sql.to_owned());
    }
    let own = format!(
        "{}.json",
        file_name.strip_suffix(".sql").unwrap_or(file_name)
    );
    let lines: Vec<&str> = sql.split_inclusive('\n').collect();
    // A line's text without its line break (a file saved with CRLF reads the same).
    let text_of = |index: usize| lines.get(index).map(|l| l.trim_end_matches(['\n', '\r']));
    let mut out = String::with_capacity(sql.len());
    let mut included = false;
    for (index, line) in lines.iter().enumerate() {
        let text = text_of(index).unwrap_or_default();
        if !text.trim_start().starts_with(marker) {
            out.push_str(line);
            continue;
        }
        let fail = |why: String| MigrationError {
            file: file_name.into(),
            message: format!("line {}: {text:?} refused: {why}", index + 1),
        };
        if text.strip_prefix(INCLUDE) != Some(own.as_str()) {
            return Err(fail(format!(
                "a migration can only include its own JSON file, {own}"
            ))
            .into());
        }
        let in_place = index.checked_sub(1).and_then(text_of) == Some(INCLUDE_OPENS)
            && text_of(index + 1) == Some(INCLUDE_CLOSES);
        if !in_place {
            return Err(fail(format!(
                "the include is honoured only alone on its line between `{INCLUDE_OPENS}` and \
                 `{INCLUDE_CLOSES}`, where `flowpulse workflows export` writes it"
            ))
            .into());
        }
        if included {
            return Err(fail(format!("{own} is already included above")).into());
        }
        included = true;
        let json = read(&own).map_err(|e| fail(format!("cannot read {own}: {e}")))?;
        let tag = (0..)
            .map(|n| format!("$flowpulse_include{n}$"))
            .find(|tag| !json.contains(tag.as_str()))
            .expect("some tag is free");
        out.push_str(&format!("{tag}{json}{tag}"));
        out.push_str(&line[text.len()..]);
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

    /// The shape `export::render` gives a large workflow's migration, including `json_file`.
    fn exported(json_file: &str) -> String {
        format!(
            "insert into t (doc)\nselect\n  doc\nfrom (select (\n-- flowpulse:include {json_file}\n)::jsonb as doc) as included\n;\n"
        )
    }

    fn read_big(name: &str) -> std::io::Result<String> {
        match name {
            "2099_big.json" => Ok("{\"a\": \"$flowpulse_include0$\"}".to_string()),
            "evil.json" => Ok("{\"evil\": true}".to_string()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    #[test]
    fn the_exported_include_of_its_own_json_file_is_replaced_by_the_file_quoted() {
        let expanded =
            expand_includes("2099_big.sql", &exported("2099_big.json"), read_big).unwrap();
        assert_eq!(
            expanded,
            "insert into t (doc)\nselect\n  doc\nfrom (select (\n$flowpulse_include1${\"a\": \"$flowpulse_include0$\"}$flowpulse_include1$\n)::jsonb as doc) as included\n;\n"
        );
        let crlf = exported("2099_big.json").replace('\n', "\r\n");
        assert!(expand_includes("2099_big.sql", &crlf, read_big)
            .unwrap()
            .contains("(\r\n$flowpulse_include1${"));
        assert_eq!(
            expand_includes("x.sql", "select 1;", read_big).unwrap(),
            "select 1;"
        );
    }

    #[test]
    fn an_include_of_any_other_file_fails_naming_file_and_line() {
        for other in ["evil.json", "../2099_big.json", "2099_big.json.bak", ""] {
            let error = expand_includes("2099_big.sql", &exported(other), read_big)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("2099_big.sql")
                    && error.contains("line 5")
                    && error.contains("its own JSON file, 2099_big.json"),
                "{other}: {error}"
            );
        }
    }

    #[test]
    fn an_include_outside_the_exported_context_fails_even_for_its_own_file() {
        // Inside a string literal, as a name with raw newlines would have put it.
        let in_literal =
            "insert into t (name) values ('x\n-- flowpulse:include 2099_big.json\n');\n";
        // Indented, or with something after the name.
        let indented = exported("2099_big.json").replace("\n-- flowpulse", "\n  -- flowpulse");
        let trailing = exported("2099_big.json").replace(".json\n", ".json )\n");
        for (sql, line) in [(in_literal.to_string(), 2), (indented, 5), (trailing, 5)] {
            let error = expand_includes("2099_big.sql", &sql, read_big)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("2099_big.sql")
                    && error.contains(&format!("line {line}:"))
                    && error.contains("refused"),
                "{sql}: {error}"
            );
        }
    }

    #[test]
    fn a_second_include_fails_and_a_missing_file_is_named() {
        let twice = format!("{}{}", exported("2099_big.json"), exported("2099_big.json"));
        let error = expand_includes("2099_big.sql", &twice, read_big)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 12:") && error.contains("already included"),
            "{error}"
        );
        let error = expand_includes("2099_gone.sql", &exported("2099_gone.json"), read_big)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("2099_gone.sql") && error.contains("cannot read 2099_gone.json"),
            "{error}"
        );
    }

    #[test]
    fn the_marker_inside_a_line_is_just_text() {
        let sql = "select 'see -- flowpulse:include evil.json';\n";
        assert_eq!(expand_includes("x.sql", sql, read_big).unwrap(), sql);
    }

    /// A fresh directory, kept (it is tiny) so the returned path stays valid.
    fn tempfile_dir() -> PathBuf {
        tempfile::tempdir().unwrap().keep()
    }
}
