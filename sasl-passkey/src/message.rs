//! The client's first message and the server's error message (draft-bucksch-sasl-passkey).
//!
//! ```text
//! passkey-client-step1 = [ user ] [ %x00 authzid ]      ; this crate's reading, see below
//! server-final-message = "e=" server-error-value "," "m=" server-error-message-value
//! ```
//!
//! The draft's first message is one identity, the authentication identity in -00 and
//! the authorization identity in the editor's copy. This crate keeps both readings
//! apart: an empty message starts the discoverable flow (the authenticator picks the
//! credential, the account is found by it), a user name lists that user's
//! credentials, and an authorization identity, if any, follows a NUL (as PLAIN
//! separates its fields). UTF-8, no control characters but that NUL, at most
//! [`MAX_NAME_LEN`] bytes each.

/// Longest user name or authzid accepted, in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// The error values of the draft's `server-error-value`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerError {
    /// `invalid-encoding`: the response could not be decoded.
    InvalidEncoding,
    /// `unknown-user` (this server never sends it: unknown users get `other-error`).
    UnknownUser,
    /// `invalid-username-encoding`: the first message is not a valid name.
    InvalidUsernameEncoding,
    /// `other-error`, and any value this crate does not know.
    OtherError,
    /// A value from an extension, as received (treated as `other-error`).
    Extension(String),
}

impl ServerError {
    fn as_str(&self) -> &str {
        match self {
            ServerError::InvalidEncoding => "invalid-encoding",
            ServerError::UnknownUser => "unknown-user",
            ServerError::InvalidUsernameEncoding => "invalid-username-encoding",
            ServerError::OtherError => "other-error",
            ServerError::Extension(v) => v,
        }
    }

    fn from_value(value: &str) -> Self {
        match value {
            "invalid-encoding" => ServerError::InvalidEncoding,
            "unknown-user" => ServerError::UnknownUser,
            "invalid-username-encoding" => ServerError::InvalidUsernameEncoding,
            "other-error" => ServerError::OtherError,
            other => ServerError::Extension(other.to_owned()),
        }
    }
}

/// The client's first message, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FirstMessage {
    pub(crate) user: Option<String>,
    pub(crate) authzid: Option<String>,
}

fn name(raw: &[u8]) -> Result<Option<String>, &'static str> {
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > MAX_NAME_LEN {
        return Err("name too long");
    }
    let s = core::str::from_utf8(raw).map_err(|_| "name is not UTF-8")?;
    if s.chars().any(char::is_control) {
        return Err("name contains control characters");
    }
    Ok(Some(s.to_owned()))
}

/// Parses the client's first message (server side).
pub(crate) fn parse_first(message: &[u8]) -> Result<FirstMessage, &'static str> {
    let mut parts = message.splitn(2, |b| *b == 0);
    let user = name(parts.next().unwrap_or_default())?;
    let authzid = match parts.next() {
        Some([]) => return Err("empty authzid after NUL"),
        Some(z) => name(z)?,
        None => None,
    };
    Ok(FirstMessage { user, authzid })
}

/// Builds the client's first message.
pub(crate) fn build_first(user: Option<&str>, authzid: Option<&str>) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(user.unwrap_or_default().as_bytes());
    if let Some(z) = authzid {
        m.push(0);
        m.extend_from_slice(z.as_bytes());
    }
    m
}

/// Whether a name can be sent in the first message.
pub(crate) fn is_valid_name(n: &str) -> bool {
    matches!(name(n.as_bytes()), Ok(Some(_)))
}

/// Builds `e=<value>,m=<message>`. An empty message becomes "authentication failed"
/// (the grammar wants one octet at least); control characters are dropped.
pub(crate) fn build_error(error: &ServerError, message: &str) -> Vec<u8> {
    let clean: String = message.chars().filter(|c| !c.is_control()).collect();
    let text = if clean.is_empty() {
        "authentication failed"
    } else {
        &clean
    };
    format!("e={},m={text}", error.as_str()).into_bytes()
}

/// Reads a server's error message (client side): `None` if it is not one.
pub(crate) fn parse_error(challenge: &[u8]) -> Option<(ServerError, String)> {
    let text = core::str::from_utf8(challenge.get(..4096).unwrap_or(challenge)).ok()?;
    let rest = text.strip_prefix("e=")?;
    let (value, message) = match rest.split_once(",m=") {
        Some((v, m)) => (v, m),
        None => (rest.split(',').next().unwrap_or(rest), ""),
    };
    let message: String = message.chars().filter(|c| !c.is_control()).collect();
    Some((ServerError::from_value(value), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_forms() {
        let parse = |m: &[u8]| parse_first(m).map(|f| (f.user, f.authzid));
        assert_eq!(parse(b""), Ok((None, None)));
        assert_eq!(parse(b"tim"), Ok((Some("tim".into()), None)));
        assert_eq!(parse(b"\0shared"), Ok((None, Some("shared".into()))));
        assert_eq!(
            parse(b"tim\0shared"),
            Ok((Some("tim".into()), Some("shared".into())))
        );
        assert_eq!(parse(b"tim\0"), Err("empty authzid after NUL"));
        assert_eq!(parse(b"a\0b\0c"), Err("name contains control characters"));
        assert_eq!(
            parse(b"you@example.com\n"),
            Err("name contains control characters")
        );
        assert_eq!(parse(b"\xff"), Err("name is not UTF-8"));
        assert_eq!(build_first(Some("tim"), Some("shared")), b"tim\0shared");
        assert_eq!(build_first(None, None), b"");
    }

    #[test]
    fn error_messages() {
        let e = build_error(
            &ServerError::OtherError,
            "Your account is locked; contact support@example.com",
        );
        assert_eq!(
            e,
            b"e=other-error,m=Your account is locked; contact support@example.com"
        );
        assert_eq!(
            parse_error(&e),
            Some((
                ServerError::OtherError,
                "Your account is locked; contact support@example.com".into()
            ))
        );
        assert_eq!(
            build_error(&ServerError::InvalidEncoding, "\r\n"),
            b"e=invalid-encoding,m=authentication failed"
        );
        assert_eq!(
            parse_error(b"e=x-new"),
            Some((ServerError::Extension("x-new".into()), String::new()))
        );
        assert_eq!(parse_error(b"{\"challenge\":1}"), None);
    }
}
