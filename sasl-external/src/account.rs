//! What a server decides once a client certificate maps to an account: the IMAP
//! greeting, and the rule that other mechanisms must log in to the same account.

use sasl_core::{ConnectionInfo, FailureKind, ServerFailure, ServerSuccess};

/// How an IMAP server greets a connection whose client certificate is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapGreeting {
    /// `* PREAUTH [CAPABILITY ...]`: the connection starts authenticated as the
    /// certificate's account (RFC 9051 §7.1.4).
    Preauth,
    /// `* OK [CAPABILITY ...]`: the client must still `AUTHENTICATE EXTERNAL` (or log in
    /// with another mechanism as the same account).
    NotAuthenticated,
}

/// A connection whose TLS client certificate maps to an account (how it maps is the
/// application's: mox looks the SPKI fingerprint up, see
/// [`CertificateIdentity::fingerprint`](crate::CertificateIdentity::fingerprint)).
///
/// It carries mox's two rules:
/// - **PREAUTH, per account.** With implicit TLS the handshake comes before the
///   greeting, so the server may greet with `PREAUTH`. Some clients ignore PREAUTH and
///   send `AUTHENTICATE` anyway, which a server in the authenticated state must refuse;
///   for their users an account switch keeps the connection unauthenticated until
///   `AUTHENTICATE EXTERNAL` ([`with_imap_preauth(false)`](Self::with_imap_preauth)).
///   After STARTTLS the greeting has already gone out: never PREAUTH, EXTERNAL works.
/// - **Same account.** When a certificate was presented and the client logs in with
///   another mechanism, the credentials must belong to the certificate's account
///   ([`check_login`](Self::check_login)).
///
/// ```
/// use sasl_core::{ConnectionInfo, MechanismName, ServerSuccess};
/// use sasl_external::{CertificateLogin, ImapGreeting};
///
/// let login = CertificateLogin::new("alice");
/// assert_eq!(login.imap_greeting(true), ImapGreeting::Preauth);
/// assert_eq!(login.imap_greeting(false), ImapGreeting::NotAuthenticated);
/// let conn = login.connection(ConnectionInfo::tls());
/// assert_eq!(conn.external_identity(), Some("alice"));
///
/// // alice@example.org is one of alice's addresses, bob@example.org is not.
/// let account_of = |address: &str| address.split('@').next().map(str::to_owned);
/// let plain = MechanismName::from_static("PLAIN");
/// assert!(login.check_login(&ServerSuccess::new(plain.clone(), "alice@example.org"), account_of).is_ok());
/// assert!(login.check_login(&ServerSuccess::new(plain, "bob@example.org"), account_of).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateLogin {
    account: String,
    imap_preauth: bool,
}

impl CertificateLogin {
    /// The certificate maps to `account`; PREAUTH allowed (mox's default).
    pub fn new(account: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            imap_preauth: true,
        }
    }

    /// Whether this account may be greeted with PREAUTH (off for users whose clients
    /// authenticate anyway).
    pub fn with_imap_preauth(mut self, allowed: bool) -> Self {
        self.imap_preauth = allowed;
        self
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// How to greet: PREAUTH only with implicit TLS (the certificate is known before
    /// the greeting) and when the account allows it.
    pub fn imap_greeting(&self, implicit_tls: bool) -> ImapGreeting {
        if implicit_tls && self.imap_preauth {
            ImapGreeting::Preauth
        } else {
            ImapGreeting::NotAuthenticated
        }
    }

    /// The connection with the account as its external identity, so that EXTERNAL is
    /// offered and logs in as it.
    pub fn connection(&self, connection: ConnectionInfo) -> ConnectionInfo {
        connection.with_external_identity(self.account.clone())
    }

    /// Checks a login made with any mechanism on this connection: its authentication
    /// identity, and the identity it acts as, must both belong to the certificate's
    /// account. `account_of` maps an identity (a login address) to its account, or
    /// `None` if it has none; it must also map the account name itself to the account,
    /// since that is the identity an EXTERNAL login has (otherwise the check refuses it:
    /// it fails closed).
    ///
    /// On refusal, answer with the returned failure (IMAP `NO [AUTHORIZATIONFAILED]`,
    /// SMTP `535 5.7.8`) instead of the success.
    pub fn check_login(
        &self,
        success: &ServerSuccess,
        account_of: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ServerFailure> {
        let mine = |identity: &str| account_of(identity).is_some_and(|a| a == self.account);
        if mine(success.authcid()) && mine(success.identity()) {
            Ok(())
        } else {
            Err(ServerFailure::new(
                FailureKind::AuthorizationDenied,
                "the login belongs to another account than the client certificate",
            ))
        }
    }
}
