//! OAUTHBEARER (RFC 7628) and XOAUTH2 for the `sasl` crate family.
//!
//! **Not implemented yet.** This crate is a placeholder in the workspace so that the
//! layout is fixed; it exports nothing. The mechanisms, client and server, with optional
//! JWT/JWKS validation, arrive with a later issue. See the workspace README's mechanism
//! table for what works today.
#![forbid(unsafe_code)]
