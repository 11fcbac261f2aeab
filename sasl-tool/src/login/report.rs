//! What `sasl login` reports: the transcript (every line, SASL messages decoded,
//! secrets redacted), the outcome, the exit status, and the `--json` document.
//!
//! # Redaction
//!
//! Client messages are redacted by their structure: PLAIN's password, every LOGIN
//! response after the user name, and the bearer token of OAUTHBEARER and XOAUTH2 show
//! as `***`, and so does the base64 line that carried them. As a second net, any
//! known secret (the password, the token) found anywhere in the transcript is
//! replaced too. SCRAM proofs and PASSKEY assertions are no secrets: they prove
//! nothing to anyone who does not hold the stored keys, and they are what a reader
//! debugging a login wants to see.

use crate::failure::{EXIT_REFUSED, Failure};
use crate::term::{Paint, Term};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

/// What redacted text is replaced with.
pub(crate) const REDACTED: &str = "***";

/// Decoded messages longer than this many characters are cut (PASSKEY options can be
/// long; the line itself is always shown whole).
const MAX_DECODED_CHARS: usize = 4096;

/// Secrets shorter than this are not searched for in the whole transcript (a
/// one-letter password would blank every such letter); the structural redaction
/// still covers them.
const MIN_SEARCHED_SECRET: usize = 4;

/// Who a transcript line is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Party {
    /// Sent by this client.
    Client,
    /// Sent by the server.
    Server,
    /// A remark of the tool (connected, TLS up, mechanism chosen).
    Note,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TranscriptLine {
    /// Who sent it.
    pub(crate) from: Party,
    /// The line as sent (without CRLF), secrets replaced by `***`.
    pub(crate) line: String,
    /// The SASL message it carries, decoded from base64, secrets replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decoded: Option<String>,
}

/// The transcript being recorded.
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    lines: Vec<TranscriptLine>,
}

impl Transcript {
    fn push(&mut self, from: Party, line: &str) {
        self.lines.push(TranscriptLine {
            from,
            line: line.to_owned(),
            decoded: None,
        });
    }

    /// Records a line the client sent.
    pub(crate) fn client(&mut self, line: &str) {
        self.push(Party::Client, line);
    }

    /// Records a line the server sent.
    pub(crate) fn server(&mut self, line: &str) {
        self.push(Party::Server, line);
    }

    /// Records a remark.
    pub(crate) fn note(&mut self, text: impl Into<String>) {
        self.lines.push(TranscriptLine {
            from: Party::Note,
            line: text.into(),
            decoded: None,
        });
    }

    /// Attaches the decoded SASL message to the last line.
    pub(crate) fn decoded(&mut self, text: String) {
        if let Some(last) = self.lines.last_mut() {
            last.decoded = Some(text);
        }
    }

    /// The lines, with every occurrence of a secret (see [`MIN_SEARCHED_SECRET`])
    /// replaced.
    pub(crate) fn finish(self, secrets: &[&str]) -> Vec<TranscriptLine> {
        let secrets: Vec<&str> = secrets
            .iter()
            .copied()
            .filter(|s| s.len() >= MIN_SEARCHED_SECRET)
            .collect();
        let scrub = |text: &mut String| {
            for secret in &secrets {
                if text.contains(secret) {
                    *text = text.replace(secret, REDACTED);
                }
            }
        };
        self.lines
            .into_iter()
            .map(|mut line| {
                scrub(&mut line.line);
                if let Some(decoded) = line.decoded.as_mut() {
                    scrub(decoded);
                }
                line
            })
            .collect()
    }
}

/// Bytes as text for the transcript: UTF-8 shown as is, NUL as `\0`, other control
/// characters and bytes that are not UTF-8 as `\xNN`; cut after
/// [`MAX_DECODED_CHARS`] characters.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut shown = 0usize;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown >= MAX_DECODED_CHARS {
                out.push_str(&format!("… ({} bytes in all)", bytes.len()));
                return out;
            }
            shown = shown.saturating_add(1);
            match c {
                '\0' => out.push_str("\\0"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            shown = shown.saturating_add(1);
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// How a client SASL message is shown: the wire form (base64, or `***` when it holds
/// a secret) and the decoded form with the secret replaced.
#[derive(Debug)]
pub(crate) struct ShownMessage {
    /// What to show in place of the base64 on the line.
    pub(crate) wire: Option<String>,
    /// The decoded message.
    pub(crate) decoded: String,
}

/// How to show the `index`-th client message (0 is the first, initial response or
/// not) of `mechanism`; `secrets` are the password and token as known so far.
pub(crate) fn show_client_message(
    mechanism: &str,
    index: usize,
    data: &[u8],
    secrets: &[&str],
) -> ShownMessage {
    let mechanism = mechanism.to_ascii_uppercase();
    let structural = match mechanism.as_str() {
        "PLAIN" => Some(redact_plain(data)),
        "LOGIN" if index >= 1 => Some(REDACTED.to_owned()),
        "OAUTHBEARER" | "XOAUTH2" => redact_bearer(data),
        _ => None,
    };
    if let Some(decoded) = structural {
        return ShownMessage {
            wire: Some(REDACTED.to_owned()),
            decoded,
        };
    }
    let decoded = printable(data);
    let holds_secret = secrets
        .iter()
        .any(|s| !s.is_empty() && data.windows(s.len()).any(|window| window == s.as_bytes()));
    if holds_secret {
        let mut decoded = decoded;
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            decoded = decoded.replace(secret, REDACTED);
        }
        return ShownMessage {
            wire: Some(REDACTED.to_owned()),
            decoded,
        };
    }
    ShownMessage {
        wire: None,
        decoded,
    }
}

/// PLAIN is `authzid NUL authcid NUL password`: the password goes.
fn redact_plain(data: &[u8]) -> String {
    let mut fields = data.splitn(3, |b| *b == 0);
    let authzid = fields.next().unwrap_or_default();
    let authcid = fields.next();
    match authcid {
        Some(authcid) => format!(
            "{}\\0{}\\0{REDACTED}",
            printable(authzid),
            printable(authcid)
        ),
        None => REDACTED.to_owned(),
    }
}

/// OAUTHBEARER and XOAUTH2 carry `auth=Bearer <token>` between `\x01`s: the token
/// goes. `None` for a message without one (the `\x01` answer to an error).
fn redact_bearer(data: &[u8]) -> Option<String> {
    let parts: Vec<String> = data
        .split(|b| *b == 1)
        .map(|part| {
            let lower = part.to_ascii_lowercase();
            if lower.starts_with(b"auth=") {
                let scheme_end = part
                    .iter()
                    .skip(5)
                    .position(|b| *b == b' ')
                    .map(|p| p.saturating_add(6));
                match scheme_end.and_then(|end| part.get(..end)) {
                    Some(head) => format!("{}{REDACTED}", printable(head)),
                    None => format!("auth={REDACTED}"),
                }
            } else {
                printable(part)
            }
        })
        .collect();
    let has_token = data
        .split(|b| *b == 1)
        .any(|part| part.to_ascii_lowercase().starts_with(b"auth="));
    has_token.then(|| parts.join("\\x01"))
}

/// How a login ended.
#[derive(Debug)]
pub(crate) enum LoginOutcome {
    /// Authenticated (for SCRAM: and the server proved itself).
    Authenticated {
        /// The identity logged in as: the authzid if one was asked for, else the user
        /// name; empty when the server derived it (EXTERNAL without `--user` or
        /// `--authzid`, a discoverable passkey, `PREAUTH`).
        identity: String,
    },
    /// The server refused.
    Refused {
        /// Why, as the server and the mechanism said.
        reason: String,
        /// What to try next.
        hint: Option<String>,
    },
    /// Usage, network, TLS or protocol error (or a server that did not prove itself).
    Error(Failure),
}

/// The result of one login, for printing, `--json` and `sasl demo`.
#[derive(Debug)]
pub(crate) struct LoginReport {
    /// How it ended.
    pub(crate) outcome: LoginOutcome,
    /// The mechanism used, once one was chosen.
    pub(crate) mechanism: Option<String>,
    /// The channel-binding type the exchange was bound with (`tls-exporter`, ...).
    pub(crate) channel_binding: Option<String>,
    /// Client messages sent in the exchange (the command with or without an initial
    /// response, then each response).
    pub(crate) round_trips: usize,
    /// Every line, decoded and redacted.
    pub(crate) transcript: Vec<TranscriptLine>,
    /// How long the whole login took.
    pub(crate) elapsed: Duration,
    /// Whether the server proved it knows the credentials (SCRAM).
    pub(crate) server_verified: bool,
    /// The server's final reply to the exchange, as sent.
    pub(crate) server_reply: Option<String>,
    /// The `openid-configuration` URL of an OAUTHBEARER failure (RFC 7628 §3.2.2), where
    /// `sasl oauth` can start discovery.
    pub(crate) openid_configuration: Option<String>,
    /// The passkey authenticator after the login, if it signed an assertion: its
    /// counters moved, so whoever keeps its key file must write it back.
    pub(crate) passkey: Option<sasl_passkey::SoftwareAuthenticator>,
}

impl LoginReport {
    /// The exit status: 0 authenticated, 1 refused, 2 error.
    pub(crate) fn exit_status(&self) -> u8 {
        match &self.outcome {
            LoginOutcome::Authenticated { .. } => 0,
            LoginOutcome::Refused { .. } => EXIT_REFUSED,
            LoginOutcome::Error(failure) => failure.status(),
        }
    }

    /// Whether the login succeeded.
    pub(crate) fn authenticated(&self) -> bool {
        matches!(self.outcome, LoginOutcome::Authenticated { .. })
    }

    /// The failure to print on stderr, if the login failed.
    pub(crate) fn failure(&self) -> Option<Failure> {
        match &self.outcome {
            LoginOutcome::Authenticated { .. } => None,
            LoginOutcome::Refused { reason, hint } => {
                let failure = Failure::refused(reason.clone());
                Some(match hint {
                    Some(hint) => failure.hint(hint.clone()),
                    None => failure,
                })
            }
            LoginOutcome::Error(failure) => {
                let copy = if failure.status() == EXIT_REFUSED {
                    Failure::refused(failure.message())
                } else {
                    Failure::error(failure.message())
                };
                Some(match failure.hint_text() {
                    Some(hint) => copy.hint(hint),
                    None => copy,
                })
            }
        }
    }

    /// The `--json` document.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let (identity, failure, hint) = match &self.outcome {
            LoginOutcome::Authenticated { identity } => (
                Some(identity.as_str()).filter(|i| !i.is_empty()),
                None,
                None,
            ),
            LoginOutcome::Refused { reason, hint } => {
                (None, Some(reason.as_str()), hint.as_deref())
            }
            LoginOutcome::Error(failure) => (None, Some(failure.message()), failure.hint_text()),
        };
        json!({
            "authenticated": self.authenticated(),
            "mechanism": self.mechanism,
            "identity": identity,
            "channel_binding": self.channel_binding,
            "server_verified": self.server_verified,
            "round_trips": self.round_trips,
            "server_reply": self.server_reply,
            "failure": failure,
            "hint": hint,
            "openid_configuration": self.openid_configuration,
            "exit_status": self.exit_status(),
            "elapsed_ms": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            "transcript": self.transcript,
        })
    }

    /// The transcript and the result line, for stdout.
    pub(crate) fn render(&self, term: &Term) -> String {
        let mut out = String::new();
        for line in &self.transcript {
            let prefix = match line.from {
                Party::Client => term.paint(Paint::Bold, "C:"),
                Party::Server => term.paint(Paint::Bold, "S:"),
                Party::Note => term.paint(Paint::Dim, "--"),
            };
            let text = match line.from {
                Party::Note => term.paint(Paint::Dim, &line.line),
                _ => line.line.clone(),
            };
            out.push_str(&format!("{prefix} {text}\n"));
            if let Some(decoded) = &line.decoded {
                out.push_str(&format!("   {} {decoded}\n", term.paint(Paint::Dim, "=")));
            }
        }
        if let LoginOutcome::Authenticated { identity } = &self.outcome {
            out.push_str(&term.paint(Paint::Good, &self.summary(identity)));
            out.push('\n');
        }
        out
    }

    /// "authenticated as alice with SCRAM-SHA-256-PLUS (...)".
    fn summary(&self, identity: &str) -> String {
        let who = if identity.is_empty() {
            "authenticated".to_owned()
        } else {
            format!("authenticated as {identity}")
        };
        let how = match &self.mechanism {
            Some(mechanism) => format!(" with {mechanism}"),
            None => " before any SASL exchange".to_owned(),
        };
        let mut details = Vec::new();
        if let Some(cb) = &self.channel_binding {
            details.push(format!("channel binding {cb}"));
        }
        if self.server_verified {
            details.push("the server proved it knows the credentials".to_owned());
        }
        details.push(format!(
            "{} round trip{}",
            self.round_trips,
            if self.round_trips == 1 { "" } else { "s" }
        ));
        details.push(format!("{} ms", self.elapsed.as_millis()));
        format!("{who}{how} ({})", details.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes() {
        assert_eq!(printable(b"\0alice\0pw"), "\\0alice\\0pw");
        assert_eq!(printable(b"a\x01b\xff"), "a\\x01b\\xff");
        assert_eq!(printable("é\\".as_bytes()), "é\\\\");
    }

    #[test]
    fn plain_password_is_redacted() {
        let shown = show_client_message("PLAIN", 0, b"\0alice\0hunter22", &[]);
        assert_eq!(shown.wire.as_deref(), Some(REDACTED));
        assert_eq!(shown.decoded, "\\0alice\\0***");
        assert!(!shown.decoded.contains("hunter"));
        let shown = show_client_message("plain", 0, b"admin\0alice\0x\0y", &[]);
        assert_eq!(shown.decoded, "admin\\0alice\\0***");
    }

    #[test]
    fn login_password_is_redacted_user_is_not() {
        let user = show_client_message("LOGIN", 0, b"alice", &[]);
        assert_eq!((user.wire, user.decoded.as_str()), (None, "alice"));
        let password = show_client_message("LOGIN", 1, b"hunter22", &[]);
        assert_eq!(password.wire.as_deref(), Some(REDACTED));
        assert_eq!(password.decoded, REDACTED);
    }

    #[test]
    fn bearer_tokens_are_redacted() {
        let msg = b"n,a=alice,\x01host=h\x01port=993\x01auth=Bearer eyJtoken\x01\x01";
        let shown = show_client_message("OAUTHBEARER", 0, msg, &[]);
        assert_eq!(shown.wire.as_deref(), Some(REDACTED));
        assert_eq!(
            shown.decoded,
            "n,a=alice,\\x01host=h\\x01port=993\\x01auth=Bearer ***\\x01\\x01"
        );
        let shown = show_client_message("XOAUTH2", 0, b"user=a\x01auth=Bearer tok\x01\x01", &[]);
        assert!(!shown.decoded.contains("tok"));
        let dummy = show_client_message("OAUTHBEARER", 1, b"\x01", &[]);
        assert_eq!(dummy.wire, None);
    }

    #[test]
    fn scram_is_shown_and_known_secrets_are_not() {
        let shown = show_client_message("SCRAM-SHA-256", 1, b"c=biws,r=abc,p=proof", &[]);
        assert_eq!(shown.wire, None);
        assert_eq!(shown.decoded, "c=biws,r=abc,p=proof");
        let shown = show_client_message("X-OTHER", 0, b"user secret99", &["secret99"]);
        assert_eq!(shown.wire.as_deref(), Some(REDACTED));
        assert_eq!(shown.decoded, "user ***");
    }

    #[test]
    fn transcript_scrubs_known_secrets() {
        let mut t = Transcript::default();
        t.server("* OK hunter22 says hi");
        t.decoded("hunter22".to_owned());
        t.client("a1 x");
        let lines = t.finish(&["hunter22", "a"]);
        assert_eq!(
            lines.first().map(|l| l.line.as_str()),
            Some("* OK *** says hi")
        );
        assert_eq!(
            lines.first().and_then(|l| l.decoded.as_deref()),
            Some(REDACTED)
        );
        assert_eq!(lines.get(1).map(|l| l.line.as_str()), Some("a1 x"));
    }
}
