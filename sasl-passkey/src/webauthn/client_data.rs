//! Collected client data (`clientDataJSON`, W3C WebAuthn §5.8.1).

use core::fmt;
use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserializer, MapAccess, Visitor};

/// Largest `clientDataJSON` accepted, in bytes.
pub const MAX_CLIENT_DATA_LEN: usize = 8 * 1024;

/// `type` of a registration's client data.
pub const TYPE_CREATE: &str = "webauthn.create";
/// `type` of an assertion's client data.
pub const TYPE_GET: &str = "webauthn.get";

/// Why bytes are not acceptable `clientDataJSON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientDataError(&'static str);

impl ClientDataError {
    /// A short static description.
    pub fn detail(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ClientDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed clientDataJSON: {}", self.0)
    }
}

impl std::error::Error for ClientDataError {}

/// Parsed `clientDataJSON`.
///
/// A real JSON parse (not the specification's "limited verification" prefix
/// template): a UTF-8 byte-order mark is stripped, the text must be one JSON object
/// of at most [`MAX_CLIENT_DATA_LEN`] bytes, `type`, `challenge` (base64url without
/// padding) and `origin` must be strings, `crossOrigin` a boolean and `topOrigin` a
/// string if present. Unknown members are ignored (the specification adds members
/// over time); a member appearing twice is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientData {
    ty: String,
    challenge: Vec<u8>,
    origin: String,
    cross_origin: Option<bool>,
    top_origin: Option<String>,
}

impl ClientData {
    /// Parses `clientDataJSON`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ClientDataError> {
        if bytes.len() > MAX_CLIENT_DATA_LEN {
            return Err(ClientDataError("larger than 8 KiB"));
        }
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let text = core::str::from_utf8(bytes).map_err(|_| ClientDataError("not UTF-8"))?;
        let mut de = serde_json::Deserializer::from_str(text);
        let members = Deserializer::deserialize_map(&mut de, MembersVisitor)
            .map_err(|_| ClientDataError("not a JSON object"))?;
        de.end()
            .map_err(|_| ClientDataError("data after the JSON object"))?;
        let members = members?;

        let mut ty = None;
        let mut challenge = None;
        let mut origin = None;
        let mut cross_origin = None;
        let mut top_origin = None;
        for (name, value) in members {
            match name.as_str() {
                "type" => {
                    ty = Some(string(value).ok_or(ClientDataError("type not a string"))?);
                }
                "challenge" => {
                    let s = string(value).ok_or(ClientDataError("challenge not a string"))?;
                    let bytes = URL_SAFE_NO_PAD
                        .decode(s.as_bytes())
                        .map_err(|_| ClientDataError("challenge not unpadded base64url"))?;
                    challenge = Some(bytes);
                }
                "origin" => {
                    origin = Some(string(value).ok_or(ClientDataError("origin not a string"))?);
                }
                "crossOrigin" => match value {
                    serde_json::Value::Bool(b) => cross_origin = Some(b),
                    _ => return Err(ClientDataError("crossOrigin not a boolean")),
                },
                "topOrigin" => {
                    top_origin =
                        Some(string(value).ok_or(ClientDataError("topOrigin not a string"))?);
                }
                _ => {}
            }
        }
        Ok(ClientData {
            ty: ty.ok_or(ClientDataError("type missing"))?,
            challenge: challenge.ok_or(ClientDataError("challenge missing"))?,
            origin: origin.ok_or(ClientDataError("origin missing"))?,
            cross_origin,
            top_origin,
        })
    }

    /// `type`: `webauthn.get` for an assertion, `webauthn.create` for a registration.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// `challenge`, decoded from base64url.
    pub fn challenge(&self) -> &[u8] {
        &self.challenge
    }

    /// `origin`: the web origin (`https://...`) or the platform's app origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `crossOrigin`, if present.
    pub fn cross_origin(&self) -> Option<bool> {
        self.cross_origin
    }

    /// `topOrigin`, if present.
    pub fn top_origin(&self) -> Option<&str> {
        self.top_origin.as_deref()
    }
}

fn string(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

type Members = Result<Vec<(String, serde_json::Value)>, ClientDataError>;

/// Collects the object's members in order, noting a duplicate instead of letting the
/// last one win.
struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        let mut seen = BTreeSet::new();
        let mut duplicate = false;
        while let Some(name) = map.next_key::<String>()? {
            let value: serde_json::Value = map.next_value()?;
            if !seen.insert(name.clone()) {
                duplicate = true;
            }
            members.push((name, value));
        }
        if duplicate {
            return Ok(Err(ClientDataError("a member appears twice")));
        }
        Ok(Ok(members))
    }
}
