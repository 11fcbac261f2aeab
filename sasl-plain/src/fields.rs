//! Field checks and preparation shared by PLAIN and LOGIN.

use sasl_core::prep::{PrecisProfile, SaslprepMode, saslprep};
use std::borrow::Cow;

/// How identities and passwords are prepared before they reach the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Preparation {
    /// SASLprep (RFC 4013) in query mode for all fields; the RFC 4616 recommendation.
    #[default]
    SaslPrep,
    /// PRECIS (RFC 8265): UsernameCaseMapped for authcid and authzid, OpaqueString for
    /// the password.
    Precis,
    /// No preparation: the UTF-8 strings as received.
    None,
}

/// Upper bounds on field sizes, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldLimits {
    /// Longest authcid or authzid. Default 255 (RFC 4616's minimum to accept).
    pub max_identity_len: usize,
    /// Longest password. Default 1024: longer than RFC 4616's 255 minimum, because
    /// generated passphrases can exceed it.
    pub max_password_len: usize,
}

impl FieldLimits {
    /// Bounds with the given maxima.
    pub fn new(max_identity_len: usize, max_password_len: usize) -> Self {
        Self {
            max_identity_len,
            max_password_len,
        }
    }
}

impl Default for FieldLimits {
    fn default() -> Self {
        Self {
            max_identity_len: 255,
            max_password_len: 1024,
        }
    }
}

/// Why a field was refused (local detail only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldError {
    NotUtf8,
    TooLong,
    Empty,
    Forbidden,
    Preparation,
}

impl FieldError {
    pub(crate) fn detail(self, field: &'static str) -> String {
        let what = match self {
            FieldError::NotUtf8 => "is not valid UTF-8",
            FieldError::TooLong => "is too long",
            FieldError::Empty => "is empty",
            FieldError::Forbidden => "contains a forbidden character",
            FieldError::Preparation => "failed string preparation",
        };
        format!("{field} {what}")
    }
}

#[derive(Clone, Copy)]
pub(crate) enum FieldKind {
    Identity,
    Password,
}

/// Checks raw bytes (UTF-8, length, no NUL/CR/LF where `forbid_line_breaks`) and
/// prepares them.
pub(crate) fn prepare_field(
    raw: &[u8],
    kind: FieldKind,
    prep: Preparation,
    limits: &FieldLimits,
    forbid_line_breaks: bool,
) -> Result<String, FieldError> {
    let max = match kind {
        FieldKind::Identity => limits.max_identity_len,
        FieldKind::Password => limits.max_password_len,
    };
    if raw.len() > max {
        return Err(FieldError::TooLong);
    }
    if raw.is_empty() {
        return Err(FieldError::Empty);
    }
    if raw.contains(&0) || (forbid_line_breaks && raw.iter().any(|&b| b == b'\r' || b == b'\n')) {
        return Err(FieldError::Forbidden);
    }
    let text = std::str::from_utf8(raw).map_err(|_| FieldError::NotUtf8)?;
    let prepared: Cow<'_, str> = match (prep, kind) {
        (Preparation::SaslPrep, _) => {
            saslprep(text, SaslprepMode::Query).map_err(|_| FieldError::Preparation)?
        }
        (Preparation::Precis, FieldKind::Identity) => PrecisProfile::UsernameCaseMapped
            .enforce(text)
            .map_err(|_| FieldError::Preparation)?,
        (Preparation::Precis, FieldKind::Password) => PrecisProfile::OpaqueString
            .enforce(text)
            .map_err(|_| FieldError::Preparation)?,
        (Preparation::None, _) => Cow::Borrowed(text),
    };
    if prepared.is_empty() {
        return Err(FieldError::Empty);
    }
    Ok(prepared.into_owned())
}
