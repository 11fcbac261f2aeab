//! The GS2 header (RFC 5801 §4) that SCRAM and OAUTHBEARER messages start with, and
//! the `saslname` escaping it uses for the authorization identity.
//!
//! ```text
//! gs2-header = gs2-cb-flag "," [ gs2-authzid ] ","
//! gs2-cb-flag = ("p=" cb-name) / "n" / "y"
//! gs2-authzid = "a=" saslname        ; "," as "=2C", "=" as "=3D"
//! ```
//!
//! ```
//! use sasl_core::gs2::{Gs2Flag, Gs2Header};
//! let (header, rest) = Gs2Header::parse(b"n,a=us=2Cer,\x01auth=...")?;
//! assert_eq!(header.flag(), Gs2Flag::No);
//! assert_eq!(header.authzid(), Some("us,er"));
//! assert_eq!(header.len(), 12);
//! assert_eq!(rest, b"\x01auth=...");
//! # Ok::<(), &'static str>(())
//! ```

use std::borrow::Cow;

/// The longest authzid (or SCRAM user name) accepted, in bytes before unescaping.
pub const MAX_SASLNAME_LEN: usize = 1024;

/// The longest channel-binding type name accepted in `p=`.
pub const MAX_CB_NAME_LEN: usize = 64;

/// The channel-binding flag of a GS2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gs2Flag<'a> {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports it but thinks the server does not.
    Yes,
    /// `p=<cb-name>`: the client binds to this channel-binding type.
    Binding(&'a str),
}

/// A parsed GS2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gs2Header<'a> {
    flag: Gs2Flag<'a>,
    authzid: Option<Cow<'a, str>>,
    len: usize,
}

impl<'a> Gs2Header<'a> {
    /// Parses the GS2 header at the start of `msg` and returns it with the bytes after
    /// its second comma. Errors are short details for logs ("GS2 header is missing a
    /// comma", "invalid authzid", ...). The non-standard flag `F` (RFC 5801 §4, for
    /// GSS-API mechanisms only) is refused.
    pub fn parse(msg: &'a [u8]) -> Result<(Self, &'a [u8]), &'static str> {
        let mut parts = msg.splitn(3, |b| *b == b',');
        let flag_field = parts.next().unwrap_or_default();
        let (Some(authz_field), Some(rest)) = (parts.next(), parts.next()) else {
            return Err("GS2 header is missing a comma");
        };
        let flag = match flag_field {
            b"n" => Gs2Flag::No,
            b"y" => Gs2Flag::Yes,
            [b'p', b'=', name @ ..] => {
                if !is_cb_name(name) {
                    return Err("invalid channel-binding type name");
                }
                Gs2Flag::Binding(
                    core::str::from_utf8(name).map_err(|_| "invalid channel-binding type name")?,
                )
            }
            b"F" => return Err("GS2 non-standard flag F is not valid here"),
            _ => return Err("GS2 header must start with n, y or p="),
        };
        let authzid = if authz_field.is_empty() {
            None
        } else if let Some(raw) = authz_field.strip_prefix(b"a=") {
            Some(decode_saslname(raw).map_err(|_| "invalid authzid")?)
        } else {
            return Err("GS2 header: expected a= or an empty authzid");
        };
        let len = flag_field.len() + authz_field.len() + 2;
        Ok((Self { flag, authzid, len }, rest))
    }

    /// The channel-binding flag.
    pub fn flag(&self) -> Gs2Flag<'a> {
        self.flag
    }

    /// The authorization identity, unescaped, if the header carries one.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// Takes the authorization identity out.
    pub fn into_authzid(self) -> Option<Cow<'a, str>> {
        self.authzid
    }

    /// The header's length in bytes, both commas included.
    #[allow(clippy::len_without_is_empty)] // a header is never empty
    pub fn len(&self) -> usize {
        self.len
    }
}

/// Appends a GS2 header (`n,` / `y,` / `p=<name>,` then `a=<escaped authzid>,` or `,`).
pub fn write_gs2_header(flag: Gs2Flag<'_>, authzid: Option<&str>, out: &mut String) {
    match flag {
        Gs2Flag::No => out.push('n'),
        Gs2Flag::Yes => out.push('y'),
        Gs2Flag::Binding(name) => {
            out.push_str("p=");
            out.push_str(name);
        }
    }
    out.push(',');
    if let Some(z) = authzid {
        out.push_str("a=");
        escape_saslname(z, out);
    }
    out.push(',');
}

/// Whether a client can send `name` as a `saslname` that [`decode_saslname`] accepts:
/// not empty, no NUL, and at most [`MAX_SASLNAME_LEN`] bytes once `,` and `=` are
/// escaped (three bytes each). Clients check an authzid (and SCRAM the prepared user
/// name) with it, so that they never send what a server built on this crate refuses.
///
/// ```
/// use sasl_core::gs2::is_sendable_saslname;
/// assert!(is_sendable_saslname("admin,ops"));
/// assert!(!is_sendable_saslname(""));
/// assert!(!is_sendable_saslname("a\0b"));
/// assert!(is_sendable_saslname(&",".repeat(341)[1..])); // 340 commas: 1020 bytes
/// assert!(!is_sendable_saslname(&",".repeat(342)));     // 1026 bytes
/// ```
pub fn is_sendable_saslname(name: &str) -> bool {
    let escapes = name.bytes().filter(|&b| b == b',' || b == b'=').count();
    !name.is_empty()
        && !name.contains('\0')
        && name.len().saturating_add(2 * escapes) <= MAX_SASLNAME_LEN
}

/// Decodes a `saslname` (`=2C` → `,`, `=3D` → `=`); any other `=`, an empty name, a
/// NUL, invalid UTF-8 or more than [`MAX_SASLNAME_LEN`] bytes is an error.
pub fn decode_saslname(raw: &[u8]) -> Result<Cow<'_, str>, &'static str> {
    if raw.is_empty() {
        return Err("empty name");
    }
    if raw.len() > MAX_SASLNAME_LEN {
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
pub fn escape_saslname(name: &str, out: &mut String) {
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
}

/// Whether `name` is a valid `cb-name` (RFC 5056: letters, digits, `.` and `-`).
pub fn is_cb_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= MAX_CB_NAME_LEN
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslname_escapes() {
        assert_eq!(decode_saslname(b"us=2Cer=3Dx").as_deref(), Ok("us,er=x"));
        assert!(decode_saslname(b"a=2c").is_err());
        assert!(decode_saslname(b"a=").is_err());
        assert!(decode_saslname(b"").is_err());
        assert!(decode_saslname(b"a\0b").is_err());
        let mut s = String::new();
        escape_saslname("us,er=x", &mut s);
        assert_eq!(s, "us=2Cer=3Dx");
    }

    #[test]
    fn headers() {
        let (h, rest) = Gs2Header::parse(b"p=tls-exporter,,r=x").expect("valid");
        assert_eq!(h.flag(), Gs2Flag::Binding("tls-exporter"));
        assert_eq!((h.authzid(), h.len(), rest), (None, 16, &b"r=x"[..]));
        assert_eq!(
            Gs2Header::parse(b"n,a=bob"),
            Err("GS2 header is missing a comma")
        );
        assert!(Gs2Header::parse(b"F,,").is_err());
        assert!(Gs2Header::parse(b"p=,,").is_err());
        assert!(Gs2Header::parse(b"p=a_b,,").is_err());
        assert!(Gs2Header::parse(b"n,b=x,").is_err());
        assert!(Gs2Header::parse(b"n,a=,").is_err());
        let mut out = String::new();
        write_gs2_header(Gs2Flag::Yes, Some("a,b"), &mut out);
        assert_eq!(out, "y,a=a=2Cb,");
    }

    #[test]
    fn each_flag_and_the_authzid() {
        for (msg, flag) in [(&b"n,,x"[..], Gs2Flag::No), (b"y,,x", Gs2Flag::Yes)] {
            let (h, rest) = Gs2Header::parse(msg).expect("valid");
            assert_eq!(
                (h.flag(), h.authzid(), h.len(), rest),
                (flag, None, 3, &b"x"[..])
            );
        }
        assert_eq!(
            Gs2Header::parse(b"F,,"),
            Err("GS2 non-standard flag F is not valid here")
        );
        assert_eq!(
            Gs2Header::parse(b"q,,"),
            Err("GS2 header must start with n, y or p=")
        );
        // The length counts the flag, the authzid field and both commas.
        let (h, rest) = Gs2Header::parse(b"p=tls-unique,a=b=2Cob,r=x").expect("valid");
        assert_eq!((h.len(), rest), (22, &b"r=x"[..]));
        assert_eq!(h.authzid(), Some("b,ob"));
        assert_eq!(h.into_authzid(), Some(Cow::Owned("b,ob".to_owned())));
        let (h, _) = Gs2Header::parse(b"n,a=bob,").expect("valid");
        assert_eq!(h.len(), 8);
        assert!(matches!(h.into_authzid(), Some(Cow::Borrowed("bob"))));
        let (h, _) = Gs2Header::parse(b"n,,").expect("valid");
        assert_eq!(h.into_authzid(), None);
    }

    #[test]
    fn saslname_length_limits() {
        let exact = "a".repeat(MAX_SASLNAME_LEN);
        assert_eq!(
            decode_saslname(exact.as_bytes()).as_deref(),
            Ok(exact.as_str())
        );
        let over = "a".repeat(MAX_SASLNAME_LEN + 1);
        assert_eq!(decode_saslname(over.as_bytes()), Err("name too long"));

        // What a client may send: the escaped length (`,` and `=` take three bytes).
        assert!(is_sendable_saslname("admin"));
        assert!(is_sendable_saslname(&exact));
        assert!(!is_sendable_saslname(&over));
        assert!(!is_sendable_saslname(""));
        assert!(!is_sendable_saslname("a\0b"));
        for escaped in [',', '='] {
            // 340 escapes and 4 plain bytes: 1020 + 4 = 1024 bytes on the wire.
            let fits = format!("{}abcd", escaped.to_string().repeat(340));
            assert!(is_sendable_saslname(&fits), "{escaped}");
            let mut wire = String::new();
            escape_saslname(&fits, &mut wire);
            assert_eq!(wire.len(), MAX_SASLNAME_LEN);
            assert!(decode_saslname(wire.as_bytes()).is_ok());
            let one_more = format!("{fits}{escaped}");
            assert!(!is_sendable_saslname(&one_more), "{escaped}");
        }
        // Other bytes count once.
        assert!(is_sendable_saslname(&format!(
            "{}x",
            "-".repeat(MAX_SASLNAME_LEN - 1)
        )));
    }
}
