//! How PASSKEY's challenge (the WebAuthn request options) and response (the
//! assertion) travel as bytes. The draft leaves this open; two codecs share one
//! verification core:
//!
//! - [`Codec::Json`] (the default): WebAuthn Level 3's
//!   `PublicKeyCredentialRequestOptionsJSON` and `AuthenticationResponseJSON`, binary
//!   members in base64url without padding: what platform passkey APIs (`toJSON()`,
//!   Android Credential Manager, Apple AuthenticationServices) produce and take;
//! - [`Codec::Cbor`]: the Dovecot proof of concept's CBOR maps with text keys
//!   (`rpId`, `challenge`, `timeout`, `allowCredentials`, `userVerification`; and
//!   `credentialId`, `clientDataJSON`, `authenticatorData`, `signature`,
//!   `userHandle`), binary members as byte strings.
//!
//! A client answers in the codec the challenge came in (a JSON object starts with
//! `{`, a CBOR map with a byte in `0xa0..=0xbf`).

mod cbor;
mod json;

use crate::webauthn::AllowList;
use sasl_core::{PasskeyAssertion, UserVerification};

/// Longest PASSKEY message either side accepts, in bytes: an assertion is a few
/// hundred bytes (RSA signatures and long clientDataJSON reach 2 KiB).
pub const MAX_MESSAGE_LEN: usize = 16 * 1024;

/// Most credential ids in `allowCredentials` accepted by the client.
pub const MAX_ALLOW_CREDENTIALS: usize = 64;

/// Longest credential id (WebAuthn: at most 1023 bytes).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// The encoding of PASSKEY messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Codec {
    /// WebAuthn JSON (base64url members). The default.
    #[default]
    Json,
    /// CBOR maps with text keys, as the Dovecot proof of concept.
    Cbor,
}

impl Codec {
    /// The codec a message is in, from its first byte.
    pub fn detect(message: &[u8]) -> Option<Codec> {
        match message.first()? {
            b'{' => Some(Codec::Json),
            0xa0..=0xbf => Some(Codec::Cbor),
            _ => None,
        }
    }
}

/// The assertion request options the server sends as its challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    /// The relying party id (the mail provider's domain).
    pub rp_id: String,
    /// The challenge the authenticator signs.
    pub challenge: Vec<u8>,
    /// How long the server waits, in milliseconds.
    pub timeout_ms: Option<u32>,
    /// The credentials the server accepts (empty: any discoverable one).
    pub allow_credentials: Vec<Vec<u8>>,
    /// Whether user verification is required, preferred or discouraged.
    pub user_verification: UserVerification,
}

/// Why a PASSKEY message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecError(pub(crate) &'static str);

impl CodecError {
    /// A short description for logs.
    pub fn detail(&self) -> &'static str {
        self.0
    }
}

impl core::fmt::Display for CodecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CodecError {}

pub(crate) fn uv_name(uv: UserVerification) -> &'static str {
    match uv {
        UserVerification::Required => "required",
        UserVerification::Preferred => "preferred",
        UserVerification::Discouraged => "discouraged",
    }
}

/// WebAuthn: an unknown value is treated as the default, `preferred`.
pub(crate) fn uv_from_name(name: &str) -> UserVerification {
    match name {
        "required" => UserVerification::Required,
        "discouraged" => UserVerification::Discouraged,
        _ => UserVerification::Preferred,
    }
}

/// [`RequestOptions`] borrowed from where its parts live: the server encodes its
/// challenge from its configuration and state without copying them first.
#[derive(Clone, Copy)]
pub(crate) struct OptionsRef<'a> {
    pub(crate) rp_id: &'a str,
    pub(crate) challenge: &'a [u8],
    pub(crate) timeout_ms: Option<u32>,
    pub(crate) allow_credentials: AllowList<'a>,
    pub(crate) user_verification: UserVerification,
}

impl OptionsRef<'_> {
    /// Encodes the options as the server's challenge.
    pub(crate) fn encode(self, codec: Codec) -> Vec<u8> {
        match codec {
            Codec::Json => json::encode_options(self),
            Codec::Cbor => cbor::encode_options(self),
        }
    }
}

impl RequestOptions {
    /// Encodes the options as the server's challenge.
    pub fn encode(&self, codec: Codec) -> Vec<u8> {
        OptionsRef {
            rp_id: &self.rp_id,
            challenge: &self.challenge,
            timeout_ms: self.timeout_ms,
            allow_credentials: AllowList::Ids(&self.allow_credentials),
            user_verification: self.user_verification,
        }
        .encode(codec)
    }

    /// Decodes a server's challenge (client side), in whichever codec it is.
    pub fn decode(message: &[u8]) -> Result<(Codec, Self), CodecError> {
        if message.len() > MAX_MESSAGE_LEN {
            return Err(CodecError("challenge too long"));
        }
        let codec = Codec::detect(message).ok_or(CodecError(
            "challenge is neither a JSON object nor a CBOR map",
        ))?;
        let options = match codec {
            Codec::Json => json::decode_options(message)?,
            Codec::Cbor => cbor::decode_options(message)?,
        };
        if options.challenge.len() < 16 {
            return Err(CodecError("challenge shorter than 16 bytes"));
        }
        if options.allow_credentials.len() > MAX_ALLOW_CREDENTIALS {
            return Err(CodecError("too many allowed credentials"));
        }
        Ok((codec, options))
    }
}

/// Encodes an assertion as the client's response.
pub fn encode_assertion(codec: Codec, assertion: &PasskeyAssertion) -> Vec<u8> {
    match codec {
        Codec::Json => json::encode_assertion(assertion),
        Codec::Cbor => cbor::encode_assertion(assertion),
    }
}

/// Decodes a client's response (server side) in the codec the server uses.
pub fn decode_assertion(codec: Codec, message: &[u8]) -> Result<PasskeyAssertion, CodecError> {
    if message.len() > MAX_MESSAGE_LEN {
        return Err(CodecError("response too long"));
    }
    if Codec::detect(message) != Some(codec) {
        return Err(CodecError("response is not in the server's codec"));
    }
    let assertion = match codec {
        Codec::Json => json::decode_assertion(message)?,
        Codec::Cbor => cbor::decode_assertion(message)?,
    };
    if assertion.credential_id.is_empty() || assertion.credential_id.len() > MAX_CREDENTIAL_ID_LEN {
        return Err(CodecError("credential id empty or longer than 1023 bytes"));
    }
    Ok(assertion)
}
