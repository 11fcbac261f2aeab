//! # sasl-oauthbearer: OAUTHBEARER and XOAUTH2, client and server
//!
//! Bearer-token login for IMAP, SMTP and POP3: the user authenticates to an identity
//! provider now and then (with whatever factors it demands), and the mail client
//! presents short-lived access tokens on every connection. OAUTHBEARER (RFC 7628) is
//! the standard; XOAUTH2 is what Gmail, Microsoft 365 and most deployed clients
//! speak. Both are one client message with the token, and on failure an error
//! challenge the client answers with a dummy response before the server fails.
//!
//! The crate has four parts:
//! - the mechanisms, [`BearerServer`] and [`BearerClient`] for either
//!   [`BearerMechanism`], with factories for the `sasl-core` registries;
//! - on the server, token validation: answer the session's
//!   [`Request::ValidateToken`](sasl_core::Request::ValidateToken) yourself
//!   (introspection, opaque tokens), or with the built-in JWT validator
//!   (`JwtValidator`, feature `jwt`, on by default) against a JWKS you supply. The
//!   library never fetches keys or reads the clock: you pass the time in;
//! - on the client, [`TokenFailure`]: what a failure means (refresh the token,
//!   authorize again with these scopes, discover the provider, retry later, give
//!   up), whatever shape the server's error had;
//! - [`discovery`] (feature `discovery`): from an e-mail address to the identity
//!   provider (Mozilla autoconfig, RFC 8414 and OpenID Connect metadata), sans-IO;
//!   and [`authorization`] (same feature): from there to tokens (PKCE, the
//!   authorization code and device grants, refresh, registration, revocation).
//!
//! ## Server
//!
//! ```
//! use sasl_core::{ConnectionInfo, Request, ServerRegistry, ServerStep, TokenGrant, UnixTime};
//! use sasl_oauthbearer::{BearerMechanism, BearerServer, BearerServerConfig};
//!
//! let config = BearerServerConfig::new().with_scope("mail");
//! let mechs = ServerRegistry::new()
//!     .with(BearerServer::factory(BearerMechanism::OAuthBearer, config.clone()))
//!     .with(BearerServer::factory(BearerMechanism::XOAuth2, config));
//! let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
//! let Ok(mut session) = mechs.start("OAUTHBEARER", &conn) else { return Ok(()) };
//! session.set_now(UnixTime::from_secs(1_767_225_600));
//! let message = b"n,a=tim@example.org,\x01host=imap.example.org\x01port=993\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBh\x01\x01";
//! let mut step = session.start(Some(message))?;
//! while let ServerStep::Request(request) = step {
//!     step = session.provide(match request {
//!         // Your validation here (or JwtValidator::answer).
//!         Request::ValidateToken(ask) if ask.token() == "vF9dft4qmTc2Nvb3RlckBh" => {
//!             ask.valid(TokenGrant::new("tim@example.org"))
//!         }
//!         Request::ValidateToken(ask) => ask.expired(),
//!         other => other.unavailable(),
//!     })?;
//! }
//! assert!(matches!(step, ServerStep::Success(ok) if ok.identity() == "tim@example.org"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Client
//!
//! ```
//! use sasl_core::{ClientCredentials, ClientOutcome, ClientRegistry, ClientStep, ConnectionInfo, ServerReply};
//! use sasl_oauthbearer::{BearerClient, BearerMechanism, TokenAction, TokenFailure, TokenOrigin};
//!
//! let mechs = ClientRegistry::new()
//!     .with(BearerClient::factory(BearerMechanism::OAuthBearer))
//!     .with(BearerClient::factory(BearerMechanism::XOAuth2));
//! let creds = ClientCredentials::new("tim@example.org").with_bearer_token("ya29.a0AfB_byC");
//! let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
//! let mut session = mechs.start_best(&["XOAUTH2", "OAUTHBEARER"], creds, &conn)?;
//! let ClientStep::Respond(first) = session.start()? else { return Ok(()) };
//! assert!(first.expose().starts_with(b"n,a=tim@example.org,\x01host=imap.example.org\x01"));
//! // The server refuses with an error challenge; the client sends the dummy response.
//! let step = session.step(br#"{"status":"invalid_token","scope":"mail"}"#)?;
//! assert!(matches!(step, ClientStep::Respond(ref dummy) if dummy.expose() == b"\x01"));
//! let reply = ServerReply::from_imap("a1", "a1 NO [AUTHENTICATIONFAILED] Invalid credentials");
//! if let ClientOutcome::Failure(failure) = session.finish(reply.unwrap_or_else(ServerReply::failure))? {
//!     let next = TokenFailure::assess(&failure, TokenOrigin::Cached);
//!     assert_eq!(next.action(), TokenAction::Refresh);
//!     assert_eq!(next.scopes(), ["mail"]);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "discovery")]
pub mod authorization;
mod client;
#[cfg(feature = "discovery")]
pub mod discovery;
mod error_challenge;
#[cfg(fuzzing)]
pub mod fuzzing;
#[cfg(feature = "jwt")]
mod jwt;
mod message;
mod server;
mod token_failure;

pub use client::{BearerClient, BearerClientFactory};
pub use error_challenge::XOAuth2ErrorStyle;
#[cfg(feature = "jwt")]
pub use jwt::{
    Backend, DEFAULT_LEEWAY_SECS, JwsAlgorithm, JwtConfig, JwtConfigError, JwtRejection,
    JwtValidator, KeySet, MAX_IDENTITY_LEN, MAX_JWKS_LEN, MAX_KEYS, ValidatedToken,
};
pub use message::{MAX_MESSAGE_LEN, MAX_PAIRS, MAX_TOKEN_LEN, MAX_USER_LEN, is_b64token};
pub use server::{BearerServer, BearerServerConfig, BearerServerFactory};
pub use token_failure::{TokenAction, TokenFailure, TokenOrigin};

use sasl_core::MechanismName;

/// `OAUTHBEARER`
pub const OAUTHBEARER: MechanismName = MechanismName::from_static("OAUTHBEARER");
/// `XOAUTH2`
pub const XOAUTH2: MechanismName = MechanismName::from_static("XOAUTH2");

/// Which of the two bearer-token mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BearerMechanism {
    /// OAUTHBEARER (RFC 7628): `n,a=<authzid>,^Ahost=..^Aport=..^Aauth=Bearer <token>^A^A`,
    /// errors as RFC 7628 JSON (`status`, `scope`, `openid-configuration`), dummy
    /// response `\x01`.
    OAuthBearer,
    /// XOAUTH2 (Google's and Microsoft's): `user=<user>^Aauth=Bearer <token>^A^A`, no
    /// GS2 header, errors as `{"status":"400",...}` JSON, empty dummy response.
    XOAuth2,
}

impl BearerMechanism {
    /// The mechanism's name.
    pub fn name(self) -> MechanismName {
        match self {
            BearerMechanism::OAuthBearer => OAUTHBEARER,
            BearerMechanism::XOAuth2 => XOAUTH2,
        }
    }
}
