//! The client side's authenticator: the [`Authenticator`] trait an application bridges
//! to its platform's passkey API, and [`SoftwareAuthenticator`], a passkey held in
//! software (for tests, and for places without a platform authenticator).
//!
//! # Where the authenticator sits
//!
//! The PASSKEY client mechanism does not sign anything itself. When the server's
//! request options arrive it hands the application a
//! [`ClientRequest::PasskeyAssertion`](sasl_core::ClientRequest::PasskeyAssertion)
//! carrying an [`AssertionRequest`]; the application asks an authenticator (Android
//! Credential Manager, Apple AuthenticationServices, Windows Hello, a browser's
//! `navigator.credentials.get()`, or a [`SoftwareAuthenticator`]) to sign, and answers
//! with [`AssertionRequest::provide`].
//!
//! A platform authenticator may take seconds (it shows UI, waits for a fingerprint).
//! [`Authenticator`] is the *synchronous* shape of that call, convenient for tests,
//! command-line tools and the software authenticator. An async application does not
//! need the trait at all: it converts the request with [`AssertionOptions::from`],
//! `.await`s its platform API with those options, builds a [`PasskeyAssertion`] from
//! the result and calls `provide`. The session is sans-IO and simply waits.
//!
//! ```
//! use sasl_passkey::authenticator::{Authenticator, AssertionOptions, SoftwareAuthenticator};
//! # fn answer(request: sasl_core::AssertionRequest, authenticator: &mut SoftwareAuthenticator)
//! #     -> Result<sasl_core::ClientAnswer, sasl_passkey::authenticator::AuthenticatorError> {
//! let options = AssertionOptions::from(&request);
//! let assertion = authenticator.get_assertion(&options)?;
//! Ok(request.provide(assertion))
//! # }
//! ```

use sasl_core::{AssertionRequest, PasskeyAssertion, UserVerification};
use std::fmt;

mod key_file;
mod software;

pub use crate::webauthn::CoseAlgorithm;
pub use software::{
    Attestation, CredentialInfo, RegistrationOptions, RegistrationResponse, SoftwareAuthenticator,
};

/// What an application bridges to a platform passkey API: sign a WebAuthn assertion
/// for the request options.
///
/// This is the synchronous shape; see the [module documentation](self) for async
/// applications, which call their platform API themselves and `provide` the result.
pub trait Authenticator: Send {
    /// Has the authenticator pick a credential for `request.rp_id` (one of
    /// `request.allow_credentials` if that is non-empty, else a discoverable one),
    /// build the `clientDataJSON` for the challenge and sign
    /// `authenticatorData || SHA-256(clientDataJSON)`.
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError`] when no credential fits, the user verification asked for
    /// is not available, the user cancelled, or signing failed.
    fn get_assertion(
        &mut self,
        request: &AssertionOptions,
    ) -> Result<PasskeyAssertion, AuthenticatorError>;
}

/// The request options for one assertion (WebAuthn
/// `PublicKeyCredentialRequestOptions`), as a plain owned value an application can
/// move to another thread or task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionOptions {
    /// The relying party id (the mail provider's domain).
    pub rp_id: String,
    /// The server's challenge, raw bytes.
    pub challenge: Vec<u8>,
    /// The credential ids the server accepts; empty for the discoverable flow.
    pub allow_credentials: Vec<Vec<u8>>,
    /// The user verification the server asks for.
    pub user_verification: UserVerification,
    /// How long the server waits, in milliseconds, if it said (a hint).
    pub timeout_ms: Option<u32>,
}

impl AssertionOptions {
    /// Options for `rp_id` and `challenge`: discoverable flow, user verification
    /// preferred, no timeout.
    pub fn new(rp_id: impl Into<String>, challenge: impl Into<Vec<u8>>) -> Self {
        Self {
            rp_id: rp_id.into(),
            challenge: challenge.into(),
            allow_credentials: Vec::new(),
            user_verification: UserVerification::Preferred,
            timeout_ms: None,
        }
    }

    /// Restricts the request to these credential ids (`allowCredentials`).
    pub fn with_allow_credentials(mut self, ids: Vec<Vec<u8>>) -> Self {
        self.allow_credentials = ids;
        self
    }

    /// Sets the user verification requirement.
    pub fn with_user_verification(mut self, user_verification: UserVerification) -> Self {
        self.user_verification = user_verification;
        self
    }

    /// Sets the timeout hint, in milliseconds.
    pub fn with_timeout_ms(mut self, timeout_ms: Option<u32>) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }
}

impl From<&AssertionRequest> for AssertionOptions {
    fn from(request: &AssertionRequest) -> Self {
        Self {
            rp_id: request.rp_id().to_owned(),
            challenge: request.challenge().to_vec(),
            allow_credentials: request.allow_credentials().to_vec(),
            user_verification: request.user_verification(),
            timeout_ms: request.timeout_ms(),
        }
    }
}

/// Why an authenticator did not produce a credential or an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthenticatorError {
    /// No credential fits the request (none for the RP id, or none of
    /// `allowCredentials`).
    NoCredential,
    /// The request requires user verification and the authenticator cannot verify
    /// the user.
    UserVerificationUnavailable,
    /// None of the requested algorithms is supported.
    UnsupportedAlgorithm,
    /// The request itself is unusable (the text says what: an empty RP id, a user
    /// handle over 64 bytes, ...).
    InvalidRequest(&'static str),
    /// The user cancelled or refused (platform bridges: `NotAllowedError`).
    Cancelled,
    /// The platform authenticator did not answer in time.
    TimedOut,
    /// A platform authenticator failed; the text is the platform's description.
    Platform(String),
    /// Key generation or signing failed.
    Crypto,
    /// A key file is malformed or not supported (the text says what).
    KeyFile(&'static str),
}

impl fmt::Display for AuthenticatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthenticatorError::NoCredential => f.write_str("no credential fits the request"),
            AuthenticatorError::UserVerificationUnavailable => {
                f.write_str("user verification is required but not available")
            }
            AuthenticatorError::UnsupportedAlgorithm => {
                f.write_str("none of the requested algorithms is supported")
            }
            AuthenticatorError::InvalidRequest(what) => write!(f, "invalid request: {what}"),
            AuthenticatorError::Cancelled => f.write_str("the user cancelled"),
            AuthenticatorError::TimedOut => f.write_str("the authenticator timed out"),
            AuthenticatorError::Platform(what) => write!(f, "platform authenticator: {what}"),
            AuthenticatorError::Crypto => f.write_str("key generation or signing failed"),
            AuthenticatorError::KeyFile(what) => write!(f, "key file: {what}"),
        }
    }
}

impl std::error::Error for AuthenticatorError {}

/// `authenticatorData` flag bits.
pub(crate) mod flags {
    /// User present.
    pub(crate) const UP: u8 = 0x01;
    /// User verified.
    pub(crate) const UV: u8 = 0x04;
    /// Backup eligible.
    pub(crate) const BE: u8 = 0x08;
    /// Backup state.
    pub(crate) const BS: u8 = 0x10;
    /// Attested credential data included.
    pub(crate) const AT: u8 = 0x40;
}

/// Appends `value` as a JSON string (quotes included), escaped the way WebAuthn's
/// `CCDToString` (and `JSON.stringify`) does.
pub(crate) fn push_json_string(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in value.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(out, "\\u{:04x}", u32::from(c))?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_escaping() {
        let mut s = String::new();
        push_json_string(&mut s, "a\"b\\c\n\u{1}é").unwrap();
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é\"");
        let parsed: String = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed, "a\"b\\c\n\u{1}é");
    }

    #[test]
    fn options_from_request() {
        let request = AssertionRequest::new(
            sasl_core::MechanismName::new("PASSKEY").unwrap(),
            "example.org",
            vec![7; 32],
            vec![vec![1, 2]],
            UserVerification::Required,
            Some(60_000),
        );
        let options = AssertionOptions::from(&request);
        assert_eq!(
            options,
            AssertionOptions::new("example.org", vec![7; 32])
                .with_allow_credentials(vec![vec![1, 2]])
                .with_user_verification(UserVerification::Required)
                .with_timeout_ms(Some(60_000))
        );
    }
}
