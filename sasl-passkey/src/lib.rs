//! # sasl-passkey: PASSKEY on WebAuthn, client and server (experimental)
//!
//! PASSKEY (draft-bucksch-sasl-passkey-00) lets a mail client log in with the passkey
//! the user has at the provider: the server sends WebAuthn request options as its
//! challenge, the client has the platform authenticator sign them, and the server
//! verifies the assertion as a web site would (W3C WebAuthn §7.2). **Experimental**:
//! the draft is an expired individual draft and leaves the byte encoding open, so the
//! wire format here ([`codec`], [`message`]) may change when it settles.
//!
//! The crate has five parts:
//! - the mechanism, [`PasskeyServer`] and [`PasskeyClient`], for the `sasl-core`
//!   registries; the first message is empty (discoverable flow) or a user name,
//!   an authzid after a NUL ([`message`]);
//! - two codecs behind one verification core ([`Codec`]): WebAuthn JSON (the default,
//!   what platform passkey APIs produce) and the proof of concept's CBOR;
//! - [`webauthn`]: assertion verification with every check in its own error,
//!   registration (`none` and `packed` self attestation), and the stored
//!   credential record with a versioned text form;
//! - [`authenticator`]: the [`Authenticator`] trait an application bridges to the
//!   platform API, and a [`SoftwareAuthenticator`] (ES256, Ed25519) for tests and
//!   places without one;
//! - signatures with aws-lc-rs.
//!
//! ## Server
//!
//! ```
//! use sasl_core::{ConnectionInfo, PasskeyLookupKey, Request, ServerRegistry, ServerStep, UnixTime, UserVerification};
//! use sasl_passkey::webauthn::RelyingParty;
//! use sasl_passkey::{PasskeyServer, PasskeyServerConfig};
//!
//! // The origins the provider's apps and web site present.
//! let rp = RelyingParty::new("example.com", ["https://mail.example.com", "android:apk-key-hash:Tc4Uq2wgHn8b"])
//!     .with_user_verification(UserVerification::Required);
//! let config = PasskeyServerConfig::new(rp)?.with_failure_message("Passkey not accepted: see https://example.com/help");
//! let mechs = ServerRegistry::new().with(PasskeyServer::factory(config));
//! let Ok(mut session) = mechs.start("PASSKEY", &ConnectionInfo::tls()) else { return Ok(()) };
//! session.set_now(UnixTime::from_secs(1_767_225_600)); // challenges expire
//! // "alice" asks for her credentials to be listed.
//! let step = session.start(Some(b"alice"))?;
//! let ServerStep::Request(Request::PasskeyLookup(lookup)) = step else { return Ok(()) };
//! assert_eq!(lookup.key(), &PasskeyLookupKey::User("alice".into()));
//! // Answer with the stored account (its CredentialRecords' to_credential());
//! // here: no such user. The challenge still looks like a real one.
//! let ServerStep::Challenge(options) = session.provide(lookup.not_found())? else { return Ok(()) };
//! assert!(options.starts_with(b"{\"challenge\":"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Client
//!
//! ```
//! use sasl_core::{ClientCredentials, ClientRegistry, ClientRequest, ClientStep, ConnectionInfo};
//! use sasl_passkey::authenticator::AssertionOptions;
//! use sasl_passkey::{Authenticator, PasskeyClient, SoftwareAuthenticator};
//!
//! let mechs = ClientRegistry::new().with(PasskeyClient::factory());
//! // Empty user name: the discoverable flow, the authenticator picks the account.
//! let creds = ClientCredentials::new("").with_passkey();
//! let conn = ConnectionInfo::tls().with_server("imap.example.com", 993);
//! let mut session = mechs.start_best(&["PASSKEY"], creds, &conn)?;
//! let ClientStep::Respond(first) = session.start()? else { return Ok(()) };
//! assert!(first.expose().is_empty());
//! let options = br#"{"challenge":"3q2-796tvu_erb7v3q2-796tvu_erb7v3q2-796tvu8","timeout":60000,"rpId":"example.com","allowCredentials":[],"userVerification":"required"}"#;
//! if let ClientStep::Request(ClientRequest::PasskeyAssertion(request)) = session.step(options)? {
//!     // Hand it to the platform passkey API; here a software authenticator with no
//!     // credential for example.com refuses.
//!     let mut authenticator = SoftwareAuthenticator::new("https://imap.example.com");
//!     assert!(authenticator.get_assertion(&AssertionOptions::from(&*request)).is_err());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod authenticator;
mod base64url;
mod cbor;
mod client;
pub mod codec;
#[cfg(fuzzing)]
pub mod fuzzing;
mod json_object;
mod json_reader;
pub mod message;
mod server;
pub mod webauthn;

pub use authenticator::{Authenticator, AuthenticatorError, SoftwareAuthenticator};
pub use client::{PasskeyClient, PasskeyClientFactory};
pub use codec::Codec;
pub use server::{CHALLENGE_LEN, PasskeyServer, PasskeyServerConfig, PasskeyServerFactory};

use sasl_core::MechanismName;

/// `PASSKEY`
pub const PASSKEY: MechanismName = MechanismName::from_static("PASSKEY");
