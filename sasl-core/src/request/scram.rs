//! SCRAM: look up stored credentials.

use super::{Answer, Verdict};
use crate::credentials::{ScramCredentials, ScramHash};
use crate::failure::FailureKind;
use crate::mechanism::MechanismName;
use crate::small_bytes::SmallBytes;
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
    authcid: Name,
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
        Self::with_name(
            mechanism,
            Name(SmallBytes::Heap(authcid.into_bytes())),
            authzid,
            hash,
        )
    }

    /// Builds the request with a copy of the user name (for mechanism
    /// implementations): names of up to 22 bytes, most of them, are kept inline, so
    /// that asking the application costs no allocation.
    pub fn copying_name(
        mechanism: MechanismName,
        authcid: &str,
        authzid: Option<String>,
        hash: ScramHash,
    ) -> Self {
        Self::with_name(mechanism, Name::copy(authcid), authzid, hash)
    }

    fn with_name(
        mechanism: MechanismName,
        authcid: Name,
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
        self.authcid.as_str()
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

/// Longest user name a lookup keeps inline.
const INLINE_NAME: usize = 22;

/// The user name of a lookup: UTF-8, inline when short.
struct Name(SmallBytes<INLINE_NAME>);

impl Name {
    fn copy(name: &str) -> Self {
        Name(SmallBytes::copy(name.as_bytes()))
    }

    fn as_str(&self) -> &str {
        // Always made from a whole `str`, so always valid UTF-8.
        core::str::from_utf8(self.0.as_slice()).unwrap_or_default()
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}
