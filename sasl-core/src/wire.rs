//! Line encoding for IMAP (`+ ` continuation, RFC 9051 §6.2.2 and RFC 4959) and SMTP
//! (`334 `, RFC 4954), kept apart from the mechanisms, which only see raw bytes.
//!
//! - Challenges and responses are standard base64 with padding; anything else
//!   (characters outside the alphabet, misplaced `=`, non-canonical padding, spaces)
//!   is a [`WireError`]: the protocol says to reject it (IMAP `BAD`, SMTP `501`).
//! - An empty *initial* response is sent as `=`; a missing argument means no initial
//!   response. [`decode_initial_response`] keeps the two apart.
//! - A client response of `*` cancels the exchange.
//!
//! Pass lines without their CRLF.

use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use core::fmt;

/// A decoded client response line.
///
/// The data may hold a password (PLAIN, LOGIN), so it is a [`Secret`]: redacted in
/// `Debug`, zeroized on drop.
#[derive(Debug, Clone)]
pub enum Response {
    /// Response data (possibly empty, from an empty line). Pass
    /// [`expose()`](Secret::expose) to [`ServerSession::step`](crate::ServerSession::step).
    Data(Secret<Vec<u8>>),
    /// The client sent `*`: call [`ServerSession::cancel`](crate::ServerSession::cancel).
    Cancel,
}

/// A line that is not valid base64 (or not a valid initial response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    detail: &'static str,
}

impl WireError {
    /// What is wrong with the line.
    pub fn detail(&self) -> &'static str {
        self.detail
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed base64 line: {}", self.detail)
    }
}

impl std::error::Error for WireError {}

/// Decodes strict standard base64 (padding required, no whitespace, no stray bits).
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, WireError> {
    if text.len() % 4 != 0 {
        return Err(WireError {
            detail: "length is not a multiple of 4",
        });
    }
    STANDARD.decode(text).map_err(|_| WireError {
        detail: "invalid base64",
    })
}

/// Encodes standard base64 with padding.
pub fn encode_base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Decodes a client response line (server side): `*` cancels, anything else must be
/// base64 (an empty line is an empty response).
pub fn decode_response(line: &[u8]) -> Result<Response, WireError> {
    if line == b"*" {
        return Ok(Response::Cancel);
    }
    decode_base64(line).map(|data| Response::Data(Secret::new(data)))
}

/// Decodes the optional initial-response argument of `AUTHENTICATE` / `AUTH`:
/// absent is `None`, `=` is `Some(empty)`, else base64.
pub fn decode_initial_response(argument: Option<&[u8]>) -> Result<Option<Vec<u8>>, WireError> {
    match argument {
        None => Ok(None),
        Some(b"=") => Ok(Some(Vec::new())),
        Some(b"") => Err(WireError {
            detail: "empty initial response argument (use '=')",
        }),
        Some(text) => decode_base64(text).map(Some),
    }
}

/// Encodes an initial response argument: empty data becomes `=`.
pub fn encode_initial_response(data: &[u8]) -> String {
    if data.is_empty() {
        "=".to_owned()
    } else {
        encode_base64(data)
    }
}

/// Encodes a challenge payload (for after `+ ` or `334 `); empty data is an empty string.
pub fn encode_challenge(data: &[u8]) -> String {
    encode_base64(data)
}

/// Decodes a server challenge payload (the text after `+ ` or `334 `, client side).
pub fn decode_challenge(text: &[u8]) -> Result<Vec<u8>, WireError> {
    decode_base64(text)
}

/// Encodes a client response line; empty data is an empty line.
pub fn encode_response(data: &[u8]) -> String {
    encode_base64(data)
}

/// The cancel line a client sends to abort an exchange.
pub const CANCEL: &str = "*";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples() {
        // RFC 4616 example, base64 computed in the spec digest.
        assert_eq!(
            encode_base64(b"\0tim\0tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
        assert!(matches!(
            decode_response(b"dGlt").unwrap(),
            Response::Data(d) if d.expose() == b"tim"
        ));
        assert_eq!(
            decode_challenge(b"VXNlciBOYW1lAA==").unwrap(),
            b"User Name\0"
        );
    }

    #[test]
    fn empty_versus_absent_initial_response() {
        assert_eq!(decode_initial_response(None).unwrap(), None);
        assert_eq!(decode_initial_response(Some(b"=")).unwrap(), Some(vec![]));
        assert!(decode_initial_response(Some(b"")).is_err());
        assert_eq!(encode_initial_response(b""), "=");
        assert_eq!(encode_initial_response(b"a"), "YQ==");
    }

    #[test]
    fn cancel_and_empty() {
        assert!(matches!(decode_response(b"*").unwrap(), Response::Cancel));
        assert!(
            matches!(decode_response(b"").unwrap(), Response::Data(d) if d.expose().is_empty())
        );
        assert_eq!(encode_challenge(b""), "");
    }

    #[test]
    fn decoded_responses_hide_their_content_in_debug() {
        // "\0tim\0tanstaaftanstaaf": a PLAIN response with its password.
        let line = decode_response(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap();
        let shown = format!("{line:?} {line:#?}");
        assert!(!shown.contains("tanstaaf"), "{shown}");
        assert!(!shown.contains("116, 97, 110"), "{shown}"); // no byte lists either
    }

    #[test]
    fn malformed_base64_is_rejected() {
        for bad in [
            &b"=AAA"[..],
            b"AAA=BBB",
            b"YQ",
            b"YQ=",
            b"Y Q==",
            b"YR==",
            b"YQ==\r\n",
            b"****",
            b"YQ==YQ==",
        ] {
            assert!(
                decode_response(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
