//! OAUTHBEARER (RFC 7628) and XOAUTH2 for the `sasl` crate family.
#![forbid(unsafe_code)]

#[cfg(feature = "discovery")]
pub mod discovery;
#[cfg(feature = "jwt")]
mod jwt;
