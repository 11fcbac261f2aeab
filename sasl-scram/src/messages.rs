//! Strict parsers and small builders for the four SCRAM messages (RFC 5802 §7) and the
//! GS2 header (RFC 5801 §4).
//!
//! Parsers borrow from the input and allocate only when a name contains `=2C`/`=3D`
//! escapes. Attribute order is fixed; extensions are checked for syntax and
//! duplicates, then ignored (they still count in AuthMessage, which is hashed from the
//! messages as received).

use sasl_core::FailureKind;
use std::borrow::Cow;

/// Longest SCRAM message accepted, whatever the session limits say.
pub(crate) const MAX_MESSAGE_LEN: usize = 8192;
/// Longest `n=`/`a=` value, escaped, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 1024;
/// Longest nonce (client part, or whole) in bytes.
pub(crate) const MAX_NONCE_LEN: usize = 512;
/// Longest channel-binding type name.
pub(crate) const MAX_CB_NAME_LEN: usize = 64;

/// The `e=` values of RFC 5802 §7 (`server-error-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerErrorValue {
    /// `invalid-encoding`: a message does not follow the syntax.
    InvalidEncoding,
    /// `extensions-not-supported`: an `m=` mandatory extension was sent.
    ExtensionsNotSupported,
    /// `invalid-proof`: the client proof does not verify (also for unknown users).
    InvalidProof,
    /// `channel-bindings-dont-match`: `c=` does not match the connection.
    ChannelBindingsDontMatch,
    /// `server-does-support-channel-binding`: the client sent `y` to a server that
    /// can bind (possible downgrade).
    ServerDoesSupportChannelBinding,
    /// `channel-binding-not-supported`: the client sent `p=` and the server cannot bind.
    ChannelBindingNotSupported,
    /// `unsupported-channel-binding-type`: the `p=` type is not available.
    UnsupportedChannelBindingType,
    /// `unknown-user` (this server never sends it: unknown users get `invalid-proof`).
    UnknownUser,
    /// `invalid-username-encoding`: bad escape, bad UTF-8 or SASLprep failure.
    InvalidUsernameEncoding,
    /// `no-resources`.
    NoResources,
    /// `other-error`, and any value this crate does not know.
    OtherError,
}

impl ServerErrorValue {
    /// The value as sent after `e=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::NoResources => "no-resources",
            Self::OtherError => "other-error",
        }
    }

    /// Reads a received value; unknown values are `other-error`, as RFC 5802 says.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "invalid-encoding" => Self::InvalidEncoding,
            "extensions-not-supported" => Self::ExtensionsNotSupported,
            "invalid-proof" => Self::InvalidProof,
            "channel-bindings-dont-match" => Self::ChannelBindingsDontMatch,
            "server-does-support-channel-binding" => Self::ServerDoesSupportChannelBinding,
            "channel-binding-not-supported" => Self::ChannelBindingNotSupported,
            "unsupported-channel-binding-type" => Self::UnsupportedChannelBindingType,
            "unknown-user" => Self::UnknownUser,
            "invalid-username-encoding" => Self::InvalidUsernameEncoding,
            "no-resources" => Self::NoResources,
            _ => Self::OtherError,
        }
    }

    /// The whole server-final message for this error (`e=<value>`).
    pub fn to_message(self) -> Vec<u8> {
        let v = self.as_str();
        let mut m = Vec::with_capacity(2 + v.len());
        m.extend_from_slice(b"e=");
        m.extend_from_slice(v.as_bytes());
        m
    }
}

impl core::fmt::Display for ServerErrorValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a peer message was refused: the wire error for the peer, and the local reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reject {
    pub(crate) wire: ServerErrorValue,
    pub(crate) kind: FailureKind,
    pub(crate) detail: &'static str,
}

impl Reject {
    pub(crate) const fn new(
        wire: ServerErrorValue,
        kind: FailureKind,
        detail: &'static str,
    ) -> Self {
        Self { wire, kind, detail }
    }

    pub(crate) const fn malformed(detail: &'static str) -> Self {
        Self::new(
            ServerErrorValue::InvalidEncoding,
            FailureKind::Malformed,
            detail,
        )
    }

    const fn username(detail: &'static str) -> Self {
        Self::new(
            ServerErrorValue::InvalidUsernameEncoding,
            FailureKind::Malformed,
            detail,
        )
    }
}

/// The GS2 channel-binding flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag<'a> {
    /// `n`: the client does not support channel binding.
    N,
    /// `y`: the client supports it but thinks the server does not.
    Y,
    /// `p=<cb-name>`: the client binds with this type.
    P(&'a str),
}

/// A parsed client-first message.
#[derive(Debug)]
pub(crate) struct ClientFirst<'a> {
    pub(crate) flag: Flag<'a>,
    pub(crate) authzid: Option<Cow<'a, str>>,
    /// Length of the GS2 header (both commas included) at the start of the message.
    pub(crate) gs2_len: usize,
    /// The user name with escapes decoded, not yet prepared.
    pub(crate) username: Cow<'a, str>,
    pub(crate) nonce: &'a str,
    /// Offset of the client nonce in the message.
    pub(crate) nonce_at: usize,
}

/// A parsed client-final message.
#[derive(Debug)]
pub(crate) struct ClientFinal<'a> {
    /// `client-final-message-without-proof`, as received.
    pub(crate) without_proof: &'a [u8],
    /// The `c=` value (canonical base64, not decoded).
    pub(crate) channel_binding: &'a [u8],
    pub(crate) nonce: &'a [u8],
    /// The `p=` value (canonical base64, not decoded).
    pub(crate) proof: &'a [u8],
}

/// A parsed server-first message.
#[derive(Debug)]
pub(crate) struct ServerFirst<'a> {
    pub(crate) nonce: &'a str,
    pub(crate) salt: &'a [u8],
    pub(crate) iterations: u32,
}

/// A parsed server-final message.
#[derive(Debug)]
pub(crate) enum ServerFinal<'a> {
    /// `v=` (canonical base64, not decoded).
    Verifier(&'a [u8]),
    /// `e=` value.
    Error(&'a str),
}

/// `attr=value` with the expected single-letter name.
fn attr(field: &[u8], name: u8) -> Option<&[u8]> {
    match field {
        [n, b'=', value @ ..] if *n == name => Some(value),
        _ => None,
    }
}

fn letter_bit(c: u8) -> u64 {
    match c {
        b'a'..=b'z' => 1u64 << (c - b'a'),
        b'A'..=b'Z' => 1u64 << (26 + (c - b'A')),
        _ => 0,
    }
}

fn bits(letters: &[u8]) -> u64 {
    letters.iter().fold(0, |acc, c| acc | letter_bit(*c))
}

/// Checks optional extensions: `ALPHA "=" 1*value-char`, UTF-8, no NUL, not a
/// SCRAM attribute of this message, not repeated. Their content is ignored.
fn check_extensions<'a>(
    fields: impl Iterator<Item = &'a [u8]>,
    mut seen: u64,
) -> Result<(), Reject> {
    for field in fields {
        let (name, value) = match field {
            [n, b'=', value @ ..] if n.is_ascii_alphabetic() => (*n, value),
            _ => return Err(Reject::malformed("malformed attribute")),
        };
        if value.is_empty() || value.contains(&0) || core::str::from_utf8(value).is_err() {
            return Err(Reject::malformed("malformed extension value"));
        }
        if name == b'm' {
            return Err(Reject::malformed(
                "m= is only allowed as the first attribute",
            ));
        }
        let bit = letter_bit(name);
        if seen & bit != 0 {
            return Err(Reject::malformed("duplicate attribute"));
        }
        seen |= bit;
    }
    Ok(())
}

/// Printable ASCII except `,` (RFC 5802 `printable`), non-empty and bounded.
pub(crate) fn is_printable(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= MAX_NONCE_LEN
        && b.iter().all(|c| (0x21..=0x7e).contains(c) && *c != b',')
}

/// Decodes a `saslname` (`=2C` → `,`, `=3D` → `=`); any other `=` is an error.
pub(crate) fn decode_saslname(raw: &[u8]) -> Result<Cow<'_, str>, &'static str> {
    if raw.is_empty() {
        return Err("empty name");
    }
    if raw.len() > MAX_NAME_LEN {
        return Err("name too long");
    }
    if raw.contains(&0) {
        return Err("NUL in name");
    }
    let s = core::str::from_utf8(raw).map_err(|_| "name is not valid UTF-8")?;
    if !s.contains('=') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((head, tail)) = rest.split_once('=') {
        out.push_str(head);
        if let Some(t) = tail.strip_prefix("2C") {
            out.push(',');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("3D") {
            out.push('=');
            rest = t;
        } else {
            return Err("invalid '=' escape in name");
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Appends `name` with `,` → `=2C` and `=` → `=3D`.
pub(crate) fn escape_saslname(name: &str, out: &mut String) {
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
}

fn is_cb_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= MAX_CB_NAME_LEN
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'-')
}

/// Parses a client-first message (server side).
pub(crate) fn parse_client_first(msg: &[u8]) -> Result<ClientFirst<'_>, Reject> {
    if msg.is_empty() {
        return Err(Reject::malformed("empty client-first message"));
    }
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Reject::new(
            ServerErrorValue::InvalidEncoding,
            FailureKind::MessageTooLarge,
            "client-first message too long",
        ));
    }
    let mut parts = msg.splitn(3, |b| *b == b',');
    let flag_field = parts.next().unwrap_or_default();
    let (Some(authz_field), Some(bare)) = (parts.next(), parts.next()) else {
        return Err(Reject::malformed("GS2 header is missing a comma"));
    };
    let flag = match flag_field {
        b"n" => Flag::N,
        b"y" => Flag::Y,
        [b'p', b'=', name @ ..] => {
            if !is_cb_name(name) {
                return Err(Reject::malformed("invalid channel-binding type name"));
            }
            // is_cb_name admits ASCII only, so this cannot fail.
            Flag::P(core::str::from_utf8(name).map_err(|_| Reject::malformed("cb-name"))?)
        }
        b"F" => {
            return Err(Reject::malformed(
                "GS2 non-standard flag F is not valid for SCRAM",
            ));
        }
        _ => {
            return Err(Reject::malformed("GS2 header must start with n, y or p="));
        }
    };
    let authzid = if authz_field.is_empty() {
        None
    } else if let Some(raw) = attr(authz_field, b'a') {
        Some(decode_saslname(raw).map_err(|_| Reject::malformed("invalid authzid"))?)
    } else {
        return Err(Reject::malformed(
            "GS2 header: expected a= or an empty authzid",
        ));
    };
    let gs2_len = flag_field.len() + authz_field.len() + 2;

    let mut fields = bare.split(|b| *b == b',');
    let first = fields.next().unwrap_or_default();
    if attr(first, b'm').is_some() {
        return Err(Reject::new(
            ServerErrorValue::ExtensionsNotSupported,
            FailureKind::Protocol,
            "client sent a mandatory extension (m=)",
        ));
    }
    let Some(raw_name) = attr(first, b'n') else {
        return Err(Reject::malformed("client-first: n= expected"));
    };
    let username = decode_saslname(raw_name).map_err(Reject::username)?;
    let Some(nonce) = fields.next().and_then(|f| attr(f, b'r')) else {
        return Err(Reject::malformed("client-first: r= expected after n="));
    };
    if !is_printable(nonce) {
        return Err(Reject::malformed(
            "client nonce is empty, too long or not printable",
        ));
    }
    let nonce = core::str::from_utf8(nonce).map_err(|_| Reject::malformed("nonce"))?;
    let nonce_at = gs2_len + first.len() + 3;
    check_extensions(fields, bits(b"mnra"))?;
    Ok(ClientFirst {
        flag,
        authzid,
        gs2_len,
        username,
        nonce,
        nonce_at,
    })
}

/// Parses a client-final message (server side).
pub(crate) fn parse_client_final(msg: &[u8]) -> Result<ClientFinal<'_>, Reject> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Reject::new(
            ServerErrorValue::InvalidEncoding,
            FailureKind::MessageTooLarge,
            "client-final message too long",
        ));
    }
    let Some(last_comma) = msg.iter().rposition(|b| *b == b',') else {
        return Err(Reject::malformed("client-final: missing attributes"));
    };
    let without_proof = msg.get(..last_comma).unwrap_or_default();
    let proof = msg
        .get(last_comma + 1..)
        .and_then(|f| attr(f, b'p'))
        .ok_or(Reject::malformed(
            "client-final: p= must be the last attribute",
        ))?;
    if !is_canonical_base64(proof) {
        return Err(Reject::malformed(
            "client-final: proof is not canonical base64",
        ));
    }
    let mut fields = without_proof.split(|b| *b == b',');
    let channel_binding = fields
        .next()
        .and_then(|f| attr(f, b'c'))
        .ok_or(Reject::malformed("client-final: c= must come first"))?;
    if !is_canonical_base64(channel_binding) {
        return Err(Reject::malformed(
            "client-final: channel binding is not canonical base64",
        ));
    }
    let nonce = fields
        .next()
        .and_then(|f| attr(f, b'r'))
        .ok_or(Reject::malformed("client-final: r= must follow c="))?;
    if !is_printable(nonce) {
        return Err(Reject::malformed("client-final: nonce is not printable"));
    }
    check_extensions(fields, bits(b"mcrp"))?;
    Ok(ClientFinal {
        without_proof,
        channel_binding,
        nonce,
        proof,
    })
}

/// A client-side parse failure: local reason only (the client sends no error).
pub(crate) type Bad = (FailureKind, &'static str);

/// Parses a server-first message (client side).
pub(crate) fn parse_server_first(msg: &[u8]) -> Result<ServerFirst<'_>, Bad> {
    const MALFORMED: FailureKind = FailureKind::Protocol;
    if msg.len() > MAX_MESSAGE_LEN {
        return Err((
            FailureKind::MessageTooLarge,
            "server-first message too long",
        ));
    }
    let mut fields = msg.split(|b| *b == b',');
    let first = fields.next().unwrap_or_default();
    if attr(first, b'm').is_some() {
        return Err((MALFORMED, "server sent a mandatory extension (m=)"));
    }
    let nonce = attr(first, b'r').ok_or((MALFORMED, "server-first: r= expected first"))?;
    if !is_printable(nonce) {
        return Err((
            MALFORMED,
            "server nonce is empty, too long or not printable",
        ));
    }
    let nonce = core::str::from_utf8(nonce).map_err(|_| (MALFORMED, "server nonce"))?;
    let salt = fields
        .next()
        .and_then(|f| attr(f, b's'))
        .ok_or((MALFORMED, "server-first: s= expected after r="))?;
    if !is_canonical_base64(salt) {
        return Err((
            MALFORMED,
            "server-first: salt is empty or not canonical base64",
        ));
    }
    let iterations = fields
        .next()
        .and_then(|f| attr(f, b'i'))
        .ok_or((MALFORMED, "server-first: i= expected after s="))?;
    let iterations = parse_posit_number(iterations)
        .ok_or((MALFORMED, "server-first: i= is not a positive number"))?;
    check_extensions(fields, bits(b"mrsi")).map_err(|r| (MALFORMED, r.detail))?;
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

/// Parses a server-final message (client side).
pub(crate) fn parse_server_final(msg: &[u8]) -> Result<ServerFinal<'_>, Bad> {
    const MALFORMED: FailureKind = FailureKind::Protocol;
    if msg.len() > MAX_MESSAGE_LEN {
        return Err((
            FailureKind::MessageTooLarge,
            "server-final message too long",
        ));
    }
    let mut fields = msg.split(|b| *b == b',');
    let first = fields.next().unwrap_or_default();
    let result = if let Some(v) = attr(first, b'v') {
        if !is_canonical_base64(v) {
            return Err((MALFORMED, "server-final: v= is not canonical base64"));
        }
        ServerFinal::Verifier(v)
    } else if let Some(e) = attr(first, b'e') {
        if e.is_empty() || e.len() > 256 || e.contains(&0) {
            return Err((MALFORMED, "server-final: malformed e= value"));
        }
        ServerFinal::Error(
            core::str::from_utf8(e).map_err(|_| (MALFORMED, "server-final: e= is not UTF-8"))?,
        )
    } else {
        return Err((MALFORMED, "server-final: v= or e= expected"));
    };
    check_extensions(fields, bits(b"mve")).map_err(|r| (MALFORMED, r.detail))?;
    Ok(result)
}

/// `posit-number = %x31-39 *DIGIT`, fitting in a `u32`.
pub(crate) fn parse_posit_number(digits: &[u8]) -> Option<u32> {
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut n: u32 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(n)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard base64 with padding, non-empty, with zero trailing bits: exactly what
/// the encoder produces, so every value has one spelling.
pub(crate) fn is_canonical_base64(s: &[u8]) -> bool {
    if s.is_empty() || s.len() % 4 != 0 {
        return false;
    }
    let pad = s.iter().rev().take_while(|c| **c == b'=').count();
    if pad > 2 {
        return false;
    }
    let body = s.get(..s.len() - pad).unwrap_or_default();
    if !body.iter().all(|c| b64_value(*c).is_some()) {
        return false;
    }
    let last = body.last().and_then(|c| b64_value(*c)).unwrap_or(0);
    match pad {
        1 => last & 0b11 == 0,
        2 => last & 0b1111 == 0,
        _ => true,
    }
}

fn b64_char(v: u32) -> u8 {
    ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'=')
}

/// Whether `encoded` is the canonical base64 of the concatenation of `parts`, without
/// building either side (the `c=` check runs allocation-free).
pub(crate) fn base64_matches(encoded: &[u8], parts: &[&[u8]]) -> bool {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if encoded.len() != total.div_ceil(3) * 4 {
        return false;
    }
    let mut bytes = parts.iter().flat_map(|p| p.iter().copied());
    let mut quads = encoded.chunks_exact(4);
    while let Some(a) = bytes.next() {
        let b = bytes.next();
        let c = bytes.next();
        let n = (u32::from(a) << 16) | (u32::from(b.unwrap_or(0)) << 8) | u32::from(c.unwrap_or(0));
        let quad = [
            b64_char(n >> 18),
            b64_char(n >> 12),
            if b.is_some() { b64_char(n >> 6) } else { b'=' },
            if c.is_some() { b64_char(n) } else { b'=' },
        ];
        if quads.next() != Some(&quad[..]) {
            return false;
        }
    }
    quads.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rules() {
        assert!(is_canonical_base64(b"biws"));
        assert!(is_canonical_base64(b"QSXCR+Q6sek8bf92"));
        assert!(is_canonical_base64(b"W22ZaJ0SNY7soEsUEjb6gQ=="));
        assert!(!is_canonical_base64(b""));
        assert!(!is_canonical_base64(b"W22ZaJ0SNY7soEsUEjb6gR=="));
        assert!(!is_canonical_base64(b"biw"));
        assert!(!is_canonical_base64(b"b=ws"));
        assert!(!is_canonical_base64(b"a==="));
        assert!(base64_matches(b"biws", &[b"n,,"]));
        assert!(base64_matches(b"bixhPWFkbWluLA==", &[b"n,a=", b"admin,"]));
        assert!(!base64_matches(b"eSws", &[b"n,,"]));
    }

    #[test]
    fn saslname_escapes() {
        assert_eq!(decode_saslname(b"us=2Cer=3Dx").unwrap(), "us,er=x");
        assert!(decode_saslname(b"a=2c").is_err());
        assert!(decode_saslname(b"a=").is_err());
        let mut s = String::new();
        escape_saslname("us,er=x", &mut s);
        assert_eq!(s, "us=2Cer=3Dx");
    }

    #[test]
    fn posit_numbers() {
        assert_eq!(parse_posit_number(b"4096"), Some(4096));
        assert_eq!(parse_posit_number(b"04096"), None);
        assert_eq!(parse_posit_number(b"0"), None);
        assert_eq!(parse_posit_number(b"99999999999"), None);
        assert_eq!(parse_posit_number(b"12a"), None);
    }
}
