//! WebAuthn for the server: parsing authenticator data, client data and COSE keys,
//! verifying assertions (W3C WebAuthn §7.2) and registrations (§7.1), and a stored
//! credential record.
//!
//! The PASSKEY mechanism calls [`verify_assertion`] with the [`RelyingParty`]
//! configuration, the challenge it sent, the credential ids it listed, the account
//! the application looked up and the client's [`PasskeyAssertion`](sasl_core::PasskeyAssertion).
//! Applications that register passkeys themselves use [`CreationOptions`],
//! [`verify_registration`] and [`CredentialRecord`].
//!
//! Signatures are verified with aws-lc-rs: ES256 (ECDSA P-256, ASN.1 DER
//! signatures), EdDSA (Ed25519) and RS256 (PKCS#1 v1.5, 2048- to 4096-bit keys).
//!
//! ```
//! use sasl_passkey::webauthn::{RelyingParty, verify_assertion};
//! use sasl_core::{PasskeyAccount, PasskeyAssertion, UserVerification};
//!
//! let rp = RelyingParty::new("example.com", ["https://example.com"])
//!     .with_user_verification(UserVerification::Required);
//! # let account = PasskeyAccount::new("alice", vec![1], vec![]);
//! # let assertion = PasskeyAssertion {
//! #     credential_id: vec![1], authenticator_data: vec![], client_data_json: vec![],
//! #     signature: vec![], user_handle: Some(vec![1]) };
//! # let challenge = [0u8; 32];
//! match verify_assertion(&rp, &challenge, &[], &account, &assertion) {
//!     Ok(verified) => { /* store verified.to_passkey_use() */ }
//!     Err(e) => eprintln!("refused: {e} ({:?})", e.failure_kind()),
//! }
//! ```

mod assertion;
mod auth_data;
mod client_data;
mod cose;
mod registration;
mod rp;

pub(crate) use assertion::{AllowList, verify_assertion_from};
pub use assertion::{AssertionError, VerifiedAssertion, verify_assertion};
pub use auth_data::{
    AttestedCredentialData, AuthenticatorData, AuthenticatorDataError, Flags,
    MAX_AUTHENTICATOR_DATA_LEN, MAX_CREDENTIAL_ID_LEN,
};
pub use client_data::{ClientData, ClientDataError, MAX_CLIENT_DATA_LEN, TYPE_CREATE, TYPE_GET};
pub use cose::{CoseAlgorithm, CoseKey, CoseKeyError, SignatureError};
pub use registration::{
    CreationOptions, CredentialRecord, MAX_ATTESTATION_OBJECT_LEN, MAX_USER_HANDLE_LEN,
    RECORD_PREFIX_V1, RecordError, RegistrationError, verify_registration,
};
pub use rp::{DEFAULT_TIMEOUT_MS, KEY_CACHE_SIZE, RelyingParty};
