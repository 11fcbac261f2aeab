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
//! use sasl_core::{ConnectionInfo, Request, ServerRegistry, ServerStep};
//! use sasl_plain::PlainServer;
//!
//! let mechs = ServerRegistry::new().with(PlainServer::factory());
//! // A mechanism not offered here would be a `ServerFailure` to reply with.
//! let Ok(mut session) = mechs.start("PLAIN", &ConnectionInfo::tls()) else { panic!() };
//! let step = session.start(Some(b"\0tim\0tanstaaftanstaaf"))?;
//! let ServerStep::Request(Request::VerifyPassword(check)) = step else { panic!() };
//! let ok = check.password_matches("tanstaaftanstaaf");
//! let step = session.provide(if ok { check.valid() } else { check.invalid() })?;
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
