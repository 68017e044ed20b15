//! wasmq-config: one typed configuration, many front-ends.
//!
//! A RocketMQ `broker.conf` (Java properties: `key = value`, `#` comments) and a TOML file are both
//! read into one flat [`ConfigSource`] of `key -> text`, then into each component's own `serde`
//! struct (the broker's, the store's, the nameserver's), whose field names are RocketMQ's keys and
//! whose defaults are declared once, on the struct. Command-line `--set key=value` pairs go into the
//! same source and win over files.
//!
//! Every error names the key, the value, where it came from and what is accepted; a key that no
//! component knows is a warning that names the nearest known key.

mod de;
mod source;

pub use source::{ConfigSource, Entry, Origin};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value does not parse as its key's type.
    #[error("{origin}: bad value {value:?} for key `{key}`: {problem}")]
    BadValue {
        /// The key.
        key: String,
        /// The text given.
        value: String,
        /// Where it was given.
        origin: Origin,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// A file cannot be read or parsed.
    #[error("{path}: {problem}")]
    BadFile {
        /// The file.
        path: String,
        /// What went wrong.
        problem: String,
    },
    /// A `--set` argument is not `key=value`.
    #[error("bad setting {0:?}: expected key=value, e.g. --set listenPort=10911")]
    BadSetting(String),
    /// Anything else serde reports.
    #[error("{0}")]
    Other(String),
}

/// A key that no component knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// The key as given.
    pub key: String,
    /// Where it was given.
    pub origin: Origin,
    /// The nearest known key, if one is close.
    pub suggestion: Option<&'static str>,
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: unknown key `{}` is ignored", self.origin, self.key)?;
        if let Some(s) = self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl ConfigSource {
    /// Reads the part of the configuration that `T` declares; keys `T` does not know are left for
    /// other components (see [`ConfigSource::unknown_keys`]). Records which keys `T` knows.
    pub fn extract<T: DeserializeOwned>(&mut self) -> Result<T, ConfigError> {
        let (value, fields) = de::extract::<T>(self)?;
        self.known.extend(fields.iter().copied());
        Ok(value)
    }

    /// Keys given that no extracted struct knows, each with the nearest known key.
    pub fn unknown_keys(&self) -> Vec<UnknownKey> {
        self.entries()
            .filter(|(k, _)| !self.known.contains(k.as_str()))
            .map(|(k, e)| UnknownKey {
                key: k.clone(),
                origin: e.origin.clone(),
                suggestion: nearest(k, &self.known),
            })
            .collect()
    }
}

fn nearest(key: &str, known: &std::collections::BTreeSet<&'static str>) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Renders a config struct as `key=value` lines, the way `-p` prints the effective configuration.
pub fn render_properties<T: Serialize>(value: &T) -> Result<String, ConfigError> {
    let table = toml::Table::try_from(value).map_err(|e| ConfigError::Other(e.to_string()))?;
    let mut out = String::new();
    for (k, v) in table {
        let text = match v {
            toml::Value::String(s) => s,
            other => other.to_string(),
        };
        out.push_str(&k);
        out.push('=');
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}
