//! TLS to Postgres (`flowpulse_pg`, used by the app and `flowpulse migrate`): a throwaway
//! cluster that, like a database enforcing SSL, admits only `hostssl` connections. Each
//! `sslmode` meets it as libpq would; an unrelated CA or a host name the certificate does not
//! name is refused in plain words; and `flowpulse migrate up` migrates it over `verify-full`.

use crate::helpers::{log_path, repo, run_dir};
use flowpulse_cli::cli::{self, Cli};
use flowpulse_pg::{DatabaseUrl, Error};
use flowpulse_stack::pg::{Durability, PgCluster, ServerTls};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::path::PathBuf;
use tokio::sync::OnceCell;

const PASSWORD: &str = "flowpulse-tls-test";

/// The TLS-only cluster and the two CA files a client may be given.
struct TlsOnlyDatabase {
    cluster: PgCluster,
    /// The CA that signed the server's certificate (for `localhost` and `127.0.0.1`).
    ca_file: PathBuf,
    /// A CA that signed nothing the server has.
    unrelated_ca_file: PathBuf,
}

impl TlsOnlyDatabase {
    /// A superuser URL for `database` on `host` with `query` (no `?`).
    fn url(&self, host: &str, database: &str, query: &str) -> String {
        let port = self.cluster.port;
        format!("postgres://postgres:{PASSWORD}@{host}:{port}/{database}?{query}")
    }

    fn verify_full(&self, database: &str, ca_file: &std::path::Path) -> String {
        let query = format!("sslmode=verify-full&sslrootcert={}", ca_file.display());
        self.url("127.0.0.1", database, &query)
    }
}

fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

async fn tls_only_database() -> &'static TlsOnlyDatabase {
    static DATABASE: OnceCell<TlsOnlyDatabase> = OnceCell::const_new();
    DATABASE
        .get_or_init(|| async {
            let dir = run_dir().join("tls");
            std::fs::create_dir_all(&dir).expect("create tls dir");
            let ca = certificate_authority("FlowPulse test CA");
            let unrelated = certificate_authority("Unrelated CA");
            let mut params =
                CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                    .expect("server parameters");
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            let server_key = KeyPair::generate().expect("server key");
            let server_certificate = params.signed_by(&server_key, &ca).expect("server cert");
            let ca_file = dir.join("ca.crt");
            let unrelated_ca_file = dir.join("unrelated-ca.crt");
            std::fs::write(&ca_file, ca.pem()).unwrap();
            std::fs::write(&unrelated_ca_file, unrelated.pem()).unwrap();
            let tls = ServerTls {
                certificate_pem: server_certificate.pem(),
                private_key_pem: server_key.serialize_pem(),
            };
            let cluster = PgCluster::start_tls_only(
                &run_dir().join("pg-tls"),
                flowpulse_stack::process::free_port().expect("a free port"),
                PASSWORD,
                Durability::Throwaway,
                &log_path("postgres-tls"),
                &tls,
            )
            .await
            .expect("the TLS-only cluster starts");
            TlsOnlyDatabase {
                cluster,
                ca_file,
                unrelated_ca_file,
            }
        })
        .await
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, Error> {
    let url: DatabaseUrl = url.parse().expect("the URL parses");
    let (client, connection) = flowpulse_pg::connect(&url).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Whether the server sees this session as encrypted.
async fn encrypted(client: &tokio_postgres::Client) -> bool {
    client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0)
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_connects_encrypted_by_address_and_by_name() {
    let db = tls_only_database().await;
    for host in ["127.0.0.1", "localhost"] {
        let query = format!("sslmode=verify-full&sslrootcert={}", db.ca_file.display());
        let client = connect(&db.url(host, "postgres", &query))
            .await
            .unwrap_or_else(|e| panic!("verify-full to {host}: {e}"));
        assert!(encrypted(&client).await, "{host}: the session is encrypted");
    }
}

#[tokio::test]
async fn require_and_the_default_prefer_connect_encrypted_without_a_ca() {
    let db = tls_only_database().await;
    for query in ["sslmode=require", ""] {
        let client = connect(&db.url("127.0.0.1", "postgres", query))
            .await
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert!(
            encrypted(&client).await,
            "{query:?}: the session is encrypted"
        );
    }
}

#[tokio::test]
async fn a_plain_connection_is_refused_by_the_server() {
    let db = tls_only_database().await;
    let error = connect(&db.url("127.0.0.1", "postgres", "sslmode=disable"))
        .await
        .expect_err("plain TCP is refused");
    let message = error.to_string();
    assert!(matches!(error, Error::Connect(_)), "{message}");
    assert!(
        message.contains("no pg_hba.conf entry") && message.contains("no encryption"),
        "the server's own refusal: {message}"
    );
    assert!(!message.contains(PASSWORD), "{message}");
}

#[tokio::test]
async fn verify_full_with_an_unrelated_ca_is_refused_naming_the_ca_file() {
    let db = tls_only_database().await;
    let error = connect(&db.verify_full("postgres", &db.unrelated_ca_file))
        .await
        .expect_err("the certificate does not chain to that CA");
    assert!(
        matches!(error, Error::UntrustedCertificate { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "the server's certificate is not signed by the CA in {}",
            db.unrelated_ca_file.display()
        )
    );
    let missing = run_dir().join("tls").join("no-such-ca.crt");
    let error = connect(&db.verify_full("postgres", &missing))
        .await
        .expect_err("a missing CA file is an error, not a fallback");
    assert!(
        matches!(error, Error::CaFileUnreadable { .. })
            && error.to_string().contains("no-such-ca.crt"),
        "{error}"
    );
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_for_another_host_name() {
    let db = tls_only_database().await;
    // The right server (hostaddr), reached under a name its certificate does not carry.
    let query = |mode: &str| {
        format!(
            "hostaddr=127.0.0.1&sslmode={mode}&sslrootcert={}",
            db.ca_file.display()
        )
    };
    let error = connect(&db.url("db.flowpulse.test", "postgres", &query("verify-full")))
        .await
        .expect_err("the host name is checked");
    assert!(matches!(error, Error::WrongHostName { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the server's certificate is not valid for the host name db.flowpulse.test"
    );
    // The chain itself is fine: verify-ca, which skips the name, connects.
    let client = connect(&db.url("db.flowpulse.test", "postgres", &query("verify-ca")))
        .await
        .expect("verify-ca checks the chain only");
    assert!(encrypted(&client).await);
}

#[tokio::test]
async fn flowpulse_migrate_up_applies_the_migrations_over_verify_full() {
    let db = tls_only_database().await;
    let database = "migrated_over_tls";
    db.cluster.ensure_database(database).await.expect("create");
    // What Supabase provides (roles, `auth`), as the harness prepares every database.
    let mut admin = db.cluster.connect(database).await.expect("admin");
    flowpulse_cli::migrate::apply_bootstrap(&mut admin, &repo().join("supabase/local"))
        .await
        .expect("bootstrap");
    let migrations = repo().join("supabase/migrations");
    let migrate = |url: String, command: &'static str| {
        let migrations = migrations.clone();
        async move {
            let args = [
                "flowpulse",
                "migrate",
                command,
                "--database-url",
                &url,
                "--migrations-dir",
                migrations.to_str().unwrap(),
            ];
            cli::run(Cli::try_parse_args(args).expect("arguments parse")).await
        }
    };

    let error = migrate(db.verify_full(database, &db.unrelated_ca_file), "up")
        .await
        .expect_err("a wrong CA stops the run before anything");
    assert!(
        error.to_string().contains("not signed by the CA in"),
        "{error}"
    );

    migrate(db.verify_full(database, &db.ca_file), "up")
        .await
        .expect("migrate up over verify-full");
    migrate(db.verify_full(database, &db.ca_file), "status")
        .await
        .expect("migrate status over verify-full");

    let files = flowpulse_cli::migrate::list(&migrations).unwrap();
    let recorded: i64 = admin
        .query_one(
            "select count(*) from supabase_migrations.schema_migrations",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded as usize, files.len(), "every migration recorded");
    for table in ["public.providers", "public.n8n_workflows"] {
        let exists: bool = admin
            .query_one("select to_regclass($1) is not null", &[&table])
            .await
            .unwrap()
            .get(0);
        assert!(exists, "{table} was created");
    }
}
