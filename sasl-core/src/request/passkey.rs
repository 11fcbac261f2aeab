//! PASSKEY: look up a user's registered passkeys.

use super::{Answer, Verdict};
use crate::failure::FailureKind;
use crate::mechanism::MechanismName;
use crate::ticket::Ticket;
use core::fmt;
use std::sync::Arc;

/// What a passkey lookup is keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyLookupKey {
    /// The client named the user (the challenge will list that user's credentials).
    User(String),
    /// Discoverable flow: the authenticator chose a credential; find its account by
    /// the credential id (and the `userHandle` it returned, if any).
    Credential {
        /// The credential id from the assertion.
        id: Vec<u8>,
        /// The `userHandle` from the assertion.
        user_handle: Option<Vec<u8>>,
    },
}

/// A request for passkey credentials (PASSKEY).
///
/// Answer with [`found`](Self::found) and the account with its registered credentials,
/// or [`not_found`](Self::not_found); an unknown user or credential fails like a wrong
/// signature.
#[derive(Debug)]
pub struct PasskeyLookup {
    pub(super) ticket: Ticket,
    pub(super) mechanism: MechanismName,
    key: PasskeyLookupKey,
    authzid: Option<String>,
}

impl PasskeyLookup {
    /// Builds the request (for mechanism implementations).
    pub fn new(mechanism: MechanismName, key: PasskeyLookupKey) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            key,
            authzid: None,
        }
    }

    /// Records the identity the client asks to act as (for mechanism implementations).
    pub fn with_authzid(mut self, authzid: Option<String>) -> Self {
        self.authzid = authzid.filter(|z| !z.is_empty());
        self
    }

    /// What to look up.
    pub fn key(&self) -> &PasskeyLookupKey {
        &self.key
    }

    /// The identity the client asks to act as, if any (the account may act as itself
    /// without asking).
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The account and its credentials; a requested authzid other than the account's
    /// name is refused.
    pub fn found(self, account: PasskeyAccount) -> Answer {
        Answer::new(
            self.ticket,
            Verdict::PasskeyFound {
                account,
                authzid_granted: false,
            },
        )
    }

    /// The account and its credentials, and the account may act as the requested
    /// authzid.
    pub fn found_with_authzid(self, account: PasskeyAccount) -> Answer {
        Answer::new(
            self.ticket,
            Verdict::PasskeyFound {
                account,
                authzid_granted: true,
            },
        )
    }

    /// No such user or credential.
    pub fn not_found(self) -> Answer {
        self.reject(FailureKind::UnknownUser)
    }

    /// Fails with a given local reason.
    pub fn reject(self, kind: FailureKind) -> Answer {
        Answer::new(self.ticket, Verdict::Rejected(kind))
    }

    /// Fails with a given local reason and tells the user why and what to do (the
    /// draft's error message with remediation: "Your account is locked; contact
    /// support@example.com"). Do not use it to reveal whether an account exists.
    pub fn reject_with_message(self, kind: FailureKind, message: impl Into<String>) -> Answer {
        Answer::new(
            self.ticket,
            Verdict::RejectedWithMessage {
                kind,
                message: message.into(),
            },
        )
    }
}

/// An account with its registered passkeys, as the server stores them.
///
/// Cloning is cheap and does not allocate: the fields live once behind an [`Arc`],
/// so an in-memory store can answer a lookup with `account.clone()` for free (as
/// with [`ScramCredentials`](crate::ScramCredentials)).
#[derive(Clone, PartialEq, Eq)]
pub struct PasskeyAccount {
    inner: Arc<PasskeyAccountInner>,
}

/// The shared content of [`PasskeyAccount`].
#[derive(PartialEq, Eq)]
struct PasskeyAccountInner {
    name: String,
    user_handle: Vec<u8>,
    credentials: Vec<PasskeyCredential>,
}

// As the plain struct it was: the fields, not the sharing.
impl fmt::Debug for PasskeyAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyAccount")
            .field("name", &self.inner.name)
            .field("user_handle", &self.inner.user_handle)
            .field("credentials", &self.inner.credentials)
            .finish()
    }
}

impl PasskeyAccount {
    /// An account: its name (the identity it logs in as), its WebAuthn user handle,
    /// and its credentials.
    pub fn new(
        name: impl Into<String>,
        user_handle: Vec<u8>,
        credentials: Vec<PasskeyCredential>,
    ) -> Self {
        Self {
            inner: Arc::new(PasskeyAccountInner {
                name: name.into(),
                user_handle,
                credentials,
            }),
        }
    }

    /// The account name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The WebAuthn user handle.
    pub fn user_handle(&self) -> &[u8] {
        &self.inner.user_handle
    }

    /// The registered credentials.
    pub fn credentials(&self) -> &[PasskeyCredential] {
        &self.inner.credentials
    }

    /// The account name, taking the account (a server's success needs the name
    /// only): moved out of the last clone, copied out of a shared one.
    pub fn into_name(self) -> String {
        Arc::try_unwrap(self.inner)
            .map(|inner| inner.name)
            .unwrap_or_else(|shared| shared.name.clone())
    }
}

/// One registered passkey: what WebAuthn registration produced and verification
/// updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyCredential {
    id: Vec<u8>,
    public_key: Vec<u8>,
    sign_count: u32,
    backup_eligible: bool,
    backup_state: bool,
}

impl PasskeyCredential {
    /// A credential: its id, its public key as a COSE_Key (RFC 9052), and the stored
    /// signature counter.
    pub fn new(id: Vec<u8>, public_key: Vec<u8>, sign_count: u32) -> Self {
        Self {
            id,
            public_key,
            sign_count,
            backup_eligible: false,
            backup_state: false,
        }
    }

    /// Records the backup flags (BE, BS) seen at registration or the last login.
    pub fn with_backup(mut self, eligible: bool, state: bool) -> Self {
        self.backup_eligible = eligible;
        self.backup_state = state;
        self
    }

    /// The credential id.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The COSE_Key public key.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// The stored signature counter.
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// Whether the credential may be backed up (BE).
    pub fn backup_eligible(&self) -> bool {
        self.backup_eligible
    }

    /// Whether the credential was backed up (BS).
    pub fn backup_state(&self) -> bool {
        self.backup_state
    }
}
