//! Issuer identifiers, well-known metadata URLs and discovery targets.

use std::fmt;

use super::{AuthorizationServerMetadata, DiscoveryError, Trust, UrlProblem};

/// The RFC 8414 well-known suffix.
const OAUTH_AUTHORIZATION_SERVER: &str = "oauth-authorization-server";
/// The OpenID Connect Discovery well-known suffix (also registered for RFC 8414).
const OPENID_CONFIGURATION: &str = "openid-configuration";
/// The path of an OpenID configuration document below an issuer's host.
const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";

/// Which rules a URL is checked against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlKind {
    /// An endpoint (RFC 6749 §3.1): a query is allowed, a fragment is not.
    Endpoint,
    /// A discovery document URL: no query, no fragment.
    Document,
    /// An issuer identifier (RFC 8414 §2, mailmaint profile): no query, fragment,
    /// dot segments or percent-encoded unreserved characters.
    Issuer,
}

/// A URL that passed [`check_url`]: its `scheme://authority` part and the rest.
pub(crate) struct CheckedUrl<'a> {
    /// `scheme://authority`, as written.
    pub(crate) origin: &'a str,
    /// The path (and, for endpoints, the query), as written; may be empty.
    pub(crate) rest: &'a str,
}

fn bad(field: &'static str, url: &str, problem: UrlProblem) -> DiscoveryError {
    DiscoveryError::BadUrl {
        field,
        url: url.to_owned(),
        problem,
    }
}

/// Checks a URL as written (the URL parser normalises, so the checks that matter
/// for identity are done on the raw text) and then as parsed.
pub(crate) fn check_url<'a>(
    raw: &'a str,
    field: &'static str,
    trust: Trust,
    kind: UrlKind,
) -> Result<CheckedUrl<'a>, DiscoveryError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return Err(bad(field, raw, UrlProblem::InvalidCharacter));
    }
    // The scheme is the text before the first `:`, and must be http(s) followed by
    // `//`: the URL parser would read `https:evil.example/x://good.example` as host
    // evil.example, so nothing after a later `://` may pass for the authority.
    let (scheme, after_colon) = raw
        .split_once(':')
        .ok_or_else(|| bad(field, raw, UrlProblem::NotAbsolute))?;
    let after_scheme = after_colon
        .strip_prefix("//")
        .ok_or_else(|| bad(field, raw, UrlProblem::NotAbsolute))?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return Err(DiscoveryError::NotHttps {
            field,
            url: raw.to_owned(),
        });
    }
    let authority_len = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme
        .split_at_checked(authority_len)
        .ok_or_else(|| bad(field, raw, UrlProblem::NotAbsolute))?;
    if authority.is_empty() {
        return Err(bad(field, raw, UrlProblem::NoHost));
    }
    if authority.contains('@') {
        return Err(bad(field, raw, UrlProblem::Userinfo));
    }
    // A percent-encoded host (`accounts.example%2Eevil.example`) decodes to another
    // host than the text shows.
    if authority.contains('%') {
        return Err(bad(field, raw, UrlProblem::BadPercentEncoding));
    }
    check_percent_encoding(raw, field, kind == UrlKind::Issuer)?;

    let parsed =
        url::Url::parse(raw).map_err(|e| bad(field, raw, UrlProblem::Unparsable(e.to_string())))?;
    match parsed.scheme() {
        "https" => {}
        "http" if trust.allows_http(&parsed) => {}
        _ => {
            return Err(DiscoveryError::NotHttps {
                field,
                url: raw.to_owned(),
            });
        }
    }
    // The host the parser will connect to is the host written in the authority.
    let written_host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(host, _)| host);
    match parsed.host_str() {
        None => return Err(bad(field, raw, UrlProblem::NoHost)),
        Some(host) if !host.eq_ignore_ascii_case(written_host) => {
            return Err(bad(field, raw, UrlProblem::Ambiguous));
        }
        Some(_) => {}
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(field, raw, UrlProblem::Userinfo));
    }
    if parsed.fragment().is_some() {
        return Err(bad(field, raw, UrlProblem::Fragment));
    }
    if kind != UrlKind::Endpoint && parsed.query().is_some() {
        return Err(bad(field, raw, UrlProblem::Query));
    }
    if kind == UrlKind::Issuer && rest.split('/').any(is_dot_segment) {
        return Err(bad(field, raw, UrlProblem::DotSegment));
    }
    let origin_len = scheme.len() + "://".len() + authority.len();
    let origin = raw
        .get(..origin_len)
        .ok_or_else(|| bad(field, raw, UrlProblem::NotAbsolute))?;
    Ok(CheckedUrl { origin, rest })
}

fn check_percent_encoding(
    raw: &str,
    field: &'static str,
    forbid_unreserved: bool,
) -> Result<(), DiscoveryError> {
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            continue;
        }
        let (Some(hi), Some(lo)) = (
            bytes.next().and_then(hex_value),
            bytes.next().and_then(hex_value),
        ) else {
            return Err(bad(field, raw, UrlProblem::BadPercentEncoding));
        };
        let decoded = hi * 16 + lo;
        if forbid_unreserved && is_unreserved(decoded) {
            return Err(bad(field, raw, UrlProblem::PercentEncodedUnreserved));
        }
    }
    Ok(())
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 3986 §2.3 unreserved characters.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase().replace("%2e", ".");
    lower == "." || lower == ".."
}

/// A validated issuer identifier (RFC 8414 §2; the mailmaint OAuth profile for open
/// public clients, -06 §3.2).
///
/// An issuer is an `https` URL with a host and no userinfo, query, fragment, dot
/// segment (`.` or `..`) or percent-encoded unreserved character. It is kept exactly
/// as written: metadata is accepted only if its `issuer` is the same string, code
/// point by code point (RFC 8414 §3.3), so `https://example.com` and
/// `https://example.com/` are different issuers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Issuer {
    raw: String,
    origin_len: usize,
}

impl Issuer {
    /// Validates an `https` issuer identifier.
    pub fn parse(issuer: &str) -> Result<Self, DiscoveryError> {
        Self::parse_with(issuer, Trust::HttpsOnly)
    }

    /// Validates an issuer identifier, allowing `http` as far as `trust` says.
    pub fn parse_with(issuer: &str, trust: Trust) -> Result<Self, DiscoveryError> {
        let checked = check_url(issuer, "issuer", trust, UrlKind::Issuer)?;
        Ok(Self {
            raw: issuer.to_owned(),
            origin_len: checked.origin.len(),
        })
    }

    /// The issuer, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    fn origin_and_path(&self) -> (&str, &str) {
        self.raw
            .split_at_checked(self.origin_len)
            .unwrap_or((&self.raw, ""))
    }

    /// The RFC 8414 §3.1 metadata URL for a well-known suffix `name` (such as
    /// `oauth-authorization-server`): `/.well-known/<name>` inserted between the host
    /// and the issuer's path, with the path's trailing `/` removed.
    ///
    /// `https://example.com/issuer1` gives
    /// `https://example.com/.well-known/<name>/issuer1`.
    pub fn well_known_url(&self, name: &str) -> String {
        let (origin, path) = self.origin_and_path();
        format!("{origin}/.well-known/{name}{}", path.trim_end_matches('/'))
    }

    /// The RFC 8414 metadata URL: [`Issuer::well_known_url`] with
    /// `oauth-authorization-server`.
    pub fn rfc8414_url(&self) -> String {
        self.well_known_url(OAUTH_AUTHORIZATION_SERVER)
    }

    /// The OpenID Connect Discovery URL: the issuer, without a trailing `/`, with
    /// `/.well-known/openid-configuration` appended.
    ///
    /// `https://example.com/issuer1` gives
    /// `https://example.com/issuer1/.well-known/openid-configuration`.
    pub fn oidc_url(&self) -> String {
        format!(
            "{}{OPENID_CONFIGURATION_PATH}",
            self.raw.trim_end_matches('/')
        )
    }

    /// The metadata URLs to try, in this order, stopping at the first that answers
    /// with a document (each is verified the same way, against this issuer):
    ///
    /// 1. `/.well-known/oauth-authorization-server` inserted (RFC 8414 §3, the
    ///    suffix RFC 8414 registers for OAuth; the mailmaint profile asks for RFC
    ///    8414 metadata first);
    /// 2. `/.well-known/openid-configuration` inserted (RFC 8414 §5: try the RFC 8414
    ///    form of the OpenID suffix first);
    /// 3. `/.well-known/openid-configuration` appended (RFC 8414 §5: then fall back
    ///    to OpenID Connect Discovery's form).
    ///
    /// For an issuer without a path, 2 and 3 are the same URL, which is listed once.
    pub fn metadata_urls(&self) -> Vec<String> {
        let mut urls = vec![
            self.rfc8414_url(),
            self.well_known_url(OPENID_CONFIGURATION),
        ];
        let oidc = self.oidc_url();
        if !urls.contains(&oidc) {
            urls.push(oidc);
        }
        urls
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl AsRef<str> for Issuer {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

/// The RFC 8414 metadata URL of an `https` issuer (see [`Issuer::rfc8414_url`]).
///
/// `https://example.com/issuer1` gives
/// `https://example.com/.well-known/oauth-authorization-server/issuer1`.
pub fn rfc8414_url(issuer: &str) -> Result<String, DiscoveryError> {
    Ok(Issuer::parse(issuer)?.rfc8414_url())
}

/// The OpenID Connect Discovery URL of an `https` issuer (see [`Issuer::oidc_url`]).
pub fn oidc_url(issuer: &str) -> Result<String, DiscoveryError> {
    Ok(Issuer::parse(issuer)?.oidc_url())
}

/// The metadata URLs to try for an `https` issuer, in order (see
/// [`Issuer::metadata_urls`]).
pub fn metadata_urls(issuer: &str) -> Result<Vec<String>, DiscoveryError> {
    Ok(Issuer::parse(issuer)?.metadata_urls())
}

/// Where to fetch an authorization server's metadata, and the issuer it must name.
///
/// Made from an issuer ([`DiscoveryTarget::from_issuer`]), or from the
/// `openid-configuration` URL of an OAUTHBEARER failure
/// ([`DiscoveryTarget::from_openid_configuration`]). The client fetches
/// [`urls`](DiscoveryTarget::urls) in order, without following redirects, and passes
/// the first document it gets to [`verify`](DiscoveryTarget::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryTarget {
    issuer: Issuer,
    urls: Vec<String>,
    trust: Trust,
}

impl DiscoveryTarget {
    /// A target for an `https` issuer; the URLs are [`Issuer::metadata_urls`].
    pub fn from_issuer(issuer: &str) -> Result<Self, DiscoveryError> {
        Self::from_issuer_with(issuer, Trust::HttpsOnly)
    }

    /// [`DiscoveryTarget::from_issuer`], allowing `http` (for the issuer and the
    /// endpoints in the metadata) as far as `trust` says.
    pub fn from_issuer_with(issuer: &str, trust: Trust) -> Result<Self, DiscoveryError> {
        Ok(Self::for_issuer(Issuer::parse_with(issuer, trust)?, trust))
    }

    /// A target for an already validated issuer, verifying endpoints with `trust`.
    pub fn for_issuer(issuer: Issuer, trust: Trust) -> Self {
        let urls = issuer.metadata_urls();
        Self {
            issuer,
            urls,
            trust,
        }
    }

    /// A target for the `openid-configuration` URL of an OAUTHBEARER failure (RFC 7628
    /// §3.2.2): the URL itself is the only one to fetch.
    ///
    /// The URL must be `https`, without userinfo, query or fragment, and its path must
    /// be one of
    ///
    /// - `/.well-known/openid-configuration`: the issuer is the origin,
    ///   `https://example.com/.well-known/openid-configuration` → `https://example.com`;
    /// - `<path>/.well-known/openid-configuration` (OpenID Connect Discovery's form):
    ///   the issuer is the origin and `<path>`, which does not end with `/` (the form
    ///   removes an issuer's terminating `/`s, so `https://example.com/a//.well-known/
    ///   openid-configuration` is no issuer's URL and is refused);
    /// - `/.well-known/openid-configuration<path>` (RFC 8414's form): the issuer is
    ///   the origin and `<path>`.
    ///
    /// The derived issuer must itself be a valid [`Issuer`]. It never ends with `/`
    /// unless `<path>` does; a server whose issuer is `https://example.com/` (with the
    /// slash) cannot be reached this way, because the URL does not say so, and is
    /// refused by [`verify`](DiscoveryTarget::verify) rather than guessed.
    pub fn from_openid_configuration(url: &str) -> Result<Self, DiscoveryError> {
        Self::from_openid_configuration_with(url, Trust::HttpsOnly)
    }

    /// [`DiscoveryTarget::from_openid_configuration`], allowing `http` as far as
    /// `trust` says.
    pub fn from_openid_configuration_with(url: &str, trust: Trust) -> Result<Self, DiscoveryError> {
        const FIELD: &str = "openid-configuration";
        let checked = check_url(url, FIELD, trust, UrlKind::Document)?;
        let path = checked.rest;
        let issuer_path = if path == OPENID_CONFIGURATION_PATH {
            ""
        } else if let Some(rest) = path
            .strip_prefix(OPENID_CONFIGURATION_PATH)
            .filter(|rest| rest.starts_with('/'))
        {
            if rest.ends_with(OPENID_CONFIGURATION_PATH) {
                return Err(bad(FIELD, url, UrlProblem::Ambiguous));
            }
            rest
        } else if let Some(prefix) = path.strip_suffix(OPENID_CONFIGURATION_PATH) {
            // OpenID Connect Discovery removes an issuer's terminating `/`s before
            // appending, so `<path>//.well-known/...` is no issuer's URL: taking
            // `<path>/` as the issuer would give one whose own URL is another.
            if prefix.ends_with('/') {
                return Err(bad(FIELD, url, UrlProblem::NotOpenIdConfiguration));
            }
            prefix
        } else {
            return Err(bad(FIELD, url, UrlProblem::NotOpenIdConfiguration));
        };
        let issuer = Issuer::parse_with(&format!("{}{issuer_path}", checked.origin), trust)?;
        Ok(Self {
            issuer,
            urls: vec![url.to_owned()],
            trust,
        })
    }

    /// The first (for a failure's `openid-configuration`, the only) URL to fetch.
    pub fn url(&self) -> &str {
        self.urls.first().map_or("", String::as_str)
    }

    /// All URLs to try, in order; the first document fetched is the one to verify.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The issuer the metadata must name, exactly.
    pub fn expected_issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The issuer the metadata must name.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The trust the endpoints in the metadata are checked with.
    pub fn trust(&self) -> Trust {
        self.trust
    }

    /// Parses a fetched metadata document and checks it against the expected issuer
    /// (see [`AuthorizationServerMetadata::parse`]).
    pub fn verify(&self, document: &[u8]) -> Result<AuthorizationServerMetadata, DiscoveryError> {
        AuthorizationServerMetadata::parse(document, &self.issuer, self.trust)
    }
}
