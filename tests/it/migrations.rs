//! The migration runner: Supabase CLI bookkeeping, one transaction per file, clear failures.

use crate::helpers::{empty_database, migrate, repo};
use std::path::Path;

fn copy_real_migrations(into: &Path) {
    for entry in std::fs::read_dir(repo().join("supabase/migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), into.join(entry.file_name())).unwrap();
    }
}

async fn table_exists(client: &tokio_postgres::Client, name: &str) -> bool {
    client
        .query_one("select to_regclass($1) is not null", &[&name])
        .await
        .unwrap()
        .get(0)
}

async fn recorded_versions(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "select version from supabase_migrations.schema_migrations order by version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_broken_migration_is_named_and_leaves_nothing_half_applied() {
    let (database, client) = empty_database().await;
    let dir = tempfile::tempdir().unwrap();
    copy_real_migrations(dir.path());
    std::fs::write(
        dir.path().join("20991231000000_good.sql"),
        "create table public.extra_good (id int);\n",
    )
    .unwrap();
    let broken = "create table public.half_applied (id int);\n\
                  insert into public.half_applied values (1);\n\
                  select * from public.no_such_table;\n";
    std::fs::write(dir.path().join("20991231000001_broken.sql"), broken).unwrap();

    let error = migrate(&database, dir.path())
        .await
        .expect_err("the broken file fails")
        .to_string();
    assert!(
        error.contains("20991231000001_broken.sql"),
        "names the file: {error}"
    );
    assert!(
        error.contains("no_such_table"),
        "carries the database's message: {error}"
    );
    assert!(
        error.contains("line 3"),
        "points at the failing line: {error}"
    );

    assert!(
        table_exists(&client, "public.extra_good").await,
        "files before it are applied"
    );
    assert!(
        !table_exists(&client, "public.half_applied").await,
        "nothing of the broken file remains"
    );
    let versions = recorded_versions(&client).await;
    assert!(versions.contains(&"20991231000000".to_string()));
    assert!(
        !versions.contains(&"20991231000001".to_string()),
        "the broken file is not recorded"
    );

    // Fixed, it applies; run again, nothing is applied twice.
    std::fs::write(
        dir.path().join("20991231000001_broken.sql"),
        "create table public.half_applied (id int);\n",
    )
    .unwrap();
    let report = migrate(&database, dir.path())
        .await
        .expect("fixed file applies");
    assert_eq!(
        report.applied,
        vec!["20991231000001_broken.sql".to_string()]
    );
    let again = migrate(&database, dir.path()).await.expect("re-run");
    assert!(
        again.applied.is_empty(),
        "already applied files are skipped: {:?}",
        again.applied
    );
    assert_eq!(
        again.already_applied,
        recorded_versions(&client).await.len()
    );
}

#[tokio::test]
async fn the_real_migrations_apply_to_an_empty_database_and_are_recorded_like_the_supabase_cli() {
    let (database, client) = empty_database().await;
    let report = migrate(&database, &repo().join("supabase/migrations"))
        .await
        .expect("migrations apply");
    let files = flowpulse_cli::migrate::list(&repo().join("supabase/migrations")).unwrap();
    assert_eq!(report.applied.len(), files.len());
    let rows = client
        .query("select version, name, statements[1] from supabase_migrations.schema_migrations order by version", &[])
        .await
        .unwrap();
    for (row, file) in rows.iter().zip(&files) {
        assert_eq!(row.get::<_, String>(0), file.version);
        assert_eq!(row.get::<_, String>(1), file.name);
        assert_eq!(
            row.get::<_, String>(2),
            std::fs::read_to_string(&file.path).unwrap()
        );
    }
    for table in [
        "providers",
        "mvp_workflows",
        "executions",
        "sync_logs",
        "migration_metadata",
    ] {
        assert!(
            table_exists(&client, &format!("public.{table}")).await,
            "{table} exists"
        );
    }
}
