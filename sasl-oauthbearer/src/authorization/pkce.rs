//! Proof Key for Code Exchange (RFC 7636) with `S256`, and `state` values.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::AuthorizationError;
use crate::discovery::is_unreserved;

/// A PKCE code verifier (RFC 7636 §4.1): kept secret until the token request, where
/// it proves that whoever redeems the authorization code is whoever asked for it.
///
/// Made from 32 fresh random bytes ([`PkceVerifier::from_random`], the RFC's
/// recommendation) or parsed from a stored string. Zeroized on drop; `Debug` does not
/// show it.
#[derive(Clone)]
pub struct PkceVerifier {
    verifier: Zeroizing<String>,
}

impl PkceVerifier {
    /// The only challenge method this crate sends (`code_challenge_method=S256`):
    /// `plain` gives no protection when the authorization request leaks.
    pub const METHOD: &'static str = "S256";

    /// A verifier from 32 random bytes (from the operating system's generator, such as
    /// `getrandom`), base64url-encoded without padding: 43 characters, 256 bits.
    pub fn from_random(bytes: [u8; 32]) -> Self {
        let mut bytes = bytes;
        let verifier = Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes));
        bytes.zeroize();
        Self { verifier }
    }

    /// A verifier from its text (RFC 7636 §4.1): 43 to 128 characters of ALPHA, DIGIT,
    /// `-`, `.`, `_` and `~`; anything else is [`AuthorizationError::InvalidVerifier`].
    pub fn parse(verifier: &str) -> Result<Self, AuthorizationError> {
        if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
            return Err(AuthorizationError::InvalidVerifier);
        }
        Ok(Self {
            verifier: Zeroizing::new(verifier.to_owned()),
        })
    }

    /// The verifier, for the token request's `code_verifier` (which
    /// [`code_grant`](super::code_grant) sends).
    pub fn as_str(&self) -> &str {
        &self.verifier
    }

    /// The `code_challenge` for the authorization request:
    /// `BASE64URL(SHA256(ASCII(verifier)))` without padding (RFC 7636 §4.2), 43
    /// characters.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PkceVerifier")
            .field("verifier", &"<redacted>")
            .finish()
    }
}

/// A `state` value from 16 random bytes (base64url, 22 chars).
///
/// `state` ties the authorization response to this request (RFC 6749 §10.12): keep
/// it until the redirect arrives and check it with [`parse_redirect`](super::parse_redirect).
pub fn state_from_random(bytes: [u8; 16]) -> String {
    let mut bytes = bytes;
    let state = URL_SAFE_NO_PAD.encode(bytes);
    bytes.zeroize();
    state
}
