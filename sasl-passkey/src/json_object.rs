//! JSON objects only. serde's derived `Deserialize` for a struct with named fields
//! also reads a JSON array, member values in declaration order
//! (`["webauthn.get","<challenge>","https://example.com"]` would be client data);
//! WebAuthn's messages and this crate's key file are objects, so every struct read
//! from JSON with serde goes through [`Object`] or [`from_slice`], which read a map
//! and nothing else. (The two documents of every login, the assertion response and
//! `clientDataJSON`, are read by [`json_reader`](crate::json_reader) instead, which
//! only reads objects where the caller asks for one.)

use core::fmt;
use core::marker::PhantomData;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};

/// `T`, read only from a JSON object.
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OnlyMaps<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OnlyMaps<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                // The members go to T's derived visitor as they are (borrowed strings
                // stay borrowed, a repeated member is still refused).
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(OnlyMaps(PhantomData))
            .map(Object)
    }
}

/// `serde_json::from_slice`, but the text must be one JSON object.
pub(crate) fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> serde_json::Result<T> {
    serde_json::from_slice::<Object<T>>(bytes).map(|o| o.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Pair<'a> {
        #[serde(borrow)]
        a: std::borrow::Cow<'a, str>,
        b: Vec<Object<Inner>>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Inner {
        c: u8,
    }

    impl<T: fmt::Debug> fmt::Debug for Object<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }

    impl<T: PartialEq> PartialEq for Object<T> {
        fn eq(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }

    #[test]
    fn objects_are_read_and_arrays_are_not() {
        // Plain serde_json reads the array form: the reason this module exists.
        let plain: Pair<'_> = serde_json::from_slice(br#"["x",[{"c":1}]]"#).unwrap();
        assert_eq!(plain.a, "x");
        assert!(from_slice::<Pair<'_>>(br#"["x",[{"c":1}]]"#).is_err());
        assert!(from_slice::<Pair<'_>>(br#"{"a":"x","b":[[1]]}"#).is_err());
        let p: Pair<'_> = from_slice(br#" {"b":[{"c":1},{"c":2}],"a":"x"} "#).unwrap();
        assert!(matches!(p.a, std::borrow::Cow::Borrowed("x")));
        assert_eq!(p.b.iter().map(|o| o.0.c).collect::<Vec<_>>(), [1, 2]);
        // A repeated member, trailing text and a member of the wrong type stay refused.
        assert!(from_slice::<Pair<'_>>(br#"{"a":"x","a":"y","b":[]}"#).is_err());
        assert!(from_slice::<Pair<'_>>(br#"{"a":"x","b":[]} x"#).is_err());
        assert!(from_slice::<Pair<'_>>(br#"{"a":1,"b":[]}"#).is_err());
        assert!(from_slice::<Pair<'_>>(b"").is_err());
    }
}
