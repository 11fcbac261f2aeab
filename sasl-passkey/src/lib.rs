//! PASSKEY (draft-bucksch-sasl-passkey) on WebAuthn assertions for the `sasl` crate family.
//!
//! **Not implemented yet.** This crate is a placeholder in the workspace so that the
//! layout is fixed; it exports nothing. The mechanism, client and server, arrives with a
//! later issue. See the workspace README's mechanism table for what works today.
#![forbid(unsafe_code)]
