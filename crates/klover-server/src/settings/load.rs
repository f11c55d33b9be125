//! The one loader of [`Settings`], for every subcommand: figment merges the layers and
//! keeps, for each value, the layer it came from.
//!
//! Precedence, later wins: built-in defaults → the TOML file → the alias variables
//! (`DATABASE_URL`, `OPENAI_API_KEY`) → the `KLOVER_*` variables → flags. The order of
//! the variables in the environment does not matter: `KLOVER_DATABASE_URL` beats
//! `DATABASE_URL` whichever is listed last. Each variable is its own figment provider, so
//! `klover config show` and error messages can name the very variable a value came from.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::Serialize;

use super::Settings;
use crate::error::Error;

/// Variables that set a setting under another name; the `KLOVER_` name wins over them.
pub const ALIASES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("OPENAI_API_KEY", "llm.api_key"),
];

/// `KLOVER_*` variables read elsewhere (logging, the terminal client), not settings.
const OTHER_VARIABLES: &[&str] = &[
    "KLOVER_CONFIG",
    "KLOVER_LOG_FORMAT",
    "KLOVER_SERVER",
    "KLOVER_TOKEN",
];

/// The file the settings are read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConfigFile {
    /// `klover.toml` in the working folder, when there is one.
    #[default]
    Default,
    /// This file, which must exist (`--config FILE`, `KLOVER_CONFIG`).
    Explicit(PathBuf),
    /// No file (tests).
    None,
}

/// What the loader reads: the file, the environment and the command line's flags.
#[derive(Debug, Default)]
pub struct Sources {
    /// The settings file.
    pub file: ConfigFile,
    /// The environment, as name/value pairs (`std::env::vars()` in the binary).
    pub env: Vec<(String, String)>,
    flags: Vec<(String, String, Value)>,
}

impl Sources {
    /// The given file and environment, no flags yet.
    pub fn new(file: ConfigFile, env: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            file,
            env: env.into_iter().collect(),
            flags: Vec::new(),
        }
    }

    /// A flag given on the command line: `key` (`limits.rate_burst`) takes `value`, and
    /// `klover config show` says it came from `flag`. `None` (a flag not given) is ignored.
    pub fn flag<T: Serialize>(mut self, key: &str, flag: &str, value: Option<T>) -> Self {
        if let Some(value) = value.and_then(|v| Value::serialize(v).ok()) {
            self.flags.push((key.to_owned(), flag.to_owned(), value));
        }
        self
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// The settings file.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// This command-line flag.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// The effective settings and where each value came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The settings.
    pub settings: Settings,
    /// Origin of every key that is not at its default, by dotted key.
    origins: BTreeMap<String, Origin>,
    /// The settings file read, if any.
    file: Option<PathBuf>,
}

impl Loaded {
    /// Where `key` (dotted: `limits.rate_burst`) got its value.
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// `key`, its value's origin and how to change it, for error messages: "`bind` (from
    /// env KLOVER_BIND; set it with --bind, KLOVER_BIND or `bind` in klover.toml)".
    pub fn describe(&self, key: &str, flag: Option<&str>) -> String {
        let mut how: Vec<String> = flag.map(str::to_owned).into_iter().collect();
        how.extend(env_names(key));
        how.push(format!("`{key}` in klover.toml"));
        format!(
            "`{key}` (from {}; set it with {})",
            self.origin(key),
            how.join(", ")
        )
    }

    /// Every setting, one line each, `key = value  # origin`; secrets and the password
    /// of a database URL are redacted.
    pub fn show(&self) -> String {
        let rows = flatten(&self.settings);
        let width = rows
            .iter()
            .map(|(k, v)| k.len() + shown(k, v).len())
            .max()
            .unwrap_or(0);
        let mut out = match &self.file {
            Some(path) => format!("# settings file: {}\n", path.display()),
            None => "# settings file: none (no ./klover.toml; --config FILE names one)\n".into(),
        };
        for (key, value) in &rows {
            let line = format!("{key} = {}", shown(key, value));
            out.push_str(&format!(
                "{line:<w$}  # {}\n",
                self.origin(key),
                w = width + 3
            ));
        }
        out
    }
}

fn shown(key: &str, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "(none)".to_owned(),
        serde_json::Value::String(s) if key == "database_url" => format!("{:?}", redact_url(s)),
        other => other.to_string(),
    }
}

/// A URL with the password of its user part replaced by `[redacted]`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or("");
            format!("{scheme}://{name}:[redacted]@{host}{path}")
        }
        _ => url.to_owned(),
    }
}

/// Every setting's dotted key with its default value, in declaration order.
pub fn keys() -> Vec<(String, serde_json::Value)> {
    flatten(&Settings::default())
}

/// The environment variables of a setting, the winning one first: `KLOVER_` and the key
/// in capitals (without `limits.`; `llm.` becomes `LLM_`), then its alias if it has one.
pub fn env_names(key: &str) -> Vec<String> {
    let bare = key.strip_prefix("limits.").unwrap_or(key);
    let mut names = vec![format!("KLOVER_{}", bare.replace('.', "_").to_uppercase())];
    names.extend(
        ALIASES
            .iter()
            .filter(|(_, k)| *k == key)
            .map(|(n, _)| (*n).to_owned()),
    );
    names
}

/// Loads the settings from `sources`. Errors name the key and the file or variable.
pub fn load(sources: &Sources) -> Result<Loaded, Error> {
    let mut figment = Figment::new();
    let mut origins: HashMap<String, Origin> = HashMap::new();
    let mut add = |figment: Figment, layer: Layer, origin: Origin| {
        origins.insert(layer.name.clone(), origin);
        figment.merge(layer)
    };
    let file = file_path(&sources.file)?;
    if let Some(path) = &file {
        let layer = Layer::file(path)?;
        figment = add(figment, layer, Origin::File(path.clone()));
    }
    for (name, key, value) in env_layers(&sources.env)? {
        let layer = Layer::one(format!("env {name}"), &key, value);
        figment = add(figment, layer, Origin::Env(name));
    }
    for (key, flag, value) in &sources.flags {
        let layer = Layer::one(format!("flag {flag}"), key, value.clone());
        figment = add(figment, layer, Origin::Flag(flag.clone()));
    }
    let settings: Settings = figment
        .extract()
        .map_err(|e| Error::Config(figment_error(&e)))?;
    let mut by_key = BTreeMap::new();
    for (key, _) in keys() {
        if let Some(origin) = figment
            .find_metadata(&key)
            .and_then(|m| origins.get(m.name.as_ref()))
        {
            by_key.insert(key, origin.clone());
        }
    }
    Ok(Loaded {
        settings,
        origins: by_key,
        file,
    })
}

fn figment_error(e: &figment::Error) -> String {
    let mut text = e.to_string();
    if let Some(meta) = &e.metadata {
        // "for key `limits.rate_burst` in env KLOVER_RATE_BURST" reads better than
        // figment's interpolation of a one-variable provider.
        text = format!("{} (in {})", e.kind, meta.name);
        if !e.path.is_empty() {
            text = format!("`{}`: {text}", e.path.join("."));
        }
    }
    text
}

fn file_path(file: &ConfigFile) -> Result<Option<PathBuf>, Error> {
    match file {
        ConfigFile::None => Ok(None),
        ConfigFile::Default => {
            let path = PathBuf::from("klover.toml");
            Ok(path.is_file().then_some(path))
        }
        ConfigFile::Explicit(path) if path.is_file() => Ok(Some(path.clone())),
        ConfigFile::Explicit(path) => Err(Error::Config(format!(
            "the settings file {} does not exist (given with --config or KLOVER_CONFIG)",
            path.display()
        ))),
    }
}

/// The variables that set something, as (variable, key, typed value), lowest precedence
/// first: aliases, then `KLOVER_` names. Empty values count as unset.
fn env_layers(env: &[(String, String)]) -> Result<Vec<(String, String, Value)>, Error> {
    let given: HashMap<&str, &str> = env
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let keys = keys();
    let mut known: Vec<String> = OTHER_VARIABLES.iter().map(|s| (*s).to_owned()).collect();
    let mut aliases = Vec::new();
    let mut primary = Vec::new();
    for (key, default) in &keys {
        let names = env_names(key);
        for (i, name) in names.iter().enumerate() {
            known.push(name.clone());
            if let Some(value) = given.get(name.as_str()) {
                let typed = typed(name, value, default)?;
                let layers = if i == 0 { &mut primary } else { &mut aliases };
                layers.push((name.clone(), key.clone(), typed));
            }
        }
    }
    let test_only = |n: &str| n.starts_with("KLOVER_FAULT_") || n.starts_with("KLOVER_TEST_");
    for name in given
        .keys()
        .filter(|n| n.starts_with("KLOVER_") && !test_only(n))
    {
        if !known.iter().any(|k| k == name) {
            tracing::warn!(variable = %name, "not a Klover setting; ignored (see docs/operations.md)");
        }
    }
    aliases.extend(primary);
    Ok(aliases)
}

/// A variable's text as the type of the setting's default.
fn typed(name: &str, value: &str, default: &serde_json::Value) -> Result<Value, Error> {
    let v = value.trim();
    Ok(match default {
        serde_json::Value::Bool(_) => match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" => Value::from(true),
            "0" | "false" | "off" | "no" => Value::from(false),
            _ => return Err(Error::Config(format!("{name}={value:?}: say on or off"))),
        },
        serde_json::Value::Number(_) => Value::from(
            v.parse::<u64>()
                .map_err(|_| Error::Config(format!("{name}={value:?}: expected a whole number")))?,
        ),
        serde_json::Value::Array(_) => Value::from(
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<String>>(),
        ),
        _ => Value::from(value.to_owned()),
    })
}

/// Dotted keys and values of a serializable settings tree, leaves only.
fn flatten(settings: &Settings) -> Vec<(String, serde_json::Value)> {
    fn walk(prefix: &str, v: serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            leaf => out.push((prefix.to_owned(), leaf)),
        }
    }
    let mut out = Vec::new();
    walk(
        "",
        serde_json::to_value(settings).unwrap_or_default(),
        &mut out,
    );
    out
}

/// One layer of the figment: its name (the origin's text) and its values.
struct Layer {
    name: String,
    source: Option<PathBuf>,
    dict: Dict,
}

impl Layer {
    fn file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        let dict = match Value::serialize(&table) {
            Ok(Value::Dict(_, dict)) => dict,
            _ => Dict::new(),
        };
        Ok(Self {
            name: format!("file {}", path.display()),
            source: Some(path.to_owned()),
            dict,
        })
    }

    fn one(name: String, key: &str, value: Value) -> Self {
        let mut dict = Dict::new();
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap_or(key);
        let mut leaf = value;
        let mut inner = Dict::new();
        inner.insert(last.to_owned(), leaf);
        while let Some(part) = parts.pop() {
            leaf = Value::from(inner);
            inner = Dict::new();
            inner.insert(part.to_owned(), leaf);
        }
        dict.extend(inner);
        Self {
            name,
            source: None,
            dict,
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        match &self.source {
            Some(path) => Metadata::from(self.name.clone(), path.as_path()),
            None => Metadata::named(self.name.clone()),
        }
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}
