//! PASSKEY (draft-bucksch-sasl-passkey, experimental) on WebAuthn for the `sasl` crate
//! family.
#![forbid(unsafe_code)]

pub mod authenticator;
pub use authenticator::{Authenticator, AuthenticatorError, SoftwareAuthenticator};
mod cbor;
pub mod webauthn;
