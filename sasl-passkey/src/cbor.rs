//! A small, strict subset of CBOR (RFC 8949): what WebAuthn (COSE keys, attestation
//! objects, authenticator extensions) and the PASSKEY proof-of-concept encoding need.
//!
//! Accepted: unsigned and negative integers, byte and text strings, arrays, maps,
//! `true`, `false` and `null`, all with definite lengths and shortest-form heads
//! (RFC 8949 §4.2.1 "preferred serialization" of the argument). Refused: indefinite
//! lengths, tags, floats, `undefined` and other simple values, non-shortest heads,
//! duplicate map keys, invalid UTF-8, nesting deeper than [`MAX_DEPTH`], and lengths
//! larger than what is left of the input. Decoding allocates at most in proportion to
//! the input (no capacity is reserved from a declared length); bounding the input is
//! the caller's job.
//!
//! Map order is kept as given, both ways: the decoder does not require CTAP2's
//! canonical key order (clients differ), the encoder writes the pairs in the order of
//! the `Vec`.

use core::fmt;
use std::collections::BTreeSet;

/// How deep arrays and maps may nest (the top-level item counts as depth 1).
pub(crate) const MAX_DEPTH: usize = 16;

/// A decoded CBOR item of the supported subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Major type 0.
    Uint(u64),
    /// Major type 1, holding the (negative) value itself: `-1 - n` for the encoded
    /// argument `n`. Values below `i64::MIN` are refused by the decoder; a
    /// non-negative value here is encoded as [`Value::Uint`].
    Nint(i64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5, pairs in the order they appear.
    Map(Vec<(Value, Value)>),
    /// Simple values 20 and 21.
    Bool(bool),
    /// Simple value 22.
    Null,
}

/// Why an input is not an item of the supported subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CborError {
    /// The input ends inside an item.
    UnexpectedEnd,
    /// Bytes follow the single item [`decode`] expects.
    TrailingBytes,
    /// An indefinite-length string, array or map.
    Indefinite,
    /// A tag (major type 6).
    Tag,
    /// A float, `undefined` or a simple value other than `true`/`false`/`null`.
    UnsupportedSimple,
    /// Additional information 28 to 30 (reserved).
    Reserved,
    /// A head that is not in its shortest form.
    NonCanonical,
    /// A map with the same key twice.
    DuplicateKey,
    /// A text string that is not UTF-8.
    InvalidUtf8,
    /// Arrays or maps nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A negative integer below `i64::MIN`.
    IntegerRange,
}

impl CborError {
    /// A short static description, for error details.
    pub(crate) fn detail(self) -> &'static str {
        match self {
            CborError::UnexpectedEnd => "CBOR item truncated",
            CborError::TrailingBytes => "bytes after the CBOR item",
            CborError::Indefinite => "indefinite-length CBOR item",
            CborError::Tag => "CBOR tag",
            CborError::UnsupportedSimple => "CBOR float or unsupported simple value",
            CborError::Reserved => "reserved CBOR additional information",
            CborError::NonCanonical => "CBOR head not in shortest form",
            CborError::DuplicateKey => "duplicate CBOR map key",
            CborError::InvalidUtf8 => "CBOR text string not UTF-8",
            CborError::TooDeep => "CBOR nested too deeply",
            CborError::IntegerRange => "CBOR integer out of range",
        }
    }
}

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

impl std::error::Error for CborError {}

impl Value {
    /// An integer value, as [`Value::Uint`] or [`Value::Nint`].
    pub(crate) fn int(v: i64) -> Value {
        match u64::try_from(v) {
            Ok(u) => Value::Uint(u),
            Err(_) => Value::Nint(v),
        }
    }

    /// A text value.
    pub(crate) fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// The integer, if this is one that fits an `i64`.
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Nint(n) if *n < 0 => Some(*n),
            _ => None,
        }
    }

    /// The unsigned integer, if this is one.
    pub(crate) fn as_uint(&self) -> Option<u64> {
        match self {
            Value::Uint(u) => Some(*u),
            _ => None,
        }
    }

    /// The bytes, if this is a byte string.
    pub(crate) fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text, if this is a text string.
    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub(crate) fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The pairs, if this is a map.
    pub(crate) fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The value under the integer key `key`, if this is a map that has it.
    pub(crate) fn map_get_int(&self, key: i64) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_int() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value under the text key `key`, if this is a map that has it.
    pub(crate) fn map_get_text(&self, key: &str) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }
}

/// Decodes exactly one item; trailing bytes are an error.
pub(crate) fn decode(input: &[u8]) -> Result<Value, CborError> {
    let (value, used) = decode_prefix(input)?;
    if used != input.len() {
        return Err(CborError::TrailingBytes);
    }
    Ok(value)
}

/// Decodes one item from the start of `input` and returns it with the number of bytes
/// it took (authenticator data holds a COSE key followed by more data).
pub(crate) fn decode_prefix(input: &[u8]) -> Result<(Value, usize), CborError> {
    let mut decoder = Decoder { input, pos: 0 };
    let value = decoder.item(1)?;
    Ok((value, decoder.pos))
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        let end = self.pos.checked_add(n).ok_or(CborError::UnexpectedEnd)?;
        let bytes = self
            .input
            .get(self.pos..end)
            .ok_or(CborError::UnexpectedEnd)?;
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self.input.get(self.pos).ok_or(CborError::UnexpectedEnd)?;
        self.pos = self.pos.saturating_add(1);
        Ok(b)
    }

    /// Reads the argument for additional information `info` (0..=27), refusing
    /// non-shortest forms.
    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        let (value, min) = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => (u64::from(self.byte()?), 24),
            25 => {
                let b = self.take(2)?;
                let mut a = [0u8; 2];
                a.copy_from_slice(b);
                (u64::from(u16::from_be_bytes(a)), 0x100)
            }
            26 => {
                let b = self.take(4)?;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                (u64::from(u32::from_be_bytes(a)), 0x1_0000)
            }
            27 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                (u64::from_be_bytes(a), 0x1_0000_0000)
            }
            31 => return Err(CborError::Indefinite),
            _ => return Err(CborError::Reserved),
        };
        if value < min {
            return Err(CborError::NonCanonical);
        }
        Ok(value)
    }

    /// A length that must fit in what is left of the input, at `unit` bytes at least
    /// per element.
    fn length(&mut self, info: u8, unit: usize) -> Result<usize, CborError> {
        let n = self.argument(info)?;
        let n = usize::try_from(n).map_err(|_| CborError::UnexpectedEnd)?;
        if n.saturating_mul(unit) > self.remaining() {
            return Err(CborError::UnexpectedEnd);
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        match major {
            0 => Ok(Value::Uint(self.argument(info)?)),
            1 => {
                let n = self.argument(info)?;
                let n = i64::try_from(n).map_err(|_| CborError::IntegerRange)?;
                // -1 - n, with n <= i64::MAX, is at least i64::MIN.
                Ok(Value::Nint(-1 - n))
            }
            2 => {
                let len = self.length(info, 1)?;
                Ok(Value::Bytes(self.take(len)?.to_vec()))
            }
            3 => {
                let len = self.length(info, 1)?;
                let bytes = self.take(len)?;
                let text = core::str::from_utf8(bytes).map_err(|_| CborError::InvalidUtf8)?;
                Ok(Value::Text(text.to_owned()))
            }
            4 => {
                if depth > MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let len = self.length(info, 1)?;
                let mut items = Vec::new();
                for _ in 0..len {
                    items.push(self.item(depth.saturating_add(1))?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                if depth > MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let len = self.length(info, 2)?;
                let mut pairs = Vec::new();
                // Keys are in shortest form, so equal keys have equal encodings.
                let mut seen: BTreeSet<&'a [u8]> = BTreeSet::new();
                for _ in 0..len {
                    let start = self.pos;
                    let key = self.item(depth.saturating_add(1))?;
                    let key_bytes = self.input.get(start..self.pos).unwrap_or_default();
                    if !seen.insert(key_bytes) {
                        return Err(CborError::DuplicateKey);
                    }
                    let value = self.item(depth.saturating_add(1))?;
                    pairs.push((key, value));
                }
                Ok(Value::Map(pairs))
            }
            6 => Err(CborError::Tag),
            _ => match info {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                28..=30 => Err(CborError::Reserved),
                31 => Err(CborError::Indefinite),
                _ => Err(CborError::UnsupportedSimple),
            },
        }
    }
}

/// Encodes `value` with definite lengths and shortest-form heads, map pairs in the
/// order given.
pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Appends the encoding of `value` to `out`.
pub(crate) fn encode_into(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Uint(u) => head(0, *u, out),
        Value::Nint(n) => match u64::try_from(*n) {
            Ok(u) => head(0, u, out),
            // For negative n, -1 - n is !n, which is non-negative.
            Err(_) => head(1, u64::try_from(!*n).unwrap_or_default(), out),
        },
        Value::Bytes(b) => {
            head(2, len64(b.len()), out);
            out.extend_from_slice(b);
        }
        Value::Text(t) => {
            head(3, len64(t.len()), out);
            out.extend_from_slice(t.as_bytes());
        }
        Value::Array(items) => {
            head(4, len64(items.len()), out);
            for item in items {
                encode_into(item, out);
            }
        }
        Value::Map(pairs) => {
            head(5, len64(pairs.len()), out);
            for (k, v) in pairs {
                encode_into(k, out);
                encode_into(v, out);
            }
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
    }
}

fn len64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

fn head(major: u8, arg: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    if let Ok(small) = u8::try_from(arg) {
        if small < 24 {
            out.push(m | small);
        } else {
            out.push(m | 24);
            out.push(small);
        }
    } else if let Ok(v) = u16::try_from(arg) {
        out.push(m | 25);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(arg) {
        out.push(m | 26);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes from hex digits (the crate's unit tests share it).
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn t(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    /// RFC 8949 Appendix A examples inside the subset: decode, and encode back to the
    /// same bytes.
    #[test]
    fn rfc8949_appendix_a() {
        let cases: Vec<(&str, Value)> = vec![
            ("00", Value::Uint(0)),
            ("01", Value::Uint(1)),
            ("0a", Value::Uint(10)),
            ("17", Value::Uint(23)),
            ("1818", Value::Uint(24)),
            ("1819", Value::Uint(25)),
            ("1864", Value::Uint(100)),
            ("1903e8", Value::Uint(1000)),
            ("1a000f4240", Value::Uint(1_000_000)),
            ("1b000000e8d4a51000", Value::Uint(1_000_000_000_000)),
            ("1bffffffffffffffff", Value::Uint(u64::MAX)),
            ("20", Value::Nint(-1)),
            ("29", Value::Nint(-10)),
            ("3863", Value::Nint(-100)),
            ("3903e7", Value::Nint(-1000)),
            ("f4", Value::Bool(false)),
            ("f5", Value::Bool(true)),
            ("f6", Value::Null),
            ("40", Value::Bytes(vec![])),
            ("4401020304", Value::Bytes(vec![1, 2, 3, 4])),
            ("60", t("")),
            ("6161", t("a")),
            ("6449455446", t("IETF")),
            ("62225c", t("\"\\")),
            ("62c3bc", t("\u{fc}")),
            ("63e6b0b4", t("\u{6c34}")),
            ("64f0908591", t("\u{10151}")),
            ("80", Value::Array(vec![])),
            (
                "83010203",
                Value::Array(vec![Value::Uint(1), Value::Uint(2), Value::Uint(3)]),
            ),
            (
                "8301820203820405",
                Value::Array(vec![
                    Value::Uint(1),
                    Value::Array(vec![Value::Uint(2), Value::Uint(3)]),
                    Value::Array(vec![Value::Uint(4), Value::Uint(5)]),
                ]),
            ),
            (
                "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
                Value::Array((1..=25).map(Value::Uint).collect()),
            ),
            ("a0", Value::Map(vec![])),
            (
                "a201020304",
                Value::Map(vec![
                    (Value::Uint(1), Value::Uint(2)),
                    (Value::Uint(3), Value::Uint(4)),
                ]),
            ),
            (
                "a26161016162820203",
                Value::Map(vec![
                    (t("a"), Value::Uint(1)),
                    (t("b"), Value::Array(vec![Value::Uint(2), Value::Uint(3)])),
                ]),
            ),
            (
                "826161a161626163",
                Value::Array(vec![t("a"), Value::Map(vec![(t("b"), t("c"))])]),
            ),
            (
                "a56161614161626142616361436164614461656145",
                Value::Map(vec![
                    (t("a"), t("A")),
                    (t("b"), t("B")),
                    (t("c"), t("C")),
                    (t("d"), t("D")),
                    (t("e"), t("E")),
                ]),
            ),
        ];
        for (h, v) in cases {
            let bytes = hex(h);
            assert_eq!(decode(&bytes), Ok(v.clone()), "{h}");
            assert_eq!(encode(&v), bytes, "{h}");
        }
    }

    /// RFC 8949 Appendix A examples outside the subset, and other refusals.
    #[test]
    fn refusals() {
        let cases: &[(&str, CborError)] = &[
            // -18446744073709551616 does not fit an i64.
            ("3bffffffffffffffff", CborError::IntegerRange),
            // bignum tags
            ("c249010000000000000000", CborError::Tag),
            (
                "c074323031332d30332d32315432303a30343a30305a",
                CborError::Tag,
            ),
            // floats
            ("f90000", CborError::UnsupportedSimple),
            ("fb3ff199999999999a", CborError::UnsupportedSimple),
            ("fa47c35000", CborError::UnsupportedSimple),
            // undefined, simple(16), simple(255)
            ("f7", CborError::UnsupportedSimple),
            ("f0", CborError::UnsupportedSimple),
            ("f8ff", CborError::UnsupportedSimple),
            // indefinite lengths
            ("5f42010243030405ff", CborError::Indefinite),
            ("7f657374726561646d696e67ff", CborError::Indefinite),
            ("9fff", CborError::Indefinite),
            ("bf61610161629f0203ffff", CborError::Indefinite),
            ("ff", CborError::Indefinite),
            // reserved additional information
            ("1c", CborError::Reserved),
            ("5d", CborError::Reserved),
            // non-shortest heads
            ("1817", CborError::NonCanonical),
            ("190017", CborError::NonCanonical),
            ("1900ff", CborError::NonCanonical),
            ("1a0000ffff", CborError::NonCanonical),
            ("1b00000000ffffffff", CborError::NonCanonical),
            ("5801ff", CborError::NonCanonical),
            ("3817", CborError::NonCanonical),
            // duplicate keys
            ("a201020103", CborError::DuplicateKey),
            ("a2616101616102", CborError::DuplicateKey),
            // bad UTF-8
            ("62c328", CborError::InvalidUtf8),
            ("61ff", CborError::InvalidUtf8),
            // truncation and lengths beyond the input
            ("", CborError::UnexpectedEnd),
            ("18", CborError::UnexpectedEnd),
            ("4501020304", CborError::UnexpectedEnd),
            ("5bffffffffffffffff", CborError::UnexpectedEnd),
            ("9bffffffffffffffff", CborError::UnexpectedEnd),
            ("bbffffffffffffffff", CborError::UnexpectedEnd),
            ("a10102a1", CborError::TrailingBytes),
            ("a101", CborError::UnexpectedEnd),
            ("0000", CborError::TrailingBytes),
        ];
        for (h, e) in cases {
            assert_eq!(decode(&hex(h)), Err(*e), "{h}");
        }
    }

    #[test]
    fn depth_limit() {
        let mut ok = vec![0x81u8; MAX_DEPTH - 1];
        ok.push(0x80);
        assert!(decode(&ok).is_ok());
        let mut deep = vec![0x81u8; MAX_DEPTH];
        deep.push(0x80);
        assert_eq!(decode(&deep), Err(CborError::TooDeep));
        let mut maps = Vec::new();
        for _ in 0..MAX_DEPTH {
            maps.extend_from_slice(&[0xa1, 0x00]);
        }
        maps.push(0xa0);
        assert_eq!(decode(&maps), Err(CborError::TooDeep));
    }

    #[test]
    fn prefix_and_helpers() {
        let bytes = hex("a3012603390100616b4101ff");
        let (v, used) = decode_prefix(&bytes).unwrap();
        assert_eq!(used, bytes.len() - 1);
        assert_eq!(v.map_get_int(1).and_then(Value::as_int), Some(-7));
        assert_eq!(v.map_get_int(3).and_then(Value::as_int), Some(-257));
        assert_eq!(
            v.map_get_text("k").and_then(Value::as_bytes),
            Some(&[1u8][..])
        );
        assert!(v.map_get_int(2).is_none());
        assert_eq!(Value::int(-7), Value::Nint(-7));
        assert_eq!(Value::int(7), Value::Uint(7));
        assert_eq!(encode(&Value::Nint(i64::MIN)), hex("3b7fffffffffffffff"));
        assert_eq!(encode(&Value::Nint(5)), hex("05"));
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<u64>().prop_map(Value::Uint),
            (i64::MIN..0).prop_map(Value::Nint),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
            ".{0,20}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::btree_map(any::<i32>(), inner, 0..8).prop_map(|m| {
                    Value::Map(
                        m.into_iter()
                            .map(|(k, v)| (Value::int(k.into()), v))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn round_trip(v in arb_value()) {
            let bytes = encode(&v);
            prop_assert_eq!(decode(&bytes), Ok(v.clone()));
            let (w, used) = decode_prefix(&bytes).unwrap();
            prop_assert_eq!(w, v);
            prop_assert_eq!(used, bytes.len());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(v) = decode(&bytes) {
                // Whatever is accepted is canonical: it re-encodes to the same bytes.
                prop_assert_eq!(encode(&v), bytes.clone());
            }
            let _ = decode_prefix(&bytes);
        }
    }
}
