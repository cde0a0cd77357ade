//! The command line: argument parsing and what each command prints.

use crate::config::Config;
use crate::deploy::{self, Deployed};
use crate::error::{Error, Result};
use crate::export::{self, Exported, Selection};
use crate::{migrate, status, workflow};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

/// n8n workflow definitions as reviewed migrations between dev and prod.
#[derive(Debug, Parser)]
#[command(name = "flowpulse", version)]
pub struct Cli {
    /// The configuration file (default: `flowpulse.toml` here or in a parent directory).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// n8n workflows → migration files.
    #[command(subcommand)]
    Workflows(WorkflowsCommand),
    /// Apply migration files (and deploy workflows), or show where they stand.
    #[command(subcommand)]
    Migrate(MigrateCommand),
}

#[derive(Debug, Subcommand)]
pub enum WorkflowsCommand {
    /// Write one migration file per selected workflow (unchanged workflows are skipped).
    Export(ExportArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["workflow", "all", "since"])))]
pub struct ExportArgs {
    /// The instance of `flowpulse.toml` to read from.
    #[arg(long)]
    pub instance: String,
    /// A workflow's id or exact name.
    #[arg(long)]
    pub workflow: Option<String>,
    /// Every workflow of the instance (archived ones excepted).
    #[arg(long)]
    pub all: bool,
    /// Every workflow changed within this window (`30m`, `12h`, `7d`, `2w`); files are named
    /// `<version>_<source>_sync_<name>.sql`.
    #[arg(long)]
    pub since: Option<String>,
    /// Where to write (default: `supabase/migrations` beside `flowpulse.toml`).
    #[arg(long)]
    pub migrations_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending files in order (one transaction each), then deploy to `--deploy-to`.
    Up(UpArgs),
    /// List files as applied, pending or changed since applied.
    Status(DbArgs),
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// Postgres connection URL (`postgres://...`; `?sslmode=verify-full&sslrootcert=<ca.crt>`
    /// for a database that requires TLS).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The migration files (default: `supabase/migrations` beside `flowpulse.toml`).
    #[arg(long)]
    pub migrations_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// After migrating, deploy changed `n8n_workflows` rows to this instance.
    #[arg(long)]
    pub deploy_to: Option<String>,
}

impl Cli {
    /// Parses `args` (the first is the program name) without exiting on a bad command line.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <Cli as Parser>::try_parse_from(args).map_err(|e| Error::Usage(e.to_string()))
    }
}

fn load_config(explicit: Option<&Path>) -> Result<Option<Config>> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Config::find(&std::env::current_dir().map_err(Error::io("."))?),
    };
    path.map(|p| Config::load(&p)).transpose()
}

fn require(config: Option<Config>) -> Result<Config> {
    config.ok_or_else(|| {
        Error::Usage(format!(
            "no {} here or in a parent directory (or pass --config)",
            crate::config::FILE_NAME
        ))
    })
}

fn migrations_dir(explicit: Option<PathBuf>, config: Option<&Config>) -> PathBuf {
    explicit.unwrap_or_else(|| {
        config
            .map(|c| c.root().to_path_buf())
            .unwrap_or_default()
            .join("supabase/migrations")
    })
}

/// Connects to `url` with the TLS its `sslmode` and `sslrootcert` ask for (`flowpulse_pg`).
pub async fn connect(url: &str) -> Result<tokio_postgres::Client> {
    // Parsed here, not by clap: clap quotes a refused value in its message, password and all.
    let url: flowpulse_pg::DatabaseUrl = url.parse()?;
    let (client, connection) = flowpulse_pg::connect(&url).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("flowpulse: database connection: {error}");
        }
    });
    Ok(client)
}

/// Runs a parsed command line, printing what it does.
pub async fn run(cli: Cli) -> Result<()> {
    let config = load_config(cli.config.as_deref())?;
    match cli.command {
        Command::Workflows(WorkflowsCommand::Export(args)) => {
            let config = require(config)?;
            let instance = config.instance(&args.instance)?;
            let selection = match (&args.workflow, &args.since) {
                (Some(wanted), _) => Selection::One(wanted.clone()),
                (None, Some(window)) => Selection::Since(workflow::parse_since(window)?),
                (None, None) => Selection::All,
            };
            let dir = migrations_dir(args.migrations_dir, Some(&config));
            let outcomes = export::export(
                &instance,
                &selection,
                &dir,
                chrono::Utc::now(),
                export::SIDECAR_THRESHOLD,
            )
            .await?;
            if outcomes.is_empty() {
                println!("no workflow matched on instance \"{}\"", instance.name);
            }
            for outcome in outcomes {
                match outcome {
                    Exported::Written {
                        name,
                        file,
                        sidecar,
                    } => {
                        println!("wrote     {}  ({name})", file.display());
                        if let Some(json) = sidecar {
                            println!("          {} (large definition)", json.display());
                        }
                    }
                    Exported::Unchanged { name, file } => {
                        println!("unchanged {name}: already exported in {file}");
                    }
                }
            }
            Ok(())
        }
        Command::Migrate(MigrateCommand::Up(args)) => {
            let dir = migrations_dir(args.db.migrations_dir, config.as_ref());
            let target = match &args.deploy_to {
                Some(name) => Some(require(config)?.instance(name)?),
                None => None,
            };
            let mut client = connect(&args.db.database_url).await?;
            let report = migrate::apply_pending(&mut client, &dir)
                .await
                .map_err(Error::Migration)?;
            for file in &report.applied {
                println!("applied   {file}");
            }
            println!(
                "migrations: {} applied, {} already applied",
                report.applied.len(),
                report.already_applied
            );
            if let Some(target) = target {
                let results = deploy::deploy(&client, &target).await?;
                print_deploy(&target.name, &results);
            }
            Ok(())
        }
        Command::Migrate(MigrateCommand::Status(args)) => {
            let dir = migrations_dir(args.migrations_dir, config.as_ref());
            let client = connect(&args.database_url).await?;
            for (file, state) in status::status(&client, &dir).await? {
                println!("{:<22} {file}", state.label());
            }
            Ok(())
        }
    }
}

/// One line per workflow and a total, e.g. `updated   Order intake (n8n id OVO5...)`.
pub fn print_deploy(instance: &str, results: &[Deployed]) {
    for result in results {
        let target = result
            .target_id
            .as_deref()
            .map(|id| format!(" (n8n id {id})"))
            .unwrap_or_default();
        println!("{:<10} {}{target}", result.action.label(), result.name);
    }
    let count = |a: deploy::Action| results.iter().filter(|r| r.action == a).count();
    println!(
        "deploy to \"{instance}\": {} created, {} updated, {} unchanged, {} skipped",
        count(deploy::Action::Created),
        count(deploy::Action::Updated),
        count(deploy::Action::Unchanged),
        results.len()
            - count(deploy::Action::Created)
            - count(deploy::Action::Updated)
            - count(deploy::Action::Unchanged),
    );
}

/// The deploy step of `cargo xtask dev`: when `<repo>/flowpulse.toml` has `[deploy] dev`,
/// deploys the database's workflows there. Returns what to print; never fails the stack
/// (a laptop's n8n may simply not be running).
pub async fn dev_deploy(repo: &Path, db: &tokio_postgres::Client) -> Option<String> {
    let path = repo.join(crate::config::FILE_NAME);
    if !path.is_file() {
        return None;
    }
    let outcome = async {
        let config = Config::load(&path)?;
        let Some(name) = config.deploy_target("dev") else {
            return Ok(None);
        };
        let target = config.instance(name)?;
        let results = deploy::deploy(db, &target).await?;
        print_deploy(&target.name, &results);
        Ok::<_, Error>(Some(()))
    }
    .await;
    match outcome {
        Ok(_) => None,
        Err(error) => Some(format!("workflow deploy skipped: {error}")),
    }
}
