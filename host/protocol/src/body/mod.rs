//! JSON bodies carried by requests and responses (route data, cluster info, heartbeats, ...).
//!
//! RocketMQ writes these with fastjson; wasmq reads them with serde, ignoring unknown fields and
//! accepting missing ones, and writes compact JSON every client can read. The config requests
//! (GET/UPDATE_BROKER_CONFIG, GET/UPDATE_NAMESRV_CONFIG) carry Java properties text instead:
//! [`parse_properties`] reads it.

pub mod broker;
pub mod namesrv;

/// Parses Java properties text (`k=v` or `k:v` lines, `#`/`!` comments) into pairs, in order.
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let (k, v) = l.split_once(['=', ':'])?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn properties_text() {
        let p =
            super::parse_properties("# c\n!d\nbrokerName=b\n a = 1 \nurl=http://x:1/y\nk:v\n\n");
        let want = [
            ("brokerName", "b"),
            ("a", "1"),
            ("url", "http://x:1/y"),
            ("k", "v"),
        ];
        assert_eq!(p, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }
}
