//! # sasl-core: sans-IO SASL sessions
//!
//! The shared foundation of the `sasl` crate family: the session API every mechanism
//! runs under, mechanism registries and negotiation, channel binding, PRECIS and
//! SASLprep, limits, secrets, a failure taxonomy mapped to IMAP and SMTP replies, and
//! the base64 line helpers those protocols need.
//!
//! Nothing here does I/O. The application feeds each decoded peer message in and gets
//! one owned step back that says the single next thing to do: send a challenge or
//! response, answer a request (credential lookup, password check), or report the
//! outcome. Requests are owned values, so a server can answer them after an `.await`.
//!
//! ## Roles
//!
//! **Server:** build a [`ServerRegistry`] once, ask it what to
//! [`advertise`](ServerRegistry::advertise) for a connection ([`ConnectionInfo`]),
//! [`start`](ServerRegistry::start) a [`ServerSession`] by the name the client chose,
//! then [`start`](ServerSession::start) / [`step`](ServerSession::step) /
//! [`provide`](ServerSession::provide) until a [`ServerStep::Success`] or
//! [`ServerStep::Failure`].
//!
//! **Client:** build a [`ClientRegistry`] list in preference order,
//! [`start_best`](ClientRegistry::start_best) against the server's list, then
//! [`start`](ClientSession::start) / [`step`](ClientSession::step) and finally
//! [`finish`](ClientSession::finish) with what the server said. `finish` only reports
//! success when the mechanism is satisfied (a SCRAM server must prove itself).
//!
//! **Mechanism authors:** implement [`ServerMechanism`]/[`ServerMechanismFactory`] and
//! [`ClientMechanism`]/[`ClientMechanismFactory`].
//!
//! ## Example: PLAIN, client and server in memory
//!
//! ```
//! use sasl_core::{
//!     ClientCredentials, ClientRegistry, ClientStep, ConnectionInfo, Request, ServerRegistry,
//!     ServerReply, ServerStep,
//! };
//! use sasl_plain::{PlainClient, PlainServer};
//!
//! let connection = ConnectionInfo::tls();
//! let server_mechs = ServerRegistry::new().with(PlainServer::factory());
//! let client_mechs = ClientRegistry::new().with(PlainClient::factory());
//!
//! // The server advertises; the client picks and starts.
//! let advertised = server_mechs.advertise(&connection);
//! let credentials = ClientCredentials::new("tim").with_password("tanstaaftanstaaf");
//! let mut client = client_mechs.start_best(&advertised, credentials, &connection)?;
//! let ClientStep::Respond(initial) = client.start()? else { unreachable!() };
//!
//! // The server gets the initial response and asks the application to check it. A
//! // mechanism it does not offer here would be a `ServerFailure` to reply with
//! // (`failure.imap()`, `failure.smtp()`).
//! let Ok(mut server) = server_mechs.start(client.mechanism().as_str(), &connection) else {
//!     unreachable!("PLAIN is offered on TLS")
//! };
//! let ServerStep::Request(Request::VerifyPassword(check)) = server.start(Some(initial.expose()))?
//! else {
//!     unreachable!()
//! };
//! let answer = if check.authcid() == "tim" && check.password_matches("tanstaaftanstaaf") {
//!     check.valid()
//! } else {
//!     check.invalid()
//! };
//! let ServerStep::Success(auth) = server.provide(answer)? else { unreachable!() };
//! assert_eq!(auth.identity(), "tim");
//!
//! // The client learns the outcome.
//! assert!(client.finish(ServerReply::success())?.is_authenticated());
//! # Ok::<(), sasl_core::Error>(())
//! ```
//!
//! ## Security rules
//!
//! Secrets live in [`Secret`] (redacted `Debug`, zeroized on drop) and are compared in
//! constant time. Unknown users fail exactly like wrong passwords on the wire. Every
//! peer message is size- and count-limited ([`Limits`]). Anything a peer can cause is a
//! failure step; [`Error`] is only for local misuse.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod channel_binding;
mod client;
mod connection;
mod credentials;
mod error;
mod failure;
pub mod hmac;
mod limits;
mod mechanism;
mod mechanism_api;
pub mod prep;
mod random;
mod request;
mod secret;
mod server;
mod ticket;
mod time;
pub mod wire;

pub use channel_binding::{ChannelBinding, ChannelBindingType};
pub use client::{
    AssertionRequest, ClientAnswer, ClientExtensionRequest, ClientFailure, ClientInput,
    ClientOutcome, ClientRegistry, ClientRequest, ClientSession, ClientStep, ClientSuccess,
    FailureReply, PasskeyAssertion, PasswordPrompt, ServerReply, TokenPrompt, UserVerification,
};
pub use connection::{ChannelBindingPolicy, ConnectionInfo, SuccessData};
pub use credentials::{ClientCredentials, ScramCredentials, ScramHash, ScramKeys};
pub use error::{ConfigError, Error, Misuse, ProvideError};
pub use failure::{
    ClientAction, FailureKind, FailureReason, ImapCode, ImapResponse, ImapStatus, SmtpReply,
};
pub use limits::Limits;
pub use mechanism::MechanismName;
pub use mechanism_api::{
    ChannelBindingUse, ClientContext, ClientMechanism, ClientMechanismFactory, MechanismProperties,
    ServerContext, ServerMechanism, ServerMechanismFactory,
};
pub use prep::{PrecisProfile, PrepError, SaslprepMode, saslprep};
pub use random::{OsRandom, RandomSource, SharedRandom, ThreadRandom, os_random, thread_random};
pub use request::{
    Answer, AuthorizeExternal, ExtensionAnswer, ExtensionRequest, PasskeyAccount,
    PasskeyCredential, PasskeyLookup, PasskeyLookupKey, Request, ScramLookup, Store, TokenError,
    TokenGrant, ValidateToken, Verdict, VerifyPassword,
};
pub use secret::Secret;
pub use server::{
    ExtensionData, MechanismData, PasskeyUse, ServerFailure, ServerRegistry, ServerSession,
    ServerStep, ServerSuccess,
};
pub use time::UnixTime;

// The README's snippets are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
