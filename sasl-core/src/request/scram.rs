//! SCRAM: look up stored credentials.

use super::{Answer, Verdict};
use crate::credentials::{ScramCredentials, ScramHash};
use crate::failure::FailureKind;
use crate::mechanism::MechanismName;
use crate::ticket::Ticket;

/// A request for a user's stored SCRAM credentials.
///
/// Answer with [`found`](Self::found) (or [`found_with_authzid`](Self::found_with_authzid))
/// and the credentials for [`hash`](Self::hash), or [`not_found`](Self::not_found). An
/// unknown user still runs the whole exchange and fails exactly like a wrong password;
/// so do credentials of another hash (a store that keeps one scheme per user must not
/// reveal which users exist).
#[derive(Debug)]
pub struct ScramLookup {
    pub(super) ticket: Ticket,
    pub(super) mechanism: MechanismName,
    authcid: String,
    authzid: Option<String>,
    hash: ScramHash,
}

impl ScramLookup {
    /// Builds the request (for mechanism implementations).
    pub fn new(
        mechanism: MechanismName,
        authcid: String,
        authzid: Option<String>,
        hash: ScramHash,
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
    pub fn hash(&self) -> ScramHash {
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
        Answer::new(self.ticket, verdict)
    }
}
