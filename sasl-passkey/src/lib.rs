//! PASSKEY (draft-bucksch-sasl-passkey, experimental) on WebAuthn for the `sasl` crate
//! family.
#![forbid(unsafe_code)]

mod authenticator;
mod cbor;
pub mod webauthn;
