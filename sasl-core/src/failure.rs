//! Why an exchange failed: one local taxonomy, mapped to what IMAP (RFC 5530) and
//! SMTP (RFC 4954, RFC 3463 enhanced codes) servers reply, and to what a client should
//! do next.
//!
//! The local reason is for logs and metrics only; the peer never sees it. Note in
//! particular that [`FailureKind::UnknownUser`] and [`FailureKind::InvalidCredentials`]
//! map to the same IMAP code and SMTP reply, so a server that uses these mappings does
//! not reveal which accounts exist.

use core::fmt;
use std::borrow::Cow;

mod parse;
pub(crate) use parse::{
    ImapReplyStatus, imap_failure_kind, parse_imap_tagged, parse_pop3_err, parse_smtp_reply,
    pop3_failure_kind, smtp_failure_kind,
};

/// The class of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The peer's message does not follow the mechanism's syntax.
    Malformed,
    /// Wrong password, wrong proof, invalid token.
    InvalidCredentials,
    /// The user does not exist (never revealed to the peer).
    UnknownUser,
    /// Authenticated, but the requested authorization identity was not granted.
    AuthorizationDenied,
    /// The credentials are valid but expired (password, token).
    Expired,
    /// The account is disabled or locked.
    AccountDisabled,
    /// Channel-binding data did not match: a possible man in the middle.
    ChannelBindingMismatch,
    /// The client said it could bind but thought the server could not (`y`), while
    /// this server could: a possible downgrade attack.
    ChannelBindingDowngrade,
    /// The server's policy requires channel binding and the client did not bind.
    ChannelBindingRequired,
    /// The client asked for a channel-binding type this connection does not have.
    ChannelBindingUnsupported,
    /// The mechanism needs an encrypted connection (e.g. PLAIN without TLS).
    EncryptionRequired,
    /// The mechanism is too weak for this account or policy.
    MechanismTooWeak,
    /// A message was larger than the configured limit.
    MessageTooLarge,
    /// The exchange took more round trips than the configured limit.
    TooManyRoundTrips,
    /// The client cancelled the exchange (`*`).
    Cancelled,
    /// A temporary problem on the server side (credential store unavailable).
    Temporary,
    /// The peer broke the mechanism's protocol in some other way (unexpected message,
    /// a nonce that does not match, a mandatory extension we do not know).
    Protocol,
    /// The server could not prove its identity to the client (SCRAM server signature
    /// wrong or missing).
    ServerNotAuthenticated,
    /// The server rejected the exchange (client side, no more detail known).
    Rejected,
    /// The client named a mechanism the server does not offer on this connection.
    UnknownMechanism,
    /// A local problem (configuration, random source, a mechanism's internal error):
    /// the peer is told to try later, the details are in the local reason.
    Internal,
    /// Anything else.
    Other,
}

/// A failure with a detail message for logs.
///
/// The detail never contains secrets (passwords, proofs, tokens); it may contain
/// protocol facts such as the attribute that was malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReason {
    kind: FailureKind,
    detail: Cow<'static, str>,
}

impl FailureReason {
    /// Makes a reason.
    pub fn new(kind: FailureKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// The class of failure.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// A human-readable detail for logs.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The IMAP response for this failure (RFC 9051 / RFC 5530).
    pub fn imap(&self) -> ImapResponse {
        use FailureKind as K;
        use ImapCode as C;
        let (status, code) = match self.kind {
            K::InvalidCredentials | K::UnknownUser | K::ServerNotAuthenticated | K::Rejected => {
                (ImapStatus::No, Some(C::AuthenticationFailed))
            }
            K::AuthorizationDenied => (ImapStatus::No, Some(C::AuthorizationFailed)),
            K::Expired => (ImapStatus::No, Some(C::Expired)),
            K::AccountDisabled => (ImapStatus::No, Some(C::ContactAdmin)),
            K::ChannelBindingMismatch
            | K::ChannelBindingDowngrade
            | K::ChannelBindingRequired
            | K::ChannelBindingUnsupported
            | K::MechanismTooWeak => (ImapStatus::No, Some(C::AuthenticationFailed)),
            K::EncryptionRequired => (ImapStatus::No, Some(C::PrivacyRequired)),
            K::Temporary => (ImapStatus::No, Some(C::Unavailable)),
            K::Internal => (ImapStatus::No, Some(C::ServerBug)),
            K::UnknownMechanism => (ImapStatus::No, None),
            K::Malformed | K::Protocol | K::MessageTooLarge | K::TooManyRoundTrips => {
                (ImapStatus::Bad, None)
            }
            K::Cancelled => (ImapStatus::Bad, None),
            K::Other => (ImapStatus::No, Some(C::AuthenticationFailed)),
        };
        ImapResponse { status, code }
    }

    /// The SMTP reply for this failure (RFC 4954 with RFC 3463 enhanced codes).
    pub fn smtp(&self) -> SmtpReply {
        use FailureKind as K;
        match self.kind {
            K::InvalidCredentials
            | K::UnknownUser
            | K::AuthorizationDenied
            | K::Expired
            | K::AccountDisabled
            | K::ChannelBindingMismatch
            | K::ChannelBindingDowngrade
            | K::ChannelBindingRequired
            | K::ChannelBindingUnsupported
            | K::ServerNotAuthenticated
            | K::Rejected
            | K::Other => SmtpReply::new(535, "5.7.8", "Authentication credentials invalid"),
            K::MechanismTooWeak => {
                SmtpReply::new(534, "5.7.9", "Authentication mechanism is too weak")
            }
            K::EncryptionRequired => SmtpReply::new(
                538,
                "5.7.11",
                "Encryption required for requested authentication mechanism",
            ),
            K::Temporary | K::Internal => {
                SmtpReply::new(454, "4.7.0", "Temporary authentication failure")
            }
            K::UnknownMechanism => SmtpReply::new(504, "5.5.4", "Unrecognized authentication type"),
            K::MessageTooLarge => {
                SmtpReply::new(500, "5.5.6", "Authentication Exchange line is too long")
            }
            K::Cancelled => SmtpReply::new(501, "5.7.0", "Authentication cancelled"),
            K::Malformed | K::Protocol | K::TooManyRoundTrips => {
                SmtpReply::new(501, "5.5.2", "Cannot decode response")
            }
        }
    }

    /// What a client should do after this failure.
    pub fn client_action(&self) -> ClientAction {
        use FailureKind as K;
        match self.kind {
            K::InvalidCredentials | K::UnknownUser | K::Rejected => ClientAction::AskUser,
            K::Expired => ClientAction::RefreshCredentials,
            K::Temporary => ClientAction::Retry,
            K::AuthorizationDenied | K::AccountDisabled => ClientAction::AskUser,
            _ => ClientAction::GiveUp,
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

/// Tagged status of an IMAP `AUTHENTICATE` failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapStatus {
    /// `NO`: the exchange was well-formed and authentication failed.
    No,
    /// `BAD`: protocol error or cancel (RFC 9051 §6.2.2).
    Bad,
}

/// IMAP response codes used for authentication failures (RFC 5530).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImapCode {
    /// `AUTHENTICATIONFAILED`
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED`
    AuthorizationFailed,
    /// `EXPIRED`
    Expired,
    /// `PRIVACYREQUIRED`
    PrivacyRequired,
    /// `CONTACTADMIN`
    ContactAdmin,
    /// `UNAVAILABLE`
    Unavailable,
    /// `SERVERBUG`
    ServerBug,
}

impl ImapCode {
    /// The code as written inside `[...]`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImapCode::AuthenticationFailed => "AUTHENTICATIONFAILED",
            ImapCode::AuthorizationFailed => "AUTHORIZATIONFAILED",
            ImapCode::Expired => "EXPIRED",
            ImapCode::PrivacyRequired => "PRIVACYREQUIRED",
            ImapCode::ContactAdmin => "CONTACTADMIN",
            ImapCode::Unavailable => "UNAVAILABLE",
            ImapCode::ServerBug => "SERVERBUG",
        }
    }
}

/// What an IMAP server replies to a failed `AUTHENTICATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImapResponse {
    /// `NO` or `BAD`.
    pub status: ImapStatus,
    /// The response code, if any.
    pub code: Option<ImapCode>,
}

impl ImapResponse {
    /// Formats the tagged line without CRLF, e.g. `A1 NO [AUTHENTICATIONFAILED] text`.
    pub fn line(&self, tag: &str, text: &str) -> String {
        let status = match self.status {
            ImapStatus::No => "NO",
            ImapStatus::Bad => "BAD",
        };
        match self.code {
            Some(code) => format!("{tag} {status} [{}] {text}", code.as_str()),
            None => format!("{tag} {status} {text}"),
        }
    }
}

/// An SMTP reply: basic code, enhanced status code, text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpReply {
    /// The three-digit reply code (e.g. 535).
    pub code: u16,
    /// The enhanced status code (e.g. `5.7.8`).
    pub enhanced: &'static str,
    /// The suggested text.
    pub text: &'static str,
}

impl SmtpReply {
    const fn new(code: u16, enhanced: &'static str, text: &'static str) -> Self {
        Self {
            code,
            enhanced,
            text,
        }
    }

    /// Formats the reply line without CRLF, e.g. `535 5.7.8 Authentication credentials invalid`.
    pub fn line(&self) -> String {
        format!("{} {} {}", self.code, self.enhanced, self.text)
    }
}

/// What a client should do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAction {
    /// Try again later with the same credentials (temporary server problem).
    Retry,
    /// Get fresh credentials without bothering the user (refresh an OAuth token).
    RefreshCredentials,
    /// Ask the user (wrong password, not authorized).
    AskUser,
    /// Do not retry: protocol error, possible attack, or misconfiguration.
    GiveUp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_user_looks_like_wrong_password() {
        let a = FailureReason::new(FailureKind::UnknownUser, "no such user");
        let b = FailureReason::new(FailureKind::InvalidCredentials, "bad proof");
        assert_eq!(a.imap(), b.imap());
        assert_eq!(a.smtp(), b.smtp());
        assert_eq!(
            a.imap().line("A1", "failed"),
            "A1 NO [AUTHENTICATIONFAILED] failed"
        );
        assert_eq!(
            a.smtp().line(),
            "535 5.7.8 Authentication credentials invalid"
        );
    }

    #[test]
    fn mapping_table() {
        let r = |k| FailureReason::new(k, "");
        assert_eq!(r(FailureKind::Temporary).smtp().code, 454);
        assert_eq!(
            r(FailureKind::Temporary).imap().code,
            Some(ImapCode::Unavailable)
        );
        assert_eq!(r(FailureKind::EncryptionRequired).smtp().enhanced, "5.7.11");
        assert_eq!(r(FailureKind::MechanismTooWeak).smtp().code, 534);
        assert_eq!(r(FailureKind::Cancelled).smtp().code, 501);
        assert_eq!(r(FailureKind::Cancelled).imap().status, ImapStatus::Bad);
        assert_eq!(
            r(FailureKind::AuthorizationDenied).imap().code,
            Some(ImapCode::AuthorizationFailed)
        );
        assert_eq!(
            r(FailureKind::Expired).client_action(),
            ClientAction::RefreshCredentials
        );
        assert_eq!(
            r(FailureKind::InvalidCredentials).client_action(),
            ClientAction::AskUser
        );
        assert_eq!(
            r(FailureKind::ChannelBindingMismatch).client_action(),
            ClientAction::GiveUp
        );
        assert_eq!(
            r(FailureKind::MessageTooLarge).smtp().line(),
            "500 5.5.6 Authentication Exchange line is too long"
        );
    }
}
