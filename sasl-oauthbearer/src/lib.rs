//! OAUTHBEARER (RFC 7628) and XOAUTH2 for the `sasl` crate family.
#![forbid(unsafe_code)]

#[cfg(feature = "discovery")]
pub mod discovery;
#[cfg(feature = "jwt")]
mod jwt;
#[cfg(feature = "jwt")]
pub use jwt::{
    Backend, DEFAULT_LEEWAY_SECS, JwsAlgorithm, JwtConfig, JwtConfigError, JwtRejection,
    JwtValidator, KeySet, MAX_IDENTITY_LEN, MAX_JWKS_LEN, MAX_KEYS, MAX_TOKEN_LEN, ValidatedToken,
};
