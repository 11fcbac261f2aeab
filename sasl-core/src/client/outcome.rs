//! What the server said at the end ([`ServerReply`]) and how the exchange ended for
//! the client ([`ClientOutcome`]).

use crate::channel_binding::ChannelBindingType;
use crate::credentials::ScramKeys;
use crate::failure::{
    ClientAction, FailureKind, FailureReason, ImapReplyStatus, imap_failure_kind,
    parse_imap_tagged, parse_pop3_err, parse_smtp_reply, pop3_failure_kind, smtp_failure_kind,
};
use crate::mechanism::MechanismName;
use crate::request::TokenError;
use std::borrow::Cow;

/// What the server finally said, for [`ClientSession::finish`](crate::ClientSession::finish).
///
/// Build it from the protocol's reply so that a failure keeps what the server said
/// ([`from_imap`](Self::from_imap), [`from_smtp`](Self::from_smtp),
/// [`from_pop3`](Self::from_pop3)): the client's [`ClientAction`] then follows the
/// server's reason (an RFC 5530 `[UNAVAILABLE]` is worth a retry, `[EXPIRED]` a token
/// refresh, `[AUTHENTICATIONFAILED]` a question to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerReply {
    /// The server reported success (IMAP `OK`, SMTP `235`), with additional data if
    /// the protocol carried some (XMPP `<success>`).
    Success {
        /// Additional data sent with success, if any.
        additional_data: Option<Vec<u8>>,
    },
    /// The server reported failure (IMAP `NO`/`BAD`, SMTP `535` etc.).
    Failure(FailureReply),
}

impl ServerReply {
    /// Success without data.
    pub fn success() -> Self {
        ServerReply::Success {
            additional_data: None,
        }
    }

    /// Failure, with nothing known about why ([`FailureKind::Rejected`]).
    pub fn failure() -> Self {
        ServerReply::Failure(FailureReply::new(FailureKind::Rejected, ""))
    }

    /// The IMAP line that ended the `AUTHENTICATE` command tagged `tag` (CRLF
    /// optional): `OK` is success, `NO`/`BAD` (and an untagged `BYE`) failure with the
    /// RFC 5530 code's meaning. `None` if the line is no status reply for that tag: a
    /// pipelining client must not take an earlier command's `OK` for the login's.
    ///
    /// ```
    /// use sasl_core::{ClientAction, ClientFailure, FailureKind, ServerReply};
    /// let line = "a1 NO [UNAVAILABLE] Temporary authentication failure.\r\n";
    /// let Some(ServerReply::Failure(reply)) = ServerReply::from_imap("a1", line) else { return };
    /// assert_eq!(reply.kind(), FailureKind::Temporary);
    /// assert_eq!(ClientFailure::from_reply(&reply).action(), ClientAction::Retry);
    /// assert_eq!(ServerReply::from_imap("a2", "a1 OK done"), None);
    /// ```
    pub fn from_imap(tag: &str, line: &str) -> Option<Self> {
        let parsed = parse_imap_tagged(line)?;
        let ours =
            parsed.tag == tag || (parsed.status == ImapReplyStatus::Bye && parsed.tag == "*");
        if !ours {
            return None;
        }
        Some(match parsed.status {
            ImapReplyStatus::Ok => Self::success(),
            status => ServerReply::Failure(FailureReply::new(
                imap_failure_kind(status, parsed.code),
                parsed.text,
            )),
        })
    }

    /// The SMTP reply to `AUTH` (single or multi-line, CRLF optional): `235` is
    /// success, other codes failure with the RFC 3463 enhanced code's meaning (`454
    /// 4.7.0` temporary, `535 5.7.8` bad credentials, `534 5.7.9` too weak, ...).
    /// `None` if it is no SMTP reply.
    pub fn from_smtp(reply: &str) -> Option<Self> {
        let parsed = parse_smtp_reply(reply)?;
        Some(if parsed.code == 235 {
            Self::success()
        } else {
            ServerReply::Failure(FailureReply::new(
                smtp_failure_kind(parsed.code, parsed.enhanced),
                parsed.text,
            ))
        })
    }

    /// The POP3 reply to `AUTH` (RFC 5034): `+OK` is success, `-ERR` failure with
    /// the RFC 3206 code's meaning (`[AUTH]`, `[SYS/TEMP]`, `[IN-USE]`, ...). `None`
    /// otherwise.
    pub fn from_pop3(line: &str) -> Option<Self> {
        let trimmed = line
            .strip_suffix("\r\n")
            .or_else(|| line.strip_suffix('\n'))
            .unwrap_or(line);
        if trimmed.contains(['\r', '\n', '\0']) {
            return None;
        }
        let ok = trimmed
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("+OK"))
            && matches!(trimmed.as_bytes().get(3), None | Some(b' '));
        if ok {
            return Some(Self::success());
        }
        let parsed = parse_pop3_err(line)?;
        Some(ServerReply::Failure(FailureReply::new(
            pop3_failure_kind(parsed.code),
            parsed.text,
        )))
    }
}

/// A failure reply from the server, turned into a [`FailureKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReply {
    kind: FailureKind,
    text: String,
}

impl FailureReply {
    /// A reply of a known kind, with the server's text.
    pub fn new(kind: FailureKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
        }
    }

    /// What the reply means.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The server's human-readable text (for logs and for showing the user).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// How the exchange ended, from the client's point of view.
#[derive(Debug, Clone)]
#[must_use]
pub enum ClientOutcome {
    /// Authenticated, and the server proved itself where the mechanism can.
    Success(ClientSuccess),
    /// Not authenticated.
    Failure(ClientFailure),
}

impl ClientOutcome {
    /// Whether the client is authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, ClientOutcome::Success(_))
    }
}

/// A successful client-side exchange.
#[derive(Debug, Clone)]
pub struct ClientSuccess {
    mechanism: MechanismName,
    channel_binding: Option<ChannelBindingType>,
    server_verified: bool,
    scram_keys: Option<ScramKeys>,
}

impl ClientSuccess {
    /// Builds a result (for mechanism implementations).
    pub fn new(mechanism: MechanismName) -> Self {
        Self {
            mechanism,
            channel_binding: None,
            server_verified: false,
            scram_keys: None,
        }
    }

    /// Records that the server proved knowledge of the credentials.
    pub fn with_server_verified(mut self, verified: bool) -> Self {
        self.server_verified = verified;
        self
    }

    /// Records the channel-binding type used.
    pub fn with_channel_binding(mut self, kind: Option<ChannelBindingType>) -> Self {
        self.channel_binding = kind;
        self
    }

    /// Hands derived SCRAM keys back for caching.
    pub fn with_scram_keys(mut self, keys: Option<ScramKeys>) -> Self {
        self.scram_keys = keys;
        self
    }

    /// The mechanism used.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    /// Whether the server proved it knows the credentials (mutual authentication;
    /// always true for SCRAM, false for PLAIN).
    pub fn server_verified(&self) -> bool {
        self.server_verified
    }

    /// The channel-binding type the exchange was bound with, if any.
    pub fn channel_binding(&self) -> Option<ChannelBindingType> {
        self.channel_binding
    }

    /// SCRAM keys derived during this exchange, for the application to cache (and
    /// pass back with [`ClientCredentials::with_scram_keys`](crate::ClientCredentials::with_scram_keys)).
    /// `None` if the exchange used cached keys or is not SCRAM.
    pub fn scram_keys(&self) -> Option<&ScramKeys> {
        self.scram_keys.as_ref()
    }
}

/// A failed client-side exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFailure {
    reason: FailureReason,
    server_error: Option<String>,
    token_error: Option<Box<TokenError>>,
}

impl ClientFailure {
    /// A failure with a local reason.
    pub fn new(kind: FailureKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: FailureReason::new(kind, detail),
            server_error: None,
            token_error: None,
        }
    }

    /// The failure a server's failure reply means, keeping its text.
    pub fn from_reply(reply: &FailureReply) -> Self {
        Self::new(reply.kind(), "the server reported failure")
            .with_server_error(reply.text().to_owned())
    }

    /// Records the error the server sent (a SCRAM `e=` value, the reply text).
    pub fn with_server_error(mut self, error: impl Into<String>) -> Self {
        self.server_error = Some(error.into());
        self
    }

    /// Why it failed.
    pub fn reason(&self) -> &FailureReason {
        &self.reason
    }

    /// What the server said, if anything: its mechanism error or its reply text.
    pub fn server_error(&self) -> Option<&str> {
        self.server_error.as_deref()
    }

    /// Records the error an OAUTHBEARER or XOAUTH2 server sent in its error challenge.
    pub fn with_token_error(mut self, error: TokenError) -> Self {
        self.token_error = Some(Box::new(error));
        self
    }

    /// The OAuth error the server sent before failing (OAUTHBEARER's `status`,
    /// `scope` and `openid-configuration`; XOAUTH2's `status` and `scope`), if any.
    /// `sasl_oauthbearer::TokenFailure` turns it and the final reply into what to do.
    pub fn token_error(&self) -> Option<&TokenError> {
        self.token_error.as_deref()
    }

    /// What to do next: retry, refresh credentials, ask the user, or give up.
    pub fn action(&self) -> ClientAction {
        self.reason.client_action()
    }
}
