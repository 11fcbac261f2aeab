//! A strict pull reader for the two JSON documents on the server's path of every
//! login: the `AuthenticationResponseJSON` message and `clientDataJSON` inside it.
//!
//! The caller names the members it reads and the reader checks everything else:
//! the text is UTF-8 and RFC 8259 JSON (strings with their escapes and surrogate
//! pairs, numbers, literals, nesting at most [`MAX_DEPTH`] deep), the document is one
//! object, and only whitespace follows it. Strings without escapes are borrowed from
//! the text. Cold paths (request options on the client, the key file) keep serde's
//! derives through [`json_object`](crate::json_object); this reader exists because on
//! the hot path serde_json's generic machinery was a third of the mechanism's own
//! work beside an Ed25519 verification (decision 0016). Its answers are checked
//! against serde_json's on generated documents (`tests` below, the `webauthn` fuzz
//! target).

use crate::base64url;
use std::borrow::Cow;

/// How deeply arrays and objects may nest (serde_json refuses the same depth).
pub(crate) const MAX_DEPTH: usize = 127;

/// Not JSON of the expected shape (the callers give the reason a caller can act on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonError;

/// A cursor over UTF-8 text holding one JSON document.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

/// Stores `value` in a member's slot, refusing a member given twice (as serde's
/// derives do for the members they read; unknown members may repeat).
pub(crate) fn once<T>(slot: &mut Option<T>, value: T) -> Result<(), JsonError> {
    if slot.is_some() {
        return Err(JsonError);
    }
    *slot = Some(value);
    Ok(())
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, which must be UTF-8.
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, JsonError> {
        core::str::from_utf8(bytes)
            .map(Self::over)
            .map_err(|_| JsonError)
    }

    /// A reader over text already known to be UTF-8.
    pub(crate) fn over(text: &'a str) -> Self {
        Reader {
            text,
            pos: 0,
            depth: 0,
        }
    }

    /// Reads the whole text as one object, calling `member` with each member's
    /// (unescaped) name; `member` must read or skip the value. Only whitespace may
    /// follow the object.
    pub(crate) fn document(
        mut self,
        member: impl FnMut(&str, &mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.object(member)?;
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(JsonError)
        }
    }

    /// Reads an object (the next value must be one), as [`Reader::document`] does.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&str, &mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.sequence(b'{', b'}', |r| {
            r.expect(b'"')?;
            let name = r.string_body()?;
            r.expect(b':')?;
            member(&name, r)
        })
    }

    /// `open`, then nothing or items separated by commas, then `close`: an object's
    /// members or an array's values, one level deeper.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.expect(open)?;
        self.enter()?;
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                item(self)?;
                self.skip_whitespace();
                match self.bump() {
                    Some(b',') => {}
                    Some(c) if c == close => break,
                    _ => return Err(JsonError),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads a string value.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.expect(b'"')?;
        self.string_body()
    }

    /// Reads a string value or `null` (`None`), what serde reads into an `Option`.
    pub(crate) fn string_or_null(&mut self) -> Result<Option<Cow<'a, str>>, JsonError> {
        self.or_null(Self::string)
    }

    /// `null` (`None`), or the value `read` reads.
    fn or_null<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, JsonError>,
    ) -> Result<Option<T>, JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(b'n') {
            self.literal(b"null").map(|()| None)
        } else {
            read(self).map(Some)
        }
    }

    /// Reads a string value holding unpadded base64url and decodes it: `Ok(None)` if
    /// the string is good JSON but not canonical base64url. The usual string, without
    /// escapes, is decoded as it is read, with no scan for its end first.
    pub(crate) fn base64url(&mut self) -> Result<Option<Vec<u8>>, JsonError> {
        self.base64url_with_text().map(|(decoded, _)| decoded)
    }

    /// [`Reader::base64url`], also giving the string's text (unescaped).
    pub(crate) fn base64url_with_text(
        &mut self,
    ) -> Result<(Option<Vec<u8>>, Cow<'a, str>), JsonError> {
        self.expect(b'"')?;
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..).unwrap_or_default();
        let (decoded, run) = base64url::decode_run(rest);
        if rest.get(run) == Some(&b'"') {
            // A run holds only ASCII, so its end is a character boundary.
            let text = self.text.get(start..start + run).ok_or(JsonError)?;
            self.pos += run + 1;
            return Ok((decoded, Cow::Borrowed(text)));
        }
        let text = self.string_body()?;
        Ok((base64url::decode(text.as_bytes()), text))
    }

    /// [`Reader::base64url`], or `null` (`None`).
    pub(crate) fn base64url_or_null(&mut self) -> Result<Option<Option<Vec<u8>>>, JsonError> {
        self.or_null(Self::base64url)
    }

    /// Reads `true`, `false` or `null` (`None`).
    pub(crate) fn bool_or_null(&mut self) -> Result<Option<bool>, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| Some(true)),
            Some(b'f') => self.literal(b"false").map(|()| Some(false)),
            _ => self.literal(b"null").map(|()| None),
        }
    }

    /// Checks and passes over any value.
    pub(crate) fn skip(&mut self) -> Result<(), JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.skip_string_body()
            }
            Some(b'{') => self.object(|_, r| r.skip()),
            Some(b'[') => self.sequence(b'[', b']', |r| r.skip()),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            _ => Err(JsonError),
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn skip_number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.bump() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(JsonError),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    /// One or more digits.
    fn digits(&mut self) -> Result<(), JsonError> {
        match self.bump() {
            Some(b'0'..=b'9') => {
                self.skip_digits();
                Ok(())
            }
            _ => Err(JsonError),
        }
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        let end = self.pos.saturating_add(word.len());
        if self.text.as_bytes().get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(JsonError)
        }
    }

    /// The rest of a string after its opening quote, unescaped.
    fn string_body(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut stop = special(bytes, start);
        // The common case: no escape, borrowed. A stop is an ASCII byte, so the
        // slice ends on a character boundary.
        if bytes.get(stop) == Some(&b'"') {
            self.pos = stop + 1;
            return self
                .text
                .get(start..stop)
                .map(Cow::Borrowed)
                .ok_or(JsonError);
        }
        let mut out = String::new();
        let mut from = start;
        loop {
            out.push_str(self.text.get(from..stop).ok_or(JsonError)?);
            match bytes.get(stop) {
                Some(b'"') => {
                    self.pos = stop + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let (c, next) = unescape(bytes, stop + 1)?;
                    out.push(c);
                    from = next;
                }
                // A control character or the end of the text.
                _ => return Err(JsonError),
            }
            stop = special(bytes, from);
        }
    }

    /// As [`Reader::string_body`] without keeping the string. Like serde_json, a
    /// skipped string's `\u` escapes need only be four hex digits (an unpaired
    /// surrogate in a member nobody reads is not refused).
    fn skip_string_body(&mut self) -> Result<(), JsonError> {
        let bytes = self.text.as_bytes();
        let mut at = self.pos;
        loop {
            let stop = special(bytes, at);
            match bytes.get(stop) {
                Some(b'"') => {
                    self.pos = stop + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    at = match bytes.get(stop + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => stop + 2,
                        Some(b'u') => hex4(bytes, stop + 2).map(|_| stop + 6)?,
                        _ => return Err(JsonError),
                    };
                }
                _ => return Err(JsonError),
            }
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(JsonError);
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Passes over whitespace and `byte`.
    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError)
        }
    }
}

/// The index of the first `"`, `\` or control character at or after `from`, or the
/// text's length: eight bytes at a time (base64url members are most of the text).
fn special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    let mut i = from;
    let mut words = bytes.get(from..).unwrap_or_default().chunks_exact(8);
    for chunk in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // The lowest flagged byte is exact: a false flag can only sit above a true one.
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    for &b in words.remainder() {
        if stop(b) {
            return i;
        }
        i += 1;
    }
    i
}

/// The escape starting at `at` (just after the backslash): the character and where
/// the text goes on. `\u` escapes of UTF-16 surrogates must come in pairs.
fn unescape(bytes: &[u8], at: usize) -> Result<(char, usize), JsonError> {
    let c = match bytes.get(at) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let high = hex4(bytes, at + 1)?;
            let (code, next) = match high {
                0xd800..=0xdbff => {
                    if bytes.get(at + 5..at + 7) != Some(b"\\u") {
                        return Err(JsonError);
                    }
                    let low = hex4(bytes, at + 7)?;
                    if !(0xdc00..=0xdfff).contains(&low) {
                        return Err(JsonError);
                    }
                    (0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00), at + 11)
                }
                0xdc00..=0xdfff => return Err(JsonError),
                _ => (high, at + 5),
            };
            return char::from_u32(code).map(|c| (c, next)).ok_or(JsonError);
        }
        _ => return Err(JsonError),
    };
    Ok((c, at + 1))
}

/// Four hex digits at `at`.
fn hex4(bytes: &[u8], at: usize) -> Result<u32, JsonError> {
    let digits = bytes.get(at..at + 4).ok_or(JsonError)?;
    digits.iter().try_fold(0u32, |n, &d| {
        let v = char::from(d).to_digit(16).ok_or(JsonError)?;
        Ok(n << 4 | v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Members in order: each name, and for an `s` member its string or `null`.
    type Members = Vec<(String, Option<Option<String>>)>;

    /// Reads a document of string-or-null members (any other value skipped) into
    /// (name, value) pairs, in order.
    fn members(text: &str) -> Result<Members, JsonError> {
        let mut out = Vec::new();
        Reader::over(text).document(|name, r| {
            let value = if name.starts_with('s') {
                Some(r.string_or_null()?.map(Cow::into_owned))
            } else {
                r.skip()?;
                None
            };
            out.push((name.to_owned(), value));
            Ok(())
        })?;
        Ok(out)
    }

    /// serde_json's reading of the same: `Value` for the whole (which also checks
    /// every skipped value), string-or-null for the `s` members.
    fn serde_members(text: &str) -> Option<Members> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let map = value.as_object()?;
        map.iter()
            .map(|(k, v)| {
                let read = if k.starts_with('s') {
                    Some(match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s.clone()),
                        _ => return None,
                    })
                } else {
                    None
                };
                Some((k.clone(), read))
            })
            .collect()
    }

    #[test]
    fn reads_and_checks_json() {
        let got = members(" {\"s1\" : \"a\\\"b\\u00e9\\ud83d\\ude00\", \"x\":[1,-0.5e+3,{\"y\":null},true,false,[]],\"s2\":null}\n").unwrap();
        assert_eq!(
            got,
            [
                ("s1".into(), Some(Some("a\"b\u{e9}\u{1f600}".into()))),
                ("x".into(), None),
                ("s2".into(), Some(None)),
            ]
        );
        assert_eq!(members("{}"), Ok(vec![]));
        for bad in [
            "",
            "[]",
            "{} x",
            "{\"s\":\"a\"",
            "{\"s\":\"a\",}",
            "{\"s\" \"a\"}",
            "{\"s\":\"\t\"}",
            "{\"s\":\"\\x\"}",
            "{\"s\":\"\\ud800\"}",
            "{\"s\":\"\\udc00\"}",
            "{\"s\":\"\\ud800\\u0041\"}",
            "{\"s\":\"\\u00g0\"}",
            "{\"s\":1}",
            "{\"x\":01}",
            "{\"x\":1.}",
            "{\"x\":.1}",
            "{\"x\":1e}",
            "{\"x\":+1}",
            "{\"x\":tru}",
            "{\"x\":[1,]}",
            "{\"x\":[1 2]}",
            "{\"x\":'a'}",
            "{\"x\":\"a\u{0}\"}",
        ] {
            assert_eq!(members(bad), Err(JsonError), "{bad:?}");
            assert!(serde_members(bad).is_none(), "serde_json agrees on {bad:?}");
        }
        // A skipped string's unpaired surrogate is let through, as by serde_json.
        assert!(members("{\"x\":\"\\ud800\"}").is_ok());
        assert!(Reader::new(b"{\"s\":\"\xff\"}").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |n: usize| format!("{{\"x\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        assert!(members(&nested(MAX_DEPTH - 1)).is_ok());
        assert_eq!(members(&nested(MAX_DEPTH)), Err(JsonError));
        // Deep enough to overflow a stack if the depth were not counted.
        assert_eq!(members(&nested(100_000)), Err(JsonError));
    }

    #[test]
    fn base64url_members() {
        let read = |text: &str| {
            let mut got = Vec::new();
            Reader::over(text)
                .document(|_, r| {
                    got.push(r.base64url_or_null()?);
                    Ok(())
                })
                .map(|()| got)
        };
        assert_eq!(
            read(r#"{"a":"Zm9v","b":"Zm\u0039v","c":null,"d":"","e":"Zg==","f":"Z"}"#),
            Ok(vec![
                Some(Some(b"foo".to_vec())),
                Some(Some(b"foo".to_vec())),
                None,
                Some(Some(vec![])),
                Some(None),
                Some(None),
            ])
        );
        for bad in [
            r#"{"a":"Zm9v}"#,
            r#"{"a":"Zm\x"}"#,
            r#"{"a":Zm9v}"#,
            r#"{"a":1}"#,
            "{\"a\":\"Zm\t\"}",
        ] {
            assert_eq!(read(bad), Err(JsonError), "{bad}");
        }
    }

    #[test]
    fn base64url_members_with_their_text() {
        let read = |text: &str| {
            let mut got = Vec::new();
            Reader::over(text)
                .document(|_, r| {
                    let (bytes, text) = r.base64url_with_text()?;
                    got.push((bytes, text.into_owned()));
                    Ok(())
                })
                .map(|()| got)
        };
        let text = |s: &str| s.to_owned();
        assert_eq!(
            read(r#"{"a":"Zm9v","b":"Zm\u0039v","c":"Zg==","d":"","e":"a b"}"#),
            Ok(vec![
                (Some(b"foo".to_vec()), text("Zm9v")),
                (Some(b"foo".to_vec()), text("Zm9v")),
                (None, text("Zg==")),
                (Some(vec![]), text("")),
                (None, text("a b")),
            ])
        );
        for bad in [r#"{"a":null}"#, r#"{"a":"Zm9v}"#, r#"{"a":1}"#] {
            assert_eq!(read(bad), Err(JsonError), "{bad}");
        }
    }

    #[test]
    fn a_repeated_member_is_refused_by_once() {
        let mut slot = None;
        let r = Reader::over(r#"{"s":"a","s":"b"}"#).document(|_, r| once(&mut slot, r.string()?));
        assert_eq!(r, Err(JsonError));
    }

    /// JSON fragments, valid and not, to build documents from.
    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("fals".to_owned()),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
            "[-+.eE0-9]{1,5}",
            // Strings with escapes, bad escapes, controls and non-ASCII text.
            "\"([a-zA-Z0-9_-]|\\\\[\"\\\\/bfnrtx]|\\\\u[0-9a-fA-F]{4}|\\\\u[dD][89abAB][0-9a-f]{2}\\\\u[dD][c-fC-F][0-9a-f]{2}|[\\t\u{0}\u{1f}é😀 ]){0,12}\"?",
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[sx][a-z]?", inner), 0..4).prop_map(|m| {
                    let mut seen = std::collections::HashSet::new();
                    let body: Vec<String> = m
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .map(|(k, v)| format!("\"{k}\" : {v}"))
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
                Just("[1,]".to_owned()),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// Same verdict and same strings as serde_json, on generated documents.
        #[test]
        fn agrees_with_serde_json(doc in value(), pad in "[ \t\r\n]{0,2}") {
            let text = format!("{pad}{doc}{pad}");
            // `Value` sorts the names; the generator never repeats one.
            let ours = members(&text).ok().map(|mut m| {
                m.sort();
                m
            });
            let theirs = serde_members(&text);
            // serde_json's own recursive reading keeps the unpaired-surrogate
            // leniency for skipped strings only; `Value` reads every string, so
            // a lone surrogate in a skipped member is the one known difference.
            if ours.is_some() && theirs.is_none() {
                prop_assert!(text.contains("\\u"), "only ours accepts {text:?}");
            } else {
                prop_assert_eq!(ours, theirs, "{:?}", text);
            }
        }

        #[test]
        fn special_finds_the_first_stop(bytes in prop::collection::vec(any::<u8>(), 0..40), from in 0usize..40) {
            let naive = (from..bytes.len())
                .find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(bytes.len().max(from));
            prop_assert_eq!(special(&bytes, from), naive);
        }
    }
}
