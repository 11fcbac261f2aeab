//! EXTERNAL (RFC 4422 Appendix A) for the `sasl` crate family.
//!
//! **Not implemented yet.** This crate is a placeholder in the workspace so that the
//! layout is fixed; it exports nothing. The mechanism, client and server, with TLS client
//! certificate identity helpers, arrives with a later issue. See the workspace README's
//! mechanism table for what works today.
#![forbid(unsafe_code)]
