//! OAUTHBEARER (RFC 7628) and XOAUTH2: the client's key/value pairs with the token
//! redacted (a JWT's header and claims decoded, never its signature), the server's
//! error JSON, and the dummy answers that follow it.

use super::mechs::Exchange;
use super::{Message, Sender, printable};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::gs2::{Gs2Flag, Gs2Header};

/// Decodes an OAUTHBEARER (`xoauth2` false) or XOAUTH2 message.
pub(crate) fn explain(
    ex: &mut Exchange,
    xoauth2: bool,
    from: Option<Sender>,
    data: &[u8],
    m: &mut Message,
) {
    if from == Some(Sender::Server) {
        server(ex, xoauth2, data, m);
        return;
    }
    if ex.error_challenge || data.is_empty() || data == b"\x01" {
        dummy(ex, xoauth2, data, m);
        return;
    }
    if xoauth2 {
        xoauth2_message(data, m);
    } else {
        oauthbearer_message(data, m);
    }
}

fn dummy(ex: &Exchange, xoauth2: bool, data: &[u8], m: &mut Message) {
    match (xoauth2, data) {
        (false, b"\x01") => m.kind(
            "the client's dummy response (a single 0x01) after the error challenge: the server now fails the exchange",
        ),
        (true, b"") => m.kind(
            "the client's empty response after the error challenge: the server now fails the exchange",
        ),
        (false, b"") => {
            m.kind("empty response");
            m.problem("OAUTHBEARER's answer to the error challenge is a single 0x01 byte (AQ==), not an empty response");
        }
        (true, b"\x01") => {
            m.kind("a single 0x01");
            m.note("XOAUTH2 clients answer the error challenge with an empty response; servers usually accept this too");
        }
        _ => {
            m.kind("client message after the error challenge");
            m.problem("after the error challenge the client must send the dummy response (OAUTHBEARER: 0x01; XOAUTH2: empty) or cancel with *");
        }
    }
    if !ex.error_challenge {
        m.note("no error challenge was seen before this message");
    }
}

fn server(ex: &mut Exchange, xoauth2: bool, data: &[u8], m: &mut Message) {
    if data.is_empty() {
        m.kind("empty challenge: the client sends its token message now");
        return;
    }
    ex.error_challenge = true;
    m.kind("error challenge: the token was refused");
    let text = String::from_utf8_lossy(data);
    let trimmed = text.trim();
    if trimmed.len() != text.len() {
        m.note("the JSON is followed by whitespace (Google adds a newline)");
    }
    let object = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::Object(object)) => object,
        Ok(_) => {
            m.problem("the error challenge must be a JSON object");
            return;
        }
        Err(e) => {
            m.field("text", printable(trimmed, 200));
            m.problem(format!("the error challenge is not JSON: {e}"));
            return;
        }
    };
    match object.get("status").map(json_text) {
        Some(status) => {
            m.field("status", status.clone());
            m.field("meaning", status_meaning(&status));
            let numeric = status.bytes().all(|b| b.is_ascii_digit());
            if numeric && !xoauth2 {
                m.note("an HTTP status: XOAUTH2's style; RFC 7628 uses OAuth error codes such as invalid_token");
            }
        }
        None => m.problem("missing \"status\" (required, RFC 7628 §3.2.2)"),
    }
    if let Some(scope) = object.get("scope").map(json_text) {
        m.field("scope", scope.clone());
        m.note("get a token with this scope and log in again");
        if scope.contains(' ') {
            m.note("several scopes, space-separated (RFC 7628 recommends a single one)");
        }
    }
    if let Some(url) = object.get("openid-configuration").map(json_text) {
        m.field("openid-configuration", url.clone());
        if !url.starts_with("https://") {
            m.problem("openid-configuration must be an https URL");
        }
    }
    if let Some(schemes) = object.get("schemes").map(json_text) {
        m.field("schemes", schemes);
    }
    for key in object.keys() {
        if !["status", "scope", "openid-configuration", "schemes"].contains(&key.as_str()) {
            m.field(
                format!("member {}", printable(key, 40)),
                "(not defined by RFC 7628; ignored)",
            );
        }
    }
    m.note("the client answers with a dummy response (OAUTHBEARER: 0x01, XOAUTH2: empty), then the server fails");
}

fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => printable(s, 300),
        other => printable(&other.to_string(), 300),
    }
}

fn status_meaning(status: &str) -> &'static str {
    match status {
        "invalid_token" | "401" => "the token is invalid or expired: refresh it",
        "insufficient_scope" | "403" => "the token lacks the scope the server needs",
        "invalid_request" | "400" => {
            "the request is malformed (Gmail also says this for a bad token)"
        }
        _ => "a status RFC 7628 does not define (OAuth error registry or HTTP status)",
    }
}

fn oauthbearer_message(data: &[u8], m: &mut Message) {
    m.kind("OAUTHBEARER client message");
    let rest = match Gs2Header::parse(data) {
        Ok((header, rest)) => {
            m.field(
                "GS2 header",
                printable(
                    &String::from_utf8_lossy(data.get(..header.len()).unwrap_or_default()),
                    200,
                ),
            );
            match header.flag() {
                Gs2Flag::No => {}
                Gs2Flag::Yes => m.note("flag y: OAUTHBEARER has no channel binding, n is usual"),
                Gs2Flag::Binding(_) => {
                    m.problem("flag p=: OAUTHBEARER has no channel binding; servers refuse it")
                }
            }
            m.field(
                "authzid (a=)",
                header
                    .authzid()
                    .map(|a| printable(a, 200))
                    .unwrap_or_else(|| "none (some servers, e.g. Dovecot, require it)".into()),
            );
            rest
        }
        Err(detail) => {
            m.problem(format!("GS2 header: {detail}"));
            if data.starts_with(b"n,user=") {
                m.note("\"n,user=...,\" is RFC 7628's SMTP example's mistake: the authzid is sent as a=");
            }
            // Lenient: continue after the first SOH.
            match data.iter().position(|b| *b == 0x01) {
                Some(at) => data.get(at..).unwrap_or_default(),
                None => return,
            }
        }
    };
    let Some(pairs) = rest.strip_prefix(b"\x01") else {
        m.problem("the GS2 header must be followed by 0x01");
        return;
    };
    // Each pair ends with 0x01, and one more 0x01 ends the message.
    let Some(body) = pairs.strip_suffix(b"\x01") else {
        m.problem(
            "the message must end with 0x01 after the last key/value pair (0x01 0x01 in all)",
        );
        return;
    };
    let body = match body.strip_suffix(b"\x01") {
        Some(body) => body,
        None if body.is_empty() => body,
        None => {
            m.problem("the last key/value pair is not terminated by 0x01 (the message must end with 0x01 0x01)");
            body
        }
    };
    let mut seen_auth = false;
    for pair in body.split(|b| *b == 0x01) {
        if pair.is_empty() {
            if body.is_empty() {
                break;
            }
            m.problem("an empty key/value pair (0x01 0x01 before the end)");
            continue;
        }
        let pair_text = String::from_utf8_lossy(pair);
        let Some((key, value)) = pair_text.split_once('=') else {
            m.problem(format!("{:?} is not key=value", printable(&pair_text, 40)));
            continue;
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            m.problem(format!(
                "key {:?}: keys are letters only",
                printable(key, 40)
            ));
        }
        match key {
            "auth" => {
                seen_auth = true;
                auth_value(value, m);
            }
            "host" => m.field("host", printable(value, 200)),
            "port" => {
                m.field("port", printable(value, 20));
                let valid = !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && !value.starts_with('0');
                if !valid {
                    m.problem("port must be a decimal number without leading zeros");
                }
            }
            "mthd" | "path" | "post" | "qs" => m.field(
                key,
                format!("{} (reserved by RFC 7628; unused)", printable(value, 80)),
            ),
            other => m.field(
                format!("key {}", printable(other, 40)),
                format!("{} (unknown; servers ignore it)", printable(value, 80)),
            ),
        }
    }
    if !seen_auth {
        m.problem("missing auth= (the Authorization value, \"Bearer <token>\")");
    }
}

fn xoauth2_message(data: &[u8], m: &mut Message) {
    m.kind("XOAUTH2 client message");
    let text = String::from_utf8_lossy(data);
    let Some(body) = text.strip_suffix("\x01\x01") else {
        m.problem("the message must end with 0x01 0x01 (user=...^Aauth=Bearer ...^A^A)");
        return;
    };
    let mut user = false;
    let mut auth = false;
    for pair in body.split('\x01') {
        match pair.split_once('=') {
            Some(("user", value)) => {
                user = true;
                if value.is_empty() {
                    m.problem("user= is empty");
                }
                m.field("user", printable(value, 200));
            }
            Some(("auth", value)) => {
                auth = true;
                auth_value(value, m);
            }
            Some((key, value)) => m.field(
                format!("key {}", printable(key, 40)),
                format!("{} (unknown; servers ignore it)", printable(value, 80)),
            ),
            None => m.problem(format!("{:?} is not key=value", printable(pair, 40))),
        }
    }
    if !user {
        m.problem("missing user= (the account)");
    }
    if !auth {
        m.problem("missing auth= (\"Bearer <token>\")");
    }
}

/// `auth=Bearer <token>`: the scheme, the token's length and validity, and a JWT's
/// header and claims.
fn auth_value(value: &str, m: &mut Message) {
    if value.is_empty() {
        m.field(
            "auth",
            "empty: the client asks which scope the server needs (RFC 7628 §4.3)",
        );
        return;
    }
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        m.field(
            "auth",
            format!("scheme {:?} (redacted)", printable(scheme, 20)),
        );
        m.problem("the auth scheme must be Bearer");
        return;
    }
    let token = token.trim_start_matches(' ');
    m.field(
        "auth",
        format!("{scheme} <token redacted, {} characters>", token.len()),
    );
    if token.is_empty() {
        m.problem("no token after Bearer");
        return;
    }
    if !sasl_oauthbearer::is_b64token(token) {
        m.problem("the token has characters RFC 6750's b64token does not allow");
    }
    if token.len() > sasl_oauthbearer::MAX_TOKEN_LEN {
        m.problem(format!(
            "the token is longer than {} bytes, which servers of this family refuse",
            sasl_oauthbearer::MAX_TOKEN_LEN
        ));
    }
    jwt(token, m);
}

/// A JWT's header and claims (its signature is never decoded or shown).
fn jwt(token: &str, m: &mut Message) {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, _signature] = parts.as_slice() else {
        m.note("not a JWT: an opaque token (the server asks the issuer about it)");
        return;
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
    };
    let (Some(header), Some(claims)) = (decode(header), decode(claims)) else {
        m.note("three dot-separated parts but not a JWT (its parts are not base64url JSON)");
        return;
    };
    m.field("JWT header", printable(&header.to_string(), 300));
    if let serde_json::Value::Object(claims) = &claims {
        for (name, value) in claims {
            let shown = match (name.as_str(), value.as_i64()) {
                ("exp" | "iat" | "nbf" | "auth_time", Some(secs)) => {
                    format!("{secs} ({})", utc(secs))
                }
                _ => json_text(value),
            };
            m.field(format!("JWT claim {}", printable(name, 40)), shown);
        }
    } else {
        m.problem("the JWT claims are not a JSON object");
    }
    m.note("the JWT signature is not shown and not checked here");
}

/// `YYYY-MM-DD HH:MM:SS UTC` for Unix seconds (Howard Hinnant's civil-from-days).
fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_767_225_600), "2026-01-01 00:00:00 UTC");
        assert_eq!(utc(951_825_599), "2000-02-29 11:59:59 UTC");
    }
}
