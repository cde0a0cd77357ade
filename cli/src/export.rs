//! `flowpulse workflows export`: n8n workflows → reviewable migration files.
//!
//! Each file upserts one `n8n_workflows` row (only when its `updated_at` is newer) and records
//! itself in `migration_metadata`. Headers carry the workflow id and a content hash, so a
//! second export of an unchanged workflow writes nothing.

use crate::config::Instance;
use crate::error::{Error, Result};
use crate::migrate;
use crate::n8n::N8nClient;
use crate::sql::{dollar_quote, literal};
use crate::workflow::{slug, Definition};
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Above this much JSON (nodes + connections + settings) the definition goes to a `.json`
/// file beside the migration, so the SQL stays readable in a review.
pub const SIDECAR_THRESHOLD: usize = 256 * 1024;

const HEADER_ID: &str = "-- flowpulse:workflow-id ";
const HEADER_HASH: &str = "-- flowpulse:content-sha256 ";

/// Which workflows to export.
#[derive(Debug, Clone)]
pub enum Selection {
    /// One workflow, by id or exact name.
    One(String),
    /// Every workflow that is not archived.
    All,
    /// Every workflow (not archived) updated within the window; files get `<source>_sync_`.
    Since(chrono::Duration),
}

/// What happened to one workflow.
#[derive(Debug, Clone, PartialEq)]
pub enum Exported {
    /// A new migration file (and a `.json` beside it when the workflow is large).
    Written {
        name: String,
        file: PathBuf,
        sidecar: Option<PathBuf>,
    },
    /// The newest migration for this workflow already has this content.
    Unchanged { name: String, file: String },
}

/// Reads the selected workflows from `instance` and writes migrations into `dir`.
pub async fn export(
    instance: &Instance,
    selection: &Selection,
    dir: &Path,
    now: DateTime<Utc>,
    sidecar_threshold: usize,
) -> Result<Vec<Exported>> {
    let client = N8nClient::new(instance)?;
    let all = client.list_workflows().await?;
    let live = all.iter().filter(|w| w["isArchived"] != json!(true));
    let chosen: Vec<&Value> = match selection {
        Selection::One(wanted) => {
            let by_id: Vec<&Value> = all.iter().filter(|w| w["id"] == json!(wanted)).collect();
            let matches = match by_id.is_empty() {
                true => live.filter(|w| w["name"] == json!(wanted)).collect(),
                false => by_id,
            };
            match matches.len() {
                0 => {
                    return Err(Error::WorkflowNotFound {
                        instance: instance.name.clone(),
                        wanted: wanted.clone(),
                    })
                }
                1 => matches,
                _ => {
                    return Err(Error::AmbiguousWorkflow {
                        instance: instance.name.clone(),
                        wanted: wanted.clone(),
                        ids: matches
                            .iter()
                            .map(|w| w["id"].to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        }
        Selection::All => live.collect(),
        Selection::Since(window) => {
            let from = now - *window;
            live.filter(|w| {
                w["updatedAt"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t >= from)
            })
            .collect()
        }
    };
    let infix = match selection {
        Selection::Since(_) => format!("{}_sync_", instance.source.as_str()),
        _ => String::new(),
    };
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut outcomes = Vec::new();
    for workflow in chosen {
        let definition = Definition::from_n8n(workflow)?;
        let hash = definition.export_hash();
        if let Some(file) = latest_export(dir, &definition.id)?.filter(|(_, h)| *h == hash) {
            outcomes.push(Exported::Unchanged {
                name: definition.name,
                file: file.0,
            });
            continue;
        }
        let version = next_version(dir, now)?;
        let stem = format!("{version}_{infix}{}", slug(&definition.name));
        let file = dir.join(format!("{stem}.sql"));
        let document = json!({
            "nodes": definition.nodes, "connections": definition.connections,
            "settings": definition.settings,
        });
        let sidecar = (document.to_string().len() > sidecar_threshold)
            .then(|| dir.join(format!("{stem}.json")));
        if let Some(path) = &sidecar {
            let text = serde_json::to_string_pretty(&document).unwrap_or_default() + "\n";
            std::fs::write(path, text).map_err(Error::io(path))?;
        }
        let sidecar_name = sidecar.as_ref().map(|_| format!("{stem}.json"));
        let sql = render(
            &definition,
            instance,
            &format!("{stem}.sql"),
            &hash,
            sidecar_name.as_deref(),
        );
        std::fs::write(&file, sql).map_err(Error::io(&file))?;
        outcomes.push(Exported::Written {
            name: definition.name,
            file,
            sidecar,
        });
    }
    Ok(outcomes)
}

/// The newest export of workflow `id` in `dir`: (file name, content hash).
fn latest_export(dir: &Path, id: &str) -> Result<Option<(String, String)>> {
    let files = migrate::list(dir).map_err(Error::Migration)?;
    for file in files.iter().rev() {
        let text = std::fs::read_to_string(&file.path).map_err(Error::io(&file.path))?;
        let header = |prefix: &str| {
            text.lines()
                .take_while(|l| l.starts_with("--"))
                .find_map(|l| l.strip_prefix(prefix).map(str::trim))
        };
        if header(HEADER_ID) == Some(id) {
            return Ok(header(HEADER_HASH).map(|h| (file.file_name.clone(), h.to_owned())));
        }
    }
    Ok(None)
}

/// `YYYYMMDDHHMMSS` of `now`, or one second after the newest version in `dir` when that is
/// not earlier: versions stay unique and in order even for many files in one second.
pub fn next_version(dir: &Path, now: DateTime<Utc>) -> Result<String> {
    let newest = migrate::list(dir)
        .map_err(Error::Migration)?
        .last()
        .and_then(|f| NaiveDateTime::parse_from_str(&f.version, "%Y%m%d%H%M%S").ok());
    // Whole seconds: the version has no fraction, so 10:00:00.5 is the version 10:00:00.
    let now = now
        .naive_utc()
        .with_nanosecond(0)
        .unwrap_or(now.naive_utc());
    let at = match newest {
        Some(newest) if newest >= now => newest + chrono::Duration::seconds(1),
        _ => now,
    };
    Ok(at.format("%Y%m%d%H%M%S").to_string())
}

/// A comment line's text: newlines would end the comment and turn the rest into SQL (other
/// control characters only confuse a reviewer's terminal).
fn comment_safe(text: &str) -> String {
    text.replace(
        |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}',
        " ",
    )
}

/// The migration's SQL. With `sidecar`, the JSON is loaded from that file through the
/// `-- flowpulse:include` line (see `migrate::expand_includes`, which honours exactly this
/// form). Every value is a one-line literal (`sql::literal`), so no name can put a line of its
/// own into the file.
pub fn render(
    definition: &Definition,
    instance: &Instance,
    file_name: &str,
    hash: &str,
    sidecar: Option<&str>,
) -> String {
    let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let source = instance.source.as_str();
    let pretty = |v: &Value| dollar_quote(&serde_json::to_string_pretty(v).unwrap_or_default());
    let header = format!(
        "-- FlowPulse workflow export; apply with `flowpulse migrate up`.\n\
         -- source: {source} (instance \"{instance}\")\n\
         -- workflow: {name}\n\
         -- last updated: {updated}\n\
         {HEADER_ID}{id}\n\
         {HEADER_HASH}{hash}\n\
         -- Credential references keep their type and name only: no ids, no secrets.\n\n",
        instance = comment_safe(&instance.name),
        name = comment_safe(&definition.name),
        updated = time(&definition.updated_at),
        id = comment_safe(&definition.id),
    );
    let columns = "insert into public.n8n_workflows as w\n  \
                   (id, name, active, nodes, connections, settings, source, created_at, updated_at)\n";
    let scalars = |nodes: &str, connections: &str, settings: &str| {
        format!(
            "  {},\n  {},\n  {},\n  {nodes},\n  {connections},\n  {settings},\n  {},\n  {}::timestamptz,\n  {}::timestamptz",
            literal(&definition.id),
            literal(&definition.name),
            definition.active,
            literal(source),
            literal(&time(&definition.created_at)),
            literal(&time(&definition.updated_at)),
        )
    };
    let values = match sidecar {
        None => format!(
            "values (\n{})\n",
            scalars(
                &format!("{}::jsonb", pretty(&definition.nodes)),
                &format!("{}::jsonb", pretty(&definition.connections)),
                &format!("{}::jsonb", pretty(&definition.settings)),
            )
        ),
        Some(json_file) => format!(
            "select\n{}\nfrom (select (\n-- flowpulse:include {json_file}\n)::jsonb as doc) as included\n",
            scalars("doc -> 'nodes'", "doc -> 'connections'", "doc -> 'settings'")
        ),
    };
    format!(
        "{header}{columns}{values}\
         on conflict (id) do update set\n  \
         name = excluded.name, active = excluded.active, nodes = excluded.nodes,\n  \
         connections = excluded.connections, settings = excluded.settings,\n  \
         source = excluded.source, updated_at = excluded.updated_at\n  \
         -- Only a newer definition wins: replaying an older file never rolls a workflow back.\n  \
         where excluded.updated_at > w.updated_at;\n\n\
         insert into public.migration_metadata (migration_file, source, workflow_id)\n\
         values ({}, {}, {})\n\
         on conflict (migration_file) do nothing;\n",
        literal(file_name),
        literal(source),
        literal(&definition.id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    fn instance() -> Instance {
        Instance {
            name: "local".into(),
            url: flowpulse_n8n::BaseUrl::parse("http://127.0.0.1:5678").unwrap(),
            api_key: "k".into(),
            source: Source::Prod,
        }
    }

    fn definition() -> Definition {
        Definition::from_n8n(&json!({
            "id": "wf1", "name": "It's big", "active": false,
            "createdAt": "2026-11-01T10:00:00Z", "updatedAt": "2026-11-02T10:00:00.123Z",
            "nodes": [{"name": "A", "parameters": {"text": "$json$ and 'quotes'"}}],
            "connections": {}, "settings": {"executionOrder": "v1"}
        }))
        .unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn versions_follow_the_clock_and_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let now = at("2026-11-22T10:00:00Z");
        assert_eq!(next_version(dir.path(), now).unwrap(), "20261122100000");
        std::fs::write(dir.path().join("20261122100000_a.sql"), "").unwrap();
        assert_eq!(next_version(dir.path(), now).unwrap(), "20261122100001");
        let within_that_second = at("2026-11-22T10:00:00.900Z");
        assert_eq!(
            next_version(dir.path(), within_that_second).unwrap(),
            "20261122100001"
        );
        std::fs::write(dir.path().join("20261122235959_b.sql"), "").unwrap();
        assert_eq!(next_version(dir.path(), now).unwrap(), "20261123000000");
        let later = at("2026-12-01T00:00:00Z");
        assert_eq!(next_version(dir.path(), later).unwrap(), "20261201000000");
    }

    #[test]
    fn the_sql_upserts_only_newer_and_records_itself() {
        let sql = render(
            &definition(),
            &instance(),
            "20261122100000_it_s_big.sql",
            "h1",
            None,
        );
        assert!(sql.starts_with("-- FlowPulse workflow export"));
        assert!(sql.contains("-- source: prod (instance \"local\")\n-- workflow: It's big\n"));
        assert!(sql.contains("-- last updated: 2026-11-02T10:00:00.123Z\n"));
        assert!(sql.contains("'It''s big'"), "names are quoted: {sql}");
        assert!(sql.contains("$json1$["), "a free dollar-quote tag: {sql}");
        assert!(sql.contains("where excluded.updated_at > w.updated_at;"));
        assert!(sql.contains("values ('20261122100000_it_s_big.sql', 'prod', 'wf1')"));
        assert!(!sql.contains("flowpulse:include"));
        let big = render(&definition(), &instance(), "x.sql", "h1", Some("x.json"));
        assert!(big.contains("\n-- flowpulse:include x.json\n"), "{big}");
        assert!(!big.contains("$json"), "the JSON stays in the file: {big}");
    }

    #[test]
    fn header_lines_cannot_be_broken_out_of() {
        let mut sneaky = definition();
        sneaky.name = "x\ndrop table public.providers; --".into();
        let sql = render(&sneaky, &instance(), "x.sql", "h", None);
        // The comment stays one line; the value keeps its newline as an escape.
        assert!(
            sql.contains("-- workflow: x drop table public.providers; --\n"),
            "{sql}"
        );
        assert!(
            sql.contains("  E'x\\ndrop table public.providers; --',\n"),
            "{sql}"
        );
    }

    #[test]
    fn a_name_carrying_an_include_line_cannot_start_a_directive() {
        let mut hostile = definition();
        hostile.name = "Intake\n-- flowpulse:include evil.json\n'); --\\".into();
        hostile.id = "wf\n-- flowpulse:include evil.json".into();
        let sql = render(
            &hostile,
            &instance(),
            "2099_x.sql",
            "h",
            Some("2099_x.json"),
        );
        let directives: Vec<&str> = sql
            .lines()
            .filter(|l| l.trim_start().starts_with("-- flowpulse:include"))
            .collect();
        assert_eq!(directives, ["-- flowpulse:include 2099_x.json"], "{sql}");
        assert!(
            sql.contains(r"E'Intake\n-- flowpulse:include evil.json\n''); --\\'"),
            "{sql}"
        );
        let expanded = migrate::expand_includes("2099_x.sql", &sql, |name| match name {
            "2099_x.json" => Ok("{}".into()),
            other => panic!("read {other}"),
        })
        .unwrap();
        assert!(expanded.contains("$flowpulse_include0${}$flowpulse_include0$"));
    }

    #[test]
    fn the_latest_export_of_a_workflow_is_found_by_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let write = |file: &str, id: &str, hash: &str| {
            let sql = render(&definition(), &instance(), file, hash, None).replace("wf1", id);
            std::fs::write(dir.path().join(file), sql).unwrap();
        };
        write("20261122100000_a.sql", "wf1", "old");
        write("20261122100001_a.sql", "wf1", "new");
        write("20261122100002_b.sql", "wf2", "other");
        let latest = latest_export(dir.path(), "wf1").unwrap().unwrap();
        assert_eq!(
            latest,
            ("20261122100001_a.sql".to_string(), "new".to_string())
        );
        assert_eq!(latest_export(dir.path(), "wf3").unwrap(), None);
    }
}
