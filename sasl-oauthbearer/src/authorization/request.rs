//! The authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3) and the parsing of
//! the redirect that answers it (RFC 6749 §4.1.2, RFC 9207, RFC 8252).

use std::collections::BTreeSet;
use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::AuthorizationError;
use super::pkce::PkceVerifier;
use super::token::{ClientCredentials, FormRequest, OAuthError};
use super::wire::{decode, encode_into, is_scope_token, is_vschar, sanitise};
use crate::discovery::{Trust, UrlKind, check_url};

/// The longest redirect (URL, path with query, or query) [`parse_redirect`] accepts,
/// in bytes: 64 KiB. Real ones are a few hundred bytes, a few kilobytes at most.
pub const MAX_REDIRECT_LEN: usize = 64 * 1024;

/// How many characters of a peer-chosen name or value an error message may quote.
const QUOTE_LIMIT: usize = 64;

/// The parameters [`authorization_url`] sets itself; `extra` may not repeat them.
const RESERVED: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// What goes into an authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636
/// §4.3).
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationParams<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// `redirect_uri`: for a native app a loopback URL such as
    /// `http://127.0.0.1:49152/callback` (RFC 8252 §7.3) or a private-use scheme URI
    /// (§7.1). It must have no fragment.
    pub redirect_uri: &'a str,
    /// The scopes, joined with spaces; `scope` is omitted when empty. Each must be an
    /// RFC 6749 §3.3 scope token (no spaces, quotes or backslashes).
    pub scopes: &'a [String],
    /// `state`, such as one from [`state_from_random`](super::state_from_random).
    pub state: &'a str,
    /// `code_challenge`, from [`PkceVerifier::challenge`]; `code_challenge_method=S256`
    /// is always sent.
    pub code_challenge: &'a str,
    /// More parameters, in order, such as `("login_hint", address)`,
    /// `("prompt", "consent")` or Google's `("access_type", "offline")`. A name that
    /// [`authorization_url`] sets itself is [`AuthorizationError::ReservedParameter`];
    /// a name given twice, or already in the endpoint's query, is
    /// [`AuthorizationError::DuplicateParameter`].
    pub extra: &'a [(&'a str, &'a str)],
}

/// The authorization endpoint URL with the request in its query (RFC 6749 §4.1.1).
///
/// The endpoint must be `https`, or `http` as far as `trust` allows, and pass the
/// discovery rules for endpoints; it may already have a query, which is kept (RFC
/// 6749 §3.1), but no fragment.
///
/// The parameters follow in this order: `response_type=code`, `client_id`,
/// `redirect_uri`, `scope` (if any), `state`, `code_challenge`,
/// `code_challenge_method=S256`, then `extra`; all
/// `application/x-www-form-urlencoded` (space as `+`). Open the URL in the user's
/// browser (RFC 8252 §6: not an embedded web view) and wait for the redirect.
///
/// Refused, besides a bad endpoint ([`AuthorizationError::BadEndpoint`], with the
/// discovery URL rules for endpoints): an empty `client_id`, `redirect_uri` or
/// `state`; a `redirect_uri` with a fragment; a `code_challenge` that is not 43
/// base64url characters (an S256 challenge); a scope that is not a scope token (all
/// [`AuthorizationError::Malformed`]); and clashing parameter names (see
/// [`AuthorizationParams::extra`]).
pub fn authorization_url(
    endpoint: &str,
    params: &AuthorizationParams<'_>,
    trust: Trust,
) -> Result<String, AuthorizationError> {
    let checked = check_url(endpoint, "authorization_endpoint", trust, UrlKind::Endpoint)
        .map_err(AuthorizationError::BadEndpoint)?;
    for (name, value) in [
        ("client_id", params.client_id),
        ("redirect_uri", params.redirect_uri),
        ("state", params.state),
    ] {
        if value.is_empty() {
            return Err(AuthorizationError::Malformed(format!("{name} is empty")));
        }
    }
    if params.redirect_uri.contains('#') {
        return Err(AuthorizationError::Malformed(
            "redirect_uri has a fragment (RFC 6749 §3.1.2)".to_owned(),
        ));
    }
    let is_challenge = params.code_challenge.len() == 43
        && params
            .code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !is_challenge {
        return Err(AuthorizationError::Malformed(
            "code_challenge is not an S256 challenge (43 base64url characters)".to_owned(),
        ));
    }
    if let Some(bad) = params.scopes.iter().find(|s| !is_scope_token(s)) {
        return Err(AuthorizationError::Malformed(format!(
            "scope {:?} is not an RFC 6749 scope token",
            sanitise(bad, QUOTE_LIMIT)
        )));
    }

    // The names already in the endpoint's query: ours must not repeat them.
    let existing_query = checked.rest.split_once('?').map_or("", |(_, query)| query);
    let mut names: BTreeSet<String> = BTreeSet::new();
    for piece in existing_query.split('&').filter(|p| !p.is_empty()) {
        let raw_name = piece.split_once('=').map_or(piece, |(name, _)| name);
        if let Some(name) = decode(raw_name) {
            names.insert(name.to_string());
        }
    }
    if let Some(clash) = RESERVED.iter().find(|r| names.contains(**r)) {
        return Err(AuthorizationError::DuplicateParameter((*clash).to_owned()));
    }
    for (name, _) in params.extra {
        if name.is_empty() {
            return Err(AuthorizationError::Malformed(
                "an extra parameter has an empty name".to_owned(),
            ));
        }
        if RESERVED.contains(name) {
            return Err(AuthorizationError::ReservedParameter((*name).to_owned()));
        }
        if !names.insert((*name).to_owned()) {
            return Err(AuthorizationError::DuplicateParameter((*name).to_owned()));
        }
    }

    let scope = params.scopes.join(" ");
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", params.client_id),
        ("redirect_uri", params.redirect_uri),
    ];
    if !scope.is_empty() {
        pairs.push(("scope", &scope));
    }
    pairs.extend([
        ("state", params.state),
        ("code_challenge", params.code_challenge),
        ("code_challenge_method", PkceVerifier::METHOD),
    ]);
    pairs.extend(params.extra.iter().copied());

    let mut url = String::with_capacity(endpoint.len().saturating_add(512));
    url.push_str(endpoint);
    if !endpoint.contains('?') {
        url.push('?');
    } else if !(endpoint.ends_with('?') || endpoint.ends_with('&')) {
        url.push('&');
    }
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            url.push('&');
        }
        encode_into(&mut url, name);
        url.push('=');
        encode_into(&mut url, value);
    }
    Ok(url)
}

/// What [`parse_redirect`] checks the redirect against.
#[derive(Debug, Clone, Copy)]
pub struct RedirectCheck<'a> {
    /// The `state` sent in the authorization request; must not be empty.
    pub state: &'a str,
    /// The issuer the metadata was verified for, if any
    /// ([`AuthorizationServerMetadata::issuer`](crate::discovery::AuthorizationServerMetadata::issuer)).
    /// Without one, an `iss` in the response cannot be checked and is ignored.
    pub issuer: Option<&'a str>,
    /// Metadata said authorization_response_iss_parameter_supported
    /// ([`AuthorizationServerMetadata::authorization_response_iss_parameter_supported`](crate::discovery::AuthorizationServerMetadata::authorization_response_iss_parameter_supported)):
    /// a response without `iss` is then refused (RFC 9207 §2.4).
    pub require_iss: bool,
}

/// An authorization code from a checked redirect, for [`code_grant`](super::code_grant).
///
/// Only [`parse_redirect`] makes one, after the `state` (and `iss`) checks. Zeroized on
/// drop; `Debug` does not show it.
pub struct AuthorizationCode {
    code: Zeroizing<String>,
}

impl AuthorizationCode {
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.code
    }
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("code", &"<redacted>")
            .finish()
    }
}

/// Parses the authorization response: what the loopback listener received or what
/// the user pasted, as a full redirect URL, a path with a query
/// (`/callback?code=..&state=..`), or a bare query with or without a leading `?`.
///
/// The checks, in this order (so that an injected response fails on its origin before
/// its content is looked at):
///
/// 1. no parameter twice ([`AuthorizationError::DuplicateParameter`]);
/// 2. `iss` (RFC 9207): if present, identical to [`RedirectCheck::issuer`]
///    ([`AuthorizationError::IssuerMismatch`]); if absent while
///    [`RedirectCheck::require_iss`], [`AuthorizationError::IssuerMissing`];
/// 3. `state`, compared in constant time: missing is
///    [`AuthorizationError::StateMissing`], different
///    [`AuthorizationError::StateMismatch`];
/// 4. `error`: the provider's refusal, [`AuthorizationError::Provider`];
/// 5. `code`: missing or empty is [`AuthorizationError::CodeMissing`].
///
///
/// The forms are told apart so: text starting with `?` is a query; text starting with
/// `/`, or with a URI scheme and `:` (`http:`, `com.example.app:` for a private-use
/// scheme), is a URL or path whose query follows the first `?`; anything else is a
/// bare query. A fragment (`#...`) is dropped and surrounding white space trimmed.
/// Names and values are decoded strictly (`+` is a space; a `%` without two
/// hexadecimal digits, or a result that is not UTF-8, is
/// [`AuthorizationError::Malformed`]); control characters and input longer than
/// [`MAX_REDIRECT_LEN`] are refused. If [`RedirectCheck::issuer`] is `None`, an `iss`
/// cannot be compared and is ignored. An `error` with invalid characters, or a `code`
/// outside RFC 6749 VSCHAR, is [`AuthorizationError::Malformed`]. Error messages never
/// contain the code.
pub fn parse_redirect(
    redirect: &str,
    check: &RedirectCheck<'_>,
) -> Result<AuthorizationCode, AuthorizationError> {
    if redirect.len() > MAX_REDIRECT_LEN {
        return Err(AuthorizationError::Malformed(format!(
            "redirect of {} bytes is longer than {MAX_REDIRECT_LEN}",
            redirect.len()
        )));
    }
    if check.state.is_empty() {
        return Err(AuthorizationError::Malformed(
            "the expected state is empty".to_owned(),
        ));
    }
    let trimmed = redirect.trim();
    if trimmed.chars().any(char::is_control) {
        return Err(AuthorizationError::Malformed(
            "the redirect has a control character".to_owned(),
        ));
    }
    let without_fragment = trimmed
        .split_once('#')
        .map_or(trimmed, |(before, _)| before);
    let query = if let Some(query) = without_fragment.strip_prefix('?') {
        query
    } else if without_fragment.starts_with('/') || has_scheme(without_fragment) {
        without_fragment
            .split_once('?')
            .map_or("", |(_, query)| query)
    } else {
        without_fragment
    };

    let mut params: Vec<(Zeroizing<String>, Zeroizing<String>)> = Vec::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let malformed = || {
            AuthorizationError::Malformed(
                "a redirect parameter has bad percent-encoding or is not UTF-8".to_owned(),
            )
        };
        let name = decode(raw_name).ok_or_else(malformed)?;
        let value = decode(raw_value).ok_or_else(malformed)?;
        params.push((name, value));
    }
    for (name, _) in &params {
        if !names.insert(name.as_str()) {
            return Err(AuthorizationError::DuplicateParameter(sanitise(
                name,
                QUOTE_LIMIT,
            )));
        }
    }
    let get = |wanted: &str| {
        params
            .iter()
            .find(|(name, _)| name.as_str() == wanted)
            .map(|(_, value)| value.as_str())
    };

    match (get("iss"), check.issuer) {
        (Some(found), Some(expected)) if found != expected => {
            return Err(AuthorizationError::IssuerMismatch {
                expected: expected.to_owned(),
                found: sanitise(found, 2 * QUOTE_LIMIT),
            });
        }
        (None, _) if check.require_iss => return Err(AuthorizationError::IssuerMissing),
        _ => {}
    }

    let state = get("state").ok_or(AuthorizationError::StateMissing)?;
    if !bool::from(state.as_bytes().ct_eq(check.state.as_bytes())) {
        return Err(AuthorizationError::StateMismatch);
    }

    if let Some(code) = get("error") {
        let error = OAuthError::from_parts(code, get("error_description"), get("error_uri"))
            .map_err(AuthorizationError::Malformed)?;
        return Err(AuthorizationError::Provider(error));
    }

    let code = get("code")
        .filter(|c| !c.is_empty())
        .ok_or(AuthorizationError::CodeMissing)?;
    if !is_vschar(code) {
        return Err(AuthorizationError::Malformed(
            "the code has characters outside RFC 6749 VSCHAR".to_owned(),
        ));
    }
    Ok(AuthorizationCode {
        code: Zeroizing::new(code.to_owned()),
    })
}

/// Whether `s` starts with an RFC 3986 scheme and `:` (before any `=`, `&` or `/`), so
/// that it is a URL rather than a bare query.
fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The token request that redeems an authorization code (RFC 6749 §4.1.3 with RFC
/// 7636 §4.5): `grant_type=authorization_code`, `code`, `redirect_uri` (the same one
/// the authorization request used) and `code_verifier`.
pub fn code_grant(
    client: &ClientCredentials,
    code: &AuthorizationCode,
    redirect_uri: &str,
    verifier: &PkceVerifier,
) -> FormRequest {
    client.request(vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.as_str()),
    ])
}
