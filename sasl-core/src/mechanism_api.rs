//! The traits mechanism crates implement, and the properties the registries use.
//!
//! Applications rarely touch these: they register factories (for example
//! `sasl_plain::PlainServer::factory()`) with [`ServerRegistry`](crate::ServerRegistry)
//! or [`ClientRegistry`](crate::ClientRegistry) and drive sessions.

use crate::client::{ClientInput, ClientOutcome, ClientStep, ServerReply};
use crate::connection::ConnectionInfo;
use crate::credentials::ClientCredentials;
use crate::error::{Error, Misuse};
use crate::mechanism::MechanismName;
use crate::request::Verdict;
use crate::server::{ServerFailure, ServerStep};
use crate::time::UnixTime;

/// How a mechanism relates to channel binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelBindingUse {
    /// Never binds (PLAIN, LOGIN).
    Never,
    /// Can signal binding support but does not bind (SCRAM without `-PLUS`).
    Optional,
    /// Always binds (`-PLUS` mechanisms): needs binding data on the connection.
    Required,
}

/// What the registries need to know to decide where a mechanism may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MechanismProperties {
    /// The password crosses the wire in the clear (PLAIN, LOGIN): not offered without
    /// TLS unless the connection allows it.
    pub plaintext_password: bool,
    /// How the mechanism uses channel binding.
    pub channel_binding: ChannelBindingUse,
}

impl MechanismProperties {
    /// Properties of a mechanism that sends the password in the clear and never binds.
    pub const PLAINTEXT: Self = Self {
        plaintext_password: true,
        channel_binding: ChannelBindingUse::Never,
    };

    /// Properties of a mechanism that never exposes the password, with the given
    /// channel-binding use.
    pub const fn protected(channel_binding: ChannelBindingUse) -> Self {
        Self {
            plaintext_password: false,
            channel_binding,
        }
    }
}

/// A server-side mechanism instance: one exchange.
///
/// [`ServerSession`](crate::ServerSession) calls these in lock-step, enforces limits and
/// stamps requests; implementations only parse, decide and build messages. Everything
/// the peer can cause must come back as a [`ServerStep::Failure`], never as `Err`.
pub trait ServerMechanism: Send {
    /// The client chose this mechanism; `initial_response` is `None` when it sent
    /// none and `Some(b"")` when it sent an empty one.
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error>;

    /// The client answered the last challenge.
    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error>;

    /// The application answered the last request.
    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error>;

    /// The application gave the current time
    /// ([`ServerSession::set_now`](crate::ServerSession::set_now)). Mechanisms that
    /// check time keep it; the default ignores it.
    fn set_now(&mut self, now: UnixTime) {
        let _ = now;
    }

    /// The client cancelled (`*`). A mechanism that has already decided the exchange
    /// fails and is only waiting for the client's acknowledgement (OAUTHBEARER's error
    /// challenge) returns that failure; the default `None` makes it a
    /// [`FailureKind::Cancelled`](crate::FailureKind::Cancelled) failure.
    fn cancelled(&mut self) -> Option<ServerFailure> {
        None
    }
}

/// What a server factory gets when starting an exchange.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServerContext<'a> {
    /// The connection facts (TLS, channel binding).
    pub connection: &'a ConnectionInfo,
    /// Whether the server offers a `-PLUS` mechanism of this mechanism's family (the
    /// name up to its first `-`: any SCRAM hash for SCRAM) on this connection. A SCRAM server rejects the `y` flag (a downgrade) only then: a client
    /// that can bind but was not offered `-PLUS` rightly sends `y`.
    pub offers_plus: bool,
}

impl<'a> ServerContext<'a> {
    /// Builds a context.
    pub fn new(connection: &'a ConnectionInfo, offers_plus: bool) -> Self {
        Self {
            connection,
            offers_plus,
        }
    }
}

/// Makes server mechanism instances; what [`ServerRegistry`](crate::ServerRegistry)
/// holds.
pub trait ServerMechanismFactory: Send + Sync {
    /// The mechanism name.
    fn mechanism(&self) -> MechanismName;

    /// Where the mechanism may be used.
    fn properties(&self) -> MechanismProperties;

    /// Whether the mechanism can run on this connection beyond the fixed TLS and
    /// channel-binding rules of [`properties`](Self::properties) (EXTERNAL needs an
    /// external identity, a token mechanism a configured validator). A factory that
    /// is not available is neither advertised nor started. The default: available.
    fn is_available(&self, connection: &ConnectionInfo) -> bool {
        let _ = connection;
        true
    }

    /// Starts one exchange on a connection.
    fn start(&self, context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error>;
}

/// A client-side mechanism instance: one exchange.
pub trait ClientMechanism: Send {
    /// Begins: the initial response for a client-first mechanism, or
    /// [`ClientStep::AwaitChallenge`] for a server-first one.
    fn start(&mut self) -> Result<ClientStep, Error>;

    /// The server sent a challenge.
    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error>;

    /// The server reported its outcome. A mechanism with mutual authentication must
    /// return a failure if the server did not prove itself.
    fn finish(&mut self, reply: ServerReply) -> Result<ClientOutcome, Error>;

    /// The application answered the last [`ClientStep::Request`]. Mechanisms that
    /// never ask need not implement it (the default reports misuse), so adding client
    /// requests breaks no mechanism written before them.
    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        let _ = input;
        Err(Misuse::NoRequestPending.into())
    }
}

/// What a client factory gets when starting an exchange: the credentials to take, and
/// the connection (borrowed, as in [`ServerContext`]: a mechanism copies only what it
/// keeps, such as its channel binding).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientContext<'a> {
    /// Who the client authenticates as and with what.
    pub credentials: ClientCredentials,
    /// The connection facts (TLS, channel binding).
    pub connection: &'a ConnectionInfo,
    /// Whether the server advertised a `-PLUS` mechanism of this mechanism's family
    /// (the name up to its first `-`)
    /// (SCRAM clients send `y` rather than `n` when they could bind but the server
    /// offered no `-PLUS`).
    pub server_offers_plus: bool,
}

impl<'a> ClientContext<'a> {
    /// Builds a context.
    pub fn new(
        credentials: ClientCredentials,
        connection: &'a ConnectionInfo,
        server_offers_plus: bool,
    ) -> Self {
        Self {
            credentials,
            connection,
            server_offers_plus,
        }
    }
}

/// Makes client mechanism instances; what [`ClientRegistry`](crate::ClientRegistry)
/// holds.
pub trait ClientMechanismFactory: Send + Sync {
    /// The mechanism name.
    fn mechanism(&self) -> MechanismName;

    /// Where the mechanism may be used.
    fn properties(&self) -> MechanismProperties;

    /// Whether these credentials are enough for this mechanism (counting what it can
    /// ask for later through a [`ClientStep::Request`]).
    fn can_use(&self, credentials: &ClientCredentials) -> bool;

    /// Whether the mechanism can run on this connection beyond the fixed rules of
    /// [`properties`](Self::properties) (EXTERNAL needs a client certificate). The
    /// default: available.
    fn is_available(&self, connection: &ConnectionInfo) -> bool {
        let _ = connection;
        true
    }

    /// Starts one exchange. The context is the factory's to keep: the mechanism can
    /// take the credentials (and the secrets in them) without copying them.
    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error>;
}
