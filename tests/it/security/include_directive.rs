//! The include directive of `flowpulse migrate up` (`-- flowpulse:include <file>.json`) cannot
//! be smuggled in. A workflow whose name carries such a line — exported by the real exporter
//! from an n8n — keeps it inside a one-line literal and is stored verbatim, with a decoy file
//! beside the migration never read; and an include the exporter did not write is refused,
//! naming the line, before anything runs.

use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::{database_url, empty_database, migrate, repo};
use flowpulse_cli::cli::{self, Cli};
use flowpulse_cli::config::{Config, Instance};
use flowpulse_cli::export::{self, Exported, Selection};
use flowpulse_cli::workflow::Definition;
use serde_json::json;
use std::path::{Path, PathBuf};

/// A name that, written raw into a migration, would start an include line of its own (and
/// tries quotes, a backslash, a carriage return and a tab on the way).
const HOSTILE: &str = "Order intake\n-- flowpulse:include evil.json\n'); drop table public.providers; -- \\ it's \"quoted\"\r\n\tend";
/// What the decoy file holds: found anywhere in the database, the include was followed.
const DECOY: &str = "DECOY-7f3a-the-include-was-followed";

/// A database with the real migrations applied, and a migrations folder holding them.
async fn migrated_database() -> (String, tokio_postgres::Client, tempfile::TempDir) {
    let (database, client) = empty_database().await;
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo().join("supabase/migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    migrate(&database, dir.path())
        .await
        .expect("real migrations apply");
    std::fs::write(
        dir.path().join("evil.json"),
        json!({"nodes": [{"name": DECOY}], "connections": {}, "settings": {}}).to_string(),
    )
    .unwrap();
    (database, client, dir)
}

async fn migrate_up(database: &str, dir: &Path) -> Result<(), flowpulse_cli::Error> {
    let url = database_url(database).await;
    let args = [
        "flowpulse",
        "migrate",
        "up",
        "--database-url",
        &url,
        "--migrations-dir",
        dir.to_str().unwrap(),
    ];
    cli::run(Cli::try_parse_args(args).expect("arguments parse")).await
}

fn instance(url: &str, api_key: &str) -> Instance {
    let toml = format!(
        "[instances.dev]\nurl = \"{url}\"\napi_key_env = \"FP_UNUSED\"\nsource = \"dev\"\n"
    );
    Config::parse(Path::new("flowpulse.toml"), &toml)
        .unwrap()
        .instance_with("dev", |_| Some(api_key.to_string()))
        .unwrap()
}

/// Exports workflow `id` with the real exporter; returns the `.sql` written.
async fn export_one(instance: &Instance, id: &str, dir: &Path, threshold: usize) -> PathBuf {
    let outcome = export::export(
        instance,
        &Selection::One(id.into()),
        dir,
        chrono::Utc::now(),
        threshold,
    )
    .await
    .expect("export");
    match outcome.as_slice() {
        [Exported::Written { file, .. }] => file.clone(),
        other => panic!("expected one written file: {other:?}"),
    }
}

/// Lines of `sql` a line-based reader would take for an include directive.
fn directive_lines(sql: &str) -> Vec<String> {
    sql.lines()
        .filter(|line| line.trim_start().starts_with("-- flowpulse:include"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_workflow_name_carrying_an_include_line_is_stored_verbatim_and_no_decoy_is_read() {
    let (database, db, dir) = migrated_database().await;
    let n8n = FakeN8n::start().await;
    let instance = instance(&n8n.url, &n8n.api_key);
    let small_id = n8n.add_workflow(HOSTILE);
    let large_name = format!("{HOSTILE} (large)");
    let large_id = n8n.add_workflow(&large_name);
    let small = export_one(&instance, &small_id, dir.path(), export::SIDECAR_THRESHOLD).await;
    // A threshold of 0 puts the definition into `<stem>.json`: a real include beside the name.
    let large = export_one(&instance, &large_id, dir.path(), 0).await;

    let small_sql = std::fs::read_to_string(&small).unwrap();
    assert_eq!(
        directive_lines(&small_sql),
        Vec::<String>::new(),
        "{small_sql}"
    );
    let large_sql = std::fs::read_to_string(&large).unwrap();
    let own_json = large.with_extension("json");
    let own_name = own_json.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        directive_lines(&large_sql),
        [format!("-- flowpulse:include {own_name}")],
        "only the exporter's own include: {large_sql}"
    );

    migrate_up(&database, dir.path())
        .await
        .expect("migrate up applies both files");

    for (id, name) in [(&small_id, HOSTILE), (&large_id, large_name.as_str())] {
        let row = db
            .query_one(
                "select name, nodes -> 0 ->> 'name' from public.n8n_workflows where id = $1",
                &[id],
            )
            .await
            .expect("the workflow is stored");
        assert_eq!(row.get::<_, String>(0), name, "the name, byte for byte");
        assert_eq!(
            row.get::<_, String>(1),
            "Webhook",
            "the definition is the workflow's own"
        );
    }
    let decoys: i64 = db
        .query_one(
            "select (select count(*) from public.n8n_workflows w where w::text like '%' || $1 || '%')
                  + (select count(*) from supabase_migrations.schema_migrations m
                     where array_to_string(m.statements, '') like '%' || $1 || '%')",
            &[&DECOY],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(decoys, 0, "evil.json was never read");
}

#[tokio::test]
async fn an_include_the_exporter_did_not_write_is_refused_naming_the_line_and_nothing_runs() {
    let (database, db, dir) = migrated_database().await;
    // A pending file before the bad one: it must not run either.
    std::fs::write(
        dir.path().join("20991231000000_before.sql"),
        "create table public.include_attack_before (id int);\n",
    )
    .unwrap();
    let definition = Definition::from_n8n(&json!({
        "id": "big1", "name": "Big one", "active": false,
        "createdAt": "2026-11-01T00:00:00Z", "updatedAt": "2026-11-02T00:00:00Z",
        "nodes": [{"name": "Note", "parameters": {}}], "connections": {}, "settings": {}}))
    .unwrap();
    let stem = "20991231000001_big_one";
    let exported = export::render(
        &definition,
        &instance("http://127.0.0.1:1", "unused"),
        &format!("{stem}.sql"),
        "h",
        Some(&format!("{stem}.json")),
    );
    // The hand edit: the same line, pointed at another file of the folder.
    let edited = exported.replace(
        &format!("-- flowpulse:include {stem}.json"),
        "-- flowpulse:include evil.json",
    );
    assert_ne!(edited, exported);
    let line = edited
        .lines()
        .position(|l| l == "-- flowpulse:include evil.json")
        .unwrap()
        + 1;
    std::fs::write(dir.path().join(format!("{stem}.sql")), &edited).unwrap();
    std::fs::write(
        dir.path().join(format!("{stem}.json")),
        json!({"nodes": [], "connections": {}, "settings": {}}).to_string(),
    )
    .unwrap();

    let error = migrate_up(&database, dir.path())
        .await
        .expect_err("the edited include is refused")
        .to_string();
    assert!(
        error.contains(&format!("{stem}.sql")) && error.contains(&format!("line {line}:")),
        "names file and line: {error}"
    );
    assert!(
        error.contains("evil.json") && error.contains(&format!("{stem}.json")),
        "says what is allowed: {error}"
    );

    let row = db
        .query_one(
            "select to_regclass('public.include_attack_before') is not null,
                    (select count(*) from public.n8n_workflows),
                    (select count(*) from supabase_migrations.schema_migrations
                     where version like '2099%')",
            &[],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0), "the file before it did not run");
    assert_eq!(row.get::<_, i64>(1), 0, "no workflow stored");
    assert_eq!(row.get::<_, i64>(2), 0, "nothing recorded");
}
