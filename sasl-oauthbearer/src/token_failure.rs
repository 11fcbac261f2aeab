//! What a mail client does after a bearer-token login failed, from every shape of
//! failure real servers produce.

use sasl_core::{ClientFailure, FailureKind};

/// Where the token the client sent came from: this decides whether refreshing it can
/// help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// A token from the client's cache, possibly expired or revoked.
    Cached,
    /// A token just obtained (refreshed or newly authorized) for this attempt: if it
    /// is refused, refreshing again will not help.
    Fresh,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenAction {
    /// Get a fresh access token without bothering the user (the refresh grant) and
    /// log in again: start a new session whose credentials say
    /// [`with_token_on_demand`](sasl_core::ClientCredentials::with_token_on_demand)
    /// and answer its [`ClientRequest::Token`](sasl_core::ClientRequest::Token) with
    /// the new token.
    Refresh,
    /// Have the user authorize again at the identity provider, asking for
    /// [`TokenFailure::scopes`] (or the scopes configured for this account if the
    /// server named none).
    Reauthorize,
    /// Find the identity provider from [`TokenFailure::openid_configuration`] (see
    /// [`TokenFailure::discovery_target`], feature `discovery`), then authorize there.
    ///
    /// The mail server chose that URL. Before reusing a refresh token, a client
    /// registration or anything else tied to the account's provider, compare the
    /// verified metadata's `issuer` with the issuer the account already uses (RFC 7628
    /// §3.2.2); a different issuer is a new provider the user must approve, never one
    /// to send existing credentials to.
    Discover,
    /// A temporary problem on the server (or a local one: a
    /// [`ClientStep::Abort`](sasl_core::ClientStep::Abort) the client produced itself
    /// is better logged than retried): try again later with the same token, with
    /// backoff, since a server may say so forever.
    RetryLater,
    /// Do not retry: the account cannot log in this way (not authorized for the
    /// requested identity, disabled, TLS or mechanism refused, protocol error).
    GiveUp,
}

/// A failed bearer-token login, assessed.
///
/// It reads everything the server said: the error challenge's `status`, `scope` and
/// `openid-configuration` (whatever its shape: OAUTHBEARER's OAuth error codes,
/// XOAUTH2's HTTP statuses, plain text, or no challenge at all as Microsoft 365 sends)
/// and the final reply's meaning (IMAP `[EXPIRED]`, `[UNAVAILABLE]`,
/// `[AUTHORIZATIONFAILED]`, SMTP `535 5.7.8`, `454 4.7.0` ...). No single field
/// decides: Gmail reports a bad token as `invalid_request` over OAUTHBEARER and as
/// `400` over XOAUTH2, so every token complaint that is not about scope counts as a
/// bad token.
///
/// ```
/// use sasl_core::{ClientFailure, FailureKind, TokenError};
/// use sasl_oauthbearer::{TokenAction, TokenFailure, TokenOrigin};
///
/// // Gmail over XOAUTH2: {"status":"400",...}, then NO [AUTHENTICATIONFAILED].
/// let failure = ClientFailure::new(FailureKind::InvalidCredentials, "the server reported failure")
///     .with_token_error(TokenError::new("400").with_scope("https://mail.google.com/"));
/// let cached = TokenFailure::assess(&failure, TokenOrigin::Cached);
/// assert_eq!(cached.action(), TokenAction::Refresh);
/// // The same answer to a token refreshed a moment ago: the user must authorize again.
/// let fresh = TokenFailure::assess(&failure, TokenOrigin::Fresh);
/// assert_eq!(fresh.action(), TokenAction::Reauthorize);
/// assert_eq!(fresh.scopes(), ["https://mail.google.com/"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFailure {
    action: TokenAction,
    status: Option<String>,
    scopes: Vec<String>,
    openid_configuration: Option<String>,
}

impl TokenFailure {
    /// Assesses `failure` (from the session's [`ClientOutcome`](sasl_core::ClientOutcome)
    /// or an [`Abort`](sasl_core::ClientStep::Abort)) for a token of `origin`.
    pub fn assess(failure: &ClientFailure, origin: TokenOrigin) -> Self {
        let error = failure.token_error();
        let status = error.map(|e| e.status().trim()).filter(|s| !s.is_empty());
        let scopes: Vec<String> = error
            .and_then(|e| e.scope())
            .map(|s| s.split_ascii_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let openid_configuration = error
            .and_then(|e| e.openid_configuration())
            .map(str::to_owned);
        let action = Self::action_for(
            failure.reason().kind(),
            status,
            origin,
            openid_configuration.is_some(),
        );
        Self {
            action,
            status: status.map(str::to_owned),
            scopes,
            openid_configuration,
        }
    }

    fn action_for(
        kind: FailureKind,
        status: Option<&str>,
        origin: TokenOrigin,
        discoverable: bool,
    ) -> TokenAction {
        use FailureKind as K;
        // What the final reply says first, where it is specific.
        match kind {
            K::Temporary | K::Internal => return TokenAction::RetryLater,
            K::Expired if origin == TokenOrigin::Cached => return TokenAction::Refresh,
            K::AuthorizationDenied
            | K::AccountDisabled
            | K::EncryptionRequired
            | K::MechanismTooWeak
            | K::UnknownMechanism
            | K::Protocol
            | K::Malformed
            | K::MessageTooLarge
            | K::TooManyRoundTrips
            | K::Cancelled
            | K::ChannelBindingMismatch
            | K::ChannelBindingDowngrade
            | K::ChannelBindingRequired
            | K::ChannelBindingUnsupported
            | K::ServerNotAuthenticated => return TokenAction::GiveUp,
            _ => {}
        }
        // Then the error challenge: a scope complaint needs the user; anything else
        // (invalid_token, invalid_request, 400, 401, text, nothing) is a bad token.
        if matches!(status, Some("insufficient_scope" | "403")) {
            return TokenAction::Reauthorize;
        }
        match origin {
            TokenOrigin::Cached => TokenAction::Refresh,
            TokenOrigin::Fresh if discoverable => TokenAction::Discover,
            TokenOrigin::Fresh => TokenAction::Reauthorize,
        }
    }

    /// What to do next.
    pub fn action(&self) -> TokenAction {
        self.action
    }

    /// The server's `status`, if it sent one (`invalid_token`, `400`, ...).
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The scopes the server says a token needs (RFC 7628 §3.2.2: if present, the
    /// client must ask for them). Empty if it named none.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The OpenID Connect discovery URL the server gave (OAUTHBEARER only). Useful
    /// whatever the action: after a refresh fails, this is where to start.
    pub fn openid_configuration(&self) -> Option<&str> {
        self.openid_configuration.as_deref()
    }

    /// Where to fetch the identity provider's metadata, and the issuer it must name,
    /// from the server's `openid-configuration`: `None` if the server gave none,
    /// an error if the URL is not one to trust (not `https`, not a discovery URL).
    #[cfg(feature = "discovery")]
    pub fn discovery_target(
        &self,
    ) -> Option<Result<crate::discovery::DiscoveryTarget, crate::discovery::DiscoveryError>> {
        self.openid_configuration
            .as_deref()
            .map(crate::discovery::DiscoveryTarget::from_openid_configuration)
    }
}
