//! Local errors: configuration problems and API misuse.
//!
//! Nothing a peer sends produces an [`Error`]; peer behaviour always ends in a normal
//! failure step. An `Error` means the application (or the machine) did something wrong.

use core::fmt;

/// A local problem: API misuse, configuration, or a failing random source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A mechanism name does not follow RFC 4422 (1 to 20 of `A-Z 0-9 - _`).
    InvalidMechanismName,
    /// No mechanism of that name is registered.
    UnknownMechanism(String),
    /// The mechanism is registered but may not be used on this connection (for
    /// example PLAIN without TLS, or a `-PLUS` mechanism without channel binding).
    MechanismNotAvailable(String),
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
    /// The call does not fit the current state of the exchange (for example
    /// `finish` on a client that still expects a challenge is allowed, but `step`
    /// after the client gave up is not).
    WrongState(&'static str),
    /// The answer's kind does not fit the request (e.g. a password verdict for a
    /// SCRAM credential lookup).
    AnswerMismatch,
    /// Credentials needed by the mechanism were not supplied.
    MissingCredentials(&'static str),
    /// The configuration is invalid.
    Config(String),
    /// The random number source failed.
    Random,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidMechanismName => {
                f.write_str("invalid SASL mechanism name (RFC 4422: 1-20 of A-Z 0-9 - _)")
            }
            Error::UnknownMechanism(m) => write!(f, "unknown SASL mechanism {m}"),
            Error::MechanismNotAvailable(m) => {
                write!(f, "SASL mechanism {m} is not available on this connection")
            }
            Error::AlreadyStarted => f.write_str("the session was already started"),
            Error::NotStarted => f.write_str("the session has not been started"),
            Error::RequestPending => f.write_str("a request is pending; answer it first"),
            Error::NoRequestPending => f.write_str("no request is pending"),
            Error::ForeignAnswer => f.write_str("the answer belongs to another session or request"),
            Error::Finished => f.write_str("the session has already ended"),
            Error::WrongState(s) => write!(f, "call does not fit the session state: {s}"),
            Error::AnswerMismatch => f.write_str("the answer does not fit the request"),
            Error::MissingCredentials(what) => write!(f, "missing credentials: {what}"),
            Error::Config(s) => write!(f, "invalid configuration: {s}"),
            Error::Random => f.write_str("the random number source failed"),
        }
    }
}

impl std::error::Error for Error {}
