//! A serde deserializer over the flat text map: each field's text is parsed as the field's type.

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::ConfigError;
use crate::source::{ConfigSource, Entry};

/// Deserializes `T` from `source`, returning it and the keys `T` declares.
pub(crate) fn extract<T: DeserializeOwned>(
    source: &ConfigSource,
) -> Result<(T, &'static [&'static str]), ConfigError> {
    let mut de = StructDe {
        source,
        fields: &[],
    };
    let value = T::deserialize(&mut de)?;
    Ok((value, de.fields))
}

/// Errors raised inside serde; turned into [`ConfigError`] with the key attached.
#[derive(Debug)]
pub(crate) struct DeError(String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        DeError(msg.to_string())
    }
}

impl de::Error for ConfigError {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        ConfigError::Other(msg.to_string())
    }
}

struct StructDe<'a> {
    source: &'a ConfigSource,
    fields: &'static [&'static str],
}

impl<'de> de::Deserializer<'de> for &mut StructDe<'_> {
    type Error = ConfigError;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, ConfigError> {
        Err(ConfigError::Other(
            "configuration must be read into a struct".into(),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConfigError> {
        self.fields = fields;
        let entries: Vec<(&String, &Entry)> = self
            .source
            .entries()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .collect();
        visitor.visit_map(Fields {
            entries: entries.into_iter(),
            current: None,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct Fields<'a, I> {
    entries: I,
    current: Option<(&'a String, &'a Entry)>,
}

impl<'de, 'a, I: Iterator<Item = (&'a String, &'a Entry)>> MapAccess<'de> for Fields<'a, I> {
    type Error = ConfigError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ConfigError> {
        let Some(next) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(next);
        let key: de::value::StrDeserializer<'_, ConfigError> = next.0.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ConfigError> {
        let Some((key, entry)) = self.current.take() else {
            return Err(ConfigError::Other("value without key".into()));
        };
        seed.deserialize(Text(&entry.value))
            .map_err(|e: DeError| ConfigError::BadValue {
                key: key.clone(),
                value: entry.value.clone(),
                origin: entry.origin.clone(),
                problem: e.0,
            })
    }
}

/// One setting's text, parsed as whatever type the field asks for.
struct Text<'a>(&'a str);

impl Text<'_> {
    fn parse<T: std::str::FromStr>(&self, expected: &str) -> Result<T, DeError> {
        self.0
            .trim()
            .parse()
            .map_err(|_| DeError(format!("expected {expected}")))
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident : $t:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            v.$visit(self.parse::<$t>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Text<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0.trim().to_ascii_lowercase().as_str() {
            "true" => v.visit_bool(true),
            "false" => v.visit_bool(false),
            _ => Err(DeError("expected true or false".into())),
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8, "an integer from -128 to 127";
        deserialize_i16 => visit_i16: i16, "an integer from -32768 to 32767";
        deserialize_i32 => visit_i32: i32, "a 32-bit integer";
        deserialize_i64 => visit_i64: i64, "an integer";
        deserialize_u8 => visit_u8: u8, "an integer from 0 to 255";
        deserialize_u16 => visit_u16: u16, "an integer from 0 to 65535";
        deserialize_u32 => visit_u32: u32, "a non-negative 32-bit integer";
        deserialize_u64 => visit_u64: u64, "a non-negative integer";
        deserialize_f32 => visit_f32: f32, "a number";
        deserialize_f64 => visit_f64: f64, "a number";
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.0.trim().is_empty() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let text = self.0.trim();
        if !variants.contains(&text) {
            return Err(DeError(format!("expected one of {}", variants.join(", "))));
        }
        let d: de::value::StrDeserializer<'_, DeError> = text.into_deserializer();
        d.deserialize_enum("", variants, v)
    }

    forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use crate::{ConfigError, ConfigSource};

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(rename_all = "camelCase", default)]
    struct Sample {
        broker_name: String,
        file_reserved_time: u32,
        delete_when: String,
        role: Role,
        #[serde(alias = "mapedFileSizeCommitLog")]
        mapped_file_size_commit_log: u64,
        namesrv_addr: Option<String>,
        enable: bool,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq, Clone, Copy)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Role {
        AsyncMaster,
        SyncMaster,
    }

    impl Default for Sample {
        fn default() -> Self {
            Self {
                broker_name: "x".into(),
                file_reserved_time: 72,
                delete_when: "04".into(),
                role: Role::AsyncMaster,
                mapped_file_size_commit_log: 1 << 30,
                namesrv_addr: None,
                enable: false,
            }
        }
    }

    fn source(text: &str) -> ConfigSource {
        let mut s = ConfigSource::new();
        s.load_properties("broker.conf", text);
        s
    }

    #[test]
    fn reads_types_defaults_and_aliases() {
        let mut s = source(
            "brokerName = b\nfileReservedTime = 48\ndeleteWhen = 04\nrole = SYNC_MASTER\nmapedFileSizeCommitLog=65536\nenable=TRUE\n",
        );
        let v: Sample = s.extract().unwrap();
        assert_eq!(v.broker_name, "b");
        assert_eq!(v.file_reserved_time, 48);
        assert_eq!(v.delete_when, "04");
        assert_eq!(v.role, Role::SyncMaster);
        assert_eq!(v.mapped_file_size_commit_log, 65536);
        assert!(v.enable);
        assert_eq!(v.namesrv_addr, None);
        assert!(s.unknown_keys().is_empty(), "{:?}", s.unknown_keys());
    }

    #[test]
    fn bad_value_names_key_value_origin_and_allowed() {
        let mut s = source("fileReservedTime = lots\n");
        let e = s.extract::<Sample>().unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, ConfigError::BadValue { .. }));
        assert!(
            msg.contains("fileReservedTime") && msg.contains("lots"),
            "{msg}"
        );
        assert!(
            msg.contains("broker.conf:1") && msg.contains("non-negative"),
            "{msg}"
        );

        let mut s = source("role = MASTER\n");
        let msg = s.extract::<Sample>().unwrap_err().to_string();
        assert!(msg.contains("ASYNC_MASTER, SYNC_MASTER"), "{msg}");
    }

    #[test]
    fn unknown_key_suggests_nearest() {
        let mut s = source("brokerNmae = b\ntotallyUnrelated = 1\n");
        let _: Sample = s.extract().unwrap();
        let unknown = s.unknown_keys();
        assert_eq!(unknown.len(), 2);
        let typo = unknown.iter().find(|u| u.key == "brokerNmae").unwrap();
        assert_eq!(typo.suggestion, Some("brokerName"));
        assert!(typo.to_string().contains("did you mean `brokerName`"));
        let other = unknown
            .iter()
            .find(|u| u.key == "totallyUnrelated")
            .unwrap();
        assert_eq!(other.suggestion, None);
    }

    #[test]
    fn renders_properties() {
        let text = crate::render_properties(&Sample::default()).unwrap();
        assert!(text.contains("deleteWhen=04\n"), "{text}");
        assert!(text.contains("role=ASYNC_MASTER\n"), "{text}");
    }
}
