//! Encoding helpers shared by the request builders and the response parsers: form
//! bodies, strict form decoding, typed JSON members, character classes and the
//! sanitising of provider text that may end up in an error message.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::discovery::json_object;

/// The longest `error_description` kept from a provider, in characters.
const MAX_DESCRIPTION_CHARS: usize = 200;

/// Appends `s` in `application/x-www-form-urlencoded` form (RFC 6749 Appendix B,
/// WHATWG URL §5.2): ALPHA, DIGIT and `*-._` as they are, space as `+`, every other
/// byte as `%XX`.
pub(super) fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                // Writing to a String cannot fail.
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// The most bytes `pairs` can take form-encoded: every byte as `%XX`, plus `=` and `&`.
fn encoded_capacity<'a>(parts: impl Iterator<Item = &'a str>) -> usize {
    parts
        .map(|p| p.len().saturating_mul(3).saturating_add(1))
        .sum()
}

/// A form body from name/value pairs, built in a buffer sized for the worst case up
/// front, so that no reallocation leaves a copy of a secret behind in freed memory.
pub(super) fn form(pairs: &[(&str, &str)]) -> Zeroizing<String> {
    let capacity = encoded_capacity(pairs.iter().flat_map(|(n, v)| [*n, *v]));
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

/// `id:secret` with both form-encoded (RFC 6749 §2.3.1), in a zeroized buffer.
pub(super) fn basic_credentials(id: &str, secret: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(encoded_capacity(
        [id, secret].into_iter(),
    )));
    encode_into(&mut out, id);
    out.push(':');
    encode_into(&mut out, secret);
    out
}

/// Decodes one `application/x-www-form-urlencoded` name or value strictly: `+` is a
/// space, `%` must be followed by two hexadecimal digits, and the result must be
/// UTF-8. `None` otherwise.
pub(super) fn decode(s: &str) -> Option<Zeroizing<String>> {
    // Decoding never grows the text, so this buffer is never reallocated.
    let mut bytes = Zeroizing::new(Vec::with_capacity(s.len()));
    let mut input = s.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = input.next().and_then(hex_value)?;
                let lo = input.next().and_then(hex_value)?;
                bytes.push(hi << 4 | lo);
            }
            _ => bytes.push(b),
        }
    }
    let bytes = std::mem::take(&mut *bytes);
    match String::from_utf8(bytes) {
        Ok(text) => Some(Zeroizing::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            None
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 6749 Appendix A VSCHAR (`%x20-7E`), at least one.
pub(super) fn is_vschar(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

/// RFC 6749 Appendix A NQSCHAR (`%x20-21 / %x23-5B / %x5D-7E`), at least one: the
/// characters of an `error` code.
pub(super) fn is_nqschar(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| (0x20..=0x7E).contains(&b) && b != b'"' && b != b'\\')
}

/// RFC 6749 §3.3 scope-token (`%x21 / %x23-5B / %x5D-7E`), at least one.
pub(super) fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| (0x21..=0x7E).contains(&b) && b != b'"' && b != b'\\')
}

/// Provider or peer text made fit for an error message: control characters become
/// spaces, other characters outside printable ASCII become `?`, and the result is cut
/// at `max` characters.
pub(super) fn sanitise(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_add(3)));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push_str("...");
            break;
        }
        out.push(match c {
            ' '..='~' => c,
            c if c.is_control() => ' ',
            _ => '?',
        });
    }
    out
}

/// An `error_description` as kept: sanitised and short.
pub(super) fn description(s: &str) -> Option<String> {
    let text = sanitise(s.trim(), MAX_DESCRIPTION_CHARS);
    (!text.is_empty()).then_some(text)
}

/// A parsed JSON response object whose members are taken out with their types
/// checked. JSON `null` counts as absent for every member, as some providers send it
/// for what they leave out. Whatever strings remain when it is dropped (members not
/// taken, such as an unused `id_token`) are zeroized.
pub(super) struct Members(Map<String, Value>);

impl Drop for Members {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            zeroize_value(value);
        }
    }
}

fn zeroize_value(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(zeroize_value),
        Value::Object(map) => map.values_mut().for_each(zeroize_value),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

impl Members {
    /// Parses `body` (at most [`MAX_DOCUMENT_SIZE`](crate::discovery::MAX_DOCUMENT_SIZE)
    /// bytes, UTF-8, one JSON object, no member twice). The message never quotes the
    /// body.
    pub(super) fn parse(body: &[u8]) -> Result<Self, String> {
        json_object(body).map(Members).map_err(|e| e.to_string())
    }

    pub(super) fn contains(&self, field: &str) -> bool {
        self.0.get(field).is_some_and(|v| !v.is_null())
    }

    fn take(&mut self, field: &str) -> Option<Value> {
        self.0.remove(field).filter(|v| !v.is_null())
    }

    /// A string member.
    pub(super) fn string(&mut self, field: &str) -> Result<Option<String>, String> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(mut other) => {
                zeroize_value(&mut other);
                Err(format!("{field} is not a string"))
            }
        }
    }

    /// A string member that is a secret, moved (not copied) into a zeroized buffer.
    pub(super) fn secret(&mut self, field: &str) -> Result<Option<Zeroizing<String>>, String> {
        Ok(self.string(field)?.map(Zeroizing::new))
    }

    /// A required secret of RFC 6749 VSCHAR characters (access token, refresh token,
    /// device code, ...).
    pub(super) fn required_secret(&mut self, field: &str) -> Result<Zeroizing<String>, String> {
        let value = self.secret(field)?.ok_or_else(|| format!("no {field}"))?;
        check_vschar(field, &value)?;
        Ok(value)
    }

    /// An optional secret of VSCHAR characters.
    pub(super) fn optional_secret(
        &mut self,
        field: &str,
    ) -> Result<Option<Zeroizing<String>>, String> {
        let value = self.secret(field)?;
        if let Some(value) = &value {
            check_vschar(field, value)?;
        }
        Ok(value)
    }

    /// A non-negative whole number of seconds: a JSON integer, or a string of ASCII
    /// digits (some providers send `"3600"`).
    pub(super) fn seconds(&mut self, field: &str) -> Result<Option<u64>, String> {
        let invalid = || format!("{field} is not a non-negative whole number");
        match self.take(field) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(invalid),
            Some(Value::String(s))
                if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse::<u64>().map(Some).map_err(|_| invalid())
            }
            Some(_) => Err(invalid()),
        }
    }

    /// An array of strings.
    pub(super) fn strings(&mut self, field: &str) -> Result<Option<Vec<String>>, String> {
        let invalid = || format!("{field} is not an array of strings");
        match self.take(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s),
                    _ => Err(invalid()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(invalid()),
        }
    }
}

fn check_vschar(field: &str, value: &str) -> Result<(), String> {
    if is_vschar(value) {
        Ok(())
    } else {
        Err(format!(
            "{field} is empty or has characters outside RFC 6749 VSCHAR"
        ))
    }
}
