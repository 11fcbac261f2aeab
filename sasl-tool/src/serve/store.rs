//! Answers every [`Request`] a session asks, from the parsed [`Accounts`].
//!
//! - `VerifyPassword` (PLAIN, LOGIN): the password is checked against the account's
//!   stored SCRAM credential ([`sasl_scram::verify_password`]); the server never holds
//!   a password. An unknown user costs the same PBKDF2 work (against a throwaway
//!   credential) and fails like a wrong password.
//! - `ScramLookup`: the stored credential of the asked hash, or `not_found` (the
//!   mechanism then fails like a wrong proof).
//! - `AuthorizeExternal`: the certificate's account may act only as itself.
//! - `PasskeyLookup`: the account's passkey records, by user or by credential id;
//!   [`Store::record_passkey_use`] keeps the new sign count in memory.
//! - `ValidateToken`: the JWT validator of the OAuth settings, at the session's time.
//! - Anything else is "temporarily unavailable".

use crate::config::{Account, Accounts, ScramHashKey};
use crate::failure::Failure;
use sasl_core::{
    Answer, PasskeyAccount, PasskeyLookupKey, PasskeyUse, Request, ScramCredentials, ScramHash,
};
use sasl_oauthbearer::JwtValidator;
use sasl_scram::PasswordPrep;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Iterations of the throwaway credential unknown users are checked against when no
/// account has a password credential (the same as `--account`'s).
const DUMMY_ITERATIONS: u32 = 4096;

/// The account store of a running server.
pub(super) struct Store {
    accounts: Mutex<Accounts>,
    validator: Option<JwtValidator>,
    /// Checked for unknown users, so they cost what a known one does.
    dummy: ScramCredentials,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("oauth", &self.validator.is_some())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store over `accounts`, validating tokens with `validator` if given.
    pub(super) fn new(
        accounts: Accounts,
        validator: Option<JwtValidator>,
    ) -> Result<Self, Failure> {
        // The costliest password credential of the config (`sasl hash --iterations`
        // may store far more than 4096): an unknown user must not answer faster.
        let (hash, iterations) = accounts
            .iter()
            .filter_map(password_credential)
            .map(|c| (c.hash(), c.iterations()))
            .max_by_key(|(_, iterations)| *iterations)
            .unwrap_or((ScramHash::Sha256, DUMMY_ITERATIONS));
        let dummy = sasl_scram::derive_with_random_salt(
            hash,
            "unknown user",
            iterations,
            &sasl_core::OsRandom,
        )
        .map_err(|e| Failure::error(format!("deriving the unknown-user credential: {e}")))?;
        Ok(Store {
            accounts: Mutex::new(accounts),
            validator,
            dummy,
        })
    }

    fn accounts(&self) -> MutexGuard<'_, Accounts> {
        // A panic elsewhere cannot leave the accounts half-updated: every update is
        // one assignment.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user name a request is about, if it names one (for the attempt log).
    pub(super) fn identity_of(request: &Request) -> Option<String> {
        match request {
            Request::VerifyPassword(check) => Some(check.authcid().to_owned()),
            Request::ScramLookup(lookup) => Some(lookup.authcid().to_owned()),
            Request::AuthorizeExternal(ask) => Some(ask.identity().to_owned()),
            Request::PasskeyLookup(lookup) => match lookup.key() {
                PasskeyLookupKey::User(name) => Some(name.clone()),
                PasskeyLookupKey::Credential { .. } => None,
            },
            Request::ValidateToken(_) | Request::Extension(_) => None,
        }
    }

    /// Answers one request.
    pub(super) fn answer(&self, request: Request) -> Answer {
        match request {
            Request::VerifyPassword(check) => {
                let stored = self
                    .accounts()
                    .get(check.authcid())
                    .and_then(password_credential);
                match stored {
                    Some(stored) => {
                        if sasl_scram::verify_password(
                            &stored,
                            check.password(),
                            PasswordPrep::default(),
                        ) {
                            check.valid()
                        } else {
                            check.invalid()
                        }
                    }
                    None => {
                        // Same work as a known user, then the same failure on the wire.
                        let _ = sasl_scram::verify_password(
                            &self.dummy,
                            check.password(),
                            PasswordPrep::default(),
                        );
                        check.unknown_user()
                    }
                }
            }
            Request::ScramLookup(lookup) => {
                let stored = ScramHashKey::of(lookup.hash()).and_then(|key| {
                    self.accounts()
                        .get(lookup.authcid())
                        .and_then(|a| a.scram.get(&key).cloned())
                });
                match stored {
                    Some(stored) => lookup.found(stored),
                    None => lookup.not_found(),
                }
            }
            // The certificate's account may log in as itself (handled by the
            // mechanism without asking); acting as anyone else is not granted here.
            Request::AuthorizeExternal(ask) => ask.deny(),
            Request::PasskeyLookup(lookup) => {
                let found = {
                    let accounts = self.accounts();
                    match lookup.key() {
                        PasskeyLookupKey::User(name) => accounts.get(name).and_then(passkeys_of),
                        PasskeyLookupKey::Credential { id, .. } => {
                            accounts.by_credential_id(id).and_then(passkeys_of)
                        }
                    }
                };
                match found {
                    Some(account) => lookup.found(account),
                    None => lookup.not_found(),
                }
            }
            Request::ValidateToken(ask) => match &self.validator {
                Some(validator) => validator.answer(*ask),
                None => Request::ValidateToken(ask).unavailable(),
            },
            other @ Request::Extension(_) => other.unavailable(),
        }
    }

    /// Stores a passkey's new sign count and backup state after a successful login
    /// (in memory only: the config file is not rewritten).
    pub(super) fn record_passkey_use(&self, identity: &str, used: &PasskeyUse) {
        let mut accounts = self.accounts();
        let Some(account) = accounts.get_mut(identity) else {
            return;
        };
        for record in &mut account.passkeys {
            record.apply_use(used);
        }
    }

    /// The account a client certificate's SPKI fingerprint maps to.
    pub(super) fn account_for_certificate(&self, cert_der: &[u8]) -> Option<String> {
        let identity = sasl_external::CertificateIdentity::from_der(cert_der).ok()?;
        // The verifier already applied the key policy; after resumption it did not
        // run, so check again.
        identity
            .check_key(&sasl_external::KeyPolicy::default())
            .ok()?;
        self.accounts()
            .by_certificate(&identity.fingerprint())
            .map(str::to_owned)
    }
}

/// The credential a password is checked against: SHA-256, else SHA-512, else SHA-1.
fn password_credential(account: &Account) -> Option<ScramCredentials> {
    [
        ScramHashKey::Sha256,
        ScramHashKey::Sha512,
        ScramHashKey::Sha1,
    ]
    .iter()
    .find_map(|key| account.scram.get(key).cloned())
}

/// The account's passkeys as PASSKEY takes them (`None` when it has none).
fn passkeys_of(account: &Account) -> Option<PasskeyAccount> {
    let first = account.passkeys.first()?;
    Some(PasskeyAccount::new(
        account.name.clone(),
        first.user_handle().to_vec(),
        account
            .passkeys
            .iter()
            .map(sasl_passkey::webauthn::CredentialRecord::to_credential)
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sasl_core::{ConnectionInfo, ServerRegistry, ServerStep};

    fn store() -> Store {
        let mut accounts = Accounts::default();
        accounts.add_password_account("alice:secret").unwrap();
        Store::new(accounts, None).unwrap()
    }

    fn plain(store: &Store, message: &[u8]) -> ServerStep {
        let registry = ServerRegistry::new().with(sasl_plain::PlainServer::factory());
        let mut session = registry.start("PLAIN", &ConnectionInfo::tls()).unwrap();
        let mut step = session.start(Some(message)).unwrap();
        while let ServerStep::Request(request) = step {
            step = session.provide(store.answer(request)).unwrap();
        }
        step
    }

    #[test]
    fn passwords_are_checked_against_stored_credentials() {
        let store = store();
        assert!(matches!(
            plain(&store, b"\0alice\0secret"),
            ServerStep::Success(s) if s.identity() == "alice"
        ));
        let wrong = plain(&store, b"\0alice\0wrong");
        let unknown = plain(&store, b"\0mallory\0secret");
        let (ServerStep::Failure(wrong), ServerStep::Failure(unknown)) = (wrong, unknown) else {
            panic!("both must fail");
        };
        assert_eq!(wrong.imap(), unknown.imap());
        assert_eq!(wrong.smtp(), unknown.smtp());
    }

    #[test]
    fn unknown_users_cost_what_the_configs_credentials_cost() {
        let stored = sasl_scram::derive_with_random_salt(
            ScramHash::Sha512,
            "pw",
            6000,
            &sasl_core::OsRandom,
        )
        .unwrap();
        let file = crate::config::ServerConfigFile {
            accounts: vec![crate::config::AccountEntry {
                name: "bob".to_owned(),
                scram: vec![
                    sasl_scram::format_stored(&stored, sasl_scram::StoredFormat::Rfc5803).unwrap(),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let store = Store::new(Accounts::from_file(&file).unwrap(), None).unwrap();
        assert_eq!(
            (store.dummy.hash(), store.dummy.iterations()),
            (ScramHash::Sha512, 6000)
        );
        let empty = Store::new(Accounts::default(), None).unwrap();
        assert_eq!(empty.dummy.iterations(), DUMMY_ITERATIONS);
    }

    #[test]
    fn authzid_of_another_user_is_refused() {
        let store = store();
        assert!(matches!(
            plain(&store, b"bob\0alice\0secret"),
            ServerStep::Failure(_)
        ));
    }
}
