//! The harness of FlowPulse's cross-part tests and benchmarks: one throwaway PostgreSQL cluster per test binary, and for each test a
//! fresh database (a copy of a migrated template) with its own PostgREST in front of it.
//! Every service is a supervised child process: it stops when its handle drops and dies with
//! the test binary, whatever happens.

pub mod app;
pub mod app_client;
pub mod browser;
pub mod fake_n8n;
pub mod mail_sink;
pub mod postgrest;
pub mod real_n8n;
pub mod worker;

use anyhow::{Context, Result};
use base64::Engine as _;
use flowpulse_core::claims::role;
use flowpulse_stack::pg::{Durability, PgCluster};
use flowpulse_stack::process::{self, Service};
use std::path::PathBuf;
use std::sync::OnceLock;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// JWT secret of every test stack.
pub const JWT_SECRET: &str = "flowpulse-test-secret-0123456789-abcdefghij";
/// Password of `postgres` and `authenticator` in the test cluster.
const DB_PASSWORD: &str = "flowpulse-test";
/// The database holding the migrated schema that each test copies.
const TEMPLATE: &str = "flowpulse_template";

/// The repository root.
pub fn repo() -> PathBuf {
    flowpulse_stack::config::repo_root()
}

/// A directory for this test run's files (cluster, logs), removed when the binary starts over:
/// `target/it-run`, or `FLOWPULSE_TEST_RUN_DIR` so that two runs at once keep apart.
pub fn run_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("FLOWPULSE_TEST_RUN_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("target").join("it-run"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create target/it-run");
        // The `postgres` user must be able to enter it when we run as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        dir
    })
}

/// Where a test writes logs and artifacts worth keeping after a failure.
pub fn log_path(name: &str) -> PathBuf {
    run_dir().join(format!("{name}.log"))
}

struct SharedCluster {
    cluster: PgCluster,
}

async fn shared_cluster() -> Result<&'static SharedCluster> {
    static CLUSTER: OnceCell<SharedCluster> = OnceCell::const_new();
    CLUSTER
        .get_or_try_init(|| async {
            let port = process::free_port()?;
            let cluster = PgCluster::start(
                &run_dir().join("pg"),
                port,
                DB_PASSWORD,
                Durability::Throwaway,
                &log_path("postgres"),
            )
            .await?;
            let report = flowpulse_stack::database::prepare_database(
                &cluster,
                TEMPLATE,
                &repo(),
                &repo().join("supabase/migrations"),
                DB_PASSWORD,
            )
            .await
            .context("migrating the template database")?;
            anyhow::ensure!(!report.applied.is_empty(), "no migrations were applied");
            Ok(SharedCluster { cluster })
        })
        .await
}

/// An empty database (no bootstrap, no migrations) in the shared cluster, and a superuser
/// connection to it, for tests of the migration runner itself.
pub async fn empty_database() -> (String, tokio_postgres::Client) {
    let shared = shared_cluster().await.expect("cluster");
    let database = format!("empty_{}", Uuid::new_v4().simple());
    shared
        .cluster
        .ensure_database(&database)
        .await
        .expect("create database");
    let client = shared.cluster.connect(&database).await.expect("connect");
    (database, client)
}

/// A superuser connection URL to `database` of the shared cluster (e.g. one from
/// [`empty_database`]), for tools that take a `--database-url`.
pub async fn database_url(database: &str) -> String {
    let shared = shared_cluster().await.expect("cluster");
    flowpulse_stack::pg::url(shared.cluster.port, database, "postgres", DB_PASSWORD)
}

/// Applies the local bootstrap and the migrations in `dir` to `database` of the shared cluster.
pub async fn migrate(
    database: &str,
    dir: &std::path::Path,
) -> Result<flowpulse_cli::migrate::MigrationReport> {
    // The bootstrap alters cluster-wide roles: two at once collide ("tuple concurrently updated").
    static BOOTSTRAP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = BOOTSTRAP.lock().await;
    let shared = shared_cluster().await?;
    flowpulse_stack::database::prepare_database(
        &shared.cluster,
        database,
        &repo(),
        dir,
        DB_PASSWORD,
    )
    .await
}

/// A test's own database behind its own PostgREST.
pub struct TestStack {
    pub database: String,
    pub pg_port: u16,
    /// PostgREST base URL, e.g. `http://127.0.0.1:40123/api`.
    pub postgrest_url: String,
    pub anon_key: String,
    pub service_role_key: String,
    /// base64 of the 32-byte key the edge function and the app encrypt n8n API keys with.
    pub encryption_key: String,
    pub db: tokio_postgres::Client,
    // Dropped last: PostgREST stops with the stack.
    _postgrest: Service,
}

/// A signed-up user with a valid access token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
}

/// Creates a fresh, migrated database and starts PostgREST on it.
pub async fn spawn_stack() -> TestStack {
    try_spawn_stack().await.expect("test stack")
}

async fn try_spawn_stack() -> Result<TestStack> {
    let shared = shared_cluster().await?;
    let database = format!("test_{}", Uuid::new_v4().simple());
    let admin = shared.cluster.connect("postgres").await?;
    admin
        .batch_execute(&format!("create database {database} template {TEMPLATE}"))
        .await
        .context("copy the template database")?;
    let db = shared.cluster.connect(&database).await?;
    let tools =
        flowpulse_stack::tools::Tools::locate(&repo(), &flowpulse_stack::config::cache_dir())?;
    let port = process::free_port()?;
    let postgrest =
        flowpulse_stack::postgrest::start(flowpulse_stack::postgrest::PostgrestSettings {
            binary: &tools.postrust,
            pg_port: shared.cluster.port,
            database: &database,
            authenticator_password: DB_PASSWORD,
            jwt_secret: JWT_SECRET,
            port,
            log: &log_path(&format!("postgrest-{database}")),
        })
        .await?;
    Ok(TestStack {
        postgrest_url: format!("http://127.0.0.1:{port}/api"),
        anon_key: flowpulse_stack::jwt::api_key(JWT_SECRET, role::ANON)?,
        service_role_key: flowpulse_stack::jwt::api_key(JWT_SECRET, role::SERVICE_ROLE)?,
        encryption_key: base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
        pg_port: shared.cluster.port,
        database,
        db,
        _postgrest: postgrest,
    })
}

impl TestStack {
    /// The edge function's configuration for running its engine natively against this stack:
    /// the required bindings, n8n (the fakes) allowed on loopback, plus `extra` bindings.
    pub fn worker_config(&self, extra: &[(&str, &str)]) -> workflow_sync::WorkerConfig {
        let mut bindings: std::collections::HashMap<String, String> = [
            ("POSTGREST_URL", self.postgrest_url.clone()),
            ("POSTGREST_API_KEY", self.anon_key.clone()),
            ("JWT_SECRET", JWT_SECRET.to_string()),
            ("SERVICE_ROLE_KEY", self.service_role_key.clone()),
            ("ENCRYPTION_KEY", self.encryption_key.clone()),
            ("OUTBOUND_ALLOW", "loopback".to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
        for (name, value) in extra {
            bindings.insert(name.to_string(), value.to_string());
        }
        workflow_sync::WorkerConfig::from_lookup(|name| bindings.get(name).cloned())
            .expect("worker config")
    }

    /// Inserts a user into `auth.users` and mints a one-hour access token for them.
    pub async fn create_user(&self, email: &str) -> TestUser {
        let id: Uuid = self
            .db
            .query_one(
                "insert into auth.users (email) values ($1) returning id",
                &[&email],
            )
            .await
            .expect("insert user")
            .get(0);
        TestUser {
            id,
            email: email.to_string(),
            token: self.token_for(id, email, 3600),
        }
    }

    /// A user who can also sign in through the app's form with `password`.
    pub async fn create_user_with_password(&self, email: &str, password: &str) -> TestUser {
        let id = flowpulse_stack::database::upsert_user(&self.db, email, password)
            .await
            .expect("user with a password");
        TestUser {
            id,
            email: email.to_string(),
            token: self.token_for(id, email, 3600),
        }
    }

    /// An access token for `user_id`; a negative `ttl_secs` gives an expired one.
    pub fn token_for(&self, user_id: Uuid, email: &str, ttl_secs: i64) -> String {
        flowpulse_stack::jwt::user_token(JWT_SECRET, user_id, email, ttl_secs).expect("sign token")
    }

    /// Adds an n8n instance for `user` through PostgREST with the user's token (the app's path),
    /// its API key encrypted with the stack's key and bound to the row and the URL's origin;
    /// returns the provider id.
    pub async fn add_provider(
        &self,
        user: &TestUser,
        name: &str,
        base_url: &str,
        api_key: &str,
    ) -> Uuid {
        let id = Uuid::new_v4();
        let ciphertext = self.encrypt_api_key(id, base_url, api_key);
        let rest = postgrest::Rest::new(&self.postgrest_url);
        let reply = rest
            .insert(
                "providers",
                &postgrest::Auth::Bearer(user.token.clone()),
                serde_json::json!({"id": id, "name": name, "base_url": base_url,
                                   "api_key_ciphertext": ciphertext}),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 201, "add provider: {reply:?}");
        id
    }

    /// `api_key` encrypted as the app stores it for provider `id` at `base_url`.
    pub fn encrypt_api_key(&self, id: Uuid, base_url: &str, api_key: &str) -> String {
        let keys = flowpulse_core::crypto::KeyRing::from_base64(
            flowpulse_core::crypto::CURRENT_KEY_VERSION,
            &self.encryption_key,
        )
        .expect("key");
        let origin = flowpulse_core::base_url::BaseUrl::parse(base_url)
            .expect("a valid instance URL")
            .origin();
        let binding = flowpulse_core::crypto::SecretBinding::provider_api_key(id, &origin);
        keys.encrypt(api_key, &binding, &mut rand_core::OsRng)
    }

    /// (execution_count, successful, failed, stored executions) of a workflow as FlowPulse has
    /// them.
    pub async fn counters_of(&self, provider: Uuid, n8n_workflow_id: &str) -> (i64, i64, i64, i64) {
        let row = self
            .db
            .query_one(
                "select w.execution_count, w.successful_executions, w.failed_executions,
                        (select count(*) from public.executions e where e.workflow_id = w.id)
                 from public.mvp_workflows w
                 where w.provider_id = $1 and w.n8n_workflow_id = $2",
                &[&provider, &n8n_workflow_id],
            )
            .await
            .unwrap_or_else(|e| panic!("workflow {n8n_workflow_id} was synced: {e:?}"));
        (row.get(0), row.get(1), row.get(2), row.get(3))
    }

    /// A credential's fields encrypted as the app stores them for credential `id` of `type`.
    pub fn encrypt_credential(
        &self,
        id: Uuid,
        credential_type: &str,
        fields: &serde_json::Value,
    ) -> String {
        let keys = flowpulse_core::crypto::KeyRing::from_base64(
            flowpulse_core::crypto::CURRENT_KEY_VERSION,
            &self.encryption_key,
        )
        .expect("key");
        let binding = flowpulse_core::crypto::SecretBinding::credential(id, credential_type);
        keys.encrypt(&fields.to_string(), &binding, &mut rand_core::OsRng)
    }

    /// This stack's service ports (PostgreSQL, PostgREST) and `more`, as a deny list.
    pub fn own_ports(&self, more: &[u16]) -> String {
        let postgrest_port: u16 = self
            .postgrest_url
            .rsplit(':')
            .next()
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .expect("PostgREST URL with a port");
        let mut ports = vec![self.pg_port, postgrest_port];
        ports.extend_from_slice(more);
        flowpulse_stack::config::own_ports(&ports)
    }

    /// A superuser connection URL to this test's database.
    pub fn database_url(&self) -> String {
        flowpulse_stack::pg::url(self.pg_port, &self.database, "postgres", DB_PASSWORD)
    }
}

/// Reads an environment variable that `cargo xtask test` sets, with a helpful message.
pub fn built_artifact(var: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(var).unwrap_or_else(|| {
        panic!("{var} is not set: run the integration tests through `cargo xtask test`")
    }))
}
