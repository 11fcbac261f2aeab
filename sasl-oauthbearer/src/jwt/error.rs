//! Why a token was rejected, and why a validator could not be built.

use std::fmt;

use sasl_core::FailureKind;

/// Why [`JwtValidator::validate`](super::JwtValidator::validate) rejected a token.
///
/// Neither [`Display`](fmt::Display) nor [`Debug`] ever contains bytes of the token or
/// values of its claims: only the reason and, for [`MissingClaim`](Self::MissingClaim),
/// the name of a claim the validator's configuration asked for. Log
/// [`detail`](Self::detail); answer the client from [`failure_kind`](Self::failure_kind).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtRejection {
    /// The token is not a well-formed compact JWS with a JSON header and a JSON object
    /// as its claims (bad base64, wrong number of parts, duplicate members, a `crit`
    /// header, a numeric date that is not a number, ...). The text says which rule.
    Malformed(&'static str),
    /// The token is longer than [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN).
    TooLarge,
    /// The header's `alg` is not in the validator's allowlist (this includes `none`
    /// and names the validator does not know).
    AlgorithmNotAllowed,
    /// No key in the key set matches the token's `kid`, or the token has no `kid` and
    /// the set does not hold exactly one key usable for its algorithm.
    UnknownKey,
    /// The key the `kid` names cannot be used with the token's algorithm: another key
    /// type or curve, a JWK `alg` naming another algorithm, a `use` other than `sig`,
    /// `key_ops` without `verify`, or an HMAC key too short for the hash.
    KeyTypeMismatch,
    /// The signature does not verify with the selected key.
    BadSignature,
    /// `exp` has passed (allowing for the leeway).
    Expired,
    /// `nbf` is still in the future (allowing for the leeway).
    NotYetValid,
    /// `iat` is in the future (allowing for the leeway).
    IssuedInFuture,
    /// `iat` is older than the configured maximum age.
    TooOld,
    /// `iss` is not a string equal to the configured issuer.
    WrongIssuer,
    /// `aud` does not contain any of the configured audiences.
    WrongAudience,
    /// A claim the configuration requires (`exp`, `iss`, `aud`, `iat` with a maximum
    /// age, or one of the required claims) is absent or `null`. Holds the claim's name.
    MissingClaim(String),
    /// The identity claim is absent, not a string, empty, too long or contains control
    /// characters.
    MissingIdentity,
}

impl JwtRejection {
    /// The failure to report through the SASL session: [`FailureKind::Expired`] for an
    /// expired token (the client should refresh it), otherwise
    /// [`FailureKind::InvalidCredentials`].
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            Self::Expired => FailureKind::Expired,
            _ => FailureKind::InvalidCredentials,
        }
    }

    /// A short line for logs, without any token content ("token expired", "bad
    /// signature", ...).
    pub fn detail(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed token",
            Self::TooLarge => "token too large",
            Self::AlgorithmNotAllowed => "algorithm not allowed",
            Self::UnknownKey => "unknown signing key",
            Self::KeyTypeMismatch => "key does not fit the algorithm",
            Self::BadSignature => "bad signature",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::IssuedInFuture => "token issued in the future",
            Self::TooOld => "token too old",
            Self::WrongIssuer => "wrong issuer",
            Self::WrongAudience => "wrong audience",
            Self::MissingClaim(_) => "required claim missing",
            Self::MissingIdentity => "identity claim missing or invalid",
        }
    }
}

impl fmt::Display for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed token: {why}"),
            Self::MissingClaim(name) => write!(f, "required claim missing: {name}"),
            other => f.write_str(other.detail()),
        }
    }
}

impl std::error::Error for JwtRejection {}

/// Why a [`KeySet`](super::KeySet) or a [`JwtValidator`](super::JwtValidator) could not
/// be built: a problem of the application's configuration, never of a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// The algorithm allowlist is empty.
    NoAlgorithms,
    /// The issuer is empty.
    EmptyIssuer,
    /// No audience was configured (a token for any service would be accepted).
    NoAudience,
    /// The identity claim name is empty.
    EmptyIdentityClaim,
    /// The JWKS document is larger than [`MAX_JWKS_LEN`](super::MAX_JWKS_LEN) or holds
    /// more than [`MAX_KEYS`](super::MAX_KEYS) keys.
    JwksTooLarge,
    /// The JWKS document is not a JSON object with a `keys` array of objects.
    InvalidJwks(&'static str),
    /// A key of a supported type is malformed or unacceptable (bad base64, wrong
    /// length, RSA modulus outside 2048..=4096 bits, HMAC secret under 32 bytes, a point
    /// the selected backend rejects).
    InvalidKey {
        /// The key's position in the `keys` array.
        index: usize,
        /// What is wrong with it.
        detail: &'static str,
    },
    /// No key in the set could ever verify a token with the allowed algorithms.
    NoUsableKeys,
}

impl fmt::Display for JwtConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAlgorithms => f.write_str("JWT validator: empty algorithm allowlist"),
            Self::EmptyIssuer => f.write_str("JWT validator: empty issuer"),
            Self::NoAudience => f.write_str("JWT validator: no audience configured"),
            Self::EmptyIdentityClaim => f.write_str("JWT validator: empty identity claim name"),
            Self::JwksTooLarge => f.write_str("JWKS: too large or too many keys"),
            Self::InvalidJwks(why) => write!(f, "JWKS: {why}"),
            Self::InvalidKey { index, detail } => write!(f, "JWKS key #{index}: {detail}"),
            Self::NoUsableKeys => f.write_str("JWKS: no key usable with the allowed algorithms"),
        }
    }
}

impl std::error::Error for JwtConfigError {}
