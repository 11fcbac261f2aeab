//! The error challenge a server sends before failing: built strictly (server side),
//! parsed leniently (client side), because real servers differ from the RFC.
//!
//! | Server | Mechanism | Challenge |
//! |---|---|---|
//! | RFC 7628 §3.2.2 | OAUTHBEARER | `{"status":"invalid_token","scope":"...","openid-configuration":"https://..."}` |
//! | Gmail | OAUTHBEARER | `{"status":"invalid_request","scope":"https://mail.google.com/"}` |
//! | Dovecot | OAUTHBEARER | `{"status":"invalid_token"}` |
//! | Google's document | XOAUTH2 | `{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}` |
//! | Gmail, measured | XOAUTH2 | `{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}` |
//! | Dovecot | XOAUTH2 | `{"status":"401","schemes":"bearer","scope":"mail"}` |
//! | Microsoft 365 | XOAUTH2 | none: the command just fails |
//! | some servers | either | plain text |

use sasl_core::TokenError;

/// Longest error challenge the client reads; the rest is ignored.
const MAX_CHALLENGE_LEN: usize = 16 * 1024;

/// Longest server text kept for the user (after control characters are removed).
const MAX_TEXT_LEN: usize = 1024;

/// The shape of the XOAUTH2 error JSON a server sends (XOAUTH2 has no standard; the
/// clients that matter read `status` and `scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum XOAuth2ErrorStyle {
    /// Gmail's, as measured: `{"status":"400","schemes":"Bearer","scope":...}` for
    /// every token error (K-9 Mail and others refresh the token on `400`).
    #[default]
    Google,
    /// Dovecot's: `{"status":"401"|"403"|"400","schemes":"bearer","scope":...}`, with
    /// `invalid_token` as 401, `insufficient_scope` as 403 and anything else 400.
    Dovecot,
}

fn push_member(out: &mut String, name: &str, value: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    // serde_json writes a JSON string literal with every escape it needs.
    out.push_str(&serde_json::Value::from(name).to_string());
    out.push(':');
    out.push_str(&serde_json::Value::from(value).to_string());
}

/// The OAUTHBEARER error challenge (RFC 7628 §3.2.2): `status`, then `scope` and
/// `openid-configuration` if known, in that order (the RFC's example byte for byte).
pub(crate) fn oauthbearer_error(error: &TokenError) -> Vec<u8> {
    let mut out = String::from("{");
    push_member(&mut out, "status", error.status());
    if let Some(scope) = error.scope() {
        push_member(&mut out, "scope", scope);
    }
    if let Some(url) = error.openid_configuration() {
        push_member(&mut out, "openid-configuration", url);
    }
    out.push('}');
    out.into_bytes()
}

/// The XOAUTH2 error challenge in the configured style.
pub(crate) fn xoauth2_error(error: &TokenError, style: XOAuth2ErrorStyle) -> Vec<u8> {
    let (status, schemes) = match style {
        XOAuth2ErrorStyle::Google => ("400", "Bearer"),
        XOAuth2ErrorStyle::Dovecot => (
            match error.status() {
                "invalid_token" => "401",
                "insufficient_scope" => "403",
                _ => "400",
            },
            "bearer",
        ),
    };
    let mut out = String::from("{");
    push_member(&mut out, "status", status);
    push_member(&mut out, "schemes", schemes);
    if let Some(scope) = error.scope() {
        push_member(&mut out, "scope", scope);
    }
    out.push('}');
    out.into_bytes()
}

/// What a client makes of an error challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedError {
    /// The error (status empty if the server sent none, or sent text).
    pub(crate) error: TokenError,
    /// The challenge as text when it was not a JSON object (a server's message).
    pub(crate) text: Option<String>,
}

/// A JSON member as a string: strings as they are, numbers (`"status":401`) in
/// decimal, arrays of strings (`"scope":["a","b"]`) joined with spaces.
fn member(object: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<String> {
    match object.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Array(items) => {
            let parts: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    }
}

/// Reads an error challenge leniently: a JSON object (any member order, trailing
/// whitespace, numbers for strings, unknown members ignored), or anything else as
/// text. Never fails: whatever the server sent, the client answers with its dummy
/// response and reports what it could read.
pub(crate) fn parse_error(challenge: &[u8]) -> ParsedError {
    let bytes = challenge.get(..MAX_CHALLENGE_LEN).unwrap_or(challenge);
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim();
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str(trimmed) {
        let mut error = TokenError::new(member(&object, "status").unwrap_or_default());
        if let Some(scope) = member(&object, "scope").filter(|s| !s.is_empty()) {
            error = error.with_scope(scope);
        }
        if let Some(url) = member(&object, "openid-configuration").filter(|s| !s.is_empty()) {
            error = error.with_openid_configuration(url);
        }
        return ParsedError { error, text: None };
    }
    // Server-controlled text for logs and the user: no control characters (ANSI
    // escapes, CR/LF injection), bounded.
    let text: String = trimmed
        .chars()
        .filter(|c| !c.is_control())
        .scan(0usize, |len, c| {
            *len += c.len_utf8();
            (*len <= MAX_TEXT_LEN).then_some(c)
        })
        .collect();
    ParsedError {
        error: TokenError::new(""),
        text: (!text.is_empty()).then_some(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7628_failure_challenge_verbatim() {
        let error = TokenError::invalid_token()
            .with_scope("example_scope")
            .with_openid_configuration("https://example.com/.well-known/openid-configuration");
        assert_eq!(
            String::from_utf8(oauthbearer_error(&error)).ok().as_deref(),
            Some(
                r#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
            )
        );
        assert_eq!(
            oauthbearer_error(&TokenError::new("a\"b")),
            br#"{"status":"a\"b"}"#
        );
    }

    #[test]
    fn xoauth2_styles() {
        let e = TokenError::invalid_token().with_scope("mail");
        assert_eq!(
            xoauth2_error(&e, XOAuth2ErrorStyle::Dovecot),
            br#"{"status":"401","schemes":"bearer","scope":"mail"}"#
        );
        assert_eq!(
            xoauth2_error(
                &TokenError::insufficient_scope("mail"),
                XOAuth2ErrorStyle::Dovecot
            ),
            br#"{"status":"403","schemes":"bearer","scope":"mail"}"#
        );
        assert_eq!(
            xoauth2_error(
                &TokenError::invalid_token().with_scope("https://mail.google.com/"),
                XOAuth2ErrorStyle::Google
            ),
            br#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#
        );
    }

    #[test]
    fn lenient_reading() {
        let p = parse_error(b"{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}\n");
        assert_eq!(
            (p.error.status(), p.error.scope()),
            ("401", Some("https://mail.google.com/"))
        );
        let p = parse_error(br#"{"scope":["a","b"],"status":400}"#);
        assert_eq!((p.error.status(), p.error.scope()), ("400", Some("a b")));
        let p = parse_error(b"Invalid credentials");
        assert_eq!(
            (p.error.status(), p.text.as_deref()),
            ("", Some("Invalid credentials"))
        );
        let p = parse_error(b"[1,2]");
        assert_eq!(p.text.as_deref(), Some("[1,2]"));
        let p = parse_error(b"\xff\xfe{");
        assert_eq!(p.error.status(), "");
        let p = parse_error(b"bad\x1b[31m token\r\nX-Injected: 1");
        assert_eq!(p.text.as_deref(), Some("bad[31m tokenX-Injected: 1"));
        let p = parse_error(&[0xff; 8000]);
        assert!(p.text.is_some_and(|t| t.len() <= MAX_TEXT_LEN));
    }
}
