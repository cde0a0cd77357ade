//! Workflow definitions as migrations (`flowpulse`): export from one real n8n, apply to a
//! second database, deploy to a second real n8n (its own user folder, like dev → prod), and
//! the guarantees around it: no credential secret or id in any file, re-runs are no-ops, a
//! target edited later is not overwritten, updates keep the workflow's id, activation and
//! executions, and a broken file is named and changes nothing.

use crate::helpers::{database_url, empty_database, log_path, migrate, real_n8n, repo, run_dir};
use flowpulse_cli::cli::{self, Cli};
use flowpulse_cli::config::Config;
use flowpulse_cli::deploy::{self, Action};
use flowpulse_cli::{export, status, workflow};
use flowpulse_n8n::{
    BaseUrl, ClientSettings, N8nClient, NewCredential, OutboundPolicy, Transport,
    WorkflowDefinition,
};
use flowpulse_stack::n8n_api::N8nApi;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The calls the test makes itself, through the shared n8n client; workflows as JSON so the
/// test can edit and compare them field by field.
struct Api {
    client: N8nClient,
}

impl Api {
    fn new(url: &str, key: &str) -> Api {
        let url = BaseUrl::parse(url).expect("n8n URL");
        let transport = Transport::new(OutboundPolicy::public_only().allowing_loopback());
        Api {
            client: N8nClient::new(url, key, transport, ClientSettings::default()),
        }
    }

    async fn workflow(&self, id: &str) -> Value {
        let workflow = self.client.get_workflow(id).await.expect("workflow read");
        serde_json::to_value(workflow).unwrap()
    }

    async fn create_workflow(&self, body: Value) -> Value {
        let definition: WorkflowDefinition = serde_json::from_value(body).unwrap();
        let created = self
            .client
            .create_workflow(&definition)
            .await
            .expect("workflow created");
        serde_json::to_value(created).unwrap()
    }

    /// Replaces `id`'s definition with `edited`'s name, nodes, connections and settings.
    async fn update_workflow(&self, id: &str, edited: &Value) {
        let definition = WorkflowDefinition {
            name: edited["name"].as_str().unwrap().to_string(),
            nodes: edited["nodes"].clone(),
            connections: edited["connections"].clone(),
            settings: edited["settings"].clone(),
        };
        self.client
            .update_workflow(id, &definition)
            .await
            .expect("workflow updated");
    }

    async fn activate(&self, id: &str) {
        self.client.activate_workflow(id).await.expect("activated");
    }

    /// Creates an `httpHeaderAuth` credential; returns its id.
    async fn header_credential(&self, name: &str, header: &str, value: &str) -> String {
        let credential = NewCredential {
            name: name.to_string(),
            credential_type: "httpHeaderAuth".into(),
            data: json!({"name": header, "value": value}),
        };
        self.client
            .create_credential(&credential)
            .await
            .expect("credential created")
            .id
    }
}

fn copy_real_migrations(into: &Path) {
    for entry in std::fs::read_dir(repo().join("supabase/migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), into.join(entry.file_name())).unwrap();
    }
}

fn sql_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, recursively, as (path, bytes).
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => out.extend(all_files(&path)),
            false => out.push((path.clone(), std::fs::read(&path).unwrap())),
        }
    }
    out
}

async fn run(args: &[&str]) -> Result<(), flowpulse_cli::Error> {
    let mut argv = vec!["flowpulse"];
    argv.extend_from_slice(args);
    cli::run(Cli::try_parse_args(argv).expect("arguments parse")).await
}

/// `flowpulse workflows export --instance dev --workflow <workflow>` into `dir`; `what` names
/// the step in a failure.
async fn export_from_dev(config: &str, workflow: &str, dir: &str, what: &str) {
    run(&[
        "--config",
        config,
        "workflows",
        "export",
        "--instance",
        "dev",
        "--workflow",
        workflow,
        "--migrations-dir",
        dir,
    ])
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// The nodes as the migration should carry them: credential ids dropped, nothing else.
fn stripped(nodes: &Value) -> Value {
    let mut nodes = nodes.clone();
    workflow::strip_credentials(&mut nodes);
    nodes
}

fn workflow_body(name: &str, credential: (&str, &str), webhook_path: &str) -> Value {
    json!({
        "name": name, "settings": {"executionOrder": "v1"},
        "nodes": [
            {"id": uuid::Uuid::new_v4(), "name": "Trigger", "type": "n8n-nodes-base.webhook",
             "typeVersion": 2, "position": [0, 0], "webhookId": uuid::Uuid::new_v4(),
             "parameters": {"path": webhook_path, "httpMethod": "GET", "responseMode": "onReceived"}},
            {"id": uuid::Uuid::new_v4(), "name": "Call shop", "type": "n8n-nodes-base.httpRequest",
             "typeVersion": 4.2, "position": [220, 0],
             "parameters": {"url": "http://127.0.0.1:9/unreachable", "authentication": "genericCredentialType",
                            "genericAuthType": "httpHeaderAuth", "options": {}},
             "credentials": {"httpHeaderAuth": {"id": credential.0, "name": credential.1}}}
        ],
        "connections": {"Trigger": {"main": [[{"node": "Call shop", "type": "main", "index": 0}]]}}
    })
}

#[tokio::test]
async fn a_workflow_moves_between_two_real_n8n_through_a_reviewed_migration() {
    // dev: the shared n8n; prod: a second n8n with its own user folder.
    let install = flowpulse_stack::n8n::N8nInstall::locate(&flowpulse_stack::config::cache_dir());
    let prod_port = flowpulse_stack::process::free_port().unwrap();
    let (prod_folder, prod_log) = (run_dir().join("n8n-prod"), log_path("n8n-prod"));
    let (dev, prod) = tokio::join!(
        real_n8n::shared(),
        flowpulse_stack::n8n::start(&install, &prod_folder, prod_port, &prod_log)
    );
    let prod = prod.expect("second n8n starts");
    let dev_api = Api::new(&dev.base_url, &dev.api_key);
    let prod_api = Api::new(&prod.base_url, &prod.api_key);
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (dev_secret, prod_secret) = (format!("dev-secret-{tag}"), format!("prod-secret-{tag}"));

    // A decoy of the same type first: a reference without an explicit `"id": null` would make
    // n8n bind this one (the first of the type) instead of the one named.
    prod_api
        .header_credential(&format!("Decoy {tag}"), "X-Decoy", "decoy")
        .await;
    // The same credential name on both sides, each with its own secret.
    let credential_name = format!("Shop API {tag}");
    let mut credential_ids = Vec::new();
    for (api, secret) in [(&dev_api, &dev_secret), (&prod_api, &prod_secret)] {
        let created = api
            .header_credential(&credential_name, "X-Shop-Key", secret)
            .await;
        credential_ids.push(created);
    }
    let (dev_credential, prod_credential) = (credential_ids[0].clone(), credential_ids[1].clone());
    let name = format!("fp-wm order intake {tag}");
    let webhook = format!("fp-wm-{tag}");
    let source = dev_api
        .create_workflow(workflow_body(
            &name,
            (&dev_credential, &credential_name),
            &webhook,
        ))
        .await;
    let source_id = source["id"].as_str().unwrap().to_string();

    // flowpulse.toml and the migrations folder of a checkout (temp dirs, never the repo's).
    let checkout = tempfile::tempdir().unwrap();
    let migrations = checkout.path().join("supabase/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    copy_real_migrations(&migrations);
    let (dev_var, prod_var) = (
        format!("FP_TEST_DEV_KEY_{tag}"),
        format!("FP_TEST_PROD_KEY_{tag}"),
    );
    // Unique variable names: no other test reads or writes them.
    std::env::set_var(&dev_var, &dev.api_key);
    std::env::set_var(&prod_var, &prod.api_key);
    let config_path = checkout.path().join("flowpulse.toml");
    std::fs::write(
        &config_path,
        format!(
            "[instances.dev]\nurl = \"{}\"\napi_key_env = \"{dev_var}\"\nsource = \"dev\"\n\n\
         [instances.prod]\nurl = \"{}\"\napi_key_env = \"{prod_var}\"\nsource = \"prod\"\n",
            dev.base_url, prod.base_url
        ),
    )
    .unwrap();
    let config = config_path.to_str().unwrap();
    let dir = migrations.to_str().unwrap();

    // Export: one new file; the same again: nothing new.
    let before = sql_files(&migrations);
    export_from_dev(config, &name, dir, "export").await;
    let after = sql_files(&migrations);
    let new_files: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
    assert_eq!(new_files.len(), 1, "one migration file: {new_files:?}");
    let exported = std::fs::read_to_string(migrations.join(new_files[0])).unwrap();
    assert!(
        new_files[0].ends_with(&format!("_fp_wm_order_intake_{tag}.sql")),
        "{}",
        new_files[0]
    );
    assert!(
        exported.contains(&format!("-- workflow: {name}\n")),
        "{exported}"
    );
    assert!(exported.contains("-- source: dev"), "{exported}");
    assert!(
        exported.contains(&credential_name),
        "the credential's name stays"
    );
    export_from_dev(config, &source_id, dir, "second export").await;
    assert_eq!(
        sql_files(&migrations),
        after,
        "an unchanged workflow is not exported twice"
    );

    // Apply to a second database (prod's), deploy to prod: created, bound to prod's credential.
    let (database, db) = empty_database().await;
    let report = migrate(&database, &migrations)
        .await
        .expect("migrations apply");
    assert!(
        report.applied.contains(new_files[0]),
        "{:?}",
        report.applied
    );
    let prod_instance = Config::load(&config_path)
        .unwrap()
        .instance("prod")
        .unwrap();
    let results = deploy::deploy(&db, &prod_instance).await.expect("deploy");
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].action, Action::Created, "{results:?}");
    let prod_id = results[0].target_id.clone().expect("created id");
    let deployed = prod_api.workflow(&prod_id).await;
    assert_eq!(deployed["name"], json!(name));
    assert_eq!(
        stripped(&deployed["nodes"]),
        stripped(&source["nodes"]),
        "same nodes"
    );
    assert_eq!(
        deployed["connections"], source["connections"],
        "same connections"
    );
    assert_eq!(
        deployed["nodes"][1]["credentials"]["httpHeaderAuth"],
        json!({"id": prod_credential, "name": credential_name}),
        "bound to prod's own credential of that type and name"
    );

    // Give it history on prod, then re-run the whole `migrate up --deploy-to prod`: no-op.
    prod_api.activate(&prod_id).await;
    let prod_n8n = N8nApi::new(&prod.base_url, &prod.api_key);
    prod_n8n.call_webhook(&webhook).await.expect("webhook runs");
    let history = prod_n8n.wait_for_executions(&prod_id, 1).await.unwrap();
    let url = database_url(&database).await;
    let stamp = deployed["updatedAt"].clone();
    run(&[
        "--config",
        config,
        "migrate",
        "up",
        "--database-url",
        &url,
        "--migrations-dir",
        dir,
        "--deploy-to",
        "prod",
    ])
    .await
    .expect("migrate up");
    let again = deploy::deploy(&db, &prod_instance)
        .await
        .expect("deploy again");
    assert_eq!(again[0].action, Action::Unchanged, "{again:?}");
    let untouched = prod_api.workflow(&prod_id).await;
    assert_eq!(
        untouched["updatedAt"], stamp,
        "a re-run writes nothing to n8n"
    );

    // A change in dev travels as a new file and updates prod in place: same id, still active,
    // executions kept.
    let mut edited = dev_api.workflow(&source_id).await;
    edited["nodes"][1]["parameters"]["url"] = json!("http://127.0.0.1:9/v2");
    dev_api.update_workflow(&source_id, &edited).await;
    // (`--workflow`: the shared dev n8n also holds other tests' workflows.)
    export_from_dev(config, &name, dir, "export the change").await;
    let changed: Vec<String> = sql_files(&migrations)
        .into_iter()
        .filter(|f| !after.contains(f))
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    migrate(&database, &migrations)
        .await
        .expect("new file applies");
    let update = deploy::deploy(&db, &prod_instance)
        .await
        .expect("deploy update");
    assert_eq!(update[0].action, Action::Updated, "{update:?}");
    assert_eq!(
        update[0].target_id.as_deref(),
        Some(prod_id.as_str()),
        "updated in place"
    );
    let now_prod = prod_api.workflow(&prod_id).await;
    assert_eq!(
        now_prod["nodes"][1]["parameters"]["url"],
        json!("http://127.0.0.1:9/v2")
    );
    assert_eq!(now_prod["active"], json!(true), "activation is untouched");
    assert_eq!(
        now_prod["nodes"][1]["credentials"]["httpHeaderAuth"]["id"],
        json!(prod_credential)
    );
    let kept = prod_n8n.executions_of(&prod_id).await.unwrap();
    assert!(
        kept.len() >= history.len(),
        "execution history stays: {kept:?}"
    );

    // Someone edits prod; a later (but older) dev definition does not overwrite it.
    let mut dev_again = dev_api.workflow(&source_id).await;
    dev_again["nodes"][1]["parameters"]["url"] = json!("http://127.0.0.1:9/v3");
    dev_api.update_workflow(&source_id, &dev_again).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut hotfix = now_prod.clone();
    hotfix["nodes"][1]["parameters"]["url"] = json!("http://127.0.0.1:9/prod-hotfix");
    prod_api.update_workflow(&prod_id, &hotfix).await;
    export_from_dev(config, &name, dir, "export v3").await;
    migrate(&database, &migrations).await.expect("v3 applies");
    let skipped = deploy::deploy(&db, &prod_instance)
        .await
        .expect("deploy v3");
    assert_eq!(skipped[0].action, Action::SkippedTargetNewer, "{skipped:?}");
    let kept_hotfix = prod_api.workflow(&prod_id).await;
    assert_eq!(
        kept_hotfix["nodes"][1]["parameters"]["url"],
        json!("http://127.0.0.1:9/prod-hotfix")
    );

    // prod → dev: the hotfix comes back as a prod_sync_ file, applied to dev's database, and
    // dev's workflow (found by name) is updated in place with dev's credential binding.
    // (`--since` on prod, which holds only this test's workflow.)
    let before_sync = sql_files(&migrations);
    run(&[
        "--config",
        config,
        "workflows",
        "export",
        "--instance",
        "prod",
        "--since",
        "1h",
        "--migrations-dir",
        dir,
    ])
    .await
    .expect("export from prod");
    let synced: Vec<String> = sql_files(&migrations)
        .into_iter()
        .filter(|f| !before_sync.contains(f))
        .collect();
    assert_eq!(synced.len(), 1, "{synced:?}");
    assert!(
        synced[0].contains("_prod_sync_fp_wm_order_intake_"),
        "{synced:?}"
    );
    let (dev_database, dev_db) = empty_database().await;
    migrate(&dev_database, &migrations)
        .await
        .expect("dev database migrates");
    let dev_instance = Config::load(&config_path).unwrap().instance("dev").unwrap();
    let back = deploy::deploy(&dev_db, &dev_instance)
        .await
        .expect("deploy to dev");
    let ours: Vec<_> = back.iter().filter(|r| r.name == name).collect();
    assert!(
        ours.iter()
            .all(|r| r.target_id.as_deref() == Some(source_id.as_str())),
        "{back:?}"
    );
    let dev_now = dev_api.workflow(&source_id).await;
    assert_eq!(
        dev_now["nodes"][1]["parameters"]["url"],
        json!("http://127.0.0.1:9/prod-hotfix")
    );
    assert_eq!(
        dev_now["nodes"][1]["credentials"]["httpHeaderAuth"]["id"],
        json!(dev_credential)
    );

    // No secret and no credential id in anything written.
    for (path, bytes) in all_files(checkout.path()) {
        let text = String::from_utf8_lossy(&bytes);
        for needle in [
            &dev_secret,
            &prod_secret,
            &dev_credential,
            &prod_credential,
            &dev.api_key,
            &prod.api_key,
        ] {
            assert!(
                !text.contains(needle.as_str()),
                "{} contains {needle}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn a_broken_workflow_migration_is_named_and_changes_nothing() {
    let (database, db) = empty_database().await;
    let dir = tempfile::tempdir().unwrap();
    copy_real_migrations(dir.path());
    migrate(&database, dir.path())
        .await
        .expect("real migrations apply");
    let url = database_url(&database).await;
    let path = dir.path().to_str().unwrap();

    // A large export: the JSON lives beside the SQL and `migrate up` loads it.
    let instance = Config::parse(Path::new("t.toml"),
        "[instances.x]\nurl = \"http://127.0.0.1:1\"\napi_key_env = \"FP_UNUSED\"\nsource = \"staging\"\n")
        .unwrap()
        .instance_with("x", |_| Some("unused".into()))
        .unwrap();
    let big = workflow::Definition::from_n8n(&json!({
        "id": "big1", "name": "Big one", "active": false,
        "createdAt": "2026-11-01T00:00:00Z", "updatedAt": "2026-11-02T00:00:00Z",
        "nodes": [{"name": "Note", "parameters": {"text": "x".repeat(300 * 1024)}}],
        "connections": {}, "settings": {}}))
    .unwrap();
    let sql = export::render(
        &big,
        &instance,
        "20991231000000_big_one.sql",
        "h",
        Some("20991231000000_big_one.json"),
    );
    std::fs::write(dir.path().join("20991231000000_big_one.sql"), &sql).unwrap();
    std::fs::write(
        dir.path().join("20991231000000_big_one.json"),
        json!({"nodes": big.nodes, "connections": {}, "settings": {}}).to_string(),
    )
    .unwrap();
    assert!(sql.len() < 4096, "the SQL stays small: {} bytes", sql.len());

    // An older definition of the same workflow (replayed late): recorded, but no rollback.
    let mut older = big.clone();
    older.name = "Older".into();
    older.nodes = json!([]);
    older.updated_at = big.updated_at - chrono::Duration::days(1);
    let older_sql = export::render(&older, &instance, "20991231000001_older.sql", "h", None);
    std::fs::write(dir.path().join("20991231000001_older.sql"), older_sql).unwrap();

    // Then a broken one: its first statement is fine, its second is not.
    let broken = "insert into public.n8n_workflows (id, name, created_at, updated_at)\n\
                  values ('half', 'Half', now(), now());\n\
                  insert into public.n8n_workflows (id, name) values ('oops', 'Oops');\n";
    std::fs::write(dir.path().join("20991231000002_broken.sql"), broken).unwrap();
    let error = run(&[
        "migrate",
        "up",
        "--database-url",
        &url,
        "--migrations-dir",
        path,
    ])
    .await
    .expect_err("the broken file fails")
    .to_string();
    assert!(
        error.contains("20991231000002_broken.sql"),
        "names the file: {error}"
    );
    assert!(
        error.contains("created_at"),
        "carries the database's message: {error}"
    );
    let ids: Vec<String> = db
        .query("select id from public.n8n_workflows order by id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        ids,
        ["big1"],
        "the large file applied, nothing of the broken one"
    );
    let name: String = db
        .query_one("select name from public.n8n_workflows", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        name, "Big one",
        "an older definition does not overwrite a newer one"
    );
    let recorded: i64 = db
        .query_one(
            "select count(*) from public.migration_metadata where migration_file = '20991231000001_older.sql'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 1, "migration_metadata records the file");
    let nodes: Value = db
        .query_one("select nodes from public.n8n_workflows", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(nodes, big.nodes, "the included JSON was loaded");

    // Status: the big file applied, the broken one pending; editing an applied file shows.
    let states = status::status(&db, dir.path()).await.unwrap();
    let state_of = |file: &str| states.iter().find(|(f, _)| f == file).map(|(_, s)| *s);
    assert_eq!(
        state_of("20991231000000_big_one.sql"),
        Some(status::State::Applied)
    );
    assert_eq!(
        state_of("20991231000002_broken.sql"),
        Some(status::State::Pending)
    );
    std::fs::write(
        dir.path().join("20991231000000_big_one.json"),
        "{\"nodes\": []}",
    )
    .unwrap();
    let states = status::status(&db, dir.path()).await.unwrap();
    let state_of = |file: &str| states.iter().find(|(f, _)| f == file).map(|(_, s)| *s);
    assert_eq!(
        state_of("20991231000000_big_one.sql"),
        Some(status::State::Changed),
        "{states:?}"
    );
    run(&[
        "migrate",
        "status",
        "--database-url",
        &url,
        "--migrations-dir",
        path,
    ])
    .await
    .expect("status prints");
}
