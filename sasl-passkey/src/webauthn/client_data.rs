//! Collected client data (`clientDataJSON`, W3C WebAuthn §5.8.1).

use core::fmt;
use std::borrow::Cow;

use crate::json_reader::{Reader, once};

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

/// Parsed `clientDataJSON`, borrowing its strings from the bytes it was read from
/// where they have no escapes.
///
/// A real JSON parse (not the specification's "limited verification" prefix
/// template): a UTF-8 byte-order mark is stripped, the text must be one JSON object
/// of at most [`MAX_CLIENT_DATA_LEN`] bytes, `type`, `challenge` (base64url without
/// padding) and `origin` must be strings, `crossOrigin` a boolean and `topOrigin` a
/// string if present (`null` counts as absent). Unknown members are ignored,
/// repeated or not (the specification adds members over time); a member this crate
/// reads appearing twice is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientData<'a> {
    ty: Cow<'a, str>,
    challenge: Vec<u8>,
    origin: Cow<'a, str>,
    cross_origin: Option<bool>,
    top_origin: Option<Cow<'a, str>>,
}

impl<'a> ClientData<'a> {
    /// Parses `clientDataJSON`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ClientDataError> {
        if bytes.len() > MAX_CLIENT_DATA_LEN {
            return Err(ClientDataError("larger than 8 KiB"));
        }
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let reader = Reader::new(bytes).map_err(|_| ClientDataError("not UTF-8"))?;
        // Each slot is `Some` once its member was seen (its value may be `null`).
        let (mut ty, mut challenge, mut origin) = (None, None, None);
        let (mut cross_origin, mut top_origin) = (None, None);
        reader
            .document(|name, r| match name {
                "type" => once(&mut ty, r.string_or_null()?),
                "challenge" => once(&mut challenge, r.base64url_or_null()?),
                "origin" => once(&mut origin, r.string_or_null()?),
                "crossOrigin" => once(&mut cross_origin, r.bool_or_null()?),
                "topOrigin" => once(&mut top_origin, r.string_or_null()?),
                _ => r.skip(),
            })
            .map_err(|_| {
                ClientDataError("not one JSON object with string type/challenge/origin, boolean crossOrigin, each once")
            })?;
        let challenge = challenge
            .flatten()
            .ok_or(ClientDataError("challenge missing"))?
            .ok_or(ClientDataError("challenge not unpadded base64url"))?;
        Ok(ClientData {
            ty: ty.flatten().ok_or(ClientDataError("type missing"))?,
            challenge,
            origin: origin.flatten().ok_or(ClientDataError("origin missing"))?,
            cross_origin: cross_origin.flatten(),
            top_origin: top_origin.flatten(),
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
