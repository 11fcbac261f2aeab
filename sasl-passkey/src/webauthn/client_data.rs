//! Collected client data (`clientDataJSON`, W3C WebAuthn §5.8.1).

use core::fmt;
use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

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
/// string if present. Unknown members are ignored, repeated or not (the
/// specification adds members over time); a member this crate reads appearing twice
/// is refused.
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
        // Members are borrowed from the text unless they hold escapes; serde's derive
        // refuses a known member given twice and a member of the wrong type, and
        // `json_object` an array in place of the object.
        let raw: Raw<'_> = crate::json_object::from_slice(text.as_bytes()).map_err(|_| {
            ClientDataError("not one JSON object with string type/challenge/origin, boolean crossOrigin, each once")
        })?;
        let challenge = raw.challenge.ok_or(ClientDataError("challenge missing"))?;
        let challenge = URL_SAFE_NO_PAD
            .decode(challenge.as_bytes())
            .map_err(|_| ClientDataError("challenge not unpadded base64url"))?;
        Ok(ClientData {
            ty: raw.ty.ok_or(ClientDataError("type missing"))?.into_owned(),
            challenge,
            origin: raw
                .origin
                .ok_or(ClientDataError("origin missing"))?
                .into_owned(),
            cross_origin: raw.cross_origin,
            top_origin: raw.top_origin.map(Cow::into_owned),
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

/// The members this crate reads; unknown ones are ignored.
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    challenge: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    origin: Option<Cow<'a, str>>,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: Option<bool>,
    #[serde(rename = "topOrigin", borrow, default)]
    top_origin: Option<Cow<'a, str>>,
}
