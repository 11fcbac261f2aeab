//! The server side: the mechanism registry and the session that drives one exchange.

mod outcome;

pub use outcome::{ExtensionData, MechanismData, PasskeyUse, ServerFailure, ServerSuccess};

use crate::Error;
use crate::connection::{ConnectionInfo, SuccessData};
use crate::error::{Misuse, ProvideError};
use crate::failure::FailureKind;
use crate::limits::Limits;
use crate::mechanism::{MechanismName, is_plus_of_family};
use crate::mechanism_api::{ServerContext, ServerMechanism, ServerMechanismFactory};
use crate::request::{Answer, Request, Store};
use crate::ticket::{Ticket, Tickets, redeem};
use crate::time::UnixTime;
use std::sync::Arc;

/// What the server application must do next. Each variant is one obligation.
///
/// The enum is exhaustive on purpose: a new kind of step would be a new obligation
/// for every server, so it is a compile error, not a runtime surprise
/// (docs/decisions/0006).
#[derive(Debug)]
#[must_use = "a step tells the application what to send or decide next"]
pub enum ServerStep {
    /// Send this challenge to the client (IMAP `+ <base64>`, SMTP `334 <base64>`) and
    /// pass its response to [`ServerSession::step`] (or `*` to
    /// [`ServerSession::cancel`]). May be empty.
    Challenge(Vec<u8>),
    /// Answer this request (credential lookup, password check, token validation,
    /// ...), possibly after an `.await`, and pass the answer to
    /// [`ServerSession::provide`].
    Request(Request),
    /// Authentication succeeded: tell the client (IMAP `OK`, SMTP `235`), together
    /// with [`ServerSuccess::additional_data`] if the protocol carries it. The session
    /// has ended.
    Success(ServerSuccess),
    /// Authentication failed: tell the client (see [`ServerFailure::imap`],
    /// [`ServerFailure::smtp`]). The session has ended.
    Failure(ServerFailure),
}

/// The mechanisms a server offers, in no particular order; built explicitly.
///
/// ```
/// # use sasl_core::{ServerRegistry, ConnectionInfo};
/// let mechs = ServerRegistry::new(); // .with(sasl_plain::PlainServer::factory()) ...
/// assert!(mechs.advertise(&ConnectionInfo::tls()).is_empty());
/// ```
#[derive(Clone, Default)]
pub struct ServerRegistry {
    factories: Vec<Entry>,
    limits: Limits,
}

/// One registered factory, with what every session start would otherwise ask it
/// again: its name (registration already relies on it being fixed: same-named
/// factories replace each other), and whether the registry holds any `-PLUS`
/// mechanism of its family (if not, `offers_plus` is false without a scan).
#[derive(Clone)]
struct Entry {
    factory: Arc<dyn ServerMechanismFactory>,
    name: MechanismName,
    plus_in_family: bool,
}

impl core::fmt::Debug for ServerRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerRegistry")
            .field(
                "mechanisms",
                &self.factories.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish()
    }
}

impl ServerRegistry {
    /// An empty registry with default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a mechanism. A later one with the same name replaces the earlier one.
    pub fn with(self, factory: impl ServerMechanismFactory + 'static) -> Self {
        self.with_all([Arc::new(factory) as Arc<dyn ServerMechanismFactory>])
    }

    /// Adds several mechanisms (e.g. all SCRAM variants); same-named ones replace
    /// earlier registrations.
    pub fn with_all(
        mut self,
        factories: impl IntoIterator<Item = Arc<dyn ServerMechanismFactory>>,
    ) -> Self {
        for factory in factories {
            let name = factory.mechanism();
            self.factories.retain(|e| e.name != name);
            self.factories.push(Entry {
                factory,
                name,
                plus_in_family: false,
            });
        }
        let names: Vec<MechanismName> = self.factories.iter().map(|e| e.name.clone()).collect();
        for entry in &mut self.factories {
            entry.plus_in_family = names
                .iter()
                .any(|n| is_plus_of_family(n.as_str(), entry.name.as_str()));
        }
        self
    }

    /// Sets the limits every session enforces.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The names to advertise on this connection: no `-PLUS` without binding data,
    /// no PLAIN/LOGIN without TLS unless allowed, only `-PLUS` when binding is
    /// required, and only mechanisms whose factory is available here (EXTERNAL needs
    /// an external identity).
    pub fn advertise(&self, connection: &ConnectionInfo) -> Vec<MechanismName> {
        self.factories
            .iter()
            .filter(|e| usable(e.factory.as_ref(), connection))
            .map(|e| e.name.clone())
            .collect()
    }

    /// Whether a `-PLUS` mechanism of `mechanism`'s family (see `is_plus_of_family`) is offered
    /// on this connection.
    fn offers_plus(&self, mechanism: &MechanismName, connection: &ConnectionInfo) -> bool {
        self.factories.iter().any(|e| {
            is_plus_of_family(e.name.as_str(), mechanism.as_str())
                && usable(e.factory.as_ref(), connection)
        })
    }

    /// Starts a session for the mechanism the client named (case-insensitive).
    ///
    /// A name the server does not offer on this connection is the client's doing, so
    /// it is a [`ServerFailure`] to answer as the protocol says (IMAP `NO`, SMTP
    /// `504 5.5.4`; [`FailureKind::EncryptionRequired`] for PLAIN without TLS), never
    /// an [`Error`]. A mechanism that cannot start for a local reason (configuration,
    /// randomness) is a [`FailureKind::Internal`] failure carrying the
    /// [`local_error`](ServerFailure::local_error).
    pub fn start(
        &self,
        name: &str,
        connection: &ConnectionInfo,
    ) -> Result<ServerSession, ServerFailure> {
        // Matching case-insensitively against the registered (valid) names needs no
        // allocation, which matters on a server's per-login path.
        let Some(entry) = self
            .factories
            .iter()
            .find(|e| e.name.as_str().eq_ignore_ascii_case(name))
        else {
            return Err(ServerFailure::new(
                FailureKind::UnknownMechanism,
                "the client named a mechanism that is not registered",
            ));
        };
        let factory = entry.factory.as_ref();
        let wanted = entry.name.clone();
        if !usable(factory, connection) {
            let properties = factory.properties();
            return Err(if properties.plaintext_password && !connection.is_tls() {
                ServerFailure::new(
                    FailureKind::EncryptionRequired,
                    "the client chose a plaintext-password mechanism without TLS",
                )
            } else {
                ServerFailure::new(
                    FailureKind::UnknownMechanism,
                    "the client chose a mechanism not offered on this connection",
                )
            });
        }
        let offers_plus = entry.plus_in_family && self.offers_plus(&wanted, connection);
        let mechanism = factory
            .start(&ServerContext::new(connection, offers_plus))
            .map_err(ServerFailure::local)?;
        Ok(ServerSession::new(
            wanted,
            mechanism,
            self.limits,
            connection.success_data(),
        ))
    }
}

/// Whether a factory may be offered or used on a connection.
fn usable(factory: &dyn ServerMechanismFactory, connection: &ConnectionInfo) -> bool {
    connection.permits(&factory.properties()) && factory.is_available(connection)
}

#[derive(Debug, Clone)]
enum State {
    New,
    Running,
    Pending(Ticket),
    /// Success data went out as a final challenge; the success is reported once the
    /// client's empty response arrives.
    AwaitingAck(ServerSuccess),
    Done,
}

/// One server-side exchange, sans-IO: bytes in, one [`ServerStep`] out.
///
/// # The methods by purpose
///
/// - **Begin:** [`start`](Self::start) with the client's initial response (`None`
///   when it sent none, `Some(b"")` for IMAP/SMTP `=`).
/// - **Feed the client:** [`step`](Self::step) with each decoded response,
///   [`cancel`](Self::cancel) when it sent `*`.
/// - **Answer requests:** [`provide`](Self::provide) the [`Answer`] to the
///   [`ServerStep::Request`] just returned; a refused answer comes back in the
///   [`ProvideError`].
/// - **Inputs:** [`set_now`](Self::set_now) before a call whose mechanism checks time
///   (token expiry, passkey challenge lifetime); the library never reads a clock.
/// - **Synchronous shortcut:** [`start_with`](Self::start_with),
///   [`step_with`](Self::step_with) answer requests from a [`Store`].
/// - **Inspect:** [`mechanism`](Self::mechanism), [`is_finished`](Self::is_finished).
///
/// Every step ends in exactly one [`ServerStep`]; a peer can only cause
/// [`ServerStep::Failure`]. Misuse (stepping while a request is pending, after the
/// end, an answer from another session) is an [`Error`] and leaves the session as
/// it was.
pub struct ServerSession {
    tickets: Tickets,
    mechanism: MechanismName,
    inner: Box<dyn ServerMechanism>,
    limits: Limits,
    success_data: SuccessData,
    state: State,
    received: u32,
}

impl core::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession")
            .field("mechanism", &self.mechanism)
            .field("state", &self.state)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// Wraps a mechanism instance (normally done by [`ServerRegistry::start`]; use
    /// this to run one concrete mechanism without a registry).
    pub fn new(
        mechanism: MechanismName,
        inner: Box<dyn ServerMechanism>,
        limits: Limits,
        success_data: SuccessData,
    ) -> Self {
        Self {
            tickets: Tickets::new(),
            mechanism,
            inner,
            limits,
            success_data,
            state: State::New,
            received: 0,
        }
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    /// Whether the exchange has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Tells the session the current time, for mechanisms that check it (bearer-token
    /// expiry, passkey challenge lifetime). Call it before [`start`](Self::start) and
    /// before each later call; a mechanism that needs the time and was not given it
    /// fails closed.
    pub fn set_now(&mut self, now: UnixTime) {
        self.inner.set_now(now);
    }

    /// Begins the exchange. `None`: the client sent no initial response; `Some(b"")`:
    /// it sent an empty one (`=` in IMAP and SMTP). These differ: a client-first
    /// mechanism answers `None` with an empty challenge, after which the client sends
    /// its initial response as an ordinary response (RFC 4422 §5).
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if !matches!(self.state, State::New) {
            return Err(Misuse::AlreadyStarted.into());
        }
        self.state = State::Running;
        if let Some(data) = initial_response {
            if let Some(fail) = self.check_input(data) {
                return Ok(fail);
            }
        }
        let step = self.inner.start(initial_response);
        self.after(step)
    }

    /// Passes the client's response to the last challenge.
    pub fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match self.state {
            State::New => return Err(Misuse::NotStarted.into()),
            State::Pending(_) => return Err(Misuse::RequestPending.into()),
            State::Done => return Err(Misuse::Finished.into()),
            State::Running | State::AwaitingAck(_) => {}
        }
        if let Some(fail) = self.check_input(response) {
            return Ok(fail);
        }
        if let State::AwaitingAck(auth) = core::mem::replace(&mut self.state, State::Done) {
            return Ok(if response.is_empty() {
                ServerStep::Success(auth)
            } else {
                ServerStep::Failure(ServerFailure::new(
                    FailureKind::Protocol,
                    "client answered the final server message with data",
                ))
            });
        }
        self.state = State::Running;
        let step = self.inner.step(response);
        self.after(step)
    }

    /// Passes the application's answer to the pending request.
    ///
    /// An answer that does not belong here (another session's, an older request's, or
    /// one given when no request is pending) is refused and handed back in the
    /// [`ProvideError`]; the session is unchanged.
    pub fn provide(&mut self, answer: Answer) -> Result<ServerStep, ProvideError<Answer>> {
        let expected = match self.state {
            State::Pending(ticket) => Ok(ticket),
            State::New => Err(Misuse::NotStarted),
            State::Done => Err(Misuse::Finished),
            State::Running | State::AwaitingAck(_) => Err(Misuse::NoRequestPending),
        };
        let ticket = answer.ticket();
        let answer = redeem(expected, ticket, answer)?;
        self.state = State::Running;
        let step = self.inner.provide(answer.into_verdict());
        // A mechanism error here is local (its own state or configuration): the
        // answer was consumed, so it ends the exchange as an internal failure.
        match self.after(step) {
            Ok(step) => Ok(step),
            Err(error) => Ok(ServerStep::Failure(ServerFailure::local(error))),
        }
    }

    /// The client cancelled (`*`). Ends the exchange with a
    /// [`FailureKind::Cancelled`] failure, or with the failure the mechanism had
    /// already decided on (an OAUTHBEARER client may answer the error challenge with
    /// `*`: the failure is then the token's, say "token expired").
    pub fn cancel(&mut self) -> Result<ServerStep, Error> {
        if matches!(self.state, State::Done) {
            return Err(Misuse::Finished.into());
        }
        self.state = State::Done;
        let decided = self.inner.cancelled();
        Ok(ServerStep::Failure(decided.unwrap_or_else(|| {
            ServerFailure::new(FailureKind::Cancelled, "client cancelled")
        })))
    }

    /// [`start`](Self::start), answering any requests synchronously from `store`.
    pub fn start_with(
        &mut self,
        initial_response: Option<&[u8]>,
        store: &impl Store,
    ) -> Result<ServerStep, Error> {
        let step = self.start(initial_response)?;
        self.resolve(step, store)
    }

    /// [`step`](Self::step), answering any requests synchronously from `store`.
    pub fn step_with(&mut self, response: &[u8], store: &impl Store) -> Result<ServerStep, Error> {
        let step = self.step(response)?;
        self.resolve(step, store)
    }

    fn resolve(&mut self, mut step: ServerStep, store: &impl Store) -> Result<ServerStep, Error> {
        while let ServerStep::Request(request) = step {
            step = self.provide(store.answer(request))?;
        }
        Ok(step)
    }

    fn check_input(&mut self, data: &[u8]) -> Option<ServerStep> {
        self.received = self.received.saturating_add(1);
        let failure = if data.len() > self.limits.max_message_len {
            ServerFailure::new(
                FailureKind::MessageTooLarge,
                "client message exceeds the size limit",
            )
        } else if self.received > self.limits.max_round_trips {
            ServerFailure::new(FailureKind::TooManyRoundTrips, "too many client messages")
        } else {
            return None;
        };
        self.state = State::Done;
        Some(ServerStep::Failure(failure))
    }

    /// Updates the state from the mechanism's step. The step is inspected in place
    /// and returned as it came (no re-wrapping moves of the 120-byte value), except
    /// success data going out as a final challenge.
    #[inline]
    fn after(&mut self, mut step: Result<ServerStep, Error>) -> Result<ServerStep, Error> {
        let data = match &mut step {
            Err(_) => {
                self.state = State::Done;
                None
            }
            Ok(ServerStep::Challenge(_)) => {
                self.state = State::Running;
                None
            }
            Ok(ServerStep::Request(request)) => {
                let ticket = self.tickets.issue();
                request.stamp(ticket);
                self.state = State::Pending(ticket);
                None
            }
            Ok(ServerStep::Success(auth)) => {
                let data = if self.success_data == SuccessData::AsChallenge {
                    auth.take_additional_data()
                } else {
                    None
                };
                if data.is_none() {
                    self.state = State::Done;
                }
                data
            }
            Ok(ServerStep::Failure(_)) => {
                self.state = State::Done;
                None
            }
        };
        if let Some(data) = data {
            if let Ok(ServerStep::Success(auth)) =
                core::mem::replace(&mut step, Ok(ServerStep::Challenge(data)))
            {
                self.state = State::AwaitingAck(auth);
            }
        }
        step
    }
}
