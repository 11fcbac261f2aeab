//! Local errors: API misuse and configuration problems.
//!
//! Nothing a peer sends produces an [`Error`]: peer behaviour, including a client that
//! names a mechanism the server does not offer, always ends in a normal failure step
//! ([`ServerStep::Failure`](crate::ServerStep::Failure),
//! [`ClientStep::Abort`](crate::ClientStep::Abort)) or a failed outcome. An `Error`
//! means the application (or the machine) did something wrong, in one of three ways:
//!
//! - [`Error::Misuse`]: calls out of order, or an answer given to the wrong session.
//!   A bug in the calling code, never caused by the values of untrusted data.
//! - [`Error::Config`]: a configuration the library cannot work with (a bad mechanism
//!   name, a mechanism the client did not register, missing credentials, a parameter
//!   out of range).
//! - [`Error::Random`]: the random source failed.

use core::fmt;

/// A local problem: API misuse, configuration, or a failing random source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The API was called out of order, or an answer went to the wrong session. Never
    /// caused by peer data.
    Misuse(Misuse),
    /// The configuration cannot work.
    Config(ConfigError),
    /// The random number source failed.
    Random,
}

impl Error {
    /// A configuration error with a free-form description (a parameter out of range,
    /// an invalid stored credential).
    pub fn config(detail: impl Into<String>) -> Self {
        Error::Config(ConfigError::Invalid(detail.into()))
    }

    /// Whether this is API misuse (a bug in the calling code).
    pub fn is_misuse(&self) -> bool {
        matches!(self, Error::Misuse(_))
    }
}

impl From<Misuse> for Error {
    fn from(misuse: Misuse) -> Self {
        Error::Misuse(misuse)
    }
}

impl From<ConfigError> for Error {
    fn from(config: ConfigError) -> Self {
        Error::Config(config)
    }
}

/// How the calling code broke the session's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misuse {
    /// The session was already started.
    AlreadyStarted,
    /// The session has not been started yet.
    NotStarted,
    /// A request is pending: answer it with `provide` before stepping again.
    RequestPending,
    /// `provide` was called but no request is pending.
    NoRequestPending,
    /// The answer belongs to another session or to an older request.
    ForeignAnswer,
    /// The session has already ended (success, failure or cancel).
    Finished,
    /// The call does not fit the current state of the exchange.
    WrongState(&'static str),
    /// The answer's kind does not fit the request (an answer built by hand for a
    /// mechanism state machine driven without a session).
    AnswerMismatch,
}

/// Why a configuration cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A mechanism name does not follow RFC 4422 (1 to 20 of `A-Z 0-9 - _`).
    InvalidMechanismName,
    /// The client asked to start a mechanism it did not register.
    UnknownMechanism(String),
    /// The client asked to start a mechanism that may not be used on this connection
    /// (PLAIN without TLS, `-PLUS` without binding data, a bare mechanism when binding
    /// is required, a factory that is not available here).
    MechanismNotAvailable(String),
    /// The client asked to start a mechanism the server did not advertise.
    NotAdvertised(String),
    /// No mechanism is both registered by the client and advertised by the server
    /// (and usable on this connection with these credentials).
    NoCommonMechanism,
    /// Credentials the mechanism needs were not supplied.
    MissingCredentials(&'static str),
    /// Any other invalid setting, described.
    Invalid(String),
}

/// An answer that [`provide`](crate::ServerSession::provide) refused, handed back so
/// the application can route it to the session it belongs to (as quinn-proto's
/// `RetryError::into_incoming` does).
#[derive(Debug)]
pub struct ProvideError<A> {
    misuse: Misuse,
    // Boxed: an answer can be large (credentials, grants), and only this rare path
    // carries it.
    answer: Box<A>,
}

impl<A> ProvideError<A> {
    pub(crate) fn new(misuse: Misuse, answer: A) -> Self {
        Self {
            misuse,
            answer: Box::new(answer),
        }
    }

    /// Why the answer was refused ([`Misuse::ForeignAnswer`], [`Misuse::Finished`], ...).
    pub fn misuse(&self) -> Misuse {
        self.misuse
    }

    /// Takes the refused answer back.
    pub fn into_answer(self) -> A {
        *self.answer
    }
}

impl<A> From<ProvideError<A>> for Error {
    fn from(e: ProvideError<A>) -> Self {
        Error::Misuse(e.misuse)
    }
}

impl<A> fmt::Display for ProvideError<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "answer refused: {}", self.misuse)
    }
}

impl<A: fmt::Debug> std::error::Error for ProvideError<A> {}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misuse::AlreadyStarted => f.write_str("the session was already started"),
            Misuse::NotStarted => f.write_str("the session has not been started"),
            Misuse::RequestPending => f.write_str("a request is pending; answer it first"),
            Misuse::NoRequestPending => f.write_str("no request is pending"),
            Misuse::ForeignAnswer => {
                f.write_str("the answer belongs to another session or request")
            }
            Misuse::Finished => f.write_str("the session has already ended"),
            Misuse::WrongState(s) => write!(f, "call does not fit the session state: {s}"),
            Misuse::AnswerMismatch => f.write_str("the answer does not fit the request"),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidMechanismName => {
                f.write_str("invalid SASL mechanism name (RFC 4422: 1-20 of A-Z 0-9 - _)")
            }
            ConfigError::UnknownMechanism(m) => write!(f, "SASL mechanism {m} is not registered"),
            ConfigError::MechanismNotAvailable(m) => {
                write!(f, "SASL mechanism {m} is not available on this connection")
            }
            ConfigError::NotAdvertised(m) => {
                write!(f, "the server did not advertise SASL mechanism {m}")
            }
            ConfigError::NoCommonMechanism => {
                f.write_str("no SASL mechanism is usable with this server and these credentials")
            }
            ConfigError::MissingCredentials(what) => write!(f, "missing credentials: {what}"),
            ConfigError::Invalid(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Misuse(m) => write!(f, "API misuse: {m}"),
            Error::Config(c) => write!(f, "invalid configuration: {c}"),
            Error::Random => f.write_str("the random number source failed"),
        }
    }
}

impl std::error::Error for Error {}
