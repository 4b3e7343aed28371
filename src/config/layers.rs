//! Core settings read in layers, each over the one before: the built-in
//! defaults, the settings file (`config/chainwatch.toml`), an optional
//! environment file beside it (`chainwatch.<env>.toml`, for the settings of
//! one deployment), then `CHAINWATCH__SECTION__KEY` environment variables.
//! Every error names the key and the layer it came from (a file's path, or
//! the variable's name), so an operator knows which file to fix.
//!
//! The environment is passed in, never read here, so tests and reloads see
//! exactly what they are given.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use config::{Config, ConfigError as Layered, Environment, File, FileFormat, Source, Value};

use super::{ConfigError, CoreConfig};

/// Variables `PREFIX__SECTION__KEY` override the files.
pub const ENV_PREFIX: &str = "CHAINWATCH";
const ENV_SEPARATOR: &str = "__";
/// Names the deployment environment whose file is layered over the main one.
pub const ENV_NAME_VAR: &str = "CHAINWATCH_ENV";
pub const DEFAULTS: &str = "built-in defaults";

/// Where the layers are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layers {
    /// The settings file; none means defaults and the environment only.
    pub file: Option<PathBuf>,
    /// The environment file, used when it exists.
    pub env_file: Option<PathBuf>,
    /// The `CHAINWATCH__…` variables (others are ignored).
    pub env: BTreeMap<String, String>,
}

impl Layers {
    /// The layers for `file` in a process environment `vars`: the
    /// environment file is `<stem>.<CHAINWATCH_ENV>.toml` beside `file`.
    pub fn new(file: Option<PathBuf>, vars: impl IntoIterator<Item = (String, String)>) -> Layers {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let env_file = match (&file, vars.get(ENV_NAME_VAR)) {
            (Some(f), Some(name)) if !name.is_empty() => Some(env_file_of(f, name)),
            _ => None,
        };
        let prefix = format!("{ENV_PREFIX}{ENV_SEPARATOR}");
        Layers {
            file,
            env_file,
            env: vars
                .into_iter()
                .filter(|(k, _)| k.to_ascii_uppercase().starts_with(&prefix))
                .collect(),
        }
    }

    /// The files that exist among the layers: what a reload watches.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.file.iter().cloned().collect();
        out.extend(self.env_file.iter().filter(|p| p.exists()).cloned());
        out
    }

    /// Reads, merges, types and checks the layers.
    pub fn load(&self) -> Result<CoreConfig, ConfigError> {
        let mut sources: Vec<(String, Box<dyn Source + Send + Sync>)> = Vec::new();
        if let Some(f) = &self.file {
            if !f.exists() {
                return Err(ConfigError::Read {
                    path: f.display().to_string(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
                });
            }
            sources.push((f.display().to_string(), Box::new(file_source(f))));
        }
        if let Some(f) = self.env_file.as_ref().filter(|f| f.exists()) {
            sources.push((f.display().to_string(), Box::new(file_source(f))));
        }
        sources.push(("the environment".into(), Box::new(self.env_source())));

        // Unknown keys first, layer by layer, so the message names the layer.
        let known = known_keys();
        // The keys each layer sets, lowest first: the last that sets a key
        // is where its value came from.
        let mut set_by: Vec<(String, Vec<String>)> = Vec::new();
        for (origin, source) in &sources {
            let collected = source.collect().map_err(|e| syntax(origin, e))?;
            let mut keys = Vec::new();
            flatten("", &collected, &mut keys);
            set_by.push((origin.clone(), keys.clone()));
            if let Some(key) = keys.iter().find(|k| !known.contains(k.as_str())) {
                let origin = where_from(origin, key);
                return Err(ConfigError::Invalid {
                    origin,
                    key: key.clone(),
                    message: unknown_message(key, &known),
                });
            }
            // A file says what type it means; the config crate would read
            // `true` or "0.2" as a number, and 2.5 as a count (QA). The
            // environment is all strings, so its values are typed later.
            if origin != "the environment" {
                if let Some((key, message)) = mistyped(&collected) {
                    return Err(ConfigError::Invalid {
                        origin: where_from(origin, &key),
                        key,
                        message,
                    });
                }
            }
        }
        let ordered: Vec<Box<dyn Source + Send + Sync>> =
            sources.into_iter().map(|(_, s)| s).collect();
        let merged = Config::builder()
            .add_source(ordered)
            .build()
            .map_err(|e| syntax("the settings", e))?;
        let config: CoreConfig = merged
            .clone()
            .try_deserialize()
            .map_err(|e| self.named(typed(e)))?;
        if let Some(b) = config.broken() {
            let from = |k: &str| {
                set_by
                    .iter()
                    .rev()
                    .find(|(_, keys)| keys.iter().any(|x| x == k))
                    .map(|(o, _)| where_from(o, k))
            };
            // The layer that set the key, else one that set a key the rule
            // compares it with: a warning left at its default can be broken
            // by a watch threshold some file raised.
            let origin = std::iter::once(b.key)
                .chain(b.related.iter().copied())
                .find_map(from)
                .unwrap_or_else(|| DEFAULTS.to_string());
            // An ordering broken across layers names the other layer too,
            // and says when the key itself was left at its default (QA: a
            // lone `denial = 0.4` quoted a case_by_case nobody wrote).
            let mut message = b.message;
            if from(b.key).is_none() && origin != DEFAULTS {
                message.push_str(&format!("; {} is at its default", b.key));
            }
            for k in &b.related {
                if let Some(o) = from(k).filter(|o| *o != origin) {
                    message.push_str(&format!("; {k} is set in {o}"));
                }
            }
            return Err(self.named(ConfigError::Invalid {
                origin,
                key: b.key.to_string(),
                message,
            }));
        }
        Ok(config)
    }

    /// The config crate names a file by a path relative to the working
    /// directory; name it as it was given instead.
    fn named(&self, e: ConfigError) -> ConfigError {
        let ConfigError::Invalid {
            origin,
            key,
            message,
        } = e
        else {
            return e;
        };
        let same = |f: &PathBuf| {
            std::fs::canonicalize(f).ok() == std::fs::canonicalize(&origin).ok()
                && Path::new(&origin).exists()
        };
        let origin = [&self.file, &self.env_file]
            .into_iter()
            .flatten()
            .find(|f| same(f))
            .map(|f| f.display().to_string())
            .unwrap_or(origin);
        ConfigError::Invalid {
            origin,
            key,
            message,
        }
    }

    fn env_source(&self) -> Environment {
        Environment::with_prefix(ENV_PREFIX)
            .prefix_separator(ENV_SEPARATOR)
            .separator(ENV_SEPARATOR)
            .try_parsing(true)
            .source(Some(self.env.clone().into_iter().collect()))
    }
}

/// `dir/<stem>.<name>.toml` for `dir/<stem>.toml`.
pub fn env_file_of(file: &Path, name: &str) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chainwatch".into());
    file.with_file_name(format!("{stem}.{name}.toml"))
}

fn file_source(path: &Path) -> File<config::FileSourceFile, FileFormat> {
    File::from(path).format(FileFormat::Toml).required(true)
}

/// Every `section.key` the settings have, from the defaults' own shape.
fn known_keys() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Serialising plain data cannot fail.
    if let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(CoreConfig::default()) {
        for (section, keys) in sections {
            if let serde_json::Value::Object(keys) = keys {
                out.extend(keys.keys().map(|k| format!("{section}.{k}")));
            }
        }
    }
    out
}

/// The first key of a file whose value is not of its setting's type (a
/// number where a number is meant, a whole one for a count, true or false,
/// text), with what is wrong.
fn mistyped(collected: &config::Map<String, Value>) -> Option<(String, String)> {
    use config::ValueKind as K;
    let Ok(serde_json::Value::Object(defaults)) = serde_json::to_value(CoreConfig::default())
    else {
        return None;
    };
    for (section, keys) in collected {
        let Ok(keys) = keys.clone().into_table() else {
            continue;
        };
        for (name, value) in keys {
            let Some(expected) = defaults.get(section).and_then(|s| s.get(&name)) else {
                continue;
            };
            let fits = match (expected, &value.kind) {
                (serde_json::Value::Number(n), kind) if n.is_f64() => matches!(
                    kind,
                    K::Float(_) | K::I64(_) | K::U64(_) | K::I128(_) | K::U128(_)
                ),
                (serde_json::Value::Number(_), kind) => match kind {
                    K::I64(v) => *v >= 0,
                    K::I128(v) => *v >= 0,
                    K::U64(_) | K::U128(_) => true,
                    _ => false,
                },
                (serde_json::Value::Bool(_), kind) => matches!(kind, K::Boolean(_)),
                (serde_json::Value::String(_), kind) => matches!(kind, K::String(_)),
                _ => true,
            };
            if !fits {
                let want = match expected {
                    serde_json::Value::Number(n) if n.is_f64() => "a number",
                    serde_json::Value::Number(_) => "a whole number, 0 or more",
                    serde_json::Value::Bool(_) => "true or false",
                    _ => "a string",
                };
                let got = match &value.kind {
                    K::String(t) => format!("{t:?}"),
                    _ => value.to_string(),
                };
                return Some((
                    format!("{section}.{name}"),
                    format!("expected {want}, got {got}"),
                ));
            }
        }
    }
    None
}

fn flatten(prefix: &str, map: &config::Map<String, Value>, out: &mut Vec<String>) {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v.clone().into_table() {
            Ok(t) if !t.is_empty() => flatten(&key, &t, out),
            _ => out.push(key),
        }
    }
}

fn unknown_message(key: &str, known: &BTreeSet<String>) -> String {
    let section = key.split('.').next().unwrap_or(key);
    let siblings: Vec<&str> = known
        .iter()
        .filter_map(|k| k.strip_prefix(&format!("{section}.")))
        .collect();
    if siblings.is_empty() {
        let sections: BTreeSet<&str> = known.iter().filter_map(|k| k.split('.').next()).collect();
        format!(
            "unknown key (sections: {})",
            sections.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else {
        format!(
            "unknown key (known in [{section}]: {})",
            siblings.join(", ")
        )
    }
}

/// A layer's name for an error: a file's path, or the variable that set `key`.
fn where_from(origin: &str, key: &str) -> String {
    if origin == "the environment" {
        let var = key.replace('.', ENV_SEPARATOR).to_ascii_uppercase();
        format!("environment variable {ENV_PREFIX}{ENV_SEPARATOR}{var}")
    } else {
        origin.to_string()
    }
}

/// `origin` is the layer's name as given (the crate's own is relative).
fn syntax(origin: &str, e: Layered) -> ConfigError {
    match e {
        Layered::FileParse { cause, .. } => ConfigError::Syntax {
            origin: origin.to_string(),
            message: cause.to_string(),
        },
        other => ConfigError::Syntax {
            origin: origin.to_string(),
            message: other.to_string(),
        },
    }
}

fn typed(e: Layered) -> ConfigError {
    match e {
        Layered::Type {
            origin,
            unexpected,
            expected,
            key,
        } => {
            let key = key.unwrap_or_default();
            ConfigError::Invalid {
                origin: origin
                    .map(|o| where_from(&o, &key))
                    .unwrap_or_else(|| DEFAULTS.to_string()),
                message: format!("{unexpected} is not {expected}"),
                key,
            }
        }
        other => ConfigError::Syntax {
            origin: "the settings".into(),
            message: other.to_string(),
        },
    }
}
