//! # sasl-external: EXTERNAL with per-device TLS client certificates
//!
//! EXTERNAL (RFC 4422 Appendix A) logs a client in as an identity established outside
//! SASL. For mail the strongest such identity is a TLS client certificate per device:
//! it is bound to the TLS connection (a man in the middle cannot relay it) and each
//! device can be revoked alone. Thunderbird, FairEmail, K-9 and macOS Mail support it.
//!
//! The crate has three parts:
//! - the mechanism, client ([`ExternalClient`]) and server ([`ExternalServer`]), for the
//!   `sasl-core` registries;
//! - certificate identity ([`CertificateIdentity`]): the SHA-256 of a certificate's
//!   SubjectPublicKeyInfo (mox's account key: names, issuers and expiry are the
//!   application's business, so self-signed per-device certificates work), its key
//!   type, a [`KeyPolicy`] that refuses weak keys (RSA under 2048 bits), and the e-mail
//!   addresses in it for servers that map by address;
//! - account rules ([`CertificateLogin`]): the IMAP PREAUTH decision per account, and
//!   the check that a login with another mechanism on a certificate connection
//!   belongs to the same account.
//!
//! With the `rustls` feature, [`client_certificate`] reads the client's certificate off
//! a rustls server connection and [`AcceptAnyKey`] is a client-certificate verifier that
//! accepts any certificate with an acceptable key (TLS still checks that the client
//! holds the private key) and leaves the mapping to the application.
//!
//! ## Server
//!
//! ```
//! use sasl_core::{ConnectionInfo, Request, ServerRegistry, ServerStep};
//! use sasl_external::{CertificateLogin, ExternalServer};
//!
//! let mechs = ServerRegistry::new().with(ExternalServer::factory());
//! // Without an identity from outside SASL, EXTERNAL is not offered.
//! assert!(mechs.advertise(&ConnectionInfo::tls()).is_empty());
//!
//! // The TLS layer gave a client certificate whose fingerprint maps to alice.
//! let conn = CertificateLogin::new("alice").connection(ConnectionInfo::tls());
//! assert_eq!(mechs.advertise(&conn).len(), 1);
//! let Ok(mut session) = mechs.start("EXTERNAL", &conn) else { return Ok(()) };
//! // The client asks to act as the shared mailbox; the application decides.
//! let mut step = session.start(Some(b"shared@example.org"))?;
//! while let ServerStep::Request(request) = step {
//!     step = session.provide(match request {
//!         Request::AuthorizeExternal(ask) if ask.identity() == "alice" => ask.grant(),
//!         Request::AuthorizeExternal(ask) => ask.deny(),
//!         other => other.unavailable(),
//!     })?;
//! }
//! assert!(matches!(step, ServerStep::Success(ok) if ok.identity() == "shared@example.org"));
//! # Ok::<(), sasl_core::Error>(())
//! ```
#![forbid(unsafe_code)]

mod account;
mod certificate;
mod client;
#[cfg(feature = "rustls")]
mod rustls_conn;
mod server;

pub use account::{CertificateLogin, ImapGreeting};
pub use certificate::{CertificateError, CertificateIdentity, KeyPolicy, KeyType, WeakKey};
pub use client::{ExternalClient, ExternalClientFactory};
#[cfg(feature = "rustls")]
pub use rustls_conn::{AcceptAnyKey, client_certificate};
pub use server::{ExternalServer, ExternalServerFactory, MAX_AUTHZID_LEN};

use sasl_core::MechanismName;

/// `EXTERNAL`
pub const EXTERNAL: MechanismName = MechanismName::from_static("EXTERNAL");
