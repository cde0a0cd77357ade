//! `flowpulse.toml`: the n8n instances the tool talks to and which one each environment
//! deploys to. API keys are never in the file, only the name of the variable that holds one.

use crate::error::{Error, Result};
use flowpulse_n8n::BaseUrl;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The configuration file's name, looked up in the current directory and its parents.
pub const FILE_NAME: &str = "flowpulse.toml";

/// Which environment a workflow was exported from (`migration_metadata.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Dev,
    Prod,
    Staging,
}

impl Source {
    /// The value stored in the database and used in file names (`prod_sync_`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Dev => "dev",
            Source::Prod => "prod",
            Source::Staging => "staging",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceEntry {
    url: String,
    api_key_env: String,
    source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    instances: BTreeMap<String, InstanceEntry>,
    /// Environment (`dev`, ...) → instance that `migrate up` deploys to there.
    #[serde(default)]
    deploy: BTreeMap<String, String>,
}

/// A loaded `flowpulse.toml`.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    instances: BTreeMap<String, InstanceEntry>,
    deploy: BTreeMap<String, String>,
}

/// One n8n instance, its API key resolved from the environment.
pub struct Instance {
    pub name: String,
    pub url: BaseUrl,
    pub api_key: String,
    pub source: Source,
}

// Hand-written so the key can never end up in a log or an error message.
impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        Config::parse(path, &text)
    }

    /// Parses the text of a configuration file (`path` is for messages).
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let bad = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let file: FileConfig = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for (name, entry) in &file.instances {
            if let Err(problem) = BaseUrl::parse(&entry.url) {
                return Err(bad(format!("instances.{name}.url: {problem}")));
            }
            if entry.api_key_env.trim().is_empty() {
                return Err(bad(format!(
                    "instances.{name}.api_key_env names no variable"
                )));
            }
        }
        for (environment, instance) in &file.deploy {
            if !file.instances.contains_key(instance) {
                return Err(bad(format!(
                    "deploy.{environment} names instance \"{instance}\", which is not defined"
                )));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            instances: file.instances,
            deploy: file.deploy,
        })
    }

    /// `flowpulse.toml` in `start` or the nearest parent that has one.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// The directory holding the file: the repository root, where `supabase/` lives.
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The instance `[deploy]` names for `environment`, if any.
    pub fn deploy_target(&self, environment: &str) -> Option<&str> {
        self.deploy.get(environment).map(String::as_str)
    }

    /// The instance called `name`, its API key read from its variable in `env`.
    pub fn instance_with(
        &self,
        name: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Instance> {
        let entry = self
            .instances
            .get(name)
            .ok_or_else(|| Error::UnknownInstance {
                name: name.into(),
                config: self.path.clone(),
                known: self
                    .instances
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let api_key = env(&entry.api_key_env)
            .filter(|key| !key.is_empty())
            .ok_or_else(|| Error::MissingApiKey {
                instance: name.into(),
                var: entry.api_key_env.clone(),
            })?;
        Ok(Instance {
            name: name.into(),
            // Checked when the file was parsed.
            url: BaseUrl::parse(&entry.url).map_err(|problem| Error::Config {
                path: self.path.clone(),
                message: format!("instances.{name}.url: {problem}"),
            })?,
            api_key,
            source: entry.source,
        })
    }

    /// The instance called `name`, its API key read from the process environment.
    pub fn instance(&self, name: &str) -> Result<Instance> {
        self.instance_with(name, |var| std::env::var(var).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        [instances.local]
        url = "http://127.0.0.1:5678/"
        api_key_env = "N8N_LOCAL_KEY"
        source = "dev"

        [deploy]
        dev = "local"
    "#;

    #[test]
    fn instances_resolve_their_key_from_the_named_variable() {
        let config = Config::parse(Path::new("f.toml"), EXAMPLE).unwrap();
        let local = config
            .instance_with("local", |var| (var == "N8N_LOCAL_KEY").then(|| "k".into()))
            .unwrap();
        assert_eq!(local.url.as_str(), "http://127.0.0.1:5678");
        assert_eq!(local.source, Source::Dev);
        assert!(
            !format!("{local:?}").contains("\"k\""),
            "Debug hides the key"
        );
        assert_eq!(config.deploy_target("dev"), Some("local"));
        assert_eq!(config.deploy_target("prod"), None);
        let missing = config.instance_with("local", |_| None).unwrap_err();
        assert!(missing.to_string().contains("$N8N_LOCAL_KEY"), "{missing}");
        let unknown = config.instance_with("prod", |_| None).unwrap_err();
        assert!(unknown.to_string().contains("local"), "{unknown}");
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let bad_source = EXAMPLE.replace("\"dev\"\n", "\"qa\"\n");
        assert!(Config::parse(Path::new("f.toml"), &bad_source).is_err());
        let bad_target = EXAMPLE.replace("dev = \"local\"", "dev = \"nowhere\"");
        let error = Config::parse(Path::new("f.toml"), &bad_target).unwrap_err();
        assert!(error.to_string().contains("nowhere"), "{error}");
        let secret_inline = EXAMPLE.replace("api_key_env", "api_key");
        assert!(Config::parse(Path::new("f.toml"), &secret_inline).is_err());
    }
}
