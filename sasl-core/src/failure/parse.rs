//! Client side: what a server said when authentication failed, turned back into a
//! [`FailureKind`], so the client knows whether to retry, refresh a token, ask the user,
//! or give up ([`FailureReason::client_action`](super::FailureReason::client_action)).
//!
//! The parsers borrow from the input and never allocate. They are total: malformed
//! input gives `None`, never a panic. A trailing CRLF (or a bare LF) is ignored; any
//! other CR, LF or NUL makes the input malformed.
//!
//! * IMAP: [`parse_imap_tagged`] reads the tagged completion of `AUTHENTICATE`
//!   (RFC 9051 §7.1) and the untagged `* BYE` a server may send instead;
//!   [`imap_failure_kind`] maps its status and RFC 5530 response code.
//! * SMTP: [`parse_smtp_reply`] reads a single or multi-line reply (RFC 5321 §4.2) with
//!   an optional RFC 3463 enhanced status code (RFC 2034); [`smtp_failure_kind`] maps
//!   the RFC 4954 §6 replies.
//! * POP3: [`parse_pop3_err`] reads a `-ERR` line with an optional RFC 2449 §8 response
//!   code; [`pop3_failure_kind`] maps the RFC 2449 and RFC 3206 codes.

// Nothing outside the tests calls these yet: the public client API will.

use super::FailureKind;

/// The input without one trailing CRLF or LF.
fn strip_line_end(s: &str) -> &str {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s)
}

// ---------------------------------------------------------------------------------
// IMAP
// ---------------------------------------------------------------------------------

/// The status of a tagged IMAP completion, or an untagged `BYE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImapReplyStatus {
    /// `OK`: authentication succeeded; not a failure.
    Ok,
    /// `NO`: the exchange was well-formed and authentication failed.
    No,
    /// `BAD`: a protocol error, or the server's answer to a cancelled exchange
    /// (RFC 9051 §6.2.2).
    Bad,
    /// Untagged `* BYE` (RFC 9051 §7.1.5): the server closes the connection instead of
    /// completing the command (shutdown, too many failures). Only `parse_imap_tagged`
    /// produces it, with the tag `*`; other untagged lines are not a command's answer
    /// and give `None`.
    Bye,
}

/// One parsed IMAP status line: `tag SP status SP ["[" code [SP args] "]" SP] text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImapTagged<'a> {
    /// The tag, or `*` for [`ImapReplyStatus::Bye`].
    pub(crate) tag: &'a str,
    /// `OK`, `NO`, `BAD` or `BYE`.
    pub(crate) status: ImapReplyStatus,
    /// The response code atom inside `[...]`, without its arguments, as sent (match it
    /// case-insensitively).
    pub(crate) code: Option<&'a str>,
    /// The human-readable text; may be empty.
    pub(crate) text: &'a str,
}

/// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 9051 §9): ATOM-CHAR plus `]`.
fn is_tag_char(b: u8) -> bool {
    (is_atom_char(b) && b != b'+') || b == b']'
}

/// `ATOM-CHAR = <any CHAR except atom-specials>` (RFC 9051 §9).
fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

fn is_atom(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_atom_char)
}

/// Parses the server's answer to `AUTHENTICATE`: a tagged `OK`/`NO`/`BAD` line, or an
/// untagged `* BYE` (status [`ImapReplyStatus::Bye`], tag `*`).
///
/// The status is matched case-insensitively (RFC 9051 §9: the grammar is
/// case-insensitive). A `[` right after the status opens a response code, which must
/// be closed by `]` and followed by a space or the end of the line. The text may be
/// empty, and `A1 NO` without a trailing space is accepted. Returns `None` for
/// malformed lines, for continuation requests (`+`), and for untagged lines other than
/// `BYE`.
pub(crate) fn parse_imap_tagged(line: &str) -> Option<ImapTagged<'_>> {
    let line = strip_line_end(line);
    // TEXT-CHAR excludes CR and LF; CHAR excludes NUL.
    if line.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
        return None;
    }
    let (tag, rest) = line.split_once(' ')?;
    let (word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = if tag == "*" {
        if !word.eq_ignore_ascii_case("BYE") {
            return None;
        }
        ImapReplyStatus::Bye
    } else {
        if tag.is_empty() || !tag.bytes().all(is_tag_char) {
            return None;
        }
        if word.eq_ignore_ascii_case("OK") {
            ImapReplyStatus::Ok
        } else if word.eq_ignore_ascii_case("NO") {
            ImapReplyStatus::No
        } else if word.eq_ignore_ascii_case("BAD") {
            ImapReplyStatus::Bad
        } else {
            return None;
        }
    };
    let (code, text) = parse_imap_resp_text(rest)?;
    Some(ImapTagged {
        tag,
        status,
        code,
        text,
    })
}

/// `resp-text = ["[" resp-text-code "]" SP] [text]`, with
/// `resp-text-code = atom [SP 1*<any TEXT-CHAR except "]">]` (RFC 9051 §9).
fn parse_imap_resp_text(rest: &str) -> Option<(Option<&str>, &str)> {
    let Some(inner) = rest.strip_prefix('[') else {
        return Some((None, rest));
    };
    let (inner, after) = inner.split_once(']')?;
    let code = match inner.split_once(' ') {
        Some((atom, args)) if !args.is_empty() => atom,
        Some(_) => return None,
        None => inner,
    };
    if !is_atom(code) {
        return None;
    }
    let text = if after.is_empty() {
        after
    } else {
        after.strip_prefix(' ')?
    };
    Some((Some(code), text))
}

/// The failure kind of an IMAP `AUTHENTICATE` completion.
///
/// | status | code (RFC 5530, case-insensitive) | kind |
/// |---|---|---|
/// | `NO`/`BYE` | `AUTHENTICATIONFAILED` | `InvalidCredentials` |
/// | `NO`/`BYE` | `AUTHORIZATIONFAILED` | `AuthorizationDenied` |
/// | `NO`/`BYE` | `EXPIRED` | `Expired` |
/// | `NO`/`BYE` | `PRIVACYREQUIRED` | `EncryptionRequired` |
/// | `NO`/`BYE` | `CONTACTADMIN` | `AccountDisabled` |
/// | `NO`/`BYE` | `UNAVAILABLE`, `LIMIT`, `INUSE` | `Temporary` |
/// | `NO`/`BYE` | `SERVERBUG` | `Internal` (give up: the server's own fault) |
/// | `NO`/`BYE` | `CLIENTBUG` | `Protocol` |
/// | `NO`/`BYE` | any other code (`CANNOT`, `ALREADYEXISTS`, `NOPERM`, `ALERT`, ...) or none | `Rejected` |
/// | `BAD` | any | `Protocol` |
/// | `OK` | any | `Other` |
///
/// `BAD` after `AUTHENTICATE` is a protocol error or the answer to a cancelled exchange
/// (RFC 9051 §6.2.2); the client knows whether it cancelled. `INUSE` is `Temporary`
/// because RFC 5530 §3 says the operation may succeed if tried again later. `OK` is not
/// a failure and callers should check the status first; it maps to `Other`.
pub(crate) fn imap_failure_kind(status: ImapReplyStatus, code: Option<&str>) -> FailureKind {
    use FailureKind as K;
    match status {
        ImapReplyStatus::Ok => return K::Other,
        ImapReplyStatus::Bad => return K::Protocol,
        ImapReplyStatus::No | ImapReplyStatus::Bye => {}
    }
    let Some(code) = code else {
        return K::Rejected;
    };
    let is = |name: &str| code.eq_ignore_ascii_case(name);
    if is("AUTHENTICATIONFAILED") {
        K::InvalidCredentials
    } else if is("AUTHORIZATIONFAILED") {
        K::AuthorizationDenied
    } else if is("EXPIRED") {
        K::Expired
    } else if is("PRIVACYREQUIRED") {
        K::EncryptionRequired
    } else if is("CONTACTADMIN") {
        K::AccountDisabled
    } else if is("UNAVAILABLE") || is("LIMIT") || is("INUSE") {
        K::Temporary
    } else if is("SERVERBUG") {
        // The server says it is broken: retrying will not help until it is fixed.
        K::Internal
    } else if is("CLIENTBUG") {
        K::Protocol
    } else {
        K::Rejected
    }
}

// ---------------------------------------------------------------------------------
// SMTP
// ---------------------------------------------------------------------------------

/// One parsed SMTP reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SmtpParsed<'a> {
    /// The three-digit reply code, shared by all lines.
    pub(crate) code: u16,
    /// The RFC 3463 enhanced status code of the last line, `(class, subject, detail)`.
    pub(crate) enhanced: Option<(u8, u16, u16)>,
    /// The text of the last line after the code and enhanced code, leading spaces
    /// removed; may be empty.
    pub(crate) text: &'a str,
}

/// Parses a single or multi-line SMTP reply (RFC 5321 §4.2):
/// `*(code "-" [text] CRLF) code [SP text] [CRLF]`.
///
/// Every line carries the same code, whose first digit is 2 to 5 and second digit 0 to
/// 5 (RFC 5321 §4.2.1); all lines but the last use `-`, the last a space or nothing.
/// Lines may end in CRLF or LF. Text is `textstring` (RFC 5321 §4.2: HTAB and printable
/// characters; UTF-8 is accepted for RFC 6531 servers); other control characters make
/// the reply malformed.
///
/// The enhanced code (RFC 2034 §4, syntax RFC 3463 §2: `class "." 1*3digit "."
/// 1*3digit`) is read from the last line. One whose class differs from the reply
/// code's first digit is not taken as an enhanced code and stays in the text.
pub(crate) fn parse_smtp_reply(reply: &str) -> Option<SmtpParsed<'_>> {
    let body = strip_line_end(reply);
    let mut lines = body
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .peekable();
    let mut first_code = None;
    loop {
        let line = lines.next()?;
        let (code, sep, text) = split_smtp_line(line)?;
        if first_code.is_some_and(|c| c != code) {
            return None;
        }
        first_code = Some(code);
        if !text.chars().all(|c| c == '\t' || !c.is_control()) {
            return None;
        }
        let last = lines.peek().is_none();
        match (sep, last) {
            (Some('-'), false) => {}
            (None | Some(' '), true) => return Some(smtp_last_line(code, text)),
            _ => return None,
        }
    }
}

/// Splits `NNN` + separator + text.
fn split_smtp_line(line: &str) -> Option<(u16, Option<char>, &str)> {
    let digits = line.get(..3)?;
    let mut code = 0u16;
    for (i, b) in digits.bytes().enumerate() {
        let ok = match i {
            0 => matches!(b, b'2'..=b'5'),
            1 => matches!(b, b'0'..=b'5'),
            _ => b.is_ascii_digit(),
        };
        if !ok {
            return None;
        }
        code = code * 10 + u16::from(b - b'0');
    }
    let rest = line.get(3..)?;
    let mut chars = rest.chars();
    let sep = chars.next();
    match sep {
        None | Some('-') | Some(' ') => Some((code, sep, chars.as_str())),
        Some(_) => None,
    }
}

fn smtp_last_line(code: u16, text: &str) -> SmtpParsed<'_> {
    let (token, after) = text.split_once(' ').unwrap_or((text, ""));
    match parse_enhanced(token) {
        Some(enhanced) if u16::from(enhanced.0) == code / 100 => SmtpParsed {
            code,
            enhanced: Some(enhanced),
            text: after.trim_start_matches(' '),
        },
        _ => SmtpParsed {
            code,
            enhanced: None,
            text: text.trim_start_matches(' '),
        },
    }
}

/// `status-code = class "." subject "." detail`, `class = "2" / "4" / "5"`,
/// `subject = 1*3digit`, `detail = 1*3digit` (RFC 3463 §2).
fn parse_enhanced(token: &str) -> Option<(u8, u16, u16)> {
    let mut parts = token.split('.');
    let class = match parts.next()? {
        "2" => 2,
        "4" => 4,
        "5" => 5,
        _ => return None,
    };
    let subject = parse_1_3_digits(parts.next()?)?;
    let detail = parse_1_3_digits(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    Some((class, subject, detail))
}

fn parse_1_3_digits(s: &str) -> Option<u16> {
    if !(1..=3).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The failure kind of an SMTP reply to `AUTH` or to a response in its exchange.
///
/// The first matching row wins. An enhanced code whose class differs from the basic
/// code's first digit is ignored.
///
/// | reply | kind | source |
/// |---|---|---|
/// | `535 5.7.139` | `MechanismTooWeak` | Microsoft 365: basic authentication disabled, use OAuth |
/// | `501 5.7.0` | `Cancelled` | RFC 4954 §4 (cancel answered with 501) |
/// | `5xx 5.7.8` | `InvalidCredentials` | RFC 4954 §6 |
/// | `5xx 5.7.9` | `MechanismTooWeak` | RFC 4954 §6 |
/// | `5xx 5.7.10`, `5xx 5.7.11` | `EncryptionRequired` | RFC 5248 (Encryption Needed), RFC 4954 §6 |
/// | `4xx 4.7.12`, `5xx 5.7.12` | `Expired` | RFC 4954 §6 (password transition needed) |
/// | `5xx 5.7.13` | `AccountDisabled` | RFC 5248 (User Account Disabled) |
/// | `535 5.7.1` | `InvalidCredentials` | RFC 7628 §4.4's example ("Username and Password not accepted"): 535 is RFC 4954's bad-credentials code |
/// | `5xx 5.7.1` | `AuthorizationDenied` | RFC 3463 §3.8 (delivery not authorized) |
/// | `5xx 5.5.6` | `MessageTooLarge` | RFC 4954 §6 (exchange line too long) |
/// | `432` | `Expired` | RFC 4954 §6 |
/// | `500` without enhanced code | `MessageTooLarge` | RFC 4954 §4 |
/// | `501` (e.g. `501 5.5.2`) | `Protocol` | RFC 4954 §4 (cannot decode base64) |
/// | `525` | `AccountDisabled` | RFC 5248 |
/// | `534` | `MechanismTooWeak` | RFC 4954 §6 |
/// | `535` (e.g. `535 5.7.3` from Microsoft 365, Postfix's bare `535`) | `InvalidCredentials` | RFC 4954 §6 |
/// | `538` | `EncryptionRequired` | RFC 4954 §6 |
/// | other `4xx` (e.g. `454 4.7.0`) | `Temporary` | RFC 5321 §4.2.1, RFC 4954 §6 |
/// | `504` (e.g. `504 5.5.4`) | `UnknownMechanism` | RFC 4954 §4 (unrecognized authentication type) |
/// | `530` (e.g. `530 5.7.0`, RFC 3207 "Must issue a STARTTLS command first") | `EncryptionRequired` | RFC 3207 §4 |
/// | other `5xx` (`554 5.7.0`, `550 5.7.0`, ...) | `Rejected` | RFC 5321 §4.2.1, RFC 4954 §4 and §6 |
/// | `2xx`, `3xx` | `Other` | not a failure |
pub(crate) fn smtp_failure_kind(code: u16, enhanced: Option<(u8, u16, u16)>) -> FailureKind {
    use FailureKind as K;
    let class = code / 100;
    let enhanced = enhanced.filter(|&(c, _, _)| u16::from(c) == class);
    if let Some((c, subject, detail)) = enhanced {
        let kind = match (code, c, subject, detail) {
            (535, _, 7, 139) => Some(K::MechanismTooWeak),
            (501, _, 7, 0) => Some(K::Cancelled),
            (_, 5, 7, 8) | (535, 5, 7, 1) => Some(K::InvalidCredentials),
            (_, 5, 7, 9) => Some(K::MechanismTooWeak),
            (_, 5, 7, 10 | 11) => Some(K::EncryptionRequired),
            (_, 4 | 5, 7, 12) => Some(K::Expired),
            (_, 5, 7, 13) => Some(K::AccountDisabled),
            (_, 5, 7, 1) => Some(K::AuthorizationDenied),
            (_, 5, 5, 6) => Some(K::MessageTooLarge),
            _ => None,
        };
        if let Some(kind) = kind {
            return kind;
        }
    }
    match code {
        432 => K::Expired,
        500 if enhanced.is_none() => K::MessageTooLarge,
        504 => K::UnknownMechanism,
        // RFC 3207: "530 5.7.0 Must issue a STARTTLS command first".
        530 => K::EncryptionRequired,
        501 => K::Protocol,
        525 => K::AccountDisabled,
        534 => K::MechanismTooWeak,
        535 => K::InvalidCredentials,
        538 => K::EncryptionRequired,
        400..=499 => K::Temporary,
        500..=599 => K::Rejected,
        _ => K::Other,
    }
}

// ---------------------------------------------------------------------------------
// POP3
// ---------------------------------------------------------------------------------

/// One parsed POP3 `-ERR` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pop3Err<'a> {
    /// The response code inside `[...]`, levels separated by `/` (e.g. `SYS/TEMP`), as
    /// sent (match it case-insensitively).
    pub(crate) code: Option<&'a str>,
    /// The human-readable text; may be empty.
    pub(crate) text: &'a str,
}

/// Parses a POP3 negative response, `-ERR [SP ["[" resp-code "]" SP] text]`
/// (RFC 1939 §3, RFC 2449 §8). `-ERR` is matched case-insensitively.
///
/// `resp-code = resp-level *("/" resp-level)`, `resp-level = 1*<any CHAR except "[",
/// "]", "/", SP or CTL>`. POP3 text is free-form and servers without RESP-CODES may
/// start it with `[`, so a bracket that does not form a valid code is left in the text
/// rather than rejected. Returns `None` for `+OK` and anything else that is not `-ERR`.
pub(crate) fn parse_pop3_err(line: &str) -> Option<Pop3Err<'_>> {
    let line = strip_line_end(line);
    if line.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
        return None;
    }
    let head = line.get(..4)?;
    if !head.eq_ignore_ascii_case("-ERR") {
        return None;
    }
    let rest = line.get(4..)?;
    let rest = if rest.is_empty() {
        rest
    } else {
        rest.strip_prefix(' ')?
    };
    if let Some((code, text)) = split_pop3_code(rest) {
        return Some(Pop3Err {
            code: Some(code),
            text,
        });
    }
    Some(Pop3Err {
        code: None,
        text: rest,
    })
}

fn split_pop3_code(rest: &str) -> Option<(&str, &str)> {
    let (code, after) = rest.strip_prefix('[')?.split_once(']')?;
    let level_ok =
        |l: &str| !l.is_empty() && l.bytes().all(|b| matches!(b, 0x21..=0x7e) && b != b'[');
    if !code.split('/').all(level_ok) {
        return None;
    }
    let text = if after.is_empty() {
        after
    } else {
        after.strip_prefix(' ')?
    };
    Some((code, text))
}

/// The failure kind of a POP3 `-ERR` response code (case-insensitive).
///
/// Codes are hierarchical and unknown deeper levels are ignored (RFC 2449 §8), so
/// `AUTH/ANYTHING` is `AUTH`.
///
/// | code | kind | source |
/// |---|---|---|
/// | `AUTH` | `InvalidCredentials` | RFC 3206 §4 |
/// | `SYS/TEMP` | `Temporary` | RFC 3206 §3 |
/// | `SYS/PERM` | `Rejected` | RFC 3206 §3 |
/// | `SYS` alone or with an unknown level | `Rejected` | RFC 3206 §3 |
/// | `IN-USE` | `Temporary` | RFC 2449 §8.1.1 (mailbox locked by another session) |
/// | `LOGIN-DELAY` | `Temporary` | RFC 2449 §8.1.2 (logged in too recently) |
/// | any other code, or none | `Rejected` | |
pub(crate) fn pop3_failure_kind(code: Option<&str>) -> FailureKind {
    use FailureKind as K;
    let Some(code) = code else {
        return K::Rejected;
    };
    let mut levels = code.split('/');
    let first = levels.next().unwrap_or("");
    let second = levels.next().unwrap_or("");
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    if is(first, "AUTH") {
        K::InvalidCredentials
    } else if (is(first, "SYS") && is(second, "TEMP"))
        || is(first, "IN-USE")
        || is(first, "LOGIN-DELAY")
    {
        K::Temporary
    } else {
        K::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::super::FailureReason;
    use super::*;
    use proptest::prelude::*;

    use FailureKind as K;
    use ImapReplyStatus as S;

    fn imap_kind(line: &str) -> FailureKind {
        let p = parse_imap_tagged(line).unwrap();
        imap_failure_kind(p.status, p.code)
    }

    fn smtp_kind(reply: &str) -> FailureKind {
        let p = parse_smtp_reply(reply).unwrap();
        smtp_failure_kind(p.code, p.enhanced)
    }

    #[test]
    fn imap_dovecot() {
        let p =
            parse_imap_tagged("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n").unwrap();
        assert_eq!(
            p,
            ImapTagged {
                tag: "a1",
                status: S::No,
                code: Some("AUTHENTICATIONFAILED"),
                text: "Authentication failed.",
            }
        );
        assert_eq!(imap_failure_kind(p.status, p.code), K::InvalidCredentials);

        let p = parse_imap_tagged("a NO [UNAVAILABLE] Temporary authentication failure.").unwrap();
        assert_eq!(p.tag, "a");
        assert_eq!(p.code, Some("UNAVAILABLE"));
        assert_eq!(imap_failure_kind(p.status, p.code), K::Temporary);
    }

    #[test]
    fn imap_gmail() {
        let p = parse_imap_tagged("A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n")
            .unwrap();
        assert_eq!(p.text, "Invalid credentials (Failure)");
        assert_eq!(imap_failure_kind(p.status, p.code), K::InvalidCredentials);
    }

    #[test]
    fn imap_microsoft_365_without_code() {
        let p = parse_imap_tagged("A1 NO AUTHENTICATE failed.\r\n").unwrap();
        assert_eq!(p.status, S::No);
        assert_eq!(p.code, None);
        assert_eq!(p.text, "AUTHENTICATE failed.");
        assert_eq!(imap_failure_kind(p.status, p.code), K::Rejected);
    }

    #[test]
    fn imap_cyrus() {
        assert_eq!(
            imap_kind("A01 NO [AUTHENTICATIONFAILED] authentication failure\r\n"),
            K::InvalidCredentials
        );
    }

    #[test]
    fn imap_expired_and_bad() {
        assert_eq!(imap_kind("A1 NO [EXPIRED] Password expired"), K::Expired);
        let p = parse_imap_tagged("A1 BAD Invalid SASL argument\r\n").unwrap();
        assert_eq!(p.status, S::Bad);
        assert_eq!(p.text, "Invalid SASL argument");
        assert_eq!(imap_failure_kind(p.status, p.code), K::Protocol);
    }

    #[test]
    fn imap_codes_case_insensitive_and_with_arguments() {
        assert_eq!(
            imap_kind("A1 no [authenticationfailed] x"),
            K::InvalidCredentials
        );
        assert_eq!(
            imap_kind("A1 NO [AuthorizationFailed] no"),
            K::AuthorizationDenied
        );
        assert_eq!(
            imap_kind("A1 NO [PRIVACYREQUIRED] TLS first"),
            K::EncryptionRequired
        );
        assert_eq!(imap_kind("A1 NO [CONTACTADMIN] locked"), K::AccountDisabled);
        assert_eq!(imap_kind("A1 NO [LIMIT] slow down"), K::Temporary);
        assert_eq!(imap_kind("A1 NO [SERVERBUG] oops"), K::Internal);
        assert_eq!(imap_kind("A1 NO [INUSE] busy"), K::Temporary);
        assert_eq!(imap_kind("A1 NO [CLIENTBUG] no"), K::Protocol);
        assert_eq!(imap_kind("A1 NO [CANNOT] no"), K::Rejected);
        assert_eq!(imap_kind("A1 NO [ALREADYEXISTS] no"), K::Rejected);
        assert_eq!(imap_kind("A1 NO [XUNKNOWN] no"), K::Rejected);
        let p = parse_imap_tagged("A1 NO [BADCHARSET (UTF-8 US-ASCII)] x").unwrap();
        assert_eq!(p.code, Some("BADCHARSET"));
        assert_eq!(p.text, "x");
        assert_eq!(
            imap_failure_kind(S::Bad, Some("AUTHENTICATIONFAILED")),
            K::Protocol
        );
    }

    #[test]
    fn imap_ok_is_not_a_failure() {
        let p = parse_imap_tagged("A1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n").unwrap();
        assert_eq!(p.status, S::Ok);
        assert_eq!(p.code, Some("CAPABILITY"));
        assert_eq!(imap_failure_kind(p.status, p.code), K::Other);
    }

    #[test]
    fn imap_bye() {
        let p = parse_imap_tagged("* BYE [UNAVAILABLE] Server shutting down\r\n").unwrap();
        assert_eq!(p.tag, "*");
        assert_eq!(p.status, S::Bye);
        assert_eq!(imap_failure_kind(p.status, p.code), K::Temporary);
        assert_eq!(imap_kind("* BYE Too many invalid commands."), K::Rejected);
        // Other untagged lines and continuations are not the command's answer.
        assert_eq!(parse_imap_tagged("* NO warning"), None);
        assert_eq!(parse_imap_tagged("* OK still here"), None);
        assert_eq!(parse_imap_tagged("+ "), None);
        assert_eq!(parse_imap_tagged("A1 BYE x"), None);
    }

    #[test]
    fn imap_empty_text() {
        let p = parse_imap_tagged("A1 NO\r\n").unwrap();
        assert_eq!((p.code, p.text), (None, ""));
        let p = parse_imap_tagged("A1 NO ").unwrap();
        assert_eq!((p.code, p.text), (None, ""));
        let p = parse_imap_tagged("A1 NO [EXPIRED]").unwrap();
        assert_eq!((p.code, p.text), (Some("EXPIRED"), ""));
        let p = parse_imap_tagged("A1 NO [EXPIRED] ").unwrap();
        assert_eq!((p.code, p.text), (Some("EXPIRED"), ""));
    }

    #[test]
    fn imap_malformed() {
        for line in [
            "",
            "\r\n",
            "A1",
            "A1 ",
            "A1 MAYBE x",
            " NO x",
            "A+1 NO x",
            "A(1 NO x",
            "A\"1 NO x",
            "A1 NO [AUTHENTICATIONFAILED x",
            "A1 NO [] x",
            "A1 NO [ ] x",
            "A1 NO [X ] x",
            "A1 NO [EXPIRED]x",
            "A1 NO x\r\nA2 NO y",
            "A1 NO x\r",
            "A1 NO x\0",
            "A1 NO x\r\n\r\n",
            "Ä1 NO x",
            "A1 NÖ x",
            "\u{feff}A1 NO x",
            "\u{1F600} \u{1F600} \u{1F600}",
        ] {
            assert_eq!(parse_imap_tagged(line), None, "{line:?}");
        }
        // `]` is an ASTRING-CHAR, so it may appear in a tag; UTF-8 text is fine.
        assert!(parse_imap_tagged("A]1 NO x").is_some());
        assert_eq!(
            parse_imap_tagged("A1 NO Échec d’authentification").map(|p| p.text),
            Some("Échec d’authentification")
        );
    }

    #[test]
    fn smtp_gmail_single_line() {
        let p = parse_smtp_reply(
            "535 5.7.8 Username and Password not accepted. For more information, go to\r\n",
        )
        .unwrap();
        assert_eq!(p.code, 535);
        assert_eq!(p.enhanced, Some((5, 7, 8)));
        assert_eq!(
            p.text,
            "Username and Password not accepted. For more information, go to"
        );
        assert_eq!(smtp_failure_kind(p.code, p.enhanced), K::InvalidCredentials);
    }

    #[test]
    fn smtp_gmail_multi_line() {
        let p = parse_smtp_reply(
            "535-5.7.8 Username and Password not accepted. For more information, go to\r\n\
             535 5.7.8  https://support.google.com/mail/?p=BadCredentials x1-2\r\n",
        )
        .unwrap();
        assert_eq!(p.code, 535);
        assert_eq!(p.enhanced, Some((5, 7, 8)));
        assert_eq!(
            p.text,
            "https://support.google.com/mail/?p=BadCredentials x1-2"
        );
        assert_eq!(smtp_failure_kind(p.code, p.enhanced), K::InvalidCredentials);
        // LF-only line ends are tolerated.
        let p = parse_smtp_reply("535-5.7.8 a\n535 5.7.8 b\n").unwrap();
        assert_eq!((p.code, p.text), (535, "b"));
    }

    #[test]
    fn smtp_microsoft_365() {
        assert_eq!(
            smtp_kind("535 5.7.3 Authentication unsuccessful\r\n"),
            K::InvalidCredentials
        );
        assert_eq!(
            smtp_kind(
                "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.\r\n"
            ),
            K::MechanismTooWeak
        );
    }

    #[test]
    fn smtp_temporary_and_encryption() {
        let p = parse_smtp_reply("454 4.7.0 Temporary authentication failure\r\n").unwrap();
        assert_eq!((p.code, p.enhanced), (454, Some((4, 7, 0))));
        assert_eq!(smtp_failure_kind(p.code, p.enhanced), K::Temporary);
        assert_eq!(
            smtp_kind("538 5.7.11 Encryption required for requested authentication mechanism"),
            K::EncryptionRequired
        );
    }

    #[test]
    fn smtp_postfix_without_enhanced_code() {
        let p = parse_smtp_reply("535 Error: authentication failed\r\n").unwrap();
        assert_eq!(p.code, 535);
        assert_eq!(p.enhanced, None);
        assert_eq!(p.text, "Error: authentication failed");
        assert_eq!(smtp_failure_kind(p.code, p.enhanced), K::InvalidCredentials);
    }

    #[test]
    fn smtp_mapping_table() {
        let e = |c, s, d| Some((c, s, d));
        assert_eq!(smtp_failure_kind(535, e(5, 7, 8)), K::InvalidCredentials);
        assert_eq!(smtp_failure_kind(535, e(5, 7, 1)), K::InvalidCredentials);
        assert_eq!(smtp_failure_kind(550, e(5, 7, 1)), K::AuthorizationDenied);
        assert_eq!(smtp_failure_kind(534, e(5, 7, 9)), K::MechanismTooWeak);
        assert_eq!(smtp_failure_kind(538, e(5, 7, 11)), K::EncryptionRequired);
        assert_eq!(smtp_failure_kind(454, e(4, 7, 0)), K::Temporary);
        assert_eq!(smtp_failure_kind(432, e(4, 7, 12)), K::Expired);
        assert_eq!(smtp_failure_kind(432, None), K::Expired);
        assert_eq!(smtp_failure_kind(530, e(5, 7, 0)), K::EncryptionRequired);
        assert_eq!(smtp_failure_kind(500, e(5, 5, 6)), K::MessageTooLarge);
        assert_eq!(smtp_failure_kind(500, None), K::MessageTooLarge);
        assert_eq!(smtp_failure_kind(500, e(5, 5, 1)), K::Rejected);
        assert_eq!(smtp_failure_kind(501, e(5, 5, 2)), K::Protocol);
        assert_eq!(smtp_failure_kind(501, e(5, 7, 0)), K::Cancelled);
        assert_eq!(smtp_failure_kind(501, None), K::Protocol);
        assert_eq!(smtp_failure_kind(504, e(5, 5, 4)), K::UnknownMechanism);
        assert_eq!(smtp_failure_kind(535, e(5, 7, 3)), K::InvalidCredentials);
        assert_eq!(smtp_failure_kind(535, e(5, 7, 139)), K::MechanismTooWeak);
        assert_eq!(smtp_failure_kind(550, e(5, 7, 1)), K::AuthorizationDenied);
        assert_eq!(smtp_failure_kind(550, e(5, 7, 0)), K::Rejected);
        assert_eq!(smtp_failure_kind(550, e(5, 7, 13)), K::AccountDisabled);
        assert_eq!(smtp_failure_kind(525, None), K::AccountDisabled);
        assert_eq!(smtp_failure_kind(554, e(5, 7, 0)), K::Rejected);
        assert_eq!(smtp_failure_kind(421, None), K::Temporary);
        assert_eq!(smtp_failure_kind(451, e(4, 7, 8)), K::Temporary);
        assert_eq!(smtp_failure_kind(599, None), K::Rejected);
        assert_eq!(smtp_failure_kind(235, e(2, 7, 0)), K::Other);
        assert_eq!(smtp_failure_kind(334, None), K::Other);
        // A class that disagrees with the basic code is ignored.
        assert_eq!(smtp_failure_kind(454, e(5, 7, 8)), K::Temporary);
        assert_eq!(smtp_failure_kind(0, None), K::Other);
        assert_eq!(smtp_failure_kind(u16::MAX, e(u8::MAX, 7, 8)), K::Other);
    }

    #[test]
    fn smtp_enhanced_code_edge_cases() {
        // Class mismatch: not an enhanced code, stays in the text.
        let p = parse_smtp_reply("454 5.7.8 odd").unwrap();
        assert_eq!((p.enhanced, p.text), (None, "5.7.8 odd"));
        let p = parse_smtp_reply("535 5.7.8").unwrap();
        assert_eq!((p.enhanced, p.text), (Some((5, 7, 8)), ""));
        let p = parse_smtp_reply("535").unwrap();
        assert_eq!((p.code, p.enhanced, p.text), (535, None, ""));
        let p = parse_smtp_reply("535 ").unwrap();
        assert_eq!((p.code, p.enhanced, p.text), (535, None, ""));
        for text in [
            "5.7.1234 x",
            "5.7 x",
            "5..8 x",
            "5.7.8.1 x",
            "3.7.8 x",
            "5.7.8x",
        ] {
            let reply = format!("535 {text}");
            let p = parse_smtp_reply(&reply).unwrap();
            assert_eq!(p.enhanced, None, "{text}");
        }
    }

    #[test]
    fn smtp_malformed() {
        for reply in [
            "",
            "\r\n",
            "53",
            "53 x",
            "5355 x",
            "535x",
            "535-5.7.8 a\r\n534 5.7.8 b",
            "535-5.7.8 a\r\n",
            "535 a\r\n535 b",
            "535-a\r\n\r\n535 b",
            "535 a\r\n\r\n",
            "635 x",
            "165 x",
            "565 x",
            "535 a\rb",
            "535 a\0",
            "535 a\x1b[31m",
            "５３５ x",
            "€35 x",
            "\u{1F600}\u{1F600}",
        ] {
            assert_eq!(parse_smtp_reply(reply), None, "{reply:?}");
        }
        assert!(parse_smtp_reply("535 a\tb").is_some());
        assert!(parse_smtp_reply("535 5.7.8 Échec").is_some());
    }

    #[test]
    fn pop3_codes() {
        let p = parse_pop3_err("-ERR [AUTH] Authentication failed.\r\n").unwrap();
        assert_eq!(
            p,
            Pop3Err {
                code: Some("AUTH"),
                text: "Authentication failed."
            }
        );
        assert_eq!(pop3_failure_kind(p.code), K::InvalidCredentials);

        let p = parse_pop3_err("-ERR [SYS/TEMP] try later\r\n").unwrap();
        assert_eq!((p.code, p.text), (Some("SYS/TEMP"), "try later"));
        assert_eq!(pop3_failure_kind(p.code), K::Temporary);

        assert_eq!(pop3_failure_kind(Some("SYS/PERM")), K::Rejected);
        assert_eq!(pop3_failure_kind(Some("sys/temp")), K::Temporary);
        assert_eq!(pop3_failure_kind(Some("SYS")), K::Rejected);
        assert_eq!(pop3_failure_kind(Some("IN-USE")), K::Temporary);
        assert_eq!(pop3_failure_kind(Some("LOGIN-DELAY")), K::Temporary);
        assert_eq!(pop3_failure_kind(Some("AUTH/XFOO")), K::InvalidCredentials);
        assert_eq!(pop3_failure_kind(Some("SYS/TEMP/DB")), K::Temporary);
        assert_eq!(pop3_failure_kind(Some("XSOMETHING")), K::Rejected);
        assert_eq!(pop3_failure_kind(None), K::Rejected);
        assert_eq!(pop3_failure_kind(Some("")), K::Rejected);
    }

    #[test]
    fn pop3_lines() {
        let p = parse_pop3_err("-ERR\r\n").unwrap();
        assert_eq!((p.code, p.text), (None, ""));
        let p = parse_pop3_err("-ERR authentication failed").unwrap();
        assert_eq!((p.code, p.text), (None, "authentication failed"));
        let p = parse_pop3_err("-ERR [IN-USE]").unwrap();
        assert_eq!((p.code, p.text), (Some("IN-USE"), ""));
        // Brackets that are not a valid code stay in the free-form text.
        let p = parse_pop3_err("-ERR [not a code] x").unwrap();
        assert_eq!((p.code, p.text), (None, "[not a code] x"));
        let p = parse_pop3_err("-ERR [SYS//TEMP] x").unwrap();
        assert_eq!(p.code, None);
        let p = parse_pop3_err("-ERR [AUTH").unwrap();
        assert_eq!((p.code, p.text), (None, "[AUTH"));

        for line in [
            "",
            "+OK",
            "+OK [AUTH] x",
            "-ER",
            "-ERRx",
            "-ERR x\r\n-ERR y",
            "-ERR x\0",
            "-ÉRR x",
            "\u{1F600}",
        ] {
            assert_eq!(parse_pop3_err(line), None, "{line:?}");
        }
    }

    const ALL_KINDS: [FailureKind; 22] = [
        K::Malformed,
        K::InvalidCredentials,
        K::UnknownUser,
        K::AuthorizationDenied,
        K::Expired,
        K::AccountDisabled,
        K::ChannelBindingMismatch,
        K::ChannelBindingDowngrade,
        K::ChannelBindingRequired,
        K::ChannelBindingUnsupported,
        K::EncryptionRequired,
        K::MechanismTooWeak,
        K::MessageTooLarge,
        K::TooManyRoundTrips,
        K::Cancelled,
        K::Temporary,
        K::Protocol,
        K::ServerNotAuthenticated,
        K::Rejected,
        K::UnknownMechanism,
        K::Internal,
        K::Other,
    ];

    /// What our own server mapping sends parses back to a kind the client acts on the
    /// same way (the mapping is lossy by design: unknown users look like bad passwords).
    #[test]
    fn server_replies_parse_back() {
        for kind in ALL_KINDS {
            let reason = FailureReason::new(kind, "");
            let line = reason.imap().line("A1", "failed");
            let p = parse_imap_tagged(&line).unwrap();
            let back = imap_failure_kind(p.status, p.code);
            let expected_imap = match kind {
                K::AuthorizationDenied
                | K::Expired
                | K::AccountDisabled
                | K::EncryptionRequired
                | K::Temporary
                | K::Internal => kind,
                K::UnknownMechanism => K::Rejected,
                K::Malformed
                | K::Protocol
                | K::MessageTooLarge
                | K::TooManyRoundTrips
                | K::Cancelled => K::Protocol,
                _ => K::InvalidCredentials,
            };
            assert_eq!(back, expected_imap, "{kind:?}: {line}");

            let line = reason.smtp().line();
            let p = parse_smtp_reply(&line).unwrap();
            let back = smtp_failure_kind(p.code, p.enhanced);
            let expected_smtp = match kind {
                K::MechanismTooWeak
                | K::EncryptionRequired
                | K::Temporary
                | K::MessageTooLarge
                | K::UnknownMechanism
                | K::Cancelled => kind,
                K::Internal => K::Temporary,
                K::Malformed | K::Protocol | K::TooManyRoundTrips => K::Protocol,
                _ => K::InvalidCredentials,
            };
            assert_eq!(back, expected_smtp, "{kind:?}: {line}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in any::<String>()) {
            let _ = parse_imap_tagged(&s).map(|p| imap_failure_kind(p.status, p.code));
            let _ = parse_smtp_reply(&s).map(|p| smtp_failure_kind(p.code, p.enhanced));
            let _ = parse_pop3_err(&s).map(|p| pop3_failure_kind(p.code));
            let _ = pop3_failure_kind(Some(&s));
            let _ = imap_failure_kind(S::No, Some(&s));
        }

        #[test]
        fn protocol_shaped_input_never_panics(
            s in "[-+*A1 \\[\\]/.0-9NOKBADERYSMTPU\r\n\t]{0,40}",
        ) {
            let _ = parse_imap_tagged(&s);
            let _ = parse_smtp_reply(&s);
            let _ = parse_pop3_err(&s);
        }

        #[test]
        fn kinds_are_total(code in any::<u16>(), e in any::<Option<(u8, u16, u16)>>()) {
            let _ = smtp_failure_kind(code, e);
        }

        #[test]
        fn formatted_smtp_reply_gives_its_code(
            first in 2u16..=5,
            second in 0u16..=5,
            third in 0u16..=9,
            lines in proptest::collection::vec("[ -~\t]{0,30}", 1..4),
            crlf in any::<bool>(),
        ) {
            let code = first * 100 + second * 10 + third;
            let end = if crlf { "\r\n" } else { "\n" };
            let mut reply = String::new();
            for (i, text) in lines.iter().enumerate() {
                let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                reply.push_str(&format!("{code}{sep}{text}{end}"));
            }
            let parsed = parse_smtp_reply(&reply);
            prop_assert_eq!(parsed.map(|p| p.code), Some(code));
        }

        #[test]
        fn formatted_imap_line_gives_its_parts(
            tag in "[A-Za-z0-9.]{1,8}",
            code in proptest::option::of("[A-Z]{1,15}"),
            text in "[ -~]{0,30}",
        ) {
            let line = match &code {
                Some(c) => format!("{tag} NO [{c}] {text}\r\n"),
                None if text.starts_with('[') => format!("{tag} NO x{text}\r\n"),
                None => format!("{tag} NO {text}\r\n"),
            };
            let p = parse_imap_tagged(&line);
            prop_assert!(p.is_some(), "{}", line);
            let p = p.unwrap();
            prop_assert_eq!(p.tag, tag.as_str());
            prop_assert_eq!(p.status, S::No);
            prop_assert_eq!(p.code, code.as_deref());
        }
    }
}
