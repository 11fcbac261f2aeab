//! EXTERNAL: authorize an identity established outside SASL.

use super::{Answer, Verdict};
use crate::failure::FailureKind;
use crate::mechanism::MechanismName;
use crate::ticket::Ticket;

/// A request to let the identity established outside SASL (a TLS client
/// certificate, a Unix socket peer; see
/// [`ConnectionInfo::with_external_identity`](crate::ConnectionInfo::with_external_identity))
/// act as the authorization identity the client asked for.
///
/// Answer with [`grant`](Self::grant) or [`deny`](Self::deny).
#[derive(Debug)]
pub struct AuthorizeExternal {
    pub(super) ticket: Ticket,
    pub(super) mechanism: MechanismName,
    identity: String,
    authzid: String,
}

impl AuthorizeExternal {
    /// Builds the request (for mechanism implementations).
    pub fn new(mechanism: MechanismName, identity: String, authzid: String) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            identity,
            authzid,
        }
    }

    /// The identity established outside SASL.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The authorization identity the client asked for.
    pub fn authzid(&self) -> &str {
        &self.authzid
    }

    /// The identity may act as the requested authzid.
    pub fn grant(self) -> Answer {
        Answer::new(self.ticket, Verdict::ExternalGranted)
    }

    /// It may not ([`FailureKind::AuthorizationDenied`]).
    pub fn deny(self) -> Answer {
        self.reject(FailureKind::AuthorizationDenied)
    }

    /// Fails with a given local reason.
    pub fn reject(self, kind: FailureKind) -> Answer {
        Answer::new(self.ticket, Verdict::Rejected(kind))
    }
}
