//! The client side: the mechanism registry (with selection) and the session that
//! drives one exchange.

mod outcome;
mod request;

pub use outcome::{ClientFailure, ClientOutcome, ClientSuccess, FailureReply, ServerReply};
pub use request::{
    AssertionRequest, ClientAnswer, ClientExtensionRequest, ClientInput, ClientRequest,
    PasskeyAssertion, PasswordPrompt, TokenPrompt, UserVerification,
};

use crate::Error;
use crate::connection::ConnectionInfo;
use crate::credentials::ClientCredentials;
use crate::error::{ConfigError, Misuse, ProvideError};
use crate::failure::FailureKind;
use crate::limits::Limits;
use crate::mechanism::{MechanismName, is_plus_of_family};
use crate::mechanism_api::{ClientContext, ClientMechanism, ClientMechanismFactory};
use crate::secret::Secret;
use crate::ticket::{Ticket, Tickets, redeem};
use std::sync::Arc;

/// What the client application must do next. Each variant is one obligation.
///
/// Exhaustive on purpose, like [`ServerStep`](crate::ServerStep) (docs/decisions/0006).
#[derive(Debug)]
#[must_use = "a step tells the application what to send next"]
pub enum ClientStep {
    /// Send this response (as the initial response after `start`, else as the answer
    /// to the last challenge; an empty one is `=` as an initial response in IMAP/SMTP
    /// and an empty line otherwise). Then wait for a challenge or the outcome. It may
    /// hold a password (PLAIN), so it is a [`Secret`]: redacted in `Debug`, zeroized
    /// on drop.
    Respond(Secret<Vec<u8>>),
    /// Send no initial response; wait for the server's first challenge (server-first
    /// mechanisms such as LOGIN).
    AwaitChallenge,
    /// Answer this request (ask the user for a password, fetch a token, have an
    /// authenticator sign), possibly after an `.await`, and pass the answer to
    /// [`ClientSession::provide`].
    Request(ClientRequest),
    /// The server misbehaved (or the exchange cannot go on): cancel the exchange
    /// (send `*`) and treat authentication as failed. The session has ended.
    Abort(ClientFailure),
}

/// The mechanisms a client is willing to use, in its order of preference (first is
/// most preferred).
#[derive(Clone, Default)]
pub struct ClientRegistry {
    factories: Vec<Arc<dyn ClientMechanismFactory>>,
    limits: Limits,
}

impl core::fmt::Debug for ClientRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientRegistry")
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

impl ClientRegistry {
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
    ) -> Option<MechanismName> {
        self.best(advertised, credentials, connection)
            .map(|f| f.mechanism())
    }

    fn best<S: AsRef<str>>(
        &self,
        advertised: &[S],
        credentials: &ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Option<&dyn ClientMechanismFactory> {
        self.factories.iter().map(|f| f.as_ref()).find(|f| {
            offered(advertised, f.mechanism().as_str())
                && usable(*f, connection)
                && f.can_use(credentials)
        })
    }

    /// Selects as [`select`](Self::select) does and starts a session;
    /// [`ConfigError::NoCommonMechanism`] when nothing fits.
    pub fn start_best<S: AsRef<str>>(
        &self,
        advertised: &[S],
        credentials: ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<ClientSession, Error> {
        let factory = self
            .best(advertised, &credentials, connection)
            .ok_or(ConfigError::NoCommonMechanism)?;
        // `best` has checked everything `start` would.
        self.start_factory(factory, advertised, credentials, connection)
    }

    /// Starts a session for a named mechanism, checked as [`select`](Self::select)
    /// checks: it must be registered here ([`ConfigError::UnknownMechanism`]),
    /// advertised by the server in `advertised` ([`ConfigError::NotAdvertised`]; a
    /// server rejects an unadvertised mechanism anyway, and the list also tells a SCRAM
    /// client whether `-PLUS` was offered), and usable on this connection
    /// ([`ConfigError::MechanismNotAvailable`]). Credentials the mechanism needs but
    /// cannot ask for later are checked by the mechanism
    /// ([`ConfigError::MissingCredentials`]).
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
            .ok_or_else(|| ConfigError::UnknownMechanism(name.chars().take(40).collect()))?;
        let wanted = factory.mechanism();
        if !offered(advertised, wanted.as_str()) {
            return Err(ConfigError::NotAdvertised(wanted.to_string()).into());
        }
        if !usable(factory.as_ref(), connection) {
            return Err(ConfigError::MechanismNotAvailable(wanted.to_string()).into());
        }
        self.start_factory(factory.as_ref(), advertised, credentials, connection)
    }

    fn start_factory<S: AsRef<str>>(
        &self,
        factory: &dyn ClientMechanismFactory,
        advertised: &[S],
        credentials: ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<ClientSession, Error> {
        let wanted = factory.mechanism();
        let server_offers_plus = advertised
            .iter()
            .any(|a| is_plus_of_family(a.as_ref(), wanted.as_str()));
        let context = ClientContext::new(credentials, connection, server_offers_plus);
        let inner = factory.start(context)?;
        Ok(ClientSession::new(wanted, inner, self.limits))
    }
}

/// Whether a factory may be used on a connection.
fn usable(factory: &dyn ClientMechanismFactory, connection: &ConnectionInfo) -> bool {
    connection.permits(&factory.properties()) && factory.is_available(connection)
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
    Pending(Ticket),
    Done,
}

/// One client-side exchange, sans-IO.
///
/// # The methods by purpose
///
/// - **Begin:** [`start`](Self::start) gives the initial response
///   ([`ClientStep::Respond`]) or says to wait for the server
///   ([`ClientStep::AwaitChallenge`]).
/// - **Feed the server:** [`step`](Self::step) with each decoded challenge.
/// - **Answer requests:** [`provide`](Self::provide) the [`ClientAnswer`] to the
///   [`ClientStep::Request`] just returned (a password asked for lazily, a fresh
///   token, an authenticator's assertion).
/// - **End:** [`finish`](Self::finish) with the server's [`ServerReply`]: success is
///   reported only when the mechanism is satisfied (a SCRAM server must prove itself).
///
/// # Protocols without an initial response (RFC 4422 §5)
///
/// When the protocol (or the server: IMAP without `SASL-IR`) cannot carry the initial
/// response that [`start`](Self::start) returned, send the command without it. The
/// server then sends an empty challenge; pass it to [`step`](Self::step) and the
/// session answers with the initial response, for every mechanism. The session keeps
/// the initial response (zeroized) only until the first challenge.
pub struct ClientSession {
    tickets: Tickets,
    mechanism: MechanismName,
    inner: Box<dyn ClientMechanism>,
    limits: Limits,
    state: State,
    received: u32,
    /// The initial response, kept for a server that asks for it with an empty
    /// challenge (no SASL-IR).
    initial: Option<Secret<Vec<u8>>>,
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
    /// Wraps a mechanism instance (normally done by [`ClientRegistry::start`]).
    pub fn new(mechanism: MechanismName, inner: Box<dyn ClientMechanism>, limits: Limits) -> Self {
        Self {
            tickets: Tickets::new(),
            mechanism,
            inner,
            limits,
            state: State::New,
            received: 0,
            initial: None,
        }
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    /// Whether the exchange has ended.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    /// Begins: the initial response, [`ClientStep::AwaitChallenge`], or a request
    /// (a password the credentials did not include).
    pub fn start(&mut self) -> Result<ClientStep, Error> {
        if self.state != State::New {
            return Err(Misuse::AlreadyStarted.into());
        }
        self.state = State::Running;
        let step = self.inner.start();
        self.after(step)
    }

    /// Passes a server challenge.
    pub fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        match self.state {
            State::New => return Err(Misuse::NotStarted.into()),
            State::Pending(_) => return Err(Misuse::RequestPending.into()),
            State::Done => return Err(Misuse::Finished.into()),
            State::Running => {}
        }
        let first = self.received == 0;
        self.received = self.received.saturating_add(1);
        // RFC 4422 §5: a server that got no initial response asks for it with an
        // empty challenge.
        let held = self.initial.take();
        if first && challenge.is_empty() {
            if let Some(initial) = held {
                return Ok(ClientStep::Respond(initial));
            }
        }
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

    /// Passes the application's answer to the pending request. A refused answer
    /// (another session's, an older one, none pending) comes back in the
    /// [`ProvideError`]; the session is unchanged. A declined request aborts the
    /// exchange as [`FailureKind::Cancelled`].
    pub fn provide(
        &mut self,
        answer: ClientAnswer,
    ) -> Result<ClientStep, ProvideError<ClientAnswer>> {
        let expected = match self.state {
            State::Pending(ticket) => Ok(ticket),
            State::New => Err(Misuse::NotStarted),
            State::Done => Err(Misuse::Finished),
            State::Running => Err(Misuse::NoRequestPending),
        };
        let ticket = answer.ticket();
        let answer = redeem(expected, ticket, answer)?;
        self.state = State::Running;
        let input = answer.into_input();
        if let ClientInput::Declined = input {
            self.state = State::Done;
            return Ok(ClientStep::Abort(ClientFailure::new(
                FailureKind::Cancelled,
                "the application declined the request",
            )));
        }
        let step = self.inner.provide(input);
        match self.after(step) {
            Ok(step) => Ok(step),
            Err(error) => Ok(ClientStep::Abort(ClientFailure::new(
                FailureKind::Internal,
                error.to_string(),
            ))),
        }
    }

    /// Passes the server's reply and ends the exchange. Success is only reported if
    /// the mechanism agrees: "the server said OK" is not enough where the server must
    /// prove itself (SCRAM).
    pub fn finish(&mut self, reply: ServerReply) -> Result<ClientOutcome, Error> {
        match self.state {
            State::New => return Err(Misuse::NotStarted.into()),
            State::Pending(_) => return Err(Misuse::RequestPending.into()),
            State::Done => return Err(Misuse::Finished.into()),
            State::Running => {}
        }
        self.state = State::Done;
        self.initial = None;
        if let ServerReply::Success {
            additional_data: Some(data),
        } = &reply
        {
            if data.len() > self.limits.max_message_len {
                return Ok(ClientOutcome::Failure(ClientFailure::new(
                    FailureKind::MessageTooLarge,
                    "server success data exceeds the size limit",
                )));
            }
        }
        self.inner.finish(reply)
    }

    fn after(&mut self, step: Result<ClientStep, Error>) -> Result<ClientStep, Error> {
        match step {
            Ok(ClientStep::Abort(f)) => {
                self.state = State::Done;
                self.initial = None;
                Ok(ClientStep::Abort(f))
            }
            Ok(ClientStep::Request(mut request)) => {
                let ticket = self.tickets.issue();
                request.stamp(ticket);
                self.state = State::Pending(ticket);
                Ok(ClientStep::Request(request))
            }
            Ok(ClientStep::Respond(data)) => {
                if self.received == 0 {
                    self.initial = Some(data.clone());
                }
                Ok(ClientStep::Respond(data))
            }
            Ok(other) => Ok(other),
            Err(e) => {
                self.state = State::Done;
                Err(e)
            }
        }
    }
}
