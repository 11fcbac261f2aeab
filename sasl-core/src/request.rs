//! Questions a server session asks the application, as owned values answered by
//! consuming methods.
//!
//! A request may be held across an `.await` (it is `Send` and owns its data). Answering
//! consumes it and yields an [`Answer`], which goes back to the same session through
//! [`ServerSession::provide`](crate::ServerSession::provide). An answer carries a
//! ticket naming its session and request, so an answer given to the wrong session is an
//! [`Error::ForeignAnswer`](crate::Error::ForeignAnswer), never a silent success.

use crate::credentials::ScramCredentials;
use crate::failure::FailureKind;
use crate::mechanism::Mechanism;
use crate::secret::Secret;
use std::sync::atomic::{AtomicU64, Ordering};

/// Names one request of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    session: u64,
    serial: u64,
}

impl Ticket {
    /// Placeholder until the session stamps the request.
    pub(crate) const UNSTAMPED: Ticket = Ticket {
        session: 0,
        serial: 0,
    };

    pub(crate) fn new(session: u64, serial: u64) -> Self {
        Self { session, serial }
    }
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// A process-unique session id (0 is never handed out).
pub(crate) fn new_session_id() -> u64 {
    NEXT_SESSION.fetch_add(1, Ordering::Relaxed)
}

/// Something the session needs the application to decide.
#[derive(Debug)]
#[must_use = "a request must be answered and the answer provided to the session"]
#[non_exhaustive]
pub enum Request {
    /// Check a password (PLAIN, LOGIN).
    VerifyPassword(VerifyPassword),
    /// Look up stored SCRAM credentials.
    ScramLookup(ScramLookup),
}

impl Request {
    /// The authentication identity the request is about.
    pub fn authcid(&self) -> &str {
        match self {
            Request::VerifyPassword(r) => r.authcid(),
            Request::ScramLookup(r) => r.authcid(),
        }
    }

    /// The requested authorization identity, if any.
    pub fn authzid(&self) -> Option<&str> {
        match self {
            Request::VerifyPassword(r) => r.authzid(),
            Request::ScramLookup(r) => r.authzid(),
        }
    }

    /// The mechanism asking.
    pub fn mechanism(&self) -> &Mechanism {
        match self {
            Request::VerifyPassword(r) => &r.mechanism,
            Request::ScramLookup(r) => &r.mechanism,
        }
    }

    /// Answers "temporarily unavailable" (the credential store is down), whatever the
    /// kind of request.
    pub fn unavailable(self) -> Answer {
        self.reject(FailureKind::Temporary)
    }

    /// Rejects the request with a local reason, whatever its kind. The peer sees the
    /// mechanism's usual failure; the reason goes to the server's [`Failed`](crate::Failed).
    pub fn reject(self, kind: FailureKind) -> Answer {
        match self {
            Request::VerifyPassword(r) => r.reject(kind),
            Request::ScramLookup(r) => r.reject(kind),
        }
    }

    pub(crate) fn stamp(&mut self, ticket: Ticket) {
        match self {
            Request::VerifyPassword(r) => r.ticket = ticket,
            Request::ScramLookup(r) => r.ticket = ticket,
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
    /// What was decided.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// Takes the verdict out, for driving a mechanism state machine directly without a
    /// [`ServerSession`](crate::ServerSession) (which checks the answer's ticket first).
    pub fn into_verdict(self) -> Verdict {
        self.verdict
    }

    pub(crate) fn into_parts(self) -> (Ticket, Verdict) {
        (self.ticket, self.verdict)
    }
}

/// The content of an [`Answer`], as a mechanism receives it.
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
    /// Authentication must fail, for the given local reason (wrong password, unknown
    /// user, expired, disabled, temporarily unavailable).
    Rejected(FailureKind),
}

/// A request to check a password (PLAIN, LOGIN).
///
/// Check it against your store (in constant time, e.g. with
/// [`password_matches`](Self::password_matches) or a password-hash verifier), then
/// answer with [`valid`](Self::valid), [`valid_with_authzid`](Self::valid_with_authzid)
/// or [`invalid`](Self::invalid).
#[derive(Debug)]
pub struct VerifyPassword {
    ticket: Ticket,
    mechanism: Mechanism,
    authcid: String,
    authzid: Option<String>,
    password: Secret<String>,
}

impl VerifyPassword {
    /// Builds the request (for mechanism implementations).
    pub fn new(
        mechanism: Mechanism,
        authcid: String,
        authzid: Option<String>,
        password: Secret<String>,
    ) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            authcid,
            authzid,
            password,
        }
    }

    /// The authentication identity, prepared as the mechanism documents.
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// The requested authorization identity, if any (never empty).
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The presented password. Never log it.
    pub fn password(&self) -> &str {
        self.password.expose()
    }

    /// Compares the presented password with `expected` in constant time (for equal
    /// lengths). Only for stores that keep plaintext passwords, such as tests.
    pub fn password_matches(&self, expected: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.password
            .expose()
            .as_bytes()
            .ct_eq(expected.as_bytes())
            .into()
    }

    /// The password is right; a requested authzid other than the authcid is refused.
    pub fn valid(self) -> Answer {
        self.answer(Verdict::PasswordValid {
            authzid_granted: false,
        })
    }

    /// The password is right and the requested authzid is allowed.
    pub fn valid_with_authzid(self) -> Answer {
        self.answer(Verdict::PasswordValid {
            authzid_granted: true,
        })
    }

    /// Wrong password.
    pub fn invalid(self) -> Answer {
        self.reject(FailureKind::InvalidCredentials)
    }

    /// No such user (the peer cannot tell this from a wrong password).
    pub fn unknown_user(self) -> Answer {
        self.reject(FailureKind::UnknownUser)
    }

    /// Fails with a given local reason.
    pub fn reject(self, kind: FailureKind) -> Answer {
        self.answer(Verdict::Rejected(kind))
    }

    fn answer(self, verdict: Verdict) -> Answer {
        Answer {
            ticket: self.ticket,
            verdict,
        }
    }
}

/// A request for a user's stored SCRAM credentials.
///
/// Answer with [`found`](Self::found) (or [`found_with_authzid`](Self::found_with_authzid))
/// and the credentials for [`hash`](Self::hash), or [`not_found`](Self::not_found). An
/// unknown user still runs the whole exchange and fails exactly like a wrong password.
#[derive(Debug)]
pub struct ScramLookup {
    ticket: Ticket,
    mechanism: Mechanism,
    authcid: String,
    authzid: Option<String>,
    hash: crate::ScramHash,
}

impl ScramLookup {
    /// Builds the request (for mechanism implementations).
    pub fn new(
        mechanism: Mechanism,
        authcid: String,
        authzid: Option<String>,
        hash: crate::ScramHash,
    ) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            authcid,
            authzid,
            hash,
        }
    }

    /// The user name, prepared with the server's profile.
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// The requested authorization identity, if any.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The hash whose credentials are needed.
    pub fn hash(&self) -> crate::ScramHash {
        self.hash
    }

    /// The user's credentials; a requested authzid other than the authcid is refused.
    pub fn found(self, credentials: ScramCredentials) -> Answer {
        self.answer(Verdict::ScramFound {
            credentials,
            authzid_granted: false,
        })
    }

    /// The user's credentials, and the requested authzid is allowed.
    pub fn found_with_authzid(self, credentials: ScramCredentials) -> Answer {
        self.answer(Verdict::ScramFound {
            credentials,
            authzid_granted: true,
        })
    }

    /// No such user.
    pub fn not_found(self) -> Answer {
        self.reject(FailureKind::UnknownUser)
    }

    /// Fails with a given local reason (disabled account, store unavailable).
    pub fn reject(self, kind: FailureKind) -> Answer {
        self.answer(Verdict::Rejected(kind))
    }

    fn answer(self, verdict: Verdict) -> Answer {
        Answer {
            ticket: self.ticket,
            verdict,
        }
    }
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
