//! # sasl-core: sans-IO SASL sessions
//!
//! The shared foundation of the `sasl` crate family: the session API every mechanism
//! runs under, mechanism registries and negotiation, channel binding, PRECIS and
//! SASLprep, limits, secrets, a failure taxonomy mapped to IMAP, SMTP and POP3
//! replies (and parsed back from them), and the base64 line helpers those protocols
//! need.
//!
//! ## What the family does, and what it does not
//!
//! It does: every SASL exchange of IMAP, SMTP, POP3, XMPP or LDAP, for both roles, as a
//! state machine that takes one decoded peer message and returns one owned step saying
//! the single next thing to do (send this, answer that request, report the outcome);
//! negotiation (what to advertise on a connection, what a client should pick);
//! channel binding; strict, bounded parsing; the replies a failure maps to.
//!
//! It does not: open sockets, speak IMAP or SMTP beyond the SASL lines, read a clock
//! ([`ServerSession::set_now`] takes the time), touch a credential store (it asks, with
//! a [`Request`]), do TLS (it takes the channel-binding data and certificates a TLS
//! library produced; the `rustls` feature reads them off a rustls connection), or
//! spawn threads. Requests are owned values, so they can be answered after an `.await`
//! in any runtime.
//!
//! ## Guide for server authors
//!
//! 1. Once: build a [`ServerRegistry`] with the mechanisms you offer
//!    (`sasl_plain::PlainServer::factory()`, `sasl_scram::server_factories(config)`, ...)
//!    and your [`Limits`].
//! 2. Per connection: describe it with a [`ConnectionInfo`] (TLS, channel-binding data
//!    in your preferred order, an external identity from a client certificate) and put
//!    [`ServerRegistry::advertise`] into your capability list.
//! 3. Per `AUTHENTICATE`/`AUTH`: [`ServerRegistry::start`] with the client's mechanism
//!    name. A name you do not offer is a [`ServerFailure`] to reply with, not an error.
//!    Decode the initial response with [`wire::decode_initial_response`] (`=` is empty,
//!    absent is `None`) and pass it to [`ServerSession::start`].
//! 4. Loop on the [`ServerStep`]: send a [`ServerStep::Challenge`] and feed the decoded
//!    reply to [`ServerSession::step`] (`*` to [`ServerSession::cancel`]); answer a
//!    [`ServerStep::Request`] with one `match` over [`Request`] and
//!    [`ServerSession::provide`]; reply with [`ServerSuccess`] or
//!    [`ServerFailure::imap`] / [`ServerFailure::smtp`]. Log [`ServerFailure::reason`],
//!    never send it.
//!
//! The README's server snippet is this loop in full, and `sasl-scram`'s `imap_session`
//! example's `server.rs` is a small IMAP server built on it.
//!
//! ## Guide for client authors
//!
//! 1. Build a [`ClientRegistry`] in your order of preference (`-PLUS` first).
//! 2. Give [`ClientCredentials`] (a password, or
//!    [`with_password_on_demand`](ClientCredentials::with_password_on_demand) to be asked
//!    only when needed, and cached SCRAM keys) and the connection's [`ConnectionInfo`]
//!    (channel-binding data, the server's host and port).
//! 3. [`ClientRegistry::start_best`] against the server's advertised list, then
//!    [`ClientSession::start`]: send the [`ClientStep::Respond`] data with the command
//!    (SASL-IR) or, where the protocol cannot, send the command alone and pass the
//!    server's empty challenge to [`ClientSession::step`], which answers with it.
//! 4. Feed every challenge to [`ClientSession::step`], answer a [`ClientStep::Request`]
//!    (password, token, passkey assertion) with [`ClientSession::provide`], and end with
//!    [`ClientSession::finish`] given [`ServerReply::from_imap`] / [`from_smtp`](ServerReply::from_smtp)
//!    of the final reply. Only a mechanism that is satisfied reports success (a SCRAM
//!    server must prove itself); a failure's [`ClientFailure::action`] says whether to
//!    retry, refresh a token, ask the user or give up.
//!
//! ## Guide for mechanism authors
//!
//! Implement [`ServerMechanism`] and [`ServerMechanismFactory`] (and the client pair).
//! The session does the bookkeeping — limits, tickets on requests, the final-challenge
//! delivery of success data, the SASL-IR rule, state errors — so a mechanism only
//! parses, decides and builds messages. Everything a peer can cause must come back as
//! a failure step, never as `Err`. Ask the application with the [`Request`] kind that
//! fits, or with [`ExtensionRequest`] and a typed wrapper of your own; return what the
//! application must store in [`ServerSuccess::with_mechanism_data`]. Say in
//! [`MechanismProperties`] whether the password crosses in the clear and how you use
//! channel binding, and in [`ServerMechanismFactory::is_available`] whether you can run
//! on a connection at all. docs/decisions/0006 explains the model.
//!
//! ## Example: PLAIN, client and server in memory
//!
//! ```
//! use sasl_core::{
//!     ClientCredentials, ClientRegistry, ClientStep, ConnectionInfo, Error, Request,
//!     ServerRegistry, ServerReply, ServerStep,
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
//! let initial = match client.start()? {
//!     ClientStep::Respond(initial) => initial,
//!     other => return Err(Error::config(format!("PLAIN starts with a response, not {other:?}"))),
//! };
//!
//! // The server gets the initial response and asks the application to check it. A
//! // mechanism it does not offer here would be a `ServerFailure` to reply with
//! // (`failure.imap()`, `failure.smtp()`).
//! let mut server = server_mechs
//!     .start(client.mechanism().as_str(), &connection)
//!     .map_err(|refused| Error::config(refused.reason().to_string()))?;
//! let mut step = server.start(Some(initial.expose()))?;
//! while let ServerStep::Request(request) = step {
//!     let answer = match request {
//!         Request::VerifyPassword(check)
//!             if check.authcid() == "tim" && check.password_matches("tanstaaftanstaaf") =>
//!         {
//!             check.valid()
//!         }
//!         Request::VerifyPassword(check) => check.invalid(),
//!         other => other.unavailable(),
//!     };
//!     step = server.provide(answer)?;
//! }
//! let ServerStep::Success(auth) = step else {
//!     return Err(Error::config(format!("the right password was refused: {step:?}")));
//! };
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
//! failure step; [`Error`] is only for local misuse and configuration.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod channel_binding;
mod client;
mod connection;
mod credentials;
mod error;
mod failure;
pub mod gs2;
pub mod hmac;
mod limits;
mod mechanism;
mod mechanism_api;
pub mod prep;
mod random;
mod request;
mod secret;
mod server;
mod small_bytes;
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
pub use secret::{Secret, ct_eq};
pub use server::{
    ExtensionData, MechanismData, PasskeyUse, ServerFailure, ServerRegistry, ServerSession,
    ServerStep, ServerSuccess,
};
pub use time::UnixTime;

// The README's snippets are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
