//! Strict parsing: base64url without padding, JSON objects without duplicate members,
//! and the compact JWS serialization (RFC 7515 §7.1).

use std::fmt;

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::MAX_TOKEN_LEN;
use super::error::JwtRejection;

/// base64url (RFC 4648 §5) as JOSE uses it: no padding accepted, no characters outside
/// the alphabet, and the unused bits of the last character must be zero (one text per
/// byte string).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes strict base64url.
pub(crate) fn b64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    B64URL.decode(text)
}

/// A JSON object whose members all have distinct names (RFC 7515 §5.2 lets a parser
/// reject duplicates; taking the last one would let `{"alg":"none","alg":"RS256"}`
/// mean different things to different parsers).
struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(name) = access.next_key::<String>()? {
                    if map.contains_key(&name) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    let value: Value = access.next_value()?;
                    map.insert(name, value);
                }
                Ok(StrictObject(map))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Parses a JSON object, refusing duplicate member names at its top level.
pub(crate) fn parse_object(json: &[u8]) -> Result<Map<String, Value>, serde_json::Error> {
    serde_json::from_slice::<StrictObject>(json).map(|o| o.0)
}

/// A compact JWS split and decoded, not yet verified.
pub(crate) struct Compact<'a> {
    /// `BASE64URL(header) '.' BASE64URL(payload)`: what the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) header: Map<String, Value>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

/// Splits and decodes a compact JWS: exactly three base64url parts (header and payload
/// not empty), the first a JSON object. The payload stays bytes until the signature is checked.
pub(crate) fn split_compact(token: &str) -> Result<Compact<'_>, JwtRejection> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtRejection::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtRejection::Malformed("not three dot-separated parts"));
    };
    // An empty signature is left to fail verification, so that `alg: none` (whose
    // signature is empty) is refused for its algorithm.
    if header.is_empty() || payload.is_empty() {
        return Err(JwtRejection::Malformed("empty header or payload"));
    }
    let signing_input = token
        .as_bytes()
        .get(..header.len() + 1 + payload.len())
        .ok_or(JwtRejection::Malformed("not three dot-separated parts"))?;
    let header = b64_decode(header).map_err(|_| JwtRejection::Malformed("header not base64url"))?;
    let payload =
        b64_decode(payload).map_err(|_| JwtRejection::Malformed("payload not base64url"))?;
    let signature =
        b64_decode(signature).map_err(|_| JwtRejection::Malformed("signature not base64url"))?;
    let header =
        parse_object(&header).map_err(|_| JwtRejection::Malformed("header not a JSON object"))?;
    Ok(Compact {
        signing_input,
        header,
        payload,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(b64_decode("YWJj").ok(), Some(b"abc".to_vec()));
        assert_eq!(b64_decode("YWI").ok(), Some(b"ab".to_vec()));
        assert_eq!(b64_decode("_-8").ok(), Some(vec![0xff, 0xef]));
        assert!(b64_decode("YWI=").is_err(), "padding");
        assert!(b64_decode("YWJ").is_err(), "non-zero trailing bits");
        assert!(b64_decode("+/8").is_err(), "standard alphabet");
        assert!(b64_decode("YWJjZ").is_err(), "4n+1 characters");
        assert!(b64_decode(" YWJj").is_err(), "whitespace");
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(parse_object(br#"{"a":1,"b":2}"#).is_ok());
        assert!(parse_object(br#"{"a":1,"a":1}"#).is_err());
        assert!(
            parse_object(br#"{"a":{"b":1,"b":2}}"#).is_ok(),
            "top level only"
        );
        assert!(parse_object(br#"[1]"#).is_err());
        assert!(parse_object(br#"{"a":1} x"#).is_err());
    }

    #[test]
    fn compact_structure() {
        let Err(e) = split_compact("a.b") else {
            unreachable!()
        };
        assert_eq!(e, JwtRejection::Malformed("not three dot-separated parts"));
        assert!(split_compact("e30.e30.").is_ok());
        assert!(split_compact("e30..AA").is_err());
        assert!(split_compact("e30.e30.AA").is_ok());
        assert!(split_compact("e30.e30.AA.").is_err());
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert!(matches!(split_compact(&long), Err(JwtRejection::TooLarge)));
        // MAX_TOKEN_LEN itself is allowed: such a token goes on to the structure checks.
        let longest = "a".repeat(MAX_TOKEN_LEN);
        assert_eq!(
            split_compact(&longest).err(),
            Some(JwtRejection::Malformed("not three dot-separated parts"))
        );
        let longest = format!("e30.{}.", "A".repeat(MAX_TOKEN_LEN - 5));
        assert_eq!(longest.len(), MAX_TOKEN_LEN);
        assert!(split_compact(&longest).is_ok());
    }
}
