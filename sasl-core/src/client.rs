//! The client side: the mechanism registry (with selection) and the session that
//! drives one exchange.

use crate::Error;
use crate::channel_binding::ChannelBindingType;
use crate::connection::ConnectionInfo;
use crate::credentials::{ClientCredentials, ScramKeys};
use crate::failure::{ClientAction, FailureKind, FailureReason};
use crate::limits::Limits;
use crate::mechanism::Mechanism;
use crate::mechanism_api::{ClientContext, ClientMechanism, ClientMechanismFactory};
use std::sync::Arc;

/// What the client application must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a step tells the application what to send next"]
#[non_exhaustive]
pub enum ClientStep {
    /// Send this response (as the initial response after `start`, else as the answer
    /// to the last challenge; an empty one is `=` as an initial response in IMAP/SMTP
    /// and an empty line otherwise). Then wait for a challenge or the outcome.
    Respond(Vec<u8>),
    /// Send no initial response; wait for the server's first challenge (server-first
    /// mechanisms such as LOGIN).
    AwaitChallenge,
    /// The server misbehaved (or the exchange cannot go on): cancel the exchange
    /// (send `*`) and treat authentication as failed. The session has ended.
    Abort(ClientFailure),
}

/// What the server finally said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutcome {
    /// The server reported success (IMAP `OK`, SMTP `235`), with additional data if
    /// the protocol carried some (XMPP `<success>`).
    Success {
        /// Additional data sent with success, if any.
        additional_data: Option<Vec<u8>>,
    },
    /// The server reported failure (IMAP `NO`/`BAD`, SMTP `535` etc.).
    Failure,
}

impl ServerOutcome {
    /// Success without data.
    pub fn success() -> Self {
        ServerOutcome::Success {
            additional_data: None,
        }
    }
}

/// How the exchange ended, from the client's point of view.
#[derive(Debug, Clone)]
#[must_use]
pub enum ClientOutcome {
    /// Authenticated, and the server proved itself where the mechanism can.
    Authenticated(ClientSuccess),
    /// Not authenticated.
    Failed(ClientFailure),
}

impl ClientOutcome {
    /// Whether the client is authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, ClientOutcome::Authenticated(_))
    }
}

/// A successful client-side exchange.
#[derive(Debug, Clone)]
pub struct ClientSuccess {
    mechanism: Mechanism,
    channel_binding: Option<ChannelBindingType>,
    server_verified: bool,
    scram_keys: Option<ScramKeys>,
}

impl ClientSuccess {
    /// Builds a result (for mechanism implementations).
    pub fn new(mechanism: Mechanism) -> Self {
        Self {
            mechanism,
            channel_binding: None,
            server_verified: false,
            scram_keys: None,
        }
    }

    /// Records that the server proved knowledge of the credentials.
    pub fn with_server_verified(mut self, verified: bool) -> Self {
        self.server_verified = verified;
        self
    }

    /// Records the channel-binding type used.
    pub fn with_channel_binding(mut self, kind: Option<ChannelBindingType>) -> Self {
        self.channel_binding = kind;
        self
    }

    /// Hands derived SCRAM keys back for caching.
    pub fn with_scram_keys(mut self, keys: Option<ScramKeys>) -> Self {
        self.scram_keys = keys;
        self
    }

    /// The mechanism used.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// Whether the server proved it knows the credentials (mutual authentication;
    /// always true for SCRAM, false for PLAIN).
    pub fn server_verified(&self) -> bool {
        self.server_verified
    }

    /// The channel-binding type the exchange was bound with, if any.
    pub fn channel_binding(&self) -> Option<ChannelBindingType> {
        self.channel_binding
    }

    /// SCRAM keys derived during this exchange, for the application to cache (and
    /// pass back with [`ClientCredentials::with_scram_keys`]). `None` if the exchange
    /// used cached keys or is not SCRAM.
    pub fn scram_keys(&self) -> Option<&ScramKeys> {
        self.scram_keys.as_ref()
    }
}

/// A failed client-side exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFailure {
    reason: FailureReason,
    server_error: Option<String>,
}

impl ClientFailure {
    /// A failure with a local reason.
    pub fn new(kind: FailureKind, detail: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self {
            reason: FailureReason::new(kind, detail),
            server_error: None,
        }
    }

    /// Records the error the server's mechanism sent (e.g. SCRAM `e=` value).
    pub fn with_server_error(mut self, error: impl Into<String>) -> Self {
        self.server_error = Some(error.into());
        self
    }

    /// Why it failed.
    pub fn reason(&self) -> &FailureReason {
        &self.reason
    }

    /// The mechanism-level error the server sent, if any.
    pub fn server_error(&self) -> Option<&str> {
        self.server_error.as_deref()
    }

    /// What to do next: retry, refresh credentials, ask the user, or give up.
    pub fn action(&self) -> ClientAction {
        self.reason.client_action()
    }
}

/// The mechanisms a client is willing to use, in its order of preference (first is
/// most preferred).
#[derive(Clone, Default)]
pub struct ClientMechanisms {
    factories: Vec<Arc<dyn ClientMechanismFactory>>,
    limits: Limits,
}

impl core::fmt::Debug for ClientMechanisms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientMechanisms")
            .field(
                "mechanisms",
                &self
                    .factories
                    .iter()
                    .map(|m| m.mechanism())
                    .collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish()
    }
}

impl ClientMechanisms {
    /// An empty list with default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a mechanism (less preferred than those already added).
    pub fn with(mut self, factory: impl ClientMechanismFactory + 'static) -> Self {
        self.factories.push(Arc::new(factory));
        self
    }

    /// Appends several mechanisms, in the given order.
    pub fn with_all(
        mut self,
        factories: impl IntoIterator<Item = Arc<dyn ClientMechanismFactory>>,
    ) -> Self {
        self.factories.extend(factories);
        self
    }

    /// Sets the limits every session enforces.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Picks the most preferred mechanism that the server advertised, that may be
    /// used on this connection, and for which the credentials suffice.
    pub fn select<S: AsRef<str>>(
        &self,
        advertised: &[S],
        credentials: &ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Option<Mechanism> {
        self.factories
            .iter()
            .find(|f| {
                let name = f.mechanism();
                offered(advertised, name.as_str())
                    && connection.permits(&f.properties())
                    && f.can_use(credentials)
            })
            .map(|f| f.mechanism())
    }

    /// Selects as [`select`](Self::select) does and starts a session.
    pub fn start_best<S: AsRef<str>>(
        &self,
        advertised: &[S],
        credentials: ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<ClientSession, Error> {
        let name = self
            .select(advertised, &credentials, connection)
            .ok_or_else(|| Error::MechanismNotAvailable("no common mechanism".into()))?;
        self.start(name.as_str(), advertised, credentials, connection)
    }

    /// Starts a session for a named mechanism. `advertised` is the server's list; it
    /// tells a SCRAM client whether the server offered `-PLUS`.
    pub fn start<S: AsRef<str>>(
        &self,
        name: &str,
        advertised: &[S],
        credentials: ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<ClientSession, Error> {
        let factory = self
            .factories
            .iter()
            .find(|f| f.mechanism().as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownMechanism(name.chars().take(40).collect()))?;
        let wanted = factory.mechanism();
        if !connection.permits(&factory.properties()) {
            return Err(Error::MechanismNotAvailable(wanted.to_string()));
        }
        let base = wanted
            .as_str()
            .strip_suffix("-PLUS")
            .unwrap_or(wanted.as_str());
        let plus = format!("{base}-PLUS");
        let server_offers_plus = offered(advertised, &plus);
        let context = ClientContext::new(credentials, connection.clone(), server_offers_plus);
        let inner = factory.start(&context)?;
        Ok(ClientSession::new(wanted, inner, self.limits))
    }
}

fn offered<S: AsRef<str>>(advertised: &[S], name: &str) -> bool {
    advertised
        .iter()
        .any(|a| a.as_ref().eq_ignore_ascii_case(name))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    Running,
    Done,
}

/// One client-side exchange, sans-IO.
pub struct ClientSession {
    mechanism: Mechanism,
    inner: Box<dyn ClientMechanism>,
    limits: Limits,
    state: State,
    received: u32,
}

impl core::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientSession")
            .field("mechanism", &self.mechanism)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// Wraps a mechanism instance (normally done by [`ClientMechanisms::start`]).
    pub fn new(mechanism: Mechanism, inner: Box<dyn ClientMechanism>, limits: Limits) -> Self {
        Self {
            mechanism,
            inner,
            limits,
            state: State::New,
            received: 0,
        }
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// Whether the exchange has ended.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    /// Begins: the initial response, or [`ClientStep::AwaitChallenge`].
    pub fn start(&mut self) -> Result<ClientStep, Error> {
        if self.state != State::New {
            return Err(Error::AlreadyStarted);
        }
        self.state = State::Running;
        let step = self.inner.start();
        self.after(step)
    }

    /// Passes a server challenge.
    pub fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        match self.state {
            State::New => return Err(Error::NotStarted),
            State::Done => return Err(Error::Finished),
            State::Running => {}
        }
        self.received = self.received.saturating_add(1);
        let failure = if challenge.len() > self.limits.max_message_len {
            Some(ClientFailure::new(
                FailureKind::MessageTooLarge,
                "server challenge exceeds the size limit",
            ))
        } else if self.received > self.limits.max_round_trips {
            Some(ClientFailure::new(
                FailureKind::TooManyRoundTrips,
                "too many server challenges",
            ))
        } else {
            None
        };
        if let Some(failure) = failure {
            self.state = State::Done;
            return Ok(ClientStep::Abort(failure));
        }
        let step = self.inner.step(challenge);
        self.after(step)
    }

    /// Passes the server's outcome and ends the exchange. Success is only reported if
    /// the mechanism agrees: "the server said OK" is not enough where the server must
    /// prove itself (SCRAM).
    pub fn finish(&mut self, outcome: ServerOutcome) -> Result<ClientOutcome, Error> {
        match self.state {
            State::New => return Err(Error::NotStarted),
            State::Done => return Err(Error::Finished),
            State::Running => {}
        }
        if let ServerOutcome::Success {
            additional_data: Some(data),
        } = &outcome
        {
            if data.len() > self.limits.max_message_len {
                self.state = State::Done;
                return Ok(ClientOutcome::Failed(ClientFailure::new(
                    FailureKind::MessageTooLarge,
                    "server success data exceeds the size limit",
                )));
            }
        }
        self.state = State::Done;
        self.inner.finish(outcome)
    }

    fn after(&mut self, step: Result<ClientStep, Error>) -> Result<ClientStep, Error> {
        match step {
            Ok(ClientStep::Abort(f)) => {
                self.state = State::Done;
                Ok(ClientStep::Abort(f))
            }
            Ok(other) => Ok(other),
            Err(e) => {
                self.state = State::Done;
                Err(e)
            }
        }
    }
}
