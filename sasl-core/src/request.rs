//! Questions a server session asks the application, as owned values answered by
//! consuming methods.
//!
//! Every mechanism's question is one variant of [`Request`], named for the question,
//! so a server answers them all with one `match`:
//!
//! | variant | asked by | answer with |
//! |---|---|---|
//! | [`Request::VerifyPassword`] | PLAIN, LOGIN | `valid()`, `invalid()`, ... |
//! | [`Request::ScramLookup`] | SCRAM-* | `found(credentials)`, `not_found()` |
//! | [`Request::ValidateToken`] | OAUTHBEARER, XOAUTH2 | `valid(grant)`, `invalid(error)` |
//! | [`Request::AuthorizeExternal`] | EXTERNAL | `grant()`, `deny()` |
//! | [`Request::PasskeyLookup`] | PASSKEY | `found(account)`, `not_found()` |
//! | [`Request::Extension`] | mechanisms outside this family | their own typed wrapper |
//!
//! A request may be held across an `.await` (it is `Send` and owns its data).
//! Answering consumes it and yields an [`Answer`], which goes back to the same session
//! through [`ServerSession::provide`](crate::ServerSession::provide). An answer carries
//! a ticket naming its session and request, so an answer given to the wrong session is
//! refused ([`Misuse::ForeignAnswer`](crate::Misuse::ForeignAnswer)) and handed back,
//! never a silent success.
//!
//! The enum is exhaustive on purpose: a new kind of question is a new obligation for
//! every server, so it is a compile error rather than a runtime surprise
//! (docs/decisions/0006).

mod extension;
mod external;
mod passkey;
mod password;
mod scram;
mod token;

pub(crate) use extension::Payload;
pub use extension::{ExtensionAnswer, ExtensionRequest};
pub use external::AuthorizeExternal;
pub use passkey::{PasskeyAccount, PasskeyCredential, PasskeyLookup, PasskeyLookupKey};
pub use password::VerifyPassword;
pub use scram::ScramLookup;
pub use token::{TokenError, TokenGrant, ValidateToken};

use crate::credentials::ScramCredentials;
use crate::failure::{FailureKind, FailureReason};
use crate::mechanism::MechanismName;
use crate::ticket::Ticket;

/// Something a server session needs the application to decide.
#[derive(Debug)]
#[must_use = "a request must be answered and the answer provided to the session"]
pub enum Request {
    /// Check a password (PLAIN, LOGIN).
    VerifyPassword(VerifyPassword),
    /// Look up stored SCRAM credentials.
    ScramLookup(ScramLookup),
    /// Validate a bearer token (OAUTHBEARER, XOAUTH2). Boxed, like the other large
    /// payloads here, so that every step stays small on the SCRAM and PLAIN paths.
    ValidateToken(Box<ValidateToken>),
    /// Authorize an identity established outside SASL (EXTERNAL: a TLS client
    /// certificate, a Unix socket peer) to act as a requested authorization identity.
    AuthorizeExternal(AuthorizeExternal),
    /// Look up passkey credentials for a user or by credential id (PASSKEY).
    PasskeyLookup(PasskeyLookup),
    /// A question of a mechanism from outside this crate family, answered through the
    /// mechanism crate's own typed wrapper.
    Extension(ExtensionRequest),
}

impl Request {
    /// The mechanism asking.
    pub fn mechanism(&self) -> &MechanismName {
        match self {
            Request::VerifyPassword(r) => &r.mechanism,
            Request::ScramLookup(r) => &r.mechanism,
            Request::ValidateToken(r) => &r.mechanism,
            Request::AuthorizeExternal(r) => &r.mechanism,
            Request::PasskeyLookup(r) => &r.mechanism,
            Request::Extension(r) => &r.mechanism,
        }
    }

    /// Answers "temporarily unavailable" (the credential store is down), whatever the
    /// kind of request.
    pub fn unavailable(self) -> Answer {
        self.reject(FailureKind::Temporary)
    }

    /// Rejects the request with a local reason, whatever its kind. The peer sees the
    /// mechanism's usual failure; the reason goes to the server's
    /// [`ServerFailure`](crate::ServerFailure).
    pub fn reject(self, kind: FailureKind) -> Answer {
        let ticket = self.ticket();
        Answer::new(ticket, Verdict::Rejected(kind))
    }

    fn ticket(&self) -> Ticket {
        match self {
            Request::VerifyPassword(r) => r.ticket,
            Request::ScramLookup(r) => r.ticket,
            Request::ValidateToken(r) => r.ticket,
            Request::AuthorizeExternal(r) => r.ticket,
            Request::PasskeyLookup(r) => r.ticket,
            Request::Extension(r) => r.ticket,
        }
    }

    pub(crate) fn stamp(&mut self, ticket: Ticket) {
        match self {
            Request::VerifyPassword(r) => r.ticket = ticket,
            Request::ScramLookup(r) => r.ticket = ticket,
            Request::ValidateToken(r) => r.ticket = ticket,
            Request::AuthorizeExternal(r) => r.ticket = ticket,
            Request::PasskeyLookup(r) => r.ticket = ticket,
            Request::Extension(r) => r.ticket = ticket,
        }
    }
}

/// The application's answer to a [`Request`], to give to
/// [`ServerSession::provide`](crate::ServerSession::provide).
#[derive(Debug)]
#[must_use = "give the answer to the session with provide()"]
pub struct Answer {
    ticket: Ticket,
    verdict: Verdict,
}

impl Answer {
    pub(crate) fn new(ticket: Ticket, verdict: Verdict) -> Self {
        Self { ticket, verdict }
    }

    /// What was decided.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// Takes the verdict out, for driving a mechanism state machine directly without a
    /// [`ServerSession`](crate::ServerSession) (which checks the answer's ticket first).
    pub fn into_verdict(self) -> Verdict {
        self.verdict
    }

    pub(crate) fn ticket(&self) -> Ticket {
        self.ticket
    }
}

/// The content of an [`Answer`], as a mechanism receives it.
///
/// Mechanisms match the variants they asked for and treat any other as
/// [`Misuse::AnswerMismatch`](crate::Misuse::AnswerMismatch); the enum is
/// non-exhaustive because only mechanism code matches on it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Verdict {
    /// The password is right. `authzid_granted` says whether the application allows
    /// the requested authorization identity (irrelevant when none was requested).
    PasswordValid {
        /// Whether a requested authzid other than the authcid is allowed.
        authzid_granted: bool,
    },
    /// SCRAM credentials were found.
    ScramFound {
        /// The stored credentials.
        credentials: ScramCredentials,
        /// Whether a requested authzid other than the authcid is allowed.
        authzid_granted: bool,
    },
    /// The bearer token is valid.
    TokenValid {
        /// What the token proved.
        grant: Box<TokenGrant>,
        /// Whether a requested authzid other than the token's subject is allowed.
        authzid_granted: bool,
    },
    /// The token is not valid; `error` is what the mechanism reports to the client
    /// (the OAUTHBEARER error JSON).
    TokenRejected {
        /// The local reason (kind and a log detail such as "token expired").
        reason: FailureReason,
        /// What the client is told.
        error: Box<TokenError>,
    },
    /// The external identity may act as the requested authorization identity.
    ExternalGranted,
    /// The passkey account and its credentials were found.
    PasskeyFound {
        /// The account.
        account: PasskeyAccount,
        /// Whether a requested authzid other than the account is allowed.
        authzid_granted: bool,
    },
    /// The answer to an [`ExtensionRequest`].
    Extension(ExtensionAnswer),
    /// Authentication must fail, for the given local reason (wrong password, unknown
    /// user, expired, disabled, temporarily unavailable).
    Rejected(FailureKind),
    /// Authentication must fail, and the user is told why and what to do (PASSKEY's
    /// `m=`: "Your account is locked; contact support@example.com"). Mechanisms
    /// without a way to carry a message treat it as [`Verdict::Rejected`].
    RejectedWithMessage {
        /// The local reason.
        kind: FailureKind,
        /// The human-readable message for the user (UTF-8, no control characters).
        message: String,
    },
}

/// Answers requests synchronously: the shortcut for applications whose credential
/// store needs no `.await`. See [`ServerSession::step_with`](crate::ServerSession::step_with).
pub trait Store {
    /// Answers one request.
    fn answer(&self, request: Request) -> Answer;
}

impl<F: Fn(Request) -> Answer> Store for F {
    fn answer(&self, request: Request) -> Answer {
        self(request)
    }
}
