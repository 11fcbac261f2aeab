//! # sasl-scram: SCRAM-SHA-1/256/512 and -PLUS, client and server
//!
//! SCRAM (RFC 5802, RFC 7677, draft-melnikov-scram-sha-512) with channel binding
//! (RFC 5801, RFC 5929, RFC 9266), on the [`sasl_core`] session API and as typed
//! state machines ([`ScramServer`], [`ScramClient`]).
//!
//! ## Server
//!
//! The server works from stored credentials only (salt, iterations, StoredKey,
//! ServerKey; see [`derive()`] and [`parse_stored`]) and never sees the password. After
//! the client-first message it asks the application for them with a
//! [`Request::ScramLookup`](sasl_core::Request::ScramLookup), answered possibly after
//! an `.await`. An unknown user (`not_found`) or a rejected lookup continues with a
//! deterministic fake salt derived from the [server secret](ScramServerConfig::new),
//! the configured iteration count and fake keys, and fails exactly like a wrong
//! password: `e=invalid-proof`. Proofs are checked in constant time; derived keys are
//! zeroized.
//!
//! ## Client
//!
//! The client bounds what a hostile server controls (iteration window, salt and nonce
//! lengths, message sizes), requires a valid server signature before it reports
//! success, and can reuse cached keys for a (salt, iterations) to skip PBKDF2; newly
//! derived keys come back in [`ClientSuccess::scram_keys`](sasl_core::ClientSuccess::scram_keys).
//!
//! ## Example: typed client and server in memory
//!
//! ```
//! use sasl_core::{
//!     ClientCredentials, ClientMechanism, ClientStep, ConnectionInfo, Request, ScramHash,
//!     ServerMechanism, ServerReply, ServerStep, Verdict,
//! };
//! use sasl_scram::{ScramClient, ScramClientConfig, ScramServer, ScramServerConfig, ScramVariant};
//!
//! // Done once, when the password is set: store these, never the password.
//! let stored = sasl_scram::derive(ScramHash::Sha256, "pencil", b"sixteen byte slt", 4096)?;
//!
//! let connection = ConnectionInfo::tls();
//! let server_config = ScramServerConfig::new(*b"32 bytes of server secret here!!")?;
//! let variant = ScramVariant::bare(ScramHash::Sha256);
//! let mut server = ScramServer::new(server_config, variant, &connection)?;
//! let credentials = ClientCredentials::new("user").with_password("pencil");
//! let mut client = ScramClient::new(ScramClientConfig::new(), variant, credentials, &connection)?;
//!
//! // Each step is exactly one thing to do; anything else ends the example with an error.
//! let unexpected = |what: &str| format!("unexpected step: {what}");
//! let ClientStep::Respond(client_first) = client.start()? else { return Err(unexpected("client-first").into()) };
//! let ServerStep::Request(Request::ScramLookup(lookup)) =
//!     server.start(Some(client_first.expose()))? else { return Err(unexpected("lookup").into()) };
//! assert_eq!(lookup.authcid(), "user");
//! // Typed use hands the verdict over directly; under a `ServerSession` you would
//! // answer with `lookup.found(stored)` and `session.provide(answer)`.
//! let verdict = Verdict::ScramFound { credentials: stored, authzid_granted: false };
//! let ServerStep::Challenge(server_first) = server.provide(verdict)? else { return Err(unexpected("server-first").into()) };
//! let ClientStep::Respond(client_final) = client.step(&server_first)? else { return Err(unexpected("client-final").into()) };
//! let ServerStep::Success(auth) = server.step(client_final.expose())? else { return Err(unexpected("success").into()) };
//! assert_eq!(auth.identity(), "user");
//!
//! // The server-final `v=` message proves the server knew the credentials.
//! let server_final = auth.additional_data().map(<[u8]>::to_vec);
//! let outcome = client.finish(ServerReply::Success { additional_data: server_final })?;
//! assert!(outcome.is_authenticated());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## With the session API
//!
//! Register [`server_factories`] with
//! [`ServerRegistry::with_all`](sasl_core::ServerRegistry::with_all) and
//! [`client_factories`] with [`ClientRegistry::with_all`](sasl_core::ClientRegistry::with_all);
//! the sessions take care of delivering the `v=` message (as a final challenge in IMAP
//! and SMTP).
#![forbid(unsafe_code)]

mod client;
#[cfg(fuzzing)]
pub mod fuzzing;
mod hash;
mod messages;
mod prep;
mod server;
mod session;
mod stored;

pub use client::{ScramClient, ScramClientConfig};
pub use messages::ServerErrorValue;
pub use prep::{PasswordPrep, UsernamePrep};
pub use server::{ScramServer, ScramServerConfig};
pub use session::{
    ScramClientFactory, ScramServerFactory, ScramVariant, client_factories, server_factories,
};
pub use stored::{
    DEFAULT_SALT_LEN, MAX_STORED_ITERATIONS, MAX_STORED_SALT_LEN, StoredError, StoredFormat,
    derive, derive_client_keys, derive_with, derive_with_random_salt, format_stored, parse_stored,
    parse_stored_as, verify_password,
};
