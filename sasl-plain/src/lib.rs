//! # sasl-plain: PLAIN (RFC 4616) and LOGIN, client and server
//!
//! Both mechanisms send the password to the server in the clear, so
//! [`ServerRegistry`](sasl_core::ServerRegistry) offers them only on TLS
//! connections unless the connection explicitly allows it.
//!
//! The server never sees a password store: after parsing and preparing the client's
//! message it asks the application with a
//! [`VerifyPassword`](sasl_core::VerifyPassword) request, which the application
//! answers (possibly after an `.await`) with `valid()`, `valid_with_authzid()` or
//! `invalid()`.
//!
//! ## Preparation profile
//!
//! [`Preparation::SaslPrep`] (the default) prepares the authcid, the authzid and the
//! password with SASLprep in query mode (RFC 4616 §2 and RFC 4013): the request carries
//! the prepared strings, so the application compares prepared against prepared.
//! [`Preparation::Precis`] uses PRECIS UsernameCaseMapped for the identities and
//! OpaqueString for the password (RFC 8265). [`Preparation::None`] passes the UTF-8
//! strings through. A string that fails preparation, or prepares to nothing, fails the
//! exchange.
//!
//! ```
//! use sasl_core::{ConnectionInfo, Error, Request, ServerRegistry, ServerStep};
//! use sasl_plain::PlainServer;
//!
//! let mechs = ServerRegistry::new().with(PlainServer::factory());
//! // A mechanism not offered here would be a `ServerFailure` to reply with.
//! let mut session = mechs
//!     .start("PLAIN", &ConnectionInfo::tls())
//!     .map_err(|refused| Error::config(refused.reason().to_string()))?;
//! let mut step = session.start(Some(b"\0tim\0tanstaaftanstaaf"))?;
//! while let ServerStep::Request(request) = step {
//!     let answer = match request {
//!         Request::VerifyPassword(check) if check.password_matches("tanstaaftanstaaf") => {
//!             check.valid()
//!         }
//!         Request::VerifyPassword(check) => check.invalid(),
//!         other => other.unavailable(),
//!     };
//!     step = session.provide(answer)?;
//! }
//! assert!(matches!(step, ServerStep::Success(_)));
//! # Ok::<(), sasl_core::Error>(())
//! ```
#![forbid(unsafe_code)]

mod client;
mod fields;
mod server;

pub use client::{LoginClient, LoginClientFactory, PlainClient, PlainClientFactory};
pub use fields::{FieldLimits, Preparation};
pub use server::{
    LoginServer, LoginServerConfig, LoginServerFactory, PlainServer, PlainServerConfig,
    PlainServerFactory,
};

use sasl_core::MechanismName;

/// `PLAIN`
pub const PLAIN: MechanismName = MechanismName::from_static("PLAIN");
/// `LOGIN`
pub const LOGIN: MechanismName = MechanismName::from_static("LOGIN");
