//! PLAIN and LOGIN: check a presented password.

use super::{Answer, Verdict};
use crate::failure::FailureKind;
use crate::mechanism::MechanismName;
use crate::secret::Secret;
use crate::ticket::Ticket;

/// A request to check a password (PLAIN, LOGIN).
///
/// Check it against your store in constant time: with a password-hash verifier, with
/// `sasl_scram::verify_password` when
/// the store keeps only SCRAM verifiers, or with
/// [`password_matches`](Self::password_matches) for plaintext test stores. Then answer
/// with [`valid`](Self::valid), [`valid_with_authzid`](Self::valid_with_authzid) or
/// [`invalid`](Self::invalid).
///
/// Answer an unknown user only after the same work as a known one (check the password
/// against a dummy verifier of the same cost): the replies are identical on the wire,
/// but an immediate `unknown_user()` next to a PBKDF2 for known users tells a
/// timing attacker which names exist.
#[derive(Debug)]
pub struct VerifyPassword {
    pub(super) ticket: Ticket,
    pub(super) mechanism: MechanismName,
    authcid: String,
    authzid: Option<String>,
    password: Secret<String>,
}

impl VerifyPassword {
    /// Builds the request (for mechanism implementations).
    pub fn new(
        mechanism: MechanismName,
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
        self.password.ct_eq(expected.as_bytes())
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
        Answer::new(self.ticket, verdict)
    }
}
