//! The bindings file (`plugins.toml`): which plugin runs on which hook, for which topics/groups, with what limits.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// A hook a binding attaches a plugin to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum HookKind {
    IngressFilter,
    ConsumerFilter,
    Transform,
    Router,
    RoutePolicy,
    Retention,
}

impl HookKind {
    /// The name used in plugins.toml and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::IngressFilter => "ingress-filter",
            HookKind::ConsumerFilter => "consumer-filter",
            HookKind::Transform => "transform",
            HookKind::Router => "router",
            HookKind::RoutePolicy => "route-policy",
            HookKind::Retention => "retention",
        }
    }

    /// Ingress bindings run in this order: filters, then transforms, then routers.
    pub(crate) fn ingress_stage(self) -> Option<u8> {
        match self {
            HookKind::IngressFilter => Some(0),
            HookKind::Transform => Some(1),
            HookKind::Router => Some(2),
            _ => None,
        }
    }

    fn default_fuel(self) -> u64 {
        match self {
            HookKind::RoutePolicy | HookKind::Retention => 100_000_000,
            _ => 20_000_000,
        }
    }

    fn default_memory_mib(self) -> u64 {
        match self {
            HookKind::RoutePolicy | HookKind::Retention => 32,
            _ => 16,
        }
    }
}

impl std::fmt::Display for HookKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to the messages of a call that trapped, ran out of fuel or memory, or returned an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// As if the plugin had said "keep" (route policy / retention: the broker default).
    #[default]
    Pass,
    /// Discard the messages (consumer side: not delivered; offsets advance).
    Drop,
    /// Refuse: ingress rejects with a retryable reason; consumer side returns `PluginFailure`.
    Refuse,
}

/// One `[[binding]]` entry, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingSpec {
    /// Unique name (default: `<plugin>/<hook>`).
    pub name: String,
    /// Plugin file stem in the plugins directory (`tag-filter` for `tag-filter.wasm`).
    pub plugin: String,
    pub hook: HookKind,
    /// Topic names or globs (`*`, `?`); default `["*"]`.
    pub topics: Vec<String>,
    /// Consumer group names or globs (consumer-filter only); default `["*"]`.
    pub groups: Vec<String>,
    pub on_failure: FailurePolicy,
    /// Fuel per call (about 2×10⁷ per millisecond of guest CPU).
    pub fuel: u64,
    /// Linear-memory cap per instance.
    pub memory_mib: u64,
    pub enabled: bool,
    /// The plugin's configuration (`[binding.config]`), values as strings.
    pub config: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawBinding {
    name: Option<String>,
    plugin: String,
    hook: HookKind,
    topics: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    on_failure: Option<FailurePolicy>,
    fuel: Option<u64>,
    memory_mib: Option<u64>,
    enabled: Option<bool>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    binding: Vec<RawBinding>,
}

/// Parses a bindings file's text; `origin` names it in errors.
pub fn parse_bindings(text: &str, origin: &str) -> anyhow::Result<Vec<BindingSpec>> {
    let raw: RawFile =
        toml::from_str(text).with_context(|| format!("parsing bindings file {origin}"))?;
    let mut out: Vec<BindingSpec> = Vec::new();
    for (i, b) in raw.binding.into_iter().enumerate() {
        let name = b.name.unwrap_or_else(|| format!("{}/{}", b.plugin, b.hook));
        if out.iter().any(|o| o.name == name) {
            bail!(
                "{origin}: binding #{} has the same name `{name}` as an earlier one; give it a `name`",
                i + 1
            );
        }
        let memory_mib = b.memory_mib.unwrap_or(b.hook.default_memory_mib());
        if memory_mib == 0 || memory_mib > 4096 {
            bail!("{origin}: binding `{name}`: memory-mib = {memory_mib} is outside 1..=4096");
        }
        let config = b
            .config
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => v.to_string(),
                    other => bail!("{origin}: binding `{name}`: config.{k} must be a string, number or boolean, not {}", other.type_str()),
                };
                Ok((k, v))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        out.push(BindingSpec {
            name,
            plugin: b.plugin,
            hook: b.hook,
            topics: b.topics.unwrap_or_else(|| vec!["*".into()]),
            groups: b.groups.unwrap_or_else(|| vec!["*".into()]),
            on_failure: b.on_failure.unwrap_or_default(),
            fuel: b.fuel.unwrap_or(b.hook.default_fuel()),
            memory_mib,
            enabled: b.enabled.unwrap_or(true),
            config,
        });
    }
    Ok(out)
}

/// Reads and parses a bindings file.
pub fn load_bindings(path: &Path) -> anyhow::Result<Vec<BindingSpec>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading bindings file {}", path.display()))?;
    parse_bindings(&text, &path.display().to_string())
}

/// Matches `text` against a glob with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// True when any pattern matches.
pub(crate) fn any_match(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_config_values() {
        let specs = parse_bindings(
            r#"
            [[binding]]
            plugin = "tag-filter"
            hook = "ingress-filter"
            topics = ["orders-*"]
            on-failure = "refuse"
            [binding.config]
            tags = "A || B"
            queues = 8

            [[binding]]
            plugin = "retention-policy"
            hook = "retention"
            "#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(specs[0].name, "tag-filter/ingress-filter");
        assert_eq!(specs[0].on_failure, FailurePolicy::Refuse);
        assert_eq!(
            specs[0].config,
            vec![
                ("queues".into(), "8".into()),
                ("tags".into(), "A || B".into())
            ]
        );
        assert_eq!((specs[0].fuel, specs[0].memory_mib), (20_000_000, 16));
        assert_eq!(specs[1].topics, vec!["*".to_string()]);
        assert_eq!(specs[1].fuel, 100_000_000);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_bindings("[[binding]]\nplugin='x'\nhook='filter'\n", "p.toml").unwrap_err();
        assert!(format!("{e:#}").contains("p.toml"), "{e:#}");
        let dup =
            "[[binding]]\nplugin='x'\nhook='router'\n[[binding]]\nplugin='x'\nhook='router'\n";
        assert!(format!("{:#}", parse_bindings(dup, "p.toml").unwrap_err()).contains("same name"));
        let bad = "[[binding]]\nplugin='x'\nhook='router'\nfuell=3\n";
        assert!(format!("{:#}", parse_bindings(bad, "p.toml").unwrap_err()).contains("fuell"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("orders-*", "orders-eu"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c*", "abcdef"));
        assert!(!glob_match("orders", "orders2"));
    }
}
