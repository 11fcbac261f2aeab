//! Strict parsers and small builders for the four SCRAM messages (RFC 5802 §7) and the
//! GS2 header (RFC 5801 §4).
//!
//! Parsers borrow from the input and allocate only when a name contains `=2C`/`=3D`
//! escapes. Attribute order is fixed; extensions are checked for syntax and
//! duplicates, then ignored (they still count in AuthMessage, which is hashed from the
//! messages as received).

use sasl_core::FailureKind;
use sasl_core::gs2::{Gs2Flag, Gs2Header};
use std::borrow::Cow;

/// Longest SCRAM message accepted, whatever the session limits say.
pub(crate) const MAX_MESSAGE_LEN: usize = 8192;
/// Longest nonce in bytes, applied to the combined nonce (client part + server part)
/// that the server-first and client-final carry. The client part is held to less:
/// the server refuses a client nonce that leaves no room for the server part it
/// appends, and the client refuses a fixed nonce that leaves no room for the server
/// part it requires (so a nonce accepted in the first message is never refused in
/// the last one).
pub(crate) const MAX_NONCE_LEN: usize = 512;

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
    /// Printable ASCII (checked), so also UTF-8; kept as bytes since the server only
    /// copies it.
    pub(crate) nonce: &'a [u8],
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
    /// The `p=` value, decoded (checked canonical while decoding).
    pub(crate) proof: Proof,
}

/// A decoded client proof. Only the first [`MAX_OUT`](crate::hash::MAX_OUT) bytes are
/// kept; `len` is the full decoded length, so a proof of the wrong length is seen as
/// such.
#[derive(Debug)]
pub(crate) struct Proof {
    buf: [u8; crate::hash::MAX_OUT],
    len: usize,
}

impl Proof {
    /// The decoded proof if it is exactly `len` bytes long.
    pub(crate) fn exactly(&self, len: usize) -> Option<&[u8]> {
        if self.len == len {
            self.buf.get(..len)
        } else {
            None
        }
    }
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

const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;

/// A mask with 0x80 in every byte of `chunk` (little-endian) that is a `,`, exact per
/// byte (no carries cross bytes).
#[inline(always)]
fn comma_mask(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    let w = u64::from_le_bytes(word) ^ COMMAS;
    !(((w & LO7).wrapping_add(LO7)) | w | LO7)
}

/// Index of the first `,` in `hay`, eight bytes at a time (messages are split on
/// commas several times per exchange; a byte loop showed in profiles).
pub(crate) fn find_comma(hay: &[u8]) -> Option<usize> {
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let m = comma_mask(chunk);
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| *b == b',')
        .map(|i| at + i)
}

/// Index of the last `,` in `hay`, eight bytes at a time.
pub(crate) fn rfind_comma(hay: &[u8]) -> Option<usize> {
    let mut chunks = hay.rchunks_exact(8);
    let mut end = hay.len();
    for chunk in &mut chunks {
        end -= 8;
        let m = comma_mask(chunk);
        if m != 0 {
            return Some(end + ((63 - m.leading_zeros()) / 8) as usize);
        }
    }
    chunks.remainder().iter().rposition(|b| *b == b',')
}

/// The comma-separated fields of a message, like `split(|b| *b == b',')`.
pub(crate) struct Fields<'a> {
    rest: Option<&'a [u8]>,
}

pub(crate) fn fields(msg: &[u8]) -> Fields<'_> {
    Fields { rest: Some(msg) }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match find_comma(rest) {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
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
/// Validates a nonce fixed for reproducing test vectors: printable ASCII without `,`.
pub(crate) fn checked_fixed_nonce(nonce: &str) -> Result<String, sasl_core::Error> {
    if is_printable(nonce.as_bytes()) {
        Ok(nonce.to_owned())
    } else {
        Err(sasl_core::Error::config(
            "SCRAM nonce must be printable ASCII without ','",
        ))
    }
}

pub(crate) fn is_printable(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= MAX_NONCE_LEN
        // A fold without early exit: the compiler vectorises it (nonces are tens of
        // bytes, checked on every message).
        && b
            .iter()
            .fold(true, |ok, c| ok & (0x21..=0x7e).contains(c) & (*c != b','))
}

pub(crate) use sasl_core::gs2::{decode_saslname, escape_saslname};

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
    let (header, bare) = Gs2Header::parse(msg).map_err(Reject::malformed)?;
    let flag = match header.flag() {
        Gs2Flag::No => Flag::N,
        Gs2Flag::Yes => Flag::Y,
        Gs2Flag::Binding(name) => Flag::P(name),
    };
    let gs2_len = header.len();
    let authzid = header.into_authzid();

    let mut fields = fields(bare);
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

/// Parses a client-final message (server side). `expected_nonce` is the nonce of the
/// server-first message, printable by construction: a nonce equal to it only needs
/// the length bound checked again (any other nonce gets the full check, so the
/// outcome is the same as checking every byte).
pub(crate) fn parse_client_final<'a>(
    msg: &'a [u8],
    expected_nonce: &[u8],
) -> Result<ClientFinal<'a>, Reject> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Reject::new(
            ServerErrorValue::InvalidEncoding,
            FailureKind::MessageTooLarge,
            "client-final message too long",
        ));
    }
    let Some(last_comma) = rfind_comma(msg) else {
        return Err(Reject::malformed("client-final: missing attributes"));
    };
    let without_proof = msg.get(..last_comma).unwrap_or_default();
    let proof_b64 = msg
        .get(last_comma + 1..)
        .and_then(|f| attr(f, b'p'))
        .ok_or(Reject::malformed(
            "client-final: p= must be the last attribute",
        ))?;
    // Validated while decoding: one pass over the value.
    let mut proof = Proof {
        buf: [0; crate::hash::MAX_OUT],
        len: 0,
    };
    proof.len = decode_canonical_base64(proof_b64, &mut proof.buf).ok_or(Reject::malformed(
        "client-final: proof is not canonical base64",
    ))?;
    let mut fields = fields(without_proof);
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
    let printable = if nonce == expected_nonce {
        nonce.len() <= MAX_NONCE_LEN
    } else {
        is_printable(nonce)
    };
    if !printable {
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
    let mut fields = fields(msg);
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
    let mut fields = fields(msg);
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

/// Not a base64 character.
const NOT_B64: u8 = 0xff;

/// The value of each byte as a base64 character, or [`NOT_B64`]. Built at compile
/// time, where an out-of-range index is a compile error, not a panic.
#[allow(clippy::indexing_slicing)]
const B64_VALUES: [u8; 256] = {
    let mut t = [NOT_B64; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decodes standard base64 with padding that is non-empty and canonical (zero
/// trailing bits: exactly what the encoder produces, so every value has one
/// spelling), in one pass. Writes as much as fits into `out` and returns the full
/// decoded length, or `None` if `s` is not canonical base64.
pub(crate) fn decode_canonical_base64(s: &[u8], out: &mut [u8]) -> Option<usize> {
    if s.is_empty() || s.len() % 4 != 0 {
        return None;
    }
    let v = |c: &u8| u32::from(B64_VALUES.get(usize::from(*c)).copied().unwrap_or(NOT_B64));
    let (full, last) = s.split_at(s.len() - 4);
    // Every invalid character has all bits of NOT_B64 set: OR them all and check once.
    let mut bad = 0u32;
    let mut decode = |quad: &[u8]| {
        let [a, b, c, d] = match quad {
            [a, b, c, d] => [v(a), v(b), v(c), v(d)],
            _ => [u32::from(NOT_B64); 4],
        };
        bad |= a | b | c | d;
        let [_, x, y, z] = ((a << 18) | (b << 12) | (c << 6) | d).to_be_bytes();
        [x, y, z]
    };
    // The groups that fit into `out` in one tight loop, then the rest: counted, and
    // what still fits of the first of them written.
    let mut quads = full.chunks_exact(4);
    let mut n = 0usize;
    // (`out` first: `zip` stops at it without taking a quad it could not write.)
    for (o, quad) in out.chunks_exact_mut(3).zip(&mut quads) {
        o.copy_from_slice(&decode(quad));
        n += 3;
    }
    for quad in quads {
        let bytes = decode(quad);
        for (o, byte) in out.iter_mut().skip(n).zip(bytes) {
            *o = byte;
        }
        n += 3;
    }
    // The last quad: 0, 1 or 2 `=`, and the bits the padding leaves over are zero.
    let (count, word) = match last {
        [a, b, b'=', b'='] => {
            let (a, b) = (v(a), v(b));
            bad |= a | b;
            (1, ((a << 18) | (b << 12), b & 0xf))
        }
        [a, b, c, b'='] => {
            let (a, b, c) = (v(a), v(b), v(c));
            bad |= a | b | c;
            (2, ((a << 18) | (b << 12) | (c << 6), c & 0x3))
        }
        [a, b, c, d] => {
            let (a, b, c, d) = (v(a), v(b), v(c), v(d));
            bad |= a | b | c | d;
            (3, ((a << 18) | (b << 12) | (c << 6) | d, 0))
        }
        _ => return None,
    };
    let (word, leftover) = word;
    // Valid characters are 0..=63; an invalid one sets bits above that.
    if bad > 63 || leftover != 0 {
        return None;
    }
    for byte in [(word >> 16) as u8, (word >> 8) as u8, word as u8]
        .into_iter()
        .take(count)
    {
        if let Some(o) = out.get_mut(n) {
            *o = byte;
        }
        n += 1;
    }
    Some(n)
}

/// Standard base64 with padding, non-empty, with zero trailing bits (see
/// [`decode_canonical_base64`]).
pub(crate) fn is_canonical_base64(s: &[u8]) -> bool {
    decode_canonical_base64(s, &mut []).is_some()
}

/// Appends standard base64 of `data` to `out` (with `=` padding if `pad`), through a
/// small stack buffer: for the tens of bytes SCRAM encodes this beats the general
/// engine of the `base64` crate, which showed in server profiles.
pub(crate) fn append_base64(out: &mut Vec<u8>, data: &[u8], pad: bool) {
    let triples = data.chunks_exact(3);
    let tail = triples.remainder();
    // The whole groups are written into the grown vector in one tight loop (a byte
    // per push, or copying a stack buffer in, cost more: both showed in profiles).
    out.reserve(data.len().div_ceil(3) * 4);
    let start = out.len();
    out.resize(start + data.len() / 3 * 4, 0);
    let groups = out.get_mut(start..).unwrap_or_default();
    for (triple, group) in triples.zip(groups.chunks_exact_mut(4)) {
        if let [a, b, c] = triple {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8) | u32::from(*c);
            group.copy_from_slice(&[
                b64_char(n >> 18),
                b64_char(n >> 12),
                b64_char(n >> 6),
                b64_char(n),
            ]);
        }
    }
    let n = match tail {
        [a] => u32::from(*a) << 16,
        [a, b] => (u32::from(*a) << 16) | (u32::from(*b) << 8),
        _ => return,
    };
    let third = if tail.len() == 2 {
        b64_char(n >> 6)
    } else {
        b'='
    };
    let quad = [b64_char(n >> 18), b64_char(n >> 12), third, b'='];
    match (pad, tail.len()) {
        (true, _) => out.extend_from_slice(&quad),
        (false, 1) => out.extend_from_slice(&[b64_char(n >> 18), b64_char(n >> 12)]),
        (false, _) => out.extend_from_slice(&[b64_char(n >> 18), b64_char(n >> 12), third]),
    }
}

#[inline(always)]
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
    fn every_error_value_reads_back_as_itself() {
        // RFC 5802 §7's server-error-value list, as literals.
        let values = [
            ("invalid-encoding", ServerErrorValue::InvalidEncoding),
            (
                "extensions-not-supported",
                ServerErrorValue::ExtensionsNotSupported,
            ),
            ("invalid-proof", ServerErrorValue::InvalidProof),
            (
                "channel-bindings-dont-match",
                ServerErrorValue::ChannelBindingsDontMatch,
            ),
            (
                "server-does-support-channel-binding",
                ServerErrorValue::ServerDoesSupportChannelBinding,
            ),
            (
                "channel-binding-not-supported",
                ServerErrorValue::ChannelBindingNotSupported,
            ),
            (
                "unsupported-channel-binding-type",
                ServerErrorValue::UnsupportedChannelBindingType,
            ),
            ("unknown-user", ServerErrorValue::UnknownUser),
            (
                "invalid-username-encoding",
                ServerErrorValue::InvalidUsernameEncoding,
            ),
            ("no-resources", ServerErrorValue::NoResources),
            ("other-error", ServerErrorValue::OtherError),
        ];
        for (text, value) in values {
            assert_eq!(ServerErrorValue::from_wire(text), value);
            assert_eq!(value.as_str(), text);
            assert_eq!(value.to_message(), [b"e=", text.as_bytes()].concat());
        }
        // Unknown values (an extension's, a differently cased one) are other-error.
        for text in ["Invalid-Proof", "invalid-proof ", "", "x-new-error"] {
            assert_eq!(
                ServerErrorValue::from_wire(text),
                ServerErrorValue::OtherError
            );
        }
    }

    /// Invalid characters are flagged by OR-ing their values: two of the same kind in
    /// one quad must not cancel out (as they would with XOR), wherever they stand.
    #[test]
    fn two_invalid_characters_in_one_quad_are_refused() {
        let mut out = [0u8; 16];
        for bad in [b'!', b'.', 0xff, b'\0', b'-', b'_'] {
            for i in 0..4 {
                for j in i + 1..4 {
                    // Full quads (first of two, and the last one) and padded last quads.
                    let mut quad = *b"AAAA";
                    quad[i] = bad;
                    quad[j] = bad;
                    for text in [
                        [&quad[..], b"AAAA"].concat(),
                        [&b"AAAA"[..], &quad].concat(),
                    ] {
                        assert_eq!(decode_canonical_base64(&text, &mut out), None, "{text:?}");
                    }
                    if j < 3 {
                        let mut one_pad = quad;
                        one_pad[3] = b'=';
                        assert_eq!(decode_canonical_base64(&one_pad, &mut out), None);
                    }
                    if j < 2 {
                        let mut two_pad = quad;
                        two_pad[2] = b'=';
                        two_pad[3] = b'=';
                        assert_eq!(decode_canonical_base64(&two_pad, &mut out), None);
                    }
                }
            }
        }
        // Three invalid characters, and one beside valid ones, likewise.
        for text in [&b"!!!A"[..], b"!!!=", b"A!AA", b"AA!=", b"!A=="] {
            assert_eq!(decode_canonical_base64(text, &mut out), None, "{text:?}");
        }
    }

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
        assert!(!is_canonical_base64(b"===="));
        assert!(!is_canonical_base64(b"ab=c"));
        let mut out = [0u8; 4];
        assert_eq!(
            decode_canonical_base64(b"QSXCR+Q6sek8bf92", &mut out),
            Some(12)
        );
        assert_eq!(out, [0x41, 0x25, 0xc2, 0x47]);
        assert_eq!(decode_canonical_base64(b"bixhPQ==", &mut out), Some(4));
        assert_eq!(&out, b"n,a=");
        assert_eq!(decode_canonical_base64(b"bixhPR==", &mut out), None);
        assert_eq!(decode_canonical_base64(b"bixhPWE=", &mut out), Some(5));
        assert!(base64_matches(b"biws", &[b"n,,"]));
        assert!(base64_matches(b"bixhPWFkbWluLA==", &[b"n,a=", b"admin,"]));
        assert!(!base64_matches(b"eSws", &[b"n,,"]));
    }

    #[test]
    fn base64_encoder_matches_the_base64_crate() {
        use base64::Engine as _;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
        for len in 0..200usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut ours = b"x".to_vec();
            append_base64(&mut ours, &data, true);
            assert_eq!(ours, format!("x{}", STANDARD.encode(&data)).into_bytes());
            let mut ours = Vec::new();
            append_base64(&mut ours, &data, false);
            assert_eq!(ours, STANDARD_NO_PAD.encode(&data).into_bytes());
            let mut back = vec![0u8; len + 3];
            if len > 0 {
                let mut padded = Vec::new();
                append_base64(&mut padded, &data, true);
                assert_eq!(decode_canonical_base64(&padded, &mut back), Some(len));
                assert_eq!(&back[..len], &data[..]);
            }
        }
    }

    #[test]
    fn comma_search_matches_byte_loops() {
        let samples: [&[u8]; 8] = [
            b"",
            b",",
            b"abc",
            b"n,,n=user,r=abc",
            b"-,-,--------,,-----------------,x",
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            b"\xff\x2c\x2d\x2b,\x80\x7f\x01\x00,\x2c",
            b"no commas here at all, until the very end of a long line,",
        ];
        for s in samples {
            assert_eq!(find_comma(s), s.iter().position(|b| *b == b','), "{s:?}");
            assert_eq!(rfind_comma(s), s.iter().rposition(|b| *b == b','), "{s:?}");
            let ours: Vec<&[u8]> = fields(s).collect();
            let std: Vec<&[u8]> = s.split(|b| *b == b',').collect();
            assert_eq!(ours, std, "{s:?}");
        }
        // Every position and every byte value next to a comma.
        for len in 0..40 {
            for at in 0..len {
                for other in [0u8, 1, 0x2b, 0x2d, 0x7f, 0x80, 0xac, 0xff] {
                    let mut v = vec![other; len];
                    v[at] = b',';
                    assert_eq!(find_comma(&v), Some(at));
                    assert_eq!(rfind_comma(&v), Some(at));
                }
            }
        }
    }

    /// A small deterministic generator (xorshift64) for the comparison tests below.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The decoder against the `base64` crate's strict engine (canonical padding, no
    /// trailing bits), which the decoder must match except for the empty string: every
    /// 4-character string over an alphabet mixing valid characters, `=` and invalid
    /// bytes, and pseudo-random strings of 1 to 16 characters. Accepting a string the
    /// strict engine refuses (say two invalid characters that cancel out) would let a
    /// non-canonical proof or `v=` through.
    #[test]
    fn decoder_matches_the_strict_base64_engine() {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;
        const SYMBOLS: &[u8] = b"AB/+Qgwz09=!-,\xff\x00";
        let check = |s: &[u8]| {
            let expected = if s.is_empty() {
                None
            } else {
                STANDARD.decode(s).ok()
            };
            let mut out = [0u8; 16];
            let got = decode_canonical_base64(s, &mut out);
            assert_eq!(got, expected.as_ref().map(Vec::len), "{s:?}");
            assert_eq!(is_canonical_base64(s), expected.is_some(), "{s:?}");
            if let Some(e) = &expected {
                assert_eq!(&out[..e.len().min(16)], &e[..e.len().min(16)], "{s:?}");
                // A short output buffer still gets the full length and a correct prefix.
                let mut short = [0u8; 2];
                assert_eq!(decode_canonical_base64(s, &mut short), Some(e.len()));
                let n = e.len().min(2);
                assert_eq!(&short[..n], &e[..n], "{s:?}");
            }
        };
        for a in SYMBOLS {
            for b in SYMBOLS {
                for c in SYMBOLS {
                    for d in SYMBOLS {
                        check(&[*a, *b, *c, *d]);
                    }
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..60_000 {
            let len = 1 + (next(&mut state) % 16) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| SYMBOLS[(next(&mut state) % SYMBOLS.len() as u64) as usize])
                .collect();
            check(&s);
        }
        // Valid strings of every length up to 48 bytes, with one character replaced.
        for len in 1..48usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 73 + 5) as u8).collect();
            let good = STANDARD.encode(&data).into_bytes();
            check(&good);
            for at in 0..good.len() {
                for sym in SYMBOLS {
                    let mut bad = good.clone();
                    bad[at] = *sym;
                    check(&bad);
                }
            }
        }
    }

    /// The allocation-free `c=` comparison against building the encoding: it must say
    /// yes exactly for the canonical base64 of the concatenated parts.
    #[test]
    fn base64_matches_is_equality_with_the_encoding() {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|_| next(&mut state) as u8).collect();
            let good = STANDARD.encode(&data).into_bytes();
            // Split the data into up to three parts at every pair of points.
            for i in 0..=len {
                for j in i..=len {
                    let parts: [&[u8]; 3] = [&data[..i], &data[i..j], &data[j..]];
                    assert!(base64_matches(&good, &parts), "{len} {i} {j}");
                }
            }
            let parts: [&[u8]; 1] = [&data];
            // One character changed, the encoding truncated or extended: no match.
            for at in 0..good.len() {
                for sym in b"AQgw/+=z9" {
                    let mut bad = good.clone();
                    bad[at] = *sym;
                    assert_eq!(base64_matches(&bad, &parts), bad == good, "{bad:?}");
                }
            }
            for cut in 0..good.len() {
                assert!(!base64_matches(&good[..cut], &parts), "{len} cut {cut}");
            }
            let mut longer = good.clone();
            longer.extend_from_slice(b"AAAA");
            assert!(!base64_matches(&longer, &parts));
            // The encoding of other data of the same length.
            if len > 0 {
                let mut other = data.clone();
                other[len - 1] ^= 1;
                assert!(!base64_matches(
                    &STANDARD.encode(&other).into_bytes(),
                    &parts
                ));
            }
        }
    }

    /// Every parser takes a message of exactly [`MAX_MESSAGE_LEN`] bytes (padded with
    /// an ignored extension) and refuses one byte more as too large.
    #[test]
    fn parsers_bound_messages_at_max_len() {
        let pad = |prefix: &str, suffix: &str, len: usize| {
            let mut m = prefix.as_bytes().to_vec();
            m.extend(std::iter::repeat_n(b'x', len - prefix.len() - suffix.len()));
            m.extend_from_slice(suffix.as_bytes());
            assert_eq!(m.len(), len);
            m
        };
        let nonce = b"abcdefgh0123456789";
        for len in [MAX_MESSAGE_LEN, MAX_MESSAGE_LEN + 1] {
            let ok = len == MAX_MESSAGE_LEN;
            let m = pad("n,,n=user,r=abcdefgh,x=", "", len);
            match parse_client_first(&m) {
                Ok(_) => assert!(ok),
                Err(r) => {
                    assert!(!ok);
                    assert_eq!(r.kind, FailureKind::MessageTooLarge);
                }
            }
            let m = pad(
                "c=biws,r=abcdefgh0123456789,x=",
                ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                len,
            );
            match parse_client_final(&m, nonce) {
                Ok(f) => {
                    assert!(ok);
                    assert_eq!(f.nonce, nonce);
                }
                Err(r) => {
                    assert!(!ok);
                    assert_eq!(r.kind, FailureKind::MessageTooLarge);
                }
            }
            let m = pad("r=abcdefgh0123456789,s=QSXCR+Q6sek8bf92,i=4096,x=", "", len);
            match parse_server_first(&m) {
                Ok(f) => assert!(ok && f.iterations == 4096),
                Err((kind, _)) => assert!(!ok && kind == FailureKind::MessageTooLarge),
            }
            let m = pad("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=,x=", "", len);
            match parse_server_final(&m) {
                Ok(ServerFinal::Verifier(v)) => {
                    assert!(ok);
                    assert_eq!(v, b"rmF9pqV8S7suAoZWja4dJRkFsKQ=");
                }
                Ok(ServerFinal::Error(_)) => panic!("not an error"),
                Err((kind, _)) => assert!(!ok && kind == FailureKind::MessageTooLarge),
            }
        }
    }

    #[test]
    fn printable_bounds() {
        assert!(is_printable(&[b'a'; MAX_NONCE_LEN]));
        assert!(!is_printable(&[b'a'; MAX_NONCE_LEN + 1]));
        assert!(!is_printable(b""));
        for c in 0u8..=255 {
            let ok = (0x21..=0x7e).contains(&c) && c != b',';
            assert_eq!(is_printable(&[b'a', c, b'b']), ok, "{c:#x}");
            assert_eq!(is_printable(&[c]), ok, "{c:#x}");
        }
    }

    /// Extension names are case-sensitive letters: `N=`, `R=`, `A=`, `M=` do not clash
    /// with the SCRAM attributes `n`, `r`, `a`, `m`, while a repeated name (either case)
    /// and a value with NUL or invalid UTF-8 are refused.
    #[test]
    fn extension_checks() {
        let first = |ext: &[u8]| {
            let mut m = b"n,,n=user,r=abcdefgh".to_vec();
            m.extend_from_slice(ext);
            parse_client_first(&m).map(|_| ()).map_err(|r| r.detail)
        };
        assert_eq!(first(b",N=1,R=2,A=3,M=4,C=5,P=6,S=7,I=8,V=9,E=0"), Ok(()));
        assert_eq!(first(b",Z=1,z=2,Y=3,y=4,B=5,b=6"), Ok(()));
        for dup in [
            &b",X=1,X=2"[..],
            b",Z=1,Z=2",
            b",A=1,A=2",
            b",x=1,x=2",
            b",z=1,z=2",
        ] {
            assert_eq!(first(dup), Err("duplicate attribute"), "{dup:?}");
        }
        for bad in [&b",x=a\x00b"[..], b",x=\x00", b",x=\xff", b",x=a\xc3"] {
            assert_eq!(first(bad), Err("malformed extension value"), "{bad:?}");
        }
        assert_eq!(first(b",x=\xc3\xa9"), Ok(()));
        // An extension name is one ASCII letter.
        for bad in [&b",1=x"[..], b",_=x", b",\xc3=x", b",xy=1", b",=x"] {
            assert_eq!(first(bad), Err("malformed attribute"), "{bad:?}");
        }
        // Server-first and server-final: the same rules, with their own attributes.
        let sf = |ext: &str| {
            let m = format!("r=abcdefgh,s=QSXCR+Q6sek8bf92,i=4096{ext}");
            parse_server_first(m.as_bytes())
                .map(|_| ())
                .map_err(|(_, d)| d)
        };
        assert_eq!(sf(",R=1,S=2,I=3,M=4"), Ok(()));
        assert_eq!(sf(",s=1"), Err("duplicate attribute"));
        assert_eq!(sf(",i=1"), Err("duplicate attribute"));
        assert_eq!(sf(",r=1"), Err("duplicate attribute"));
        let sfin = |m: &str| {
            parse_server_final(m.as_bytes())
                .map(|_| ())
                .map_err(|(_, d)| d)
        };
        assert_eq!(sfin("v=biws,V=1,E=2"), Ok(()));
        assert_eq!(sfin("v=biws,v=biws"), Err("duplicate attribute"));
        assert_eq!(sfin("v=biws,e=x"), Err("duplicate attribute"));
        assert_eq!(sfin("e=x,v=biws"), Err("duplicate attribute"));
        // e= holds 1 to 256 bytes without NUL.
        let e256 = format!("e={}", "x".repeat(256));
        assert!(matches!(
            parse_server_final(e256.as_bytes()),
            Ok(ServerFinal::Error(v)) if v.len() == 256
        ));
        for bad in [
            format!("e={}", "x".repeat(257)),
            "e=".to_owned(),
            "e=a\0b".to_owned(),
        ] {
            assert_eq!(
                sfin(&bad),
                Err("server-final: malformed e= value"),
                "{bad:?}"
            );
        }
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
