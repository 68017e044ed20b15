//! Reading `.properties` and TOML files, and `--set` pairs, into one flat map of texts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::ConfigError;

/// Where a setting came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file and line.
    File {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown, as in TOML).
        line: usize,
    },
    /// A command-line `--set`.
    CommandLine,
    /// An environment variable.
    Env(&'static str),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File { path, line: 0 } => write!(f, "{path}"),
            Origin::File { path, line } => write!(f, "{path}:{line}"),
            Origin::CommandLine => f.write_str("command line"),
            Origin::Env(v) => write!(f, "environment variable {v}"),
        }
    }
}

/// One setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The text.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

/// All settings given, by key; later sources override earlier ones.
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    entries: BTreeMap<String, Entry>,
    pub(crate) known: BTreeSet<&'static str>,
}

impl ConfigSource {
    /// No settings: every component gets its defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a file: TOML when it ends in `.toml`, else Java properties.
    pub fn load_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::BadFile {
            path: path.display().to_string(),
            problem: format!("cannot read: {e}"),
        })?;
        let name = path.display().to_string();
        if path.extension().is_some_and(|e| e == "toml") {
            self.load_toml(&name, &text)
        } else {
            self.load_properties(&name, &text);
            Ok(())
        }
    }

    /// Reads Java properties text: `key = value` or `key: value`, `#`/`!` comments, `\` line
    /// continuations. Trailing comments are not part of the format, but RocketMQ's sample files
    /// are often annotated `key = value  # note`, so a ` #` after the value starts a comment.
    pub fn load_properties(&mut self, name: &str, text: &str) {
        let mut logical = String::new();
        let mut start_line = 0;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_start();
            if logical.is_empty() {
                start_line = i + 1;
                if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                    continue;
                }
            }
            if let Some(cont) = line.strip_suffix('\\') {
                logical.push_str(cont);
                continue;
            }
            logical.push_str(line);
            let l = std::mem::take(&mut logical);
            let (key, value) = split_property(&l);
            if key.is_empty() {
                continue;
            }
            self.set(
                key,
                value,
                Origin::File {
                    path: name.to_owned(),
                    line: start_line,
                },
            );
        }
    }

    /// Reads TOML: top-level `key = value` pairs; tables (`[broker]`, `[store]`) only group keys.
    pub fn load_toml(&mut self, name: &str, text: &str) -> Result<(), ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::BadFile {
                    path: name.to_owned(),
                    problem: e.to_string(),
                })?;
        self.add_toml_table(name, &table)
    }

    fn add_toml_table(&mut self, name: &str, table: &toml::Table) -> Result<(), ConfigError> {
        for (k, v) in table {
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::Table(t) => {
                    self.add_toml_table(name, t)?;
                    continue;
                }
                toml::Value::Array(_) => {
                    return Err(ConfigError::BadFile {
                        path: name.to_owned(),
                        problem: format!(
                            "key `{k}`: arrays are not supported; use a ';'-separated string"
                        ),
                    });
                }
            };
            self.set(
                k,
                &text,
                Origin::File {
                    path: name.to_owned(),
                    line: 0,
                },
            );
        }
        Ok(())
    }

    /// Applies a command-line `key=value`.
    pub fn set_arg(&mut self, arg: &str) -> Result<(), ConfigError> {
        let (k, v) = arg
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| ConfigError::BadSetting(arg.to_owned()))?;
        self.set(k.trim(), v.trim(), Origin::CommandLine);
        Ok(())
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, key: &str, value: &str, origin: Origin) {
        self.entries.insert(
            key.to_owned(),
            Entry {
                value: value.to_owned(),
                origin,
            },
        );
    }

    /// The setting for `key`, if given.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// All settings.
    pub fn entries(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter()
    }
}

/// Splits `key = value  # note` into its key and value.
fn split_property(line: &str) -> (&str, &str) {
    let sep = line.find(['=', ':']);
    let (key, rest) = match sep {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => match line.find(char::is_whitespace) {
            Some(i) => (&line[..i], &line[i..]),
            None => (line, ""),
        },
    };
    let value = match rest.find(" #").or_else(|| rest.find("\t#")) {
        Some(i) => &rest[..i],
        None => rest,
    };
    (key.trim(), value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_with_spaces_and_comments() {
        let mut s = ConfigSource::new();
        s.load_properties(
            "broker.conf",
            "# c\nbrokerName = broker-a\ndeleteWhen = 04   # hour\ndiskMaxUsedSpaceRatio=95\n\n! x\nk: v\nlong = a\\\n  b\n",
        );
        let v = |k| s.get(k).map(|e| e.value.as_str());
        assert_eq!(v("brokerName"), Some("broker-a"));
        assert_eq!(v("deleteWhen"), Some("04"));
        assert_eq!(v("diskMaxUsedSpaceRatio"), Some("95"));
        assert_eq!(v("k"), Some("v"));
        assert_eq!(v("long"), Some("ab"));
        assert_eq!(
            s.get("diskMaxUsedSpaceRatio").map(|e| e.origin.to_string()),
            Some("broker.conf:4".into())
        );
    }

    #[test]
    fn toml_sections_flatten() {
        let mut s = ConfigSource::new();
        s.load_toml(
            "b.toml",
            "brokerName = \"b\"\n[store]\nfileReservedTime = 48\n",
        )
        .unwrap();
        assert_eq!(
            s.get("fileReservedTime").map(|e| e.value.as_str()),
            Some("48")
        );
    }

    #[test]
    fn bad_set_argument() {
        assert!(ConfigSource::new().set_arg("novalue").is_err());
        assert!(ConfigSource::new().set_arg("=x").is_err());
    }
}
