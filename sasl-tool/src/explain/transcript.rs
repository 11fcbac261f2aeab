//! A sequence of lines, explained in order: a pasted IMAP, SMTP or POP3 transcript
//! (`sasl explain`) or the arguments of `sasl decode`. It tracks which mechanism each
//! `AUTHENTICATE`/`AUTH` started, feeds each challenge and response to the mechanism's
//! decoder with the exchange's state, and explains the final reply with
//! [`ServerReply::from_imap`], [`ServerReply::from_smtp`] and [`ServerReply::from_pop3`]
//! (RFC 5530 codes, RFC 3463 enhanced status codes, RFC 3206 POP3 codes).

use super::line::{Shape, classify, elide, strip_sender};
use super::mechs::{Exchange, Mech, explain_payload};
use super::{Message, Sender, printable};
use sasl_core::wire::{decode_base64, decode_initial_response};
use sasl_core::{ClientAction, ClientFailure, FailureKind, ServerReply};

/// Explains a whole transcript: only SASL exchanges and their replies (and the
/// mechanisms servers advertise); other lines are skipped.
pub(crate) fn explain_transcript(text: &str) -> Vec<Message> {
    let mut walker = Walker::new(false, None, None);
    for (i, line) in text.lines().enumerate() {
        walker.line(Some(i + 1), line);
    }
    walker.finish()
}

/// Explains the lines of `sasl decode`: every line is explained, and bare messages
/// belong to one exchange of `mech` (when given).
pub(crate) fn decode_lines(
    lines: &[String],
    mech: Option<&str>,
    from: Option<Sender>,
) -> Vec<Message> {
    let mut walker = Walker::new(true, mech.map(Mech::from_name), from);
    for line in lines {
        walker.line(None, line);
    }
    walker.finish()
}

/// Which protocol an exchange runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Imap,
    /// `AUTH`: SMTP or POP3, decided by the first challenge or reply.
    SmtpOrPop3,
    Smtp,
    Pop3,
    /// Bare messages (`sasl decode`).
    Bare,
}

struct Active {
    proto: Proto,
    tag: Option<String>,
    ex: Exchange,
    start_line: Option<usize>,
}

struct Walker {
    decode: bool,
    default_mech: Option<Mech>,
    default_from: Option<Sender>,
    active: Option<Active>,
    smtp_lines: Vec<String>,
    smtp_start: Option<usize>,
    messages: Vec<Message>,
}

impl Walker {
    fn new(decode: bool, default_mech: Option<Mech>, default_from: Option<Sender>) -> Self {
        Walker {
            decode,
            default_mech,
            default_from,
            active: None,
            smtp_lines: Vec::new(),
            smtp_start: None,
            messages: Vec::new(),
        }
    }

    fn finish(mut self) -> Vec<Message> {
        self.flush_smtp();
        if let Some(active) = self.active.take()
            && !self.decode
            && active.proto != Proto::Bare
        {
            {
                let mut m = Message {
                    line: active.start_line,
                    shape: "end of transcript".into(),
                    mechanism: active.ex.mech.as_ref().map(Mech::name),
                    ..Message::default()
                };
                m.kind("the exchange has no final reply in the transcript");
                m.note("the transcript may be cut short");
                self.messages.push(m);
            }
        }
        self.messages
    }

    fn message(
        &self,
        line: Option<usize>,
        raw: &str,
        shape: &str,
        payload: Option<&str>,
    ) -> Message {
        Message {
            line,
            text: elide(raw, payload),
            shape: shape.to_owned(),
            ..Message::default()
        }
    }

    /// The current exchange (in `decode`, one is made up for bare messages).
    fn active(&mut self) -> Option<&mut Active> {
        if self.active.is_none() && self.decode {
            self.active = Some(Active {
                proto: Proto::Bare,
                tag: None,
                ex: Exchange::new(self.default_mech.clone()),
                start_line: None,
            });
        }
        self.active.as_mut()
    }

    fn line(&mut self, no: Option<usize>, raw: &str) {
        let (prefix_from, line) = strip_sender(raw);
        let shape = classify(line);
        if !self.smtp_lines.is_empty() && !matches!(shape, Shape::SmtpReply { .. }) {
            self.flush_smtp();
        }
        // A tagged reply to the IMAP exchange's command, whatever its tag looks like.
        if let Some(Active {
            proto: Proto::Imap,
            tag: Some(tag),
            ..
        }) = &self.active
            && line.split(' ').next() == Some(tag.as_str())
        {
            self.imap_reply(no, raw, line);
            return;
        }
        let proto = self.active.as_ref().map(|a| a.proto);
        match shape {
            Shape::ImapAuthenticate { tag, mech, initial } => {
                self.start(no, raw, Proto::Imap, Some(tag), mech, initial);
            }
            Shape::Auth { mech, initial } => {
                self.start(no, raw, Proto::SmtpOrPop3, None, mech, initial);
            }
            Shape::Continuation(payload) if proto != Some(Proto::Smtp) => {
                let shape = self.active().map(|active| {
                    if active.proto == Proto::SmtpOrPop3 {
                        active.proto = Proto::Pop3;
                    }
                    match active.proto {
                        Proto::Pop3 => "POP3 continuation",
                        _ => "IMAP continuation",
                    }
                });
                if let Some(shape) = shape {
                    self.payload(no, raw, shape, Some(Sender::Server), payload, false);
                }
            }
            Shape::SmtpChallenge(payload)
                if proto != Some(Proto::Imap) && proto != Some(Proto::Pop3) =>
            {
                let known = self.active().map(|active| {
                    if active.proto == Proto::SmtpOrPop3 {
                        active.proto = Proto::Smtp;
                    }
                });
                if known.is_some() {
                    self.payload(
                        no,
                        raw,
                        "SMTP 334 challenge",
                        Some(Sender::Server),
                        payload,
                        false,
                    );
                }
            }
            Shape::Cancel if self.active().is_some() => {
                let mut m = self.message(no, raw, "cancel", None);
                m.from = Some(Sender::Client);
                m.mechanism = self.mech_name();
                m.kind("the client cancels the exchange (*): the server answers BAD (IMAP), 501 (SMTP) or -ERR (POP3)");
                self.messages.push(m);
            }
            Shape::ImapStatus { tag }
                if self.decode || (tag == "*" && proto == Some(Proto::Imap)) =>
            {
                self.imap_reply_any(no, raw, line, tag);
            }
            Shape::SmtpReply { last }
                if self.decode || matches!(proto, Some(Proto::Smtp | Proto::SmtpOrPop3)) =>
            {
                if self.smtp_lines.is_empty() {
                    self.smtp_start = no;
                }
                self.smtp_lines.push(line.to_owned());
                if last {
                    self.flush_smtp();
                }
            }
            Shape::SmtpReply { .. } if !self.decode => self.capabilities(no, raw, line),
            Shape::Pop3Reply
                if self.decode || matches!(proto, Some(Proto::Pop3 | Proto::SmtpOrPop3)) =>
            {
                self.pop3_reply(no, raw, line);
            }
            Shape::Bare(payload) if self.active.is_some() || self.decode => {
                let from = prefix_from.or(if self.decode {
                    self.default_from
                } else {
                    Some(Sender::Client)
                });
                let shape = if self.decode {
                    "bare base64"
                } else {
                    "response line"
                };
                self.payload(no, raw, shape, from, payload, false);
            }
            _ if self.decode => {
                let mut m = self.message(no, raw, "unknown line", None);
                m.kind("not a SASL line");
                m.problem("expected \"+ BASE64\", \"334 BASE64\", \"TAG AUTHENTICATE MECH [BASE64]\", \"AUTH MECH [BASE64]\", a reply, or bare base64");
                m.undecodable = true;
                self.messages.push(m);
            }
            _ => self.capabilities(no, raw, line),
        }
    }

    fn mech_name(&self) -> Option<String> {
        self.active
            .as_ref()
            .and_then(|a| a.ex.mech.as_ref())
            .map(Mech::name)
    }

    fn start(
        &mut self,
        no: Option<usize>,
        raw: &str,
        proto: Proto,
        tag: Option<&str>,
        mech: &str,
        initial: Option<&str>,
    ) {
        let unfinished = self
            .active
            .take()
            .filter(|a| a.proto != Proto::Bare)
            .map(|a| a.start_line);
        let mech = Mech::from_name(mech);
        self.active = Some(Active {
            proto,
            tag: tag.map(str::to_owned),
            ex: Exchange {
                started_by_command: true,
                ..Exchange::new(Some(mech.clone()))
            },
            start_line: no,
        });
        let command = match proto {
            Proto::Imap => "IMAP AUTHENTICATE",
            _ => "AUTH",
        };
        match initial {
            Some(initial) => {
                let shape = format!("{command}, initial response");
                self.payload(no, raw, &shape, Some(Sender::Client), initial, true);
            }
            None => {
                let mut m = self.message(no, raw, command, None);
                m.from = Some(Sender::Client);
                m.mechanism = Some(mech.name());
                m.kind(format!(
                    "starts a {} exchange without an initial response",
                    mech.name()
                ));
                if let Mech::Other(_) = mech {
                    m.note("a mechanism this tool does not decode: its messages are shown by size only");
                }
                if matches!(
                    mech,
                    Mech::Scram { .. }
                        | Mech::Plain
                        | Mech::OAuthBearer
                        | Mech::XOAuth2
                        | Mech::External
                ) {
                    m.note("the server answers with an empty challenge, and the client sends its first message then (SASL-IR would save the round trip)");
                }
                self.messages.push(m);
            }
        }
        if let (Some(Some(line)), Some(m)) = (unfinished, self.messages.last_mut()) {
            m.note(format!(
                "the exchange started on line {line} had no final reply"
            ));
        }
    }

    fn payload(
        &mut self,
        no: Option<usize>,
        raw: &str,
        shape: &str,
        from: Option<Sender>,
        payload: &str,
        initial: bool,
    ) {
        let mut m = self.message(no, raw, shape, Some(payload));
        let decoded = if initial {
            decode_initial_response(Some(payload.as_bytes())).map(Option::unwrap_or_default)
        } else {
            decode_base64(payload.as_bytes())
        };
        let Some(active) = self.active() else {
            return;
        };
        match decoded {
            Ok(data) => explain_payload(&mut active.ex, from, &data, &mut m),
            Err(e) => {
                m.from = from;
                m.mechanism = active.ex.mech.as_ref().map(Mech::name);
                m.kind("undecodable: not valid base64");
                m.problem(base64_problem(payload, e.detail()));
                m.undecodable = true;
            }
        }
        self.messages.push(m);
    }

    fn imap_reply(&mut self, no: Option<usize>, raw: &str, line: &str) {
        let tag = self
            .active
            .as_ref()
            .and_then(|a| a.tag.clone())
            .unwrap_or_default();
        self.imap_reply_any(no, raw, line, &tag);
    }

    fn imap_reply_any(&mut self, no: Option<usize>, raw: &str, line: &str, tag: &str) {
        let mut m = self.message(no, raw, "IMAP tagged reply", None);
        m.from = Some(Sender::Server);
        m.mechanism = self.mech_name();
        let mut words = line.splitn(3, ' ');
        let _tag = words.next();
        let status = words.next().unwrap_or_default().to_ascii_uppercase();
        let rest = words.next().unwrap_or_default();
        m.field("status", status.clone());
        let code = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .map(|(code, _)| code);
        if let Some(code) = code {
            let atom = code.split(' ').next().unwrap_or_default();
            m.field("response code", printable(code, 100));
            m.field("code meaning", imap_code_meaning(atom));
        }
        match ServerReply::from_imap(tag, line) {
            Some(reply) => self.reply_meaning(&reply, &mut m),
            None => {
                m.kind("IMAP reply");
                m.problem("not a well-formed tagged reply (tag SP OK/NO/BAD SP [CODE] text, RFC 9051 §7.1)");
            }
        }
        if status == "BAD" {
            m.note("BAD: the command or a response was malformed, or the client cancelled");
        }
        self.end(m);
    }

    fn flush_smtp(&mut self) {
        if self.smtp_lines.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.smtp_lines);
        let no = self.smtp_start.take();
        let joined = lines.join("\r\n");
        let mut m = Message {
            line: no,
            text: lines
                .iter()
                .map(|l| elide(l, None))
                .collect::<Vec<_>>()
                .join(" / "),
            shape: "SMTP reply".into(),
            from: Some(Sender::Server),
            mechanism: self.mech_name(),
            ..Message::default()
        };
        let last = lines.last().map(String::as_str).unwrap_or_default();
        m.field("reply code", last.get(..3).unwrap_or_default());
        let enhanced = last.get(4..).and_then(|t| t.split(' ').next()).filter(|t| {
            t.split('.').count() == 3
                && t.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        });
        if let Some(code) = enhanced {
            m.field("enhanced status code", code);
            m.field("code meaning", smtp_code_meaning(code));
        }
        match ServerReply::from_smtp(&joined) {
            Some(reply) => self.reply_meaning(&reply, &mut m),
            None => {
                m.kind("SMTP reply");
                m.problem("not a well-formed SMTP reply (RFC 5321 §4.2)");
            }
        }
        self.end(m);
    }

    fn pop3_reply(&mut self, no: Option<usize>, raw: &str, line: &str) {
        let mut m = self.message(no, raw, "POP3 reply", None);
        m.from = Some(Sender::Server);
        m.mechanism = self.mech_name();
        if let Some(code) = line
            .split_once(' ')
            .and_then(|(_, rest)| rest.strip_prefix('['))
            .and_then(|r| r.split_once(']'))
            .map(|(code, _)| code)
        {
            m.field("response code", printable(code, 60));
            m.field(
                "code meaning",
                match code.to_ascii_uppercase().as_str() {
                    "AUTH" => "the credentials were refused (RFC 3206)",
                    "SYS/TEMP" => "a temporary system problem: try later (RFC 3206)",
                    "SYS/PERM" => "a permanent system problem (RFC 3206)",
                    "IN-USE" => "the mailbox is in use (RFC 2449)",
                    "LOGIN-DELAY" => "logging in again too soon (RFC 2449)",
                    _ => "a code this tool does not know",
                },
            );
        }
        match ServerReply::from_pop3(line) {
            Some(reply) => self.reply_meaning(&reply, &mut m),
            None => {
                m.kind("POP3 reply");
                m.problem("not a well-formed POP3 reply");
            }
        }
        self.end(m);
    }

    fn reply_meaning(&self, reply: &ServerReply, m: &mut Message) {
        match reply {
            ServerReply::Success { .. } => {
                m.kind("authentication succeeded");
                let scram = matches!(
                    self.active.as_ref().and_then(|a| a.ex.mech.as_ref()),
                    Some(Mech::Scram { .. })
                );
                if scram {
                    m.note(
                        "a SCRAM client trusts this only after checking the server signature (v=)",
                    );
                }
            }
            ServerReply::Failure(failure) => {
                m.kind("authentication failed");
                m.field("meaning", kind_meaning(failure.kind()));
                m.field(
                    "what the client should do",
                    action_meaning(ClientFailure::from_reply(failure).action()),
                );
                if !failure.text().is_empty() {
                    m.field("server text", printable(failure.text(), 200));
                }
            }
        }
    }

    fn end(&mut self, m: Message) {
        self.messages.push(m);
        if self.active.as_ref().is_some_and(|a| a.proto != Proto::Bare) || !self.decode {
            self.active = None;
        }
    }

    /// Mechanisms a server advertises (IMAP `AUTH=`, SMTP `250 AUTH`): noted only in
    /// transcripts, outside exchanges.
    fn capabilities(&mut self, no: Option<usize>, raw: &str, line: &str) {
        if self.decode || self.active.is_some() {
            return;
        }
        let imap: Vec<&str> = line
            .split([' ', '[', ']'])
            .filter_map(|w| {
                w.get(..5)
                    .filter(|p| p.eq_ignore_ascii_case("AUTH="))
                    .and_then(|_| w.get(5..))
            })
            .collect();
        let smtp: Vec<&str> = match line.get(..3).zip(line.get(4..)) {
            Some(("250", rest)) => {
                let mut words = rest.split_whitespace();
                match words.next() {
                    Some(w) if w.eq_ignore_ascii_case("AUTH") => words.collect(),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        let mechs = if imap.is_empty() { smtp } else { imap };
        if mechs.is_empty() {
            return;
        }
        let mut m = self.message(no, raw, "capabilities", None);
        m.from = Some(Sender::Server);
        m.kind("the server offers these SASL mechanisms");
        m.field(
            "mechanisms",
            mechs
                .iter()
                .map(|s| printable(s, 40))
                .collect::<Vec<_>>()
                .join(" "),
        );
        if line.to_ascii_uppercase().contains("SASL-IR") {
            m.note("SASL-IR: the client may send its first message with AUTHENTICATE");
        }
        self.messages.push(m);
    }
}

/// What is wrong with a payload that is not base64.
fn base64_problem(payload: &str, detail: &str) -> String {
    if let Some(bad) = payload
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
    {
        return format!("not valid base64: {bad:?} is not a base64 character");
    }
    if payload.contains('-') || payload.contains('_') {
        return "not valid base64: '-' or '_' is base64url, SASL uses standard base64".into();
    }
    if !payload.len().is_multiple_of(4) {
        return format!(
            "not valid base64: {} characters is not a multiple of 4 (missing '=' padding, or the line was cut)",
            payload.len()
        );
    }
    format!("not valid base64: {detail} (misplaced '=' or non-canonical padding)")
}

fn imap_code_meaning(code: &str) -> &'static str {
    match code.to_ascii_uppercase().as_str() {
        "AUTHENTICATIONFAILED" => "wrong credentials, or unknown user (RFC 5530)",
        "AUTHORIZATIONFAILED" => "authenticated, but not allowed to act as the authzid (RFC 5530)",
        "EXPIRED" => "the credentials (password, token) have expired (RFC 5530)",
        "PRIVACYREQUIRED" => "needs an encrypted connection: use TLS (RFC 5530)",
        "CONTACTADMIN" => "the account needs the administrator (disabled, locked) (RFC 5530)",
        "UNAVAILABLE" => "a temporary failure on the server: try later (RFC 5530)",
        "LIMIT" => "a limit was reached (e.g. too many connections) (RFC 5530)",
        "INUSE" => "in use by another session: try later (RFC 5530)",
        "SERVERBUG" => "the server is broken (RFC 5530)",
        "CLIENTBUG" => "the server says the client broke the protocol (RFC 5530)",
        "CANNOT" | "NOPERM" => "the operation is not allowed (RFC 5530)",
        "ALERT" => "a message the user must see (RFC 9051)",
        "CAPABILITY" => "the capabilities after login (RFC 9051)",
        _ => "a code this tool does not know",
    }
}

fn smtp_code_meaning(code: &str) -> &'static str {
    match code {
        "2.7.0" => "authentication succeeded (RFC 4954)",
        "2.0.0" => "success",
        "4.7.0" => "a temporary authentication failure: try later (RFC 4954)",
        "4.7.12" => "a password transition is needed (RFC 4954)",
        "5.7.8" => "the credentials are invalid (RFC 4954)",
        "5.7.9" => "the mechanism is too weak for this account (RFC 4954)",
        "5.7.11" => "encryption is required for this mechanism (RFC 4954)",
        "5.7.0" => "a security failure, or the exchange was cancelled (RFC 4954)",
        "5.7.1" => "not authorized, or the token was refused",
        "5.5.2" => "the server cannot decode the response (bad base64 or syntax) (RFC 4954)",
        "5.5.4" => "unrecognised mechanism or parameter",
        "5.5.6" => "the authentication line is too long (RFC 4954)",
        "5.5.1" => "bad sequence of commands (e.g. already authenticated)",
        _ => "a code this tool does not know",
    }
}

fn kind_meaning(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::InvalidCredentials | FailureKind::UnknownUser => {
            "wrong credentials (or unknown user)"
        }
        FailureKind::AuthorizationDenied => "not allowed to act as the requested identity",
        FailureKind::Expired => "the credentials have expired",
        FailureKind::AccountDisabled => "the account is disabled or locked",
        FailureKind::EncryptionRequired => "the mechanism needs an encrypted connection",
        FailureKind::MechanismTooWeak => "the mechanism is too weak for this account",
        FailureKind::Temporary => "a temporary problem on the server",
        FailureKind::Protocol | FailureKind::Malformed => {
            "a protocol error (malformed message, or a cancelled exchange)"
        }
        FailureKind::Internal => "the server's own fault",
        FailureKind::Cancelled => "the exchange was cancelled",
        FailureKind::UnknownMechanism => "the server does not offer this mechanism",
        FailureKind::MessageTooLarge => "a message was too large",
        FailureKind::Rejected => "refused, with no more detail",
        _ => "failed for another reason",
    }
}

fn action_meaning(action: ClientAction) -> &'static str {
    match action {
        ClientAction::Retry => "try again later with the same credentials",
        ClientAction::RefreshCredentials => "get fresh credentials (refresh the token) and retry",
        ClientAction::AskUser => "ask the user (wrong password, or not authorized)",
        ClientAction::GiveUp => "do not retry: fix the configuration or the client",
        _ => "see the server's text",
    }
}
