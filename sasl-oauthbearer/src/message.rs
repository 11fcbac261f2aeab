//! The client's message of both mechanisms: parsing (server side) and building
//! (client side). Decoding only; the state machines are in `server.rs` and
//! `client.rs`.
//!
//! OAUTHBEARER (RFC 7628 §3.1):
//!
//! ```text
//! client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep
//! kvpair      = key "=" value kvsep      ; kvsep = %x01
//! key         = 1*(ALPHA)
//! value       = *(VCHAR / SP / HTAB / CR / LF )
//! ```
//!
//! XOAUTH2 (Google's protocol document): `user=<user>^Aauth=Bearer <token>^A^A`, no
//! GS2 header and no escaping.

use sasl_core::gs2::{Gs2Flag, Gs2Header, write_gs2_header};
use std::borrow::Cow;

/// Longest client message accepted, in bytes. Access tokens are a few hundred bytes
/// to a few kilobytes (JWTs with many claims reach 8 KiB); this leaves room for the
/// other key/value pairs.
pub const MAX_MESSAGE_LEN: usize = 20 * 1024;

/// Longest bearer token accepted or sent, in bytes.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Most key/value pairs accepted in one message (`auth`, `host`, `port` and the
/// reserved `mthd`, `path`, `post`, `qs` make seven; unknown keys are ignored up to
/// this bound).
pub const MAX_PAIRS: usize = 32;

/// Longest XOAUTH2 `user=` value, in bytes.
pub const MAX_USER_LEN: usize = 1024;

/// Longest `host=` value: a DNS name is at most 253 octets; 255 leaves room for an
/// IPv6 literal in brackets.
const MAX_HOST_LEN: usize = 255;

const KVSEP: u8 = 0x01;

/// Why a client message was refused. `status` is the OAuth error the server reports
/// (`invalid_request` for syntax, `invalid_token` for a missing or malformed token);
/// `detail` is the local log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MessageError {
    pub(crate) status: &'static str,
    pub(crate) detail: &'static str,
}

impl MessageError {
    const fn request(detail: &'static str) -> Self {
        Self {
            status: "invalid_request",
            detail,
        }
    }

    const fn token(detail: &'static str) -> Self {
        Self {
            status: "invalid_token",
            detail,
        }
    }
}

/// A parsed client message (either mechanism).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClientMessage<'a> {
    /// OAUTHBEARER's GS2 authzid, XOAUTH2's `user=`.
    pub(crate) authzid: Option<Cow<'a, str>>,
    /// The bearer token (syntax checked).
    pub(crate) token: &'a str,
    /// OAUTHBEARER `host=`.
    pub(crate) host: Option<&'a str>,
    /// OAUTHBEARER `port=`.
    pub(crate) port: Option<u16>,
}

/// Whether an identity holds C0 controls or DEL (log injection; no identity has them).
fn has_control(identity: &str) -> bool {
    identity.chars().any(|c| c.is_ascii_control())
}

/// The key/value pairs of one message, held on the stack (at most [`MAX_PAIRS`]):
/// parsing a message allocates nothing.
struct Pairs<'a> {
    items: [(&'a str, &'a [u8]); MAX_PAIRS],
    len: usize,
}

impl<'a> Pairs<'a> {
    fn iter(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        self.items.iter().take(self.len).copied()
    }
}

/// Splits `body` (the bytes after the GS2 header's `\x01`, or all of an XOAUTH2
/// message) into key/value pairs, checking the grammar and the final empty pair.
fn pairs(body: &[u8]) -> Result<Pairs<'_>, MessageError> {
    let mut out = Pairs {
        items: [("", &[]); MAX_PAIRS],
        len: 0,
    };
    let mut rest = body;
    loop {
        if rest == [KVSEP] {
            return Ok(out);
        }
        let Some(end) = rest.iter().position(|b| *b == KVSEP) else {
            return Err(MessageError::request(
                "message does not end with an empty key/value pair",
            ));
        };
        let (pair, tail) = rest.split_at(end);
        rest = tail.get(1..).unwrap_or_default();
        if pair.is_empty() {
            return Err(MessageError::request(
                "empty key/value pair before the end of the message",
            ));
        }
        let Some(eq) = pair.iter().position(|b| *b == b'=') else {
            return Err(MessageError::request("key/value pair without '='"));
        };
        let (key, value) = pair.split_at(eq);
        let value = value.get(1..).unwrap_or_default();
        if key.is_empty() || !key.iter().all(u8::is_ascii_alphabetic) {
            return Err(MessageError::request("key is not 1*ALPHA"));
        }
        if !value
            .iter()
            .all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Err(MessageError::request(
                "value holds a byte outside VCHAR / SP / HTAB / CR / LF",
            ));
        }
        let Some(slot) = out.items.get_mut(out.len) else {
            return Err(MessageError::request("too many key/value pairs"));
        };
        // Keys are ASCII letters: this cannot fail.
        let key = core::str::from_utf8(key).map_err(|_| MessageError::request("key"))?;
        *slot = (key, value);
        if out.items.iter().take(out.len).any(|(k, _)| *k == key) {
            return Err(MessageError::request("key/value pair repeated"));
        }
        out.len += 1;
    }
}

/// RFC 6750 §2.1 `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// The token of an `auth=` value: `Bearer` (any case), one or more spaces, a b64token.
fn bearer_token(auth: &[u8]) -> Result<&str, MessageError> {
    let auth = core::str::from_utf8(auth).map_err(|_| MessageError::token("auth= is not text"))?;
    if auth.is_empty() {
        // RFC 7628 §4.3: an empty auth= asks the server which scope it needs.
        return Err(MessageError::token("no token (empty auth=)"));
    }
    let scheme_ok = auth
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"));
    let rest = auth.get(6..).unwrap_or_default();
    if !scheme_ok || !rest.starts_with(' ') {
        return Err(MessageError::token("auth= scheme is not Bearer"));
    }
    let token = rest.trim_start_matches(' ');
    if token.len() > MAX_TOKEN_LEN {
        return Err(MessageError::token("token too long"));
    }
    if !is_b64token(token) {
        return Err(MessageError::token("token is not an RFC 6750 b64token"));
    }
    Ok(token)
}

/// `port=`: a decimal positive integer without leading zeros.
fn port(value: &[u8]) -> Result<u16, MessageError> {
    let bad = MessageError::request("port= is not a port number");
    if value.is_empty() || value.first() == Some(&b'0') || value.len() > 5 {
        return Err(bad);
    }
    if !value.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    let n: u32 = value
        .iter()
        .fold(0, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')));
    u16::try_from(n).map_err(|_| bad)
}

fn host(value: &[u8]) -> Result<&str, MessageError> {
    let bad = MessageError::request("host= is not a host name");
    if value.is_empty() || value.len() > MAX_HOST_LEN || !value.iter().all(|b| b.is_ascii_graphic())
    {
        return Err(bad);
    }
    core::str::from_utf8(value).map_err(|_| bad)
}

/// Parses an OAUTHBEARER client response (server side).
pub(crate) fn parse_oauthbearer(msg: &[u8]) -> Result<ClientMessage<'_>, MessageError> {
    if msg.is_empty() {
        return Err(MessageError::request("empty message"));
    }
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(MessageError::request("message too long"));
    }
    if msg == [KVSEP] {
        return Err(MessageError::request(
            "a lone 0x01 is only valid after an error challenge",
        ));
    }
    let (header, rest) = Gs2Header::parse(msg).map_err(MessageError::request)?;
    if let Gs2Flag::Binding(_) = header.flag() {
        return Err(MessageError::request(
            "OAUTHBEARER has no channel binding (p= in the GS2 header)",
        ));
    }
    let Some(body) = rest.strip_prefix(&[KVSEP]) else {
        return Err(MessageError::request("GS2 header not followed by 0x01"));
    };
    if header.authzid().is_some_and(has_control) {
        return Err(MessageError::request("authzid contains control characters"));
    }
    let mut message = ClientMessage {
        authzid: header.into_authzid(),
        token: "",
        host: None,
        port: None,
    };
    let mut auth = None;
    for (key, value) in pairs(body)?.iter() {
        match key {
            "auth" => auth = Some(value),
            "host" => message.host = Some(host(value)?),
            "port" => message.port = Some(port(value)?),
            // RFC 7628 §3.1: unknown keys (and the reserved mthd, path, post, qs) are
            // ignored.
            _ => {}
        }
    }
    let Some(auth) = auth else {
        return Err(MessageError::request("no auth= in the message"));
    };
    message.token = bearer_token(auth)?;
    Ok(message)
}

/// Parses an XOAUTH2 client response (server side).
pub(crate) fn parse_xoauth2(msg: &[u8]) -> Result<ClientMessage<'_>, MessageError> {
    if msg.is_empty() {
        return Err(MessageError::request("empty message"));
    }
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(MessageError::request("message too long"));
    }
    let mut user = None;
    let mut auth = None;
    for (key, value) in pairs(msg)?.iter() {
        match key {
            "user" => user = Some(value),
            "auth" => auth = Some(value),
            // Unknown fields are ignored, as Google's and Dovecot's servers do.
            _ => {}
        }
    }
    let Some(user) = user else {
        return Err(MessageError::request("no user= in the message"));
    };
    if user.is_empty() || user.len() > MAX_USER_LEN {
        return Err(MessageError::request("user= is empty or too long"));
    }
    let user =
        core::str::from_utf8(user).map_err(|_| MessageError::request("user= is not UTF-8"))?;
    if has_control(user) {
        return Err(MessageError::request("user= contains control characters"));
    }
    let Some(auth) = auth else {
        return Err(MessageError::request("no auth= in the message"));
    };
    Ok(ClientMessage {
        authzid: Some(Cow::Borrowed(user)),
        token: bearer_token(auth)?,
        host: None,
        port: None,
    })
}

/// Builds an OAUTHBEARER client response: GS2 header (`n`, the authzid), `host`,
/// `port`, any `extra` pairs, `auth=Bearer <token>`. The buffer holding the token is
/// allocated once at its final size, so no copy of the token is left behind in a
/// freed reallocation; the caller wraps it in a `Secret` at once.
pub(crate) fn build_oauthbearer(
    authzid: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    extra: &[(String, String)],
    token: &str,
) -> Vec<u8> {
    let mut head = String::with_capacity(64);
    write_gs2_header(Gs2Flag::No, authzid, &mut head);
    head.push('\x01');
    if let Some(host) = host {
        head.push_str("host=");
        head.push_str(host);
        head.push('\x01');
    }
    if let Some(port) = port {
        head.push_str("port=");
        head.push_str(&port.to_string());
        head.push('\x01');
    }
    for (k, v) in extra {
        head.push_str(k);
        head.push('=');
        head.push_str(v);
        head.push('\x01');
    }
    head.push_str("auth=Bearer ");
    with_token(head.as_bytes(), token)
}

/// Builds an XOAUTH2 client response (allocated once, as [`build_oauthbearer`]).
pub(crate) fn build_xoauth2(user: &str, token: &str) -> Vec<u8> {
    let head = format!("user={user}\x01auth=Bearer ");
    with_token(head.as_bytes(), token)
}

/// `head`, the token and the final `^A^A`, in one allocation of the exact size.
fn with_token(head: &[u8], token: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(head.len() + token.len() + 2);
    m.extend_from_slice(head);
    m.extend_from_slice(token.as_bytes());
    m.extend_from_slice(b"\x01\x01");
    m
}

/// Whether `key`/`value` can be sent as an extra OAUTHBEARER pair.
pub(crate) fn is_valid_pair(key: &str, value: &str) -> bool {
    !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_alphabetic())
        && !matches!(key, "auth" | "host" | "port")
        && value
            .bytes()
            .all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether `host` can be sent as `host=`.
pub(crate) fn is_valid_host(value: &str) -> bool {
    host(value.as_bytes()).is_ok()
}

/// Whether `user` can be sent as XOAUTH2's `user=` (which has no escaping): what
/// the value grammar admits (printable ASCII and space) without the controls the
/// server refuses in an identity (HTAB, CR and LF included: see `has_control`).
pub(crate) fn is_valid_user(user: &str) -> bool {
    !user.is_empty() && user.len() <= MAX_USER_LEN && user.bytes().all(|b| matches!(b, 0x20..=0x7e))
}

/// Whether `authzid` can be sent in OAUTHBEARER's GS2 header: the parser refuses
/// an authzid with controls (see `has_control`) or one longer than
/// [`MAX_SASLNAME_LEN`](sasl_core::gs2::MAX_SASLNAME_LEN) once `,` and `=` are
/// escaped (three bytes each), so the client never sends one.
/// An empty one is none at all (`n,,`).
pub(crate) fn is_valid_authzid(authzid: &str) -> bool {
    authzid.is_empty() || (!has_control(authzid) && sasl_core::gs2::is_sendable_saslname(authzid))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_IMAP: &[u8] = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";

    #[test]
    fn rfc7628_example_parses_and_rebuilds() {
        let m = parse_oauthbearer(RFC_IMAP).expect("RFC example");
        assert_eq!(m.authzid.as_deref(), Some("user@example.com"));
        assert_eq!(m.host, Some("server.example.com"));
        assert_eq!(m.port, Some(143));
        assert_eq!(m.token, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
        let rebuilt = build_oauthbearer(
            Some("user@example.com"),
            Some("server.example.com"),
            Some(143),
            &[],
            m.token,
        );
        assert_eq!(rebuilt, RFC_IMAP);
    }

    #[test]
    fn grammar_is_strict() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty message"),
            (
                b"\x01",
                "a lone 0x01 is only valid after an error challenge",
            ),
            (
                b"n,,auth=Bearer x\x01\x01",
                "GS2 header not followed by 0x01",
            ),
            (
                b"n,,\x01auth=Bearer x\x01",
                "message does not end with an empty key/value pair",
            ),
            (
                b"n,,\x01auth=Bearer x\x01\x01\x01",
                "empty key/value pair before the end of the message",
            ),
            (
                b"n,,\x01auth=Bearer x\x01\x01x",
                "empty key/value pair before the end of the message",
            ),
            (b"n,,\x01au th=Bearer x\x01\x01", "key is not 1*ALPHA"),
            (b"n,,\x01=x\x01auth=Bearer x\x01\x01", "key is not 1*ALPHA"),
            (b"n,,\x01auth\x01\x01", "key/value pair without '='"),
            (
                b"n,,\x01x=\x00\x01auth=Bearer x\x01\x01",
                "value holds a byte outside VCHAR / SP / HTAB / CR / LF",
            ),
            (
                b"n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01",
                "key/value pair repeated",
            ),
            (b"n,,\x01host=a\x01\x01", "no auth= in the message"),
            (
                b"p=tls-exporter,,\x01auth=Bearer x\x01\x01",
                "OAUTHBEARER has no channel binding (p= in the GS2 header)",
            ),
            (
                b"n,user=x,\x01auth=Bearer x\x01\x01",
                "GS2 header: expected a= or an empty authzid",
            ),
            (
                b"n,,\x01port=0143\x01auth=Bearer x\x01\x01",
                "port= is not a port number",
            ),
            (
                b"n,,\x01port=65536\x01auth=Bearer x\x01\x01",
                "port= is not a port number",
            ),
            (
                b"n,,\x01port=\x01auth=Bearer x\x01\x01",
                "port= is not a port number",
            ),
            (
                b"n,,\x01host=\x01auth=Bearer x\x01\x01",
                "host= is not a host name",
            ),
            (
                b"n,,\x01host=a b\x01auth=Bearer x\x01\x01",
                "host= is not a host name",
            ),
        ];
        for (msg, detail) in cases {
            let err = parse_oauthbearer(msg).expect_err("must be refused");
            assert_eq!(err.detail, *detail, "{msg:?}");
            assert_eq!(err.status, "invalid_request", "{msg:?}");
        }
    }

    #[test]
    fn token_syntax() {
        let cases: &[(&[u8], &str)] = &[
            (b"n,,\x01auth=\x01\x01", "no token (empty auth=)"),
            (
                b"n,,\x01auth=Basic dXNlcjpwdw==\x01\x01",
                "auth= scheme is not Bearer",
            ),
            (b"n,,\x01auth=Bearer\x01\x01", "auth= scheme is not Bearer"),
            (b"n,,\x01auth=Bearerx\x01\x01", "auth= scheme is not Bearer"),
            (
                b"n,,\x01auth=Bearer \x01\x01",
                "token is not an RFC 6750 b64token",
            ),
            (
                b"n,,\x01auth=Bearer a=b\x01\x01",
                "token is not an RFC 6750 b64token",
            ),
            (
                b"n,,\x01auth=Bearer a b\x01\x01",
                "token is not an RFC 6750 b64token",
            ),
            (
                b"n,,\x01auth=Bearer ===\x01\x01",
                "token is not an RFC 6750 b64token",
            ),
        ];
        for (msg, detail) in cases {
            let err = parse_oauthbearer(msg).expect_err("must be refused");
            assert_eq!(
                (err.status, err.detail),
                ("invalid_token", *detail),
                "{msg:?}"
            );
        }
        for ok in ["bEaReR  abc-._~+/==", "BEARER x"] {
            let msg = format!("y,,\x01auth={ok}\x01mthd=POST\x01qs=\x01\x01");
            assert!(parse_oauthbearer(msg.as_bytes()).is_ok(), "{ok}");
        }
        let long = format!(
            "n,,\x01auth=Bearer {}\x01\x01",
            "a".repeat(MAX_TOKEN_LEN + 1)
        );
        assert_eq!(
            parse_oauthbearer(long.as_bytes()).map_err(|e| e.detail),
            Err("token too long")
        );
    }

    #[test]
    fn xoauth2_google_example() {
        let msg = b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";
        let m = parse_xoauth2(msg).expect("Google's example");
        assert_eq!(m.authzid.as_deref(), Some("someuser@example.com"));
        assert_eq!(m.token, "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
        assert_eq!(build_xoauth2("someuser@example.com", m.token), msg);
        for (bad, detail) in [
            (&b"auth=Bearer x\x01\x01"[..], "no user= in the message"),
            (b"user=a\x01\x01", "no auth= in the message"),
            (
                b"user=\x01auth=Bearer x\x01\x01",
                "user= is empty or too long",
            ),
            (
                b"user=a\x01auth=Bearer x\x01",
                "message does not end with an empty key/value pair",
            ),
        ] {
            assert_eq!(parse_xoauth2(bad).map_err(|e| e.detail), Err(detail));
        }
    }

    #[test]
    fn limits_are_inclusive() {
        // MAX_PAIRS pairs (auth and 31 others) are fine, one more is not.
        let pairs_msg = |n: usize| {
            let mut m = String::from("n,,\x01");
            for i in 0..n {
                let key: String = [b'a' + (i / 26) as u8, b'a' + (i % 26) as u8]
                    .iter()
                    .map(|&b| b as char)
                    .collect();
                m.push_str(&format!("x{key}=v\x01"));
            }
            m.push_str("auth=Bearer t\x01\x01");
            m
        };
        assert!(parse_oauthbearer(pairs_msg(MAX_PAIRS - 1).as_bytes()).is_ok());
        assert_eq!(
            parse_oauthbearer(pairs_msg(MAX_PAIRS).as_bytes()).map_err(|e| e.detail),
            Err("too many key/value pairs")
        );
        // A token of MAX_TOKEN_LEN (16 KiB, as documented) bytes is fine.
        let token = "a".repeat(16 * 1024);
        let msg = format!("n,,\x01auth=Bearer {token}\x01\x01");
        assert_eq!(
            parse_oauthbearer(msg.as_bytes()).map(|m| m.token.len()),
            Ok(MAX_TOKEN_LEN)
        );
        assert!(is_b64token(&token));
        assert!(!is_b64token(&format!("{token}a")));
        assert!(is_b64token("abc=="));
        assert!(!is_b64token("=="));
        assert!(!is_b64token("a b"));
        // A message of MAX_MESSAGE_LEN bytes is fine, one byte more is not.
        let head = "n,,\x01auth=Bearer t\x01x=";
        let filler = "v".repeat(MAX_MESSAGE_LEN - head.len() - 2);
        let longest = format!("{head}{filler}\x01\x01");
        assert_eq!(longest.len(), MAX_MESSAGE_LEN);
        assert!(parse_oauthbearer(longest.as_bytes()).is_ok());
        let longer = format!("{head}{filler}v\x01\x01");
        assert_eq!(
            parse_oauthbearer(longer.as_bytes()).map_err(|e| e.detail),
            Err("message too long")
        );
        let head = "user=u\x01auth=Bearer t\x01x=";
        let filler = "v".repeat(MAX_MESSAGE_LEN - head.len() - 2);
        let longest = format!("{head}{filler}\x01\x01");
        assert!(parse_xoauth2(longest.as_bytes()).is_ok());
        let longer = format!("{head}{filler}v\x01\x01");
        assert_eq!(
            parse_xoauth2(longer.as_bytes()).map_err(|e| e.detail),
            Err("message too long")
        );
        assert_eq!(
            parse_xoauth2(b"").map_err(|e| e.detail),
            Err("empty message")
        );
        // host= up to 255 bytes.
        let host_msg =
            |len: usize| format!("n,,\x01host={}\x01auth=Bearer t\x01\x01", "h".repeat(len));
        assert_eq!(
            parse_oauthbearer(host_msg(255).as_bytes()).map(|m| m.host.map(str::len)),
            Ok(Some(255))
        );
        assert_eq!(
            parse_oauthbearer(host_msg(256).as_bytes()).map_err(|e| e.detail),
            Err("host= is not a host name")
        );
        // XOAUTH2 user= up to MAX_USER_LEN bytes.
        let user_msg = |len: usize| format!("user={}\x01auth=Bearer t\x01\x01", "u".repeat(len));
        assert!(parse_xoauth2(user_msg(MAX_USER_LEN).as_bytes()).is_ok());
        assert_eq!(
            parse_xoauth2(user_msg(MAX_USER_LEN + 1).as_bytes()).map_err(|e| e.detail),
            Err("user= is empty or too long")
        );
    }

    #[test]
    fn port_numbers() {
        let port_of = |p: &str| {
            parse_oauthbearer(format!("n,,\x01port={p}\x01auth=Bearer t\x01\x01").as_bytes())
                .map(|m| m.port)
                .map_err(|e| e.detail)
        };
        for (text, n) in [
            ("1", 1),
            ("9", 9),
            ("10", 10),
            ("993", 993),
            ("65535", 65535),
        ] {
            assert_eq!(port_of(text), Ok(Some(n)), "{text}");
        }
        for bad in ["0", "65536", "99999", "100000", "1a", "-1", "+1", " 1"] {
            assert_eq!(port_of(bad), Err("port= is not a port number"), "{bad}");
        }
    }

    #[test]
    fn identities_with_controls_are_refused() {
        assert_eq!(
            parse_oauthbearer(b"n,a=al\tice,\x01auth=Bearer t\x01\x01").map_err(|e| e.detail),
            Err("authzid contains control characters")
        );
        assert_eq!(
            parse_xoauth2(b"user=al\tice\x01auth=Bearer t\x01\x01").map_err(|e| e.detail),
            Err("user= contains control characters")
        );
        assert_eq!(
            parse_xoauth2(b"user=al ice\x01auth=Bearer t\x01\x01")
                .map(|m| m.authzid.map(|z| z.into_owned())),
            Ok(Some("al ice".to_owned()))
        );
        assert_eq!(
            parse_xoauth2(b"user=\xc3\x01auth=Bearer t\x01\x01").map_err(|e| e.detail),
            Err("value holds a byte outside VCHAR / SP / HTAB / CR / LF")
        );
    }

    #[test]
    fn client_side_checks() {
        assert!(is_valid_pair("mthd", "POST"));
        assert!(is_valid_pair("qs", ""));
        for (k, v) in [
            ("", "x"),
            ("a1", "x"),
            ("auth", "x"),
            ("host", "x"),
            ("port", "1"),
            ("a", "\x01"),
        ] {
            assert!(!is_valid_pair(k, v), "{k:?}={v:?}");
        }
        assert!(is_valid_host("imap.example.org"));
        assert!(!is_valid_host("imap example"));
        assert!(!is_valid_host(""));
        assert!(is_valid_user("a b c"));
        assert!(is_valid_user(&"u".repeat(MAX_USER_LEN)));
        for bad in [
            String::new(),
            "u".repeat(MAX_USER_LEN + 1),
            "a\nb".into(),
            "a\rb".into(),
            // The server refuses controls in an identity, HTAB too.
            "a\tb".into(),
            "\x01".into(),
        ] {
            assert!(!is_valid_user(&bad), "{bad:?}");
        }
    }
}
