//! TAG subscription expressions (`*`, empty, `a || b || c`), as Java's
//! `FilterAPI.buildSubscriptionData` builds them and `ExpressionMessageFilter` checks them.

use wasmq_protocol::message::java_string_hash;

/// The subString that subscribes to every tag.
pub const SUB_ALL: &str = "*";

/// A TAG subscription: either everything or a set of tags with their Java hash codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    all: bool,
    /// Distinct tags in the order written.
    tags: Vec<String>,
    /// Distinct `String.hashCode()` values of `tags`, sorted.
    codes: Vec<i32>,
}

/// A TAG expression Java refuses (`FilterAPI` throws "subString split error").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid TAG expression {0:?}: nothing but '||' separators")]
pub struct TagParseError(pub String);

/// Java `String.trim()`: strips chars <= U+0020 (not Unicode white space).
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

impl TagFilter {
    /// Subscribes to all messages.
    pub fn all() -> Self {
        TagFilter {
            all: true,
            tags: Vec::new(),
            codes: Vec::new(),
        }
    }

    /// Parses a TAG subString: `None`, `""` and exactly `"*"` mean all; otherwise split on `||`,
    /// trim each part (Java `trim`) and keep the non-empty ones. A `*` among other tags, or with
    /// surrounding spaces, is a literal tag named `*` (Java). A subString of white space only
    /// yields an empty set, which matches nothing. A subString made only of `||` separators is an
    /// error, as Java's `String.split` then returns no parts.
    pub fn parse(sub_string: Option<&str>) -> Result<Self, TagParseError> {
        let s = match sub_string {
            None | Some("") | Some(SUB_ALL) => return Ok(Self::all()),
            Some(s) => s,
        };
        // Java's split drops trailing empty strings; all-empty means zero parts.
        if s.split("||").all(str::is_empty) {
            return Err(TagParseError(s.to_owned()));
        }
        let mut f = TagFilter {
            all: false,
            tags: Vec::new(),
            codes: Vec::new(),
        };
        for tag in s.split("||").map(java_trim).filter(|t| !t.is_empty()) {
            if !f.tags.iter().any(|t| t == tag) {
                f.tags.push(tag.to_owned());
            }
            let code = java_string_hash(tag);
            if let Err(at) = f.codes.binary_search(&code) {
                f.codes.insert(at, code);
            }
        }
        Ok(f)
    }

    /// True for `*` / empty (every message matches).
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// The subscribed tags (Java `tagsSet`), empty for [`TagFilter::all`].
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The subscribed tag hash codes (Java `codeSet`), sorted, empty for [`TagFilter::all`].
    pub fn codes(&self) -> &[i32] {
        &self.codes
    }

    /// Consume-queue check: does a message whose CQ tagsCode is `tags_code` match? Compares the
    /// low 32 bits with the code set, as Java's `codeSet.contains(tagsCode.intValue())`.
    /// Hash collisions pass (clients re-check the tag string).
    pub fn matches_code(&self, tags_code: i64) -> bool {
        self.all || self.codes.binary_search(&(tags_code as i32)).is_ok()
    }

    /// Exact tag check (what clients do after a pull): `*` matches everything, otherwise the tag
    /// must be one of the subscribed tags.
    pub fn matches_tag(&self, tag: &str) -> bool {
        self.all || self.tags.iter().any(|t| t == tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_forms() {
        for s in [None, Some(""), Some("*")] {
            let f = TagFilter::parse(s).unwrap();
            assert!(f.is_all());
            assert!(f.matches_code(12345));
            assert!(f.matches_tag("anything"));
        }
    }

    #[test]
    fn split_trim_and_codes() {
        let f = TagFilter::parse(Some(" TagA || TagB||TagA ||")).unwrap();
        assert!(!f.is_all());
        assert_eq!(f.tags(), ["TagA", "TagB"]);
        assert_eq!(f.codes(), [2_598_919, 2_598_920]);
        assert!(f.matches_code(2_598_919));
        assert!(f.matches_code(2_598_920));
        assert!(!f.matches_code(0));
        assert!(f.matches_tag("TagB"));
        assert!(!f.matches_tag("tagb"));
        // only the low 32 bits count
        assert!(f.matches_code(2_598_919 + (1 << 32)));
    }

    #[test]
    fn java_edge_cases() {
        assert_eq!(
            TagFilter::parse(Some("||")),
            Err(TagParseError("||".into()))
        );
        assert!(TagFilter::parse(Some("||||")).is_err());
        let star = TagFilter::parse(Some(" * ")).unwrap();
        assert!(!star.is_all());
        assert_eq!(star.codes(), [42]);
        let blank = TagFilter::parse(Some("   ")).unwrap();
        assert!(!blank.is_all() && blank.tags().is_empty());
        assert!(!blank.matches_code(0));
        let neg = TagFilter::parse(Some("polygenelubricants")).unwrap();
        assert!(neg.matches_code(i64::from(i32::MIN)));
    }
}
