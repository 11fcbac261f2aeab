//! The server side: the mechanism registry and the session that drives one exchange.

use crate::Error;
use crate::channel_binding::ChannelBindingType;
use crate::connection::{ConnectionInfo, SuccessData};
use crate::failure::{FailureKind, FailureReason, ImapResponse, SmtpReply};
use crate::limits::Limits;
use crate::mechanism::Mechanism;
use crate::mechanism_api::{ServerContext, ServerMechanism, ServerMechanismFactory};
use crate::request::{Answer, Request, Store, Ticket, new_session_id};
use std::sync::Arc;

/// What the server application must do next. Each variant says exactly one thing.
#[derive(Debug)]
#[must_use = "a step tells the application what to send or decide next"]
#[non_exhaustive]
pub enum ServerStep {
    /// Send this challenge to the client (IMAP `+ <base64>`, SMTP `334 <base64>`) and
    /// pass its response to [`ServerSession::step`]. May be empty.
    Challenge(Vec<u8>),
    /// Answer this request (credential lookup, password check), possibly after an
    /// `.await`, and pass the answer to [`ServerSession::provide`].
    NeedCredentials(Request),
    /// Authentication succeeded: tell the client (IMAP `OK`, SMTP `235`), together
    /// with [`Authenticated::additional_data`] if the protocol carries it.
    Success(Authenticated),
    /// Authentication failed: tell the client (see [`Failed::imap`], [`Failed::smtp`]).
    Failure(Failed),
}

/// A successful authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    mechanism: Mechanism,
    authcid: String,
    authzid: Option<String>,
    channel_binding: Option<ChannelBindingType>,
    additional_data: Option<Vec<u8>>,
}

impl Authenticated {
    /// Builds a result (for mechanism implementations).
    pub fn new(mechanism: Mechanism, authcid: impl Into<String>) -> Self {
        Self {
            mechanism,
            authcid: authcid.into(),
            authzid: None,
            channel_binding: None,
            additional_data: None,
        }
    }

    /// Records a granted authorization identity (empty means none).
    pub fn with_authzid(mut self, authzid: Option<String>) -> Self {
        self.authzid = authzid.filter(|z| !z.is_empty());
        self
    }

    /// Records that the exchange was bound to the channel with this type.
    pub fn with_channel_binding(mut self, kind: Option<ChannelBindingType>) -> Self {
        self.channel_binding = kind;
        self
    }

    /// Attaches additional data to deliver with success.
    pub fn with_additional_data(mut self, data: Vec<u8>) -> Self {
        self.additional_data = Some(data);
        self
    }

    /// The mechanism used.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The authenticated identity (whose credentials were checked).
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// The granted authorization identity, if the client asked for one.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The identity the session acts as: the authzid if granted, else the authcid.
    pub fn identity(&self) -> &str {
        self.authzid.as_deref().unwrap_or(&self.authcid)
    }

    /// Whether the exchange was bound to the TLS channel.
    pub fn channel_bound(&self) -> bool {
        self.channel_binding.is_some()
    }

    /// The channel-binding type used, if any.
    pub fn channel_binding(&self) -> Option<ChannelBindingType> {
        self.channel_binding
    }

    /// Data the application must send with the success outcome. With
    /// [`SuccessData::AsChallenge`] (the default) the session already sent it as a
    /// challenge and this is `None`.
    pub fn additional_data(&self) -> Option<&[u8]> {
        self.additional_data.as_deref()
    }
}

/// A failed authentication: what to send, and why (for logs only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    reason: FailureReason,
    message: Option<Vec<u8>>,
}

impl Failed {
    /// A failure with nothing more to send than the protocol's failure reply.
    pub fn new(kind: FailureKind, detail: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self {
            reason: FailureReason::new(kind, detail),
            message: None,
        }
    }

    /// Attaches mechanism data for the client (e.g. SCRAM `e=invalid-proof`). Where the
    /// protocol has no way to carry data with a failure (IMAP, SMTP) it may be dropped.
    pub fn with_message(mut self, message: Vec<u8>) -> Self {
        self.message = Some(message);
        self
    }

    /// The local reason. Never send it to the peer.
    pub fn reason(&self) -> &FailureReason {
        &self.reason
    }

    /// Mechanism data for the client, if any.
    pub fn message(&self) -> Option<&[u8]> {
        self.message.as_deref()
    }

    /// The IMAP reply for this failure.
    pub fn imap(&self) -> ImapResponse {
        self.reason.imap()
    }

    /// The SMTP reply for this failure.
    pub fn smtp(&self) -> SmtpReply {
        self.reason.smtp()
    }
}

/// The mechanisms a server offers, in no particular order; built explicitly.
///
/// ```
/// # use sasl_core::{ServerMechanisms, ConnectionInfo};
/// let mechs = ServerMechanisms::new(); // .with(sasl_plain::PlainServer::factory()) ...
/// assert!(mechs.advertise(&ConnectionInfo::tls()).is_empty());
/// ```
#[derive(Clone, Default)]
pub struct ServerMechanisms {
    factories: Vec<Arc<dyn ServerMechanismFactory>>,
    limits: Limits,
}

impl core::fmt::Debug for ServerMechanisms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerMechanisms")
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

impl ServerMechanisms {
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
            self.factories.retain(|f| f.mechanism() != name);
            self.factories.push(factory);
        }
        self
    }

    /// Sets the limits every session enforces.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The names to advertise on this connection: no `-PLUS` without binding data,
    /// no PLAIN/LOGIN without TLS unless allowed, only `-PLUS` when binding is required.
    pub fn advertise(&self, connection: &ConnectionInfo) -> Vec<Mechanism> {
        self.factories
            .iter()
            .filter(|f| connection.permits(&f.properties()))
            .map(|f| f.mechanism())
            .collect()
    }

    /// Whether the `-PLUS` variant of `mechanism`'s family is offered on this connection.
    fn offers_plus(&self, mechanism: &Mechanism, connection: &ConnectionInfo) -> bool {
        let base = mechanism
            .as_str()
            .strip_suffix("-PLUS")
            .unwrap_or(mechanism.as_str());
        self.factories.iter().any(|f| {
            let name = f.mechanism();
            name.as_str().strip_suffix("-PLUS") == Some(base) && connection.permits(&f.properties())
        })
    }

    /// Starts a session for the mechanism the client named (case-insensitive).
    ///
    /// [`Error::UnknownMechanism`] and [`Error::MechanismNotAvailable`] are caused by
    /// the client: answer them as the protocol says (IMAP `NO`, SMTP `504 5.5.4`).
    pub fn start(&self, name: &str, connection: &ConnectionInfo) -> Result<ServerSession, Error> {
        // Matching case-insensitively against the registered (valid) names needs no
        // allocation, which matters on a server's per-login path.
        let factory = self
            .factories
            .iter()
            .find(|f| f.mechanism().as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownMechanism(name.chars().take(40).collect()))?;
        let wanted = factory.mechanism();
        if !connection.permits(&factory.properties()) {
            return Err(Error::MechanismNotAvailable(wanted.to_string()));
        }
        let offers_plus = self.offers_plus(&wanted, connection);
        let mechanism = factory.start(&ServerContext::new(connection, offers_plus))?;
        Ok(ServerSession::new(
            wanted,
            mechanism,
            self.limits,
            connection.success_data(),
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    New,
    Running,
    Pending(Ticket),
    /// Success data went out as a final challenge; the success is reported once the
    /// client's empty response arrives.
    AwaitingAck(Authenticated),
    Done,
}

/// One server-side exchange, sans-IO: bytes in, one [`ServerStep`] out.
///
/// Misuse (stepping while a request is pending, after the end, an answer from another
/// session) is an [`Error`] and leaves the session as it was.
pub struct ServerSession {
    id: u64,
    serial: u64,
    mechanism: Mechanism,
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
    /// Wraps a mechanism instance (normally done by [`ServerMechanisms::start`]; use
    /// this to run one concrete mechanism without a registry).
    pub fn new(
        mechanism: Mechanism,
        inner: Box<dyn ServerMechanism>,
        limits: Limits,
        success_data: SuccessData,
    ) -> Self {
        Self {
            id: new_session_id(),
            serial: 0,
            mechanism,
            inner,
            limits,
            success_data,
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

    /// Begins the exchange. `None`: the client sent no initial response; `Some(b"")`:
    /// it sent an empty one (`=` in IMAP and SMTP). These differ.
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if self.state != State::New {
            return Err(Error::AlreadyStarted);
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
            State::New => return Err(Error::NotStarted),
            State::Pending(_) => return Err(Error::RequestPending),
            State::Done => return Err(Error::Finished),
            State::Running | State::AwaitingAck(_) => {}
        }
        if let Some(fail) = self.check_input(response) {
            return Ok(fail);
        }
        if let State::AwaitingAck(auth) = core::mem::replace(&mut self.state, State::Done) {
            return Ok(if response.is_empty() {
                ServerStep::Success(auth)
            } else {
                ServerStep::Failure(Failed::new(
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
    pub fn provide(&mut self, answer: Answer) -> Result<ServerStep, Error> {
        let State::Pending(expected) = self.state else {
            return Err(match self.state {
                State::Done => Error::Finished,
                State::New => Error::NotStarted,
                _ => Error::NoRequestPending,
            });
        };
        let (ticket, verdict) = answer.into_parts();
        if ticket != expected {
            return Err(Error::ForeignAnswer);
        }
        self.state = State::Running;
        let step = self.inner.provide(verdict);
        self.after(step)
    }

    /// The client cancelled (`*`). Ends the exchange with a
    /// [`FailureKind::Cancelled`] failure.
    pub fn cancel(&mut self) -> Result<ServerStep, Error> {
        if self.state == State::Done {
            return Err(Error::Finished);
        }
        self.state = State::Done;
        Ok(ServerStep::Failure(Failed::new(
            FailureKind::Cancelled,
            "client cancelled",
        )))
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
        while let ServerStep::NeedCredentials(request) = step {
            step = self.provide(store.answer(request))?;
        }
        Ok(step)
    }

    fn check_input(&mut self, data: &[u8]) -> Option<ServerStep> {
        self.received = self.received.saturating_add(1);
        let failure = if data.len() > self.limits.max_message_len {
            Failed::new(
                FailureKind::MessageTooLarge,
                "client message exceeds the size limit",
            )
        } else if self.received > self.limits.max_round_trips {
            Failed::new(FailureKind::TooManyRoundTrips, "too many client messages")
        } else {
            return None;
        };
        self.state = State::Done;
        Some(ServerStep::Failure(failure))
    }

    fn after(&mut self, step: Result<ServerStep, Error>) -> Result<ServerStep, Error> {
        let step = match step {
            Ok(step) => step,
            Err(e) => {
                self.state = State::Done;
                return Err(e);
            }
        };
        Ok(match step {
            ServerStep::Challenge(c) => {
                self.state = State::Running;
                ServerStep::Challenge(c)
            }
            ServerStep::NeedCredentials(mut request) => {
                self.serial += 1;
                let ticket = Ticket::new(self.id, self.serial);
                request.stamp(ticket);
                self.state = State::Pending(ticket);
                ServerStep::NeedCredentials(request)
            }
            ServerStep::Success(mut auth) => {
                if self.success_data == SuccessData::AsChallenge {
                    if let Some(data) = auth.additional_data.take() {
                        self.state = State::AwaitingAck(auth);
                        return Ok(ServerStep::Challenge(data));
                    }
                }
                self.state = State::Done;
                ServerStep::Success(auth)
            }
            ServerStep::Failure(f) => {
                self.state = State::Done;
                ServerStep::Failure(f)
            }
        })
    }
}
