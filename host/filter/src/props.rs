//! Fast property lookup in a stored properties string (`k\x01v\x02k\x01v`), for evaluating
//! selectors per message without decoding the properties into a map.
//!
//! Same result as `wasmq_protocol::message::properties::property` (last occurrence wins,
//! empty keys/values and fragments without `\x01` ignored; a property test checks the two
//! agree), without counting characters of every fragment.

const NAME_VALUE_SEPARATOR: u8 = 1;
const PROPERTY_SEPARATOR: char = '\u{2}';

/// Value of `key` in the properties string `props` (the last occurrence wins).
pub fn property<'a>(props: &'a str, key: &str) -> Option<&'a str> {
    if key.is_empty() || key.contains(['\u{1}', PROPERTY_SEPARATOR]) {
        return None;
    }
    let mut found = None;
    for frag in props.split(PROPERTY_SEPARATOR) {
        // `key` has no \x01, so a \x01 right after it is the fragment's first one.
        if frag.len() > key.len() + 1
            && frag.as_bytes()[key.len()] == NAME_VALUE_SEPARATOR
            && frag.starts_with(key)
        {
            found = frag.get(key.len() + 1..);
        }
    }
    found
}

/// A lookup closure over one message's properties string, for
/// [`crate::MessageFilter::matches`] / [`crate::sql92::Expression::evaluate`].
pub fn lookup<'a>(props: &'a str) -> impl Fn(&str) -> Option<&'a str> + 'a {
    move |key| property(props, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use wasmq_protocol::message::properties::property as protocol_property;

    #[test]
    fn finds_values() {
        let p = "TAGS\u{1}a\u{2}idx\u{1}15\u{2}idx\u{1}16\u{2}e\u{1}\u{2}x\u{2}";
        assert_eq!(property(p, "TAGS"), Some("a"));
        assert_eq!(property(p, "idx"), Some("16"));
        assert_eq!(property(p, "id"), None);
        assert_eq!(property(p, "e"), None);
        assert_eq!(property(p, "x"), None);
        assert_eq!(property(p, ""), None);
        assert_eq!(lookup(p)("TAGS"), Some("a"));
    }

    fn props_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!["a", "ab", "\u{1}", "\u{2}", "b", "é", "", "1"]),
            0..24,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn agrees_with_protocol(
            props in prop_oneof![props_text(), any::<String>()],
            key in prop::sample::select(vec!["a", "ab", "b", "é", "", "\u{1}", "a\u{2}"]),
        ) {
            prop_assert_eq!(property(&props, key), protocol_property(&props, key));
        }
    }
}
