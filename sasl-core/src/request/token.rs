//! OAUTHBEARER and XOAUTH2: validate a bearer token.

use super::{Answer, Verdict};
use crate::failure::{FailureKind, FailureReason};
use crate::mechanism::MechanismName;
use crate::secret::Secret;
use crate::ticket::Ticket;
use crate::time::UnixTime;
use std::borrow::Cow;

/// A request to validate a bearer token (OAUTHBEARER, XOAUTH2).
///
/// Validate the token (signature, issuer, audience, expiry against [`now`](Self::now),
/// scope), then answer with [`valid`](Self::valid) and a [`TokenGrant`] naming the
/// subject the token proves, or with [`invalid`](Self::invalid) and the
/// [`TokenError`] the client should see.
#[derive(Debug)]
pub struct ValidateToken {
    pub(super) ticket: Ticket,
    pub(super) mechanism: MechanismName,
    token: Secret<String>,
    authzid: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    now: Option<UnixTime>,
}

impl ValidateToken {
    /// Builds the request (for mechanism implementations). `authzid` is the identity
    /// the client claims (OAUTHBEARER's gs2 authzid, XOAUTH2's `user=`); `host` and
    /// `port` are what an OAUTHBEARER client said it connected to; `now` is the time
    /// the application gave the session.
    pub fn new(
        mechanism: MechanismName,
        token: Secret<String>,
        authzid: Option<String>,
        host: Option<String>,
        port: Option<u16>,
        now: Option<UnixTime>,
    ) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            token,
            authzid,
            host,
            port,
            now,
        }
    }

    /// The bearer token. Never log it.
    pub fn token(&self) -> &str {
        self.token.expose()
    }

    /// The identity the client claims, if any.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The host the client said it connected to (OAUTHBEARER `host=`).
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The port the client said it connected to (OAUTHBEARER `port=`).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The current time as the application gave it to the session
    /// ([`ServerSession::set_now`](crate::ServerSession::set_now)), for `exp`/`nbf`/`iat`.
    pub fn now(&self) -> Option<UnixTime> {
        self.now
    }

    /// The token is valid for `grant.subject()`; a claimed identity other than the
    /// subject is refused.
    pub fn valid(self, grant: TokenGrant) -> Answer {
        self.answer(Verdict::TokenValid {
            grant: Box::new(grant),
            authzid_granted: false,
        })
    }

    /// The token is valid and the subject may act as the claimed identity.
    pub fn valid_with_authzid(self, grant: TokenGrant) -> Answer {
        self.answer(Verdict::TokenValid {
            grant: Box::new(grant),
            authzid_granted: true,
        })
    }

    /// The token is not valid; the client is told `error`.
    pub fn invalid(self, error: TokenError) -> Answer {
        self.reject_token(
            FailureKind::InvalidCredentials,
            "token rejected by the application",
            error,
        )
    }

    /// The token has expired; the client is told `invalid_token` and should refresh it.
    pub fn expired(self) -> Answer {
        self.reject_token(
            FailureKind::Expired,
            "token expired",
            TokenError::invalid_token(),
        )
    }

    /// The token is not valid for a precise local reason (`kind` and a log `detail`
    /// such as "bad signature"; never the token itself); the client is told `error`.
    pub fn reject_token(
        self,
        kind: FailureKind,
        detail: impl Into<Cow<'static, str>>,
        error: TokenError,
    ) -> Answer {
        self.answer(Verdict::TokenRejected {
            reason: FailureReason::new(kind, detail),
            error: Box::new(error),
        })
    }

    /// Fails with a given local reason and the default error for the client.
    pub fn reject(self, kind: FailureKind) -> Answer {
        self.answer(Verdict::Rejected(kind))
    }

    fn answer(self, verdict: Verdict) -> Answer {
        Answer::new(self.ticket, verdict)
    }
}

/// What a valid token proved: who it is for and how long it lasts. Comes back on
/// success as [`MechanismData::Token`](crate::MechanismData::Token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    subject: String,
    expires_at: Option<UnixTime>,
    scopes: Vec<String>,
    issuer: Option<String>,
}

impl TokenGrant {
    /// A grant for the identity the token proves (the account it logs in as).
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            expires_at: None,
            scopes: Vec::new(),
            issuer: None,
        }
    }

    /// Records when the token expires (a server may end the session then).
    pub fn with_expiry(mut self, expires_at: UnixTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Records the token's scopes.
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Records the token's issuer.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The identity the token proves.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.expires_at
    }

    /// The token's scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The token's issuer, if known.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }
}

/// The error a server reports for a rejected token (RFC 7628 §3.2.2: `status`, and
/// optionally `scope` and `openid-configuration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    status: String,
    scope: Option<String>,
    openid_configuration: Option<String>,
}

impl TokenError {
    /// An error with a status (an RFC 6750 error code such as `invalid_token`).
    pub fn new(status: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            scope: None,
            openid_configuration: None,
        }
    }

    /// `invalid_token`: expired, revoked, malformed or otherwise invalid.
    pub fn invalid_token() -> Self {
        Self::new("invalid_token")
    }

    /// `insufficient_scope`, naming the scope the client needs.
    pub fn insufficient_scope(scope: impl Into<String>) -> Self {
        Self::new("insufficient_scope").with_scope(scope)
    }

    /// The scope the client needs.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Where the client finds the identity provider's OpenID configuration.
    pub fn with_openid_configuration(mut self, url: impl Into<String>) -> Self {
        self.openid_configuration = Some(url.into());
        self
    }

    /// The status.
    pub fn status(&self) -> &str {
        &self.status
    }

    /// The scope, if given.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The OpenID configuration URL, if given.
    pub fn openid_configuration(&self) -> Option<&str> {
        self.openid_configuration.as_deref()
    }
}
