//! `wasmq admin plugins -b BROKER [--enable NAME | --disable NAME] [--json]`: a running broker's
//! plugin bindings with their metrics (WASMQ_PLUGIN_LIST, 9000), and switching one on or off
//! (WASMQ_PLUGIN_SET_ENABLED, 9001).

use clap::Args;
use wasmq_admin::Admin;
use wasmq_admin::plugins::BindingRow;

/// Options of `wasmq admin plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// The broker's address.
    #[arg(short = 'b', long = "brokerAddr")]
    pub broker_addr: String,
    /// Switch this binding on first.
    #[arg(long, value_name = "NAME", conflicts_with = "disable")]
    pub enable: Option<String>,
    /// Switch this binding off first.
    #[arg(long, value_name = "NAME")]
    pub disable: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the verb: the optional switch, then the listing.
pub async fn run(a: PluginsArgs) -> anyhow::Result<()> {
    // Only the broker is asked: no nameserver needed.
    let admin = Admin::new("");
    let switch = match (&a.enable, &a.disable) {
        (Some(name), _) => Some((name, true)),
        (None, Some(name)) => Some((name, false)),
        (None, None) => None,
    };
    if let Some((name, enabled)) = switch {
        admin
            .set_plugin_enabled(&a.broker_addr, name, enabled)
            .await?;
        if !a.json {
            let state = if enabled { "enabled" } else { "disabled" };
            println!("binding {name} {state} on {}", a.broker_addr);
        }
    }
    let list = admin.plugins(&a.broker_addr).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        print!("{}", table(&list.bindings));
    }
    Ok(())
}

/// The bindings as a fixed-width table.
pub fn table(rows: &[BindingRow]) -> String {
    let mut out = format!(
        "{:<28} {:<16} {:<8} {:>10} {:>12} {:>14} {:>8} {:>8} {:>6} {:>14}\n",
        "#Binding",
        "#Hook",
        "#Enabled",
        "#Calls",
        "#Messages",
        "#Ns",
        "#Rejects",
        "#Discard",
        "#Traps",
        "#Fuel"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<28} {:<16} {:<8} {:>10} {:>12} {:>14} {:>8} {:>8} {:>6} {:>14}\n",
            r.binding,
            r.hook,
            r.enabled,
            r.calls,
            r.messages,
            r.nanos,
            r.rejects,
            r.discards,
            r.traps,
            r.fuel
        ));
    }
    if rows.is_empty() {
        out.push_str("(no plugin bindings)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_one_line_per_binding_with_its_metrics() {
        let rows = vec![BindingRow {
            binding: "tag-filter/ingress-filter".into(),
            hook: "ingress-filter".into(),
            enabled: true,
            calls: 12,
            messages: 34,
            nanos: 5678,
            rejects: 2,
            discards: 1,
            traps: 0,
            fuel: 999,
            ..BindingRow::default()
        }];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2, "{t}");
        let cols: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cols,
            [
                "tag-filter/ingress-filter",
                "ingress-filter",
                "true",
                "12",
                "34",
                "5678",
                "2",
                "1",
                "0",
                "999"
            ]
        );
        assert!(table(&[]).contains("no plugin bindings"));
    }
}
