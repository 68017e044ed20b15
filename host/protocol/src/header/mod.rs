//! Typed custom headers: each request's `extFields`, decoded and validated in exactly one place.
//!
//! A header is declared once with [`command_header!`](crate::command_header), naming each field's
//! wire key. Mandatory fields are plain types (a missing one is [`HeaderError::Missing`]);
//! optional ones are `Option<T>`. Numbers are decimal text; booleans accept `true`/`false` and,
//! for clients that send them, `1`/`0` (anything else is false, as Java's `parseBoolean`).

pub mod broker;
pub mod namesrv;

use crate::command::ExtFields;

/// A header field that is missing or does not parse. The remark sent to the client names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A mandatory field is absent.
    #[error("the header field {field:?} is missing")]
    Missing {
        /// The wire key.
        field: &'static str,
    },
    /// A field does not parse as its type.
    #[error("the header field {field:?} has value {value:?}, expected {expected}")]
    Invalid {
        /// The wire key.
        field: &'static str,
        /// What was sent.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
}

/// A typed custom header.
pub trait CommandHeader: Sized {
    /// Reads the header from `extFields`.
    fn decode(ext: &ExtFields) -> Result<Self, HeaderError>;
    /// Writes the header's fields (absent optionals are omitted).
    fn encode(&self, ext: &mut ExtFields);
}

/// The empty header, for requests without custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoHeader;

impl CommandHeader for NoHeader {
    fn decode(_: &ExtFields) -> Result<Self, HeaderError> {
        Ok(NoHeader)
    }
    fn encode(&self, _: &mut ExtFields) {}
}

/// One field type in a header.
pub trait HeaderField: Sized {
    /// Reads the field `key`.
    fn read(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError>;
    /// Writes the field `key`.
    fn write(&self, ext: &mut ExtFields, key: &'static str);
}

/// A scalar that has a text form in `extFields`.
pub trait HeaderScalar: Sized {
    /// What the value should look like, for error messages.
    const EXPECTED: &'static str;
    /// Parses the text form.
    fn parse(s: &str) -> Option<Self>;
    /// Renders the text form.
    fn render(&self) -> String;
}

impl HeaderScalar for String {
    const EXPECTED: &'static str = "a string";
    fn parse(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }
    fn render(&self) -> String {
        self.clone()
    }
}

macro_rules! int_scalar {
    ($($t:ty => $what:literal),*) => {$(
        impl HeaderScalar for $t {
            const EXPECTED: &'static str = $what;
            fn parse(s: &str) -> Option<Self> {
                s.trim().parse().ok()
            }
            fn render(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
int_scalar!(i32 => "a 32-bit integer", i64 => "a 64-bit integer", u64 => "a non-negative integer");

impl HeaderScalar for bool {
    const EXPECTED: &'static str = "true or false";
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Some(s.eq_ignore_ascii_case("true") || s == "1")
    }
    fn render(&self) -> String {
        self.to_string()
    }
}

impl<T: HeaderScalar> HeaderField for T {
    fn read(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError> {
        let v = ext.get(key).ok_or(HeaderError::Missing { field: key })?;
        T::parse(v).ok_or_else(|| HeaderError::Invalid {
            field: key,
            value: v.to_owned(),
            expected: T::EXPECTED,
        })
    }
    fn write(&self, ext: &mut ExtFields, key: &'static str) {
        ext.insert(key, self.render());
    }
}

impl<T: HeaderScalar> HeaderField for Option<T> {
    fn read(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError> {
        match ext.get(key) {
            None => Ok(None),
            // Some clients send "" for absent numbers; an empty non-string is absent.
            Some("") if T::EXPECTED != String::EXPECTED => Ok(None),
            Some(_) => T::read(ext, key).map(Some),
        }
    }
    fn write(&self, ext: &mut ExtFields, key: &'static str) {
        if let Some(v) = self {
            v.write(ext, key);
        }
    }
}

/// Declares a typed header: `field: Type => "wireKey"`. See the module docs.
#[macro_export]
macro_rules! command_header {
    ($(
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* $field:ident : $ty:ty => $key:literal ),* $(,)?
        }
    )*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )*
        }

        impl $crate::header::CommandHeader for $name {
            fn decode(
                #[allow(unused_variables)] ext: &$crate::command::ExtFields,
            ) -> ::core::result::Result<Self, $crate::header::HeaderError> {
                Ok(Self {
                    $( $field: <$ty as $crate::header::HeaderField>::read(ext, $key)?, )*
                })
            }

            fn encode(&self, #[allow(unused_variables)] ext: &mut $crate::command::ExtFields) {
                $( $crate::header::HeaderField::write(&self.$field, ext, $key); )*
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::command_header! {
        /// A test header.
        pub struct Sample {
            /// t
            topic: String => "topic",
            /// q
            queue_id: i32 => "queueId",
            /// u
            unit_mode: Option<bool> => "unitMode",
            /// o
            offset: Option<i64> => "offset",
        }
    }

    #[test]
    fn round_trip() {
        let h = Sample {
            topic: "T".into(),
            queue_id: 3,
            unit_mode: Some(true),
            offset: None,
        };
        let mut ext = ExtFields::new();
        h.encode(&mut ext);
        assert_eq!(ext.get("offset"), None);
        assert_eq!(Sample::decode(&ext).unwrap(), h);
    }

    #[test]
    fn errors_name_the_field() {
        let ext: ExtFields = [("topic", "T")].into_iter().collect();
        assert_eq!(
            Sample::decode(&ext),
            Err(HeaderError::Missing { field: "queueId" })
        );
        let ext: ExtFields = [("topic", "T"), ("queueId", "x")].into_iter().collect();
        let e = Sample::decode(&ext).unwrap_err();
        assert!(e.to_string().contains("queueId"), "{e}");
    }

    #[test]
    fn lenient_booleans_and_empty_numbers() {
        let ext: ExtFields = [
            ("topic", "T"),
            ("queueId", "1"),
            ("unitMode", "1"),
            ("offset", ""),
        ]
        .into_iter()
        .collect();
        let h = Sample::decode(&ext).unwrap();
        assert_eq!(h.unit_mode, Some(true));
        assert_eq!(h.offset, None);
    }
}
