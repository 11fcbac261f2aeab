//! Sans-IO OAuth discovery for mail clients: from an e-mail address, or from an
//! OAUTHBEARER failure, to verified authorization-server metadata.
//!
//! Nothing here fetches anything. The functions say which URLs to fetch, the mail
//! client does the HTTP itself (over TLS, **without following redirects** for
//! metadata, as the mailmaint OAuth profile is reported to ask) and hands the
//! response bodies back for parsing and verification.
//!
//! The rules come from RFC 8414, RFC 7628 §3.2.2 and OpenID Connect Discovery; the
//! extra issuer rules of draft-ietf-mailmaint-oauth-public (no dot segments, no
//! percent-encoded unreserved characters) are taken from secondary summaries of the
//! draft, not from its text.
//!
//! There are three sources of information, each in its own part of the module:
//!
//! - **Mozilla autoconfig** (`config-v1.1.xml`, the Thunderbird ISPDB format):
//!   [`autoconfig_urls`] and [`ispdb_url`] say where to look for an address;
//!   [`Autoconfig::parse`] reads the document into servers and an optional
//!   `<oAuth2>` block whose issuer can start discovery.
//! - **Issuer identifiers** (RFC 8414 §2): [`Issuer`] validates one;
//!   [`rfc8414_url`], [`oidc_url`] and [`metadata_urls`] build the well-known
//!   metadata locations.
//! - **Authorization-server metadata** (RFC 8414 §2, OpenID Connect Discovery):
//!   [`AuthorizationServerMetadata`], obtainable only through a check that the
//!   document's `issuer` is identical to the one the client asked for.
//!
//! [`DiscoveryTarget`] ties the last two together: made from an issuer (found
//! through autoconfig or configured) or from the `openid-configuration` URL of an
//! OAUTHBEARER failure (RFC 7628 §3.2.2, [`sasl_core::TokenError::openid_configuration`]),
//! it lists the URLs to fetch and verifies what comes back.
//!
//! Every document is bounded ([`MAX_AUTOCONFIG_SIZE`], [`MAX_DOCUMENT_SIZE`]); every URL must be `https`
//! unless the caller passes a [`Trust`] that allows `http` (for tests and local
//! deployments).
//!
//! # Example
//!
//! ```
//! use sasl_core::TokenError;
//! use sasl_oauthbearer::discovery::{autoconfig_urls, ispdb_url, Autoconfig, DiscoveryTarget};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // 1. From an e-mail address to the autoconfig URLs to fetch, in order.
//! let address = "alice@example.com";
//! assert_eq!(
//!     autoconfig_urls(address)?,
//!     [
//!         "https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=alice%40example.com",
//!         "https://example.com/.well-known/autoconfig/mail/config-v1.1.xml",
//!     ]
//! );
//! // Only if the user agrees to ask a third party:
//! assert_eq!(ispdb_url(address)?, "https://autoconfig.thunderbird.net/v1.1/example.com");
//!
//! // The client fetches the first that answers and hands over the body.
//! let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <clientConfig version="1.1">
//!   <emailProvider id="example.com">
//!     <domain>example.com</domain>
//!     <incomingServer type="imap">
//!       <hostname>imap.example.com</hostname>
//!       <port>993</port>
//!       <socketType>SSL</socketType>
//!       <username>%EMAILADDRESS%</username>
//!       <authentication>OAuth2</authentication>
//!     </incomingServer>
//!   </emailProvider>
//!   <oAuth2>
//!     <issuer>https://example.com</issuer>
//!     <scope>urn:ietf:params:oauth:scope:mail offline_access</scope>
//!   </oAuth2>
//! </clientConfig>"#;
//! let config = Autoconfig::parse(xml, address)?;
//! let imap = config.oauth_servers().next().ok_or("no OAuth server")?;
//! assert_eq!((imap.hostname(), imap.port()), ("imap.example.com", 993));
//! assert_eq!(imap.username(), Some("alice@example.com"));
//!
//! // 2. The issuer from autoconfig gives the metadata URLs to try, in order.
//! let issuer = config.oauth2().and_then(|o| o.issuer_url()).ok_or("no issuer URL")?;
//! let target = DiscoveryTarget::from_issuer(issuer.as_str())?;
//! assert_eq!(target.url(), "https://example.com/.well-known/oauth-authorization-server");
//!
//! // 3. Or: the IMAP server rejected the token and named its OpenID configuration.
//! let failure = TokenError::invalid_token()
//!     .with_openid_configuration("https://example.com/.well-known/openid-configuration");
//! let url = failure.openid_configuration().ok_or("no openid-configuration")?;
//! let target = DiscoveryTarget::from_openid_configuration(url)?;
//! assert_eq!(target.url(), "https://example.com/.well-known/openid-configuration");
//! assert_eq!(target.expected_issuer(), "https://example.com");
//!
//! // The client fetches target.url() and hands over the body for verification.
//! let json = br#"{
//!   "issuer": "https://example.com",
//!   "authorization_endpoint": "https://example.com/authorize",
//!   "token_endpoint": "https://example.com/token",
//!   "registration_endpoint": "https://example.com/register",
//!   "response_types_supported": ["code"],
//!   "grant_types_supported": ["authorization_code", "refresh_token"],
//!   "code_challenge_methods_supported": ["S256"]
//! }"#;
//! let metadata = target.verify(json)?;
//! assert!(metadata.supports_pkce_s256());
//! assert_eq!(metadata.token_endpoint(), Some("https://example.com/token"));
//!
//! // A document for another issuer is refused.
//! let other = br#"{"issuer": "https://example.com/", "response_types_supported": ["code"]}"#;
//! assert!(target.verify(other).is_err());
//! # Ok(())
//! # }
//! ```

use std::fmt;

mod autoconfig;
mod issuer;
mod metadata;

pub use autoconfig::{
    AuthMethod, Autoconfig, Direction, OAuth2Config, OAuth2Issuer, Protocol, Server, SocketType,
    autoconfig_urls, ispdb_url,
};
pub use issuer::{DiscoveryTarget, Issuer, metadata_urls, oidc_url, rfc8414_url};
pub(crate) use issuer::{UrlKind, check_url, is_unreserved};
pub use metadata::AuthorizationServerMetadata;
pub(crate) use metadata::json_object;

/// The largest metadata (JSON) document the parsers accept: 1 MiB. Real documents
/// are a few kilobytes.
pub const MAX_DOCUMENT_SIZE: usize = 1024 * 1024;

/// The largest autoconfig (XML) document accepted: 64 KiB. Real files are a few
/// kilobytes; the XML parser's cost grows faster than linearly with the number of
/// attributes in one element, and whoever owns the domain a user types in controls
/// the document.
pub const MAX_AUTOCONFIG_SIZE: usize = 64 * 1024;

/// Which URL schemes the caller trusts for issuers, endpoints and discovery URLs.
///
/// The default, [`Trust::HttpsOnly`], is what RFC 8414 and RFC 7628 require. The
/// others exist for tests against a local server and for local deployments; a mail
/// client must not offer them for accounts on the Internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Trust {
    /// Only `https` URLs.
    #[default]
    HttpsOnly,
    /// `https`, and `http` to `localhost` or a loopback IP address.
    AllowHttpLoopback,
    /// `https` and `http` to any host.
    AllowHttp,
}

impl Trust {
    fn allows_http(self, url: &url::Url) -> bool {
        match self {
            Trust::HttpsOnly => false,
            Trust::AllowHttp => true,
            Trust::AllowHttpLoopback => has_loopback_host(url),
        }
    }
}

/// `localhost` or a loopback IP address, by the parsed host.
fn has_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether `url` names `localhost` or a loopback IP address, judged on the parsed host
/// as [`Trust::AllowHttpLoopback`] judges it (an application keeps such requests off
/// proxies, for example). `false` for anything that does not parse.
///
/// ```
/// use sasl_oauthbearer::discovery::is_loopback_url;
///
/// assert!(is_loopback_url("http://127.0.0.1:8080/token"));
/// assert!(is_loopback_url("http://[::1]/x"));
/// assert!(!is_loopback_url("http://127.0.0.1.evil.example/"));
/// ```
pub fn is_loopback_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| has_loopback_host(&url))
}

/// Checks a URL given from elsewhere (a command line, a configuration file) by the
/// rules every discovered endpoint passes: absolute `https` (or `http` where `trust`
/// allows it, judged on the parsed host, so `http://127.0.0.1.evil.example` is not
/// loopback), a host, no userinfo, no fragment, printable ASCII only. `field` names
/// the URL in the error.
///
/// ```
/// use sasl_oauthbearer::discovery::{Trust, check_endpoint};
///
/// assert!(check_endpoint("https://idp.example/token", "token URL", Trust::HttpsOnly).is_ok());
/// assert!(check_endpoint("http://127.0.0.1:8080/token", "token URL", Trust::AllowHttpLoopback).is_ok());
/// assert!(check_endpoint("http://127.0.0.1.evil.example/token", "token URL", Trust::AllowHttpLoopback).is_err());
/// assert!(check_endpoint("http://127.0.0.1:8080/token", "token URL", Trust::HttpsOnly).is_err());
/// ```
pub fn check_endpoint(url: &str, field: &'static str, trust: Trust) -> Result<(), DiscoveryError> {
    issuer::check_url(url, field, trust, issuer::UrlKind::Endpoint).map(drop)
}

/// Why a URL was refused (inside [`DiscoveryError::BadUrl`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlProblem {
    /// The URL parser refused it; the detail is its message.
    Unparsable(String),
    /// Empty, or a character outside printable ASCII (space, control, non-ASCII) or a
    /// backslash.
    InvalidCharacter,
    /// Not of the form `scheme://authority...`.
    NotAbsolute,
    /// No host.
    NoHost,
    /// Has userinfo (`user@` or `user:password@`).
    Userinfo,
    /// Has a query, which an issuer or discovery URL must not have.
    Query,
    /// Has a fragment.
    Fragment,
    /// Has a `.` or `..` path segment.
    DotSegment,
    /// A `%` not followed by two hexadecimal digits.
    BadPercentEncoding,
    /// A percent-encoded unreserved character (such as `%41` for `A`), which the
    /// mailmaint profile forbids in an issuer.
    PercentEncodedUnreserved,
    /// Not an OpenID configuration URL: the path neither ends in nor starts with
    /// `/.well-known/openid-configuration`.
    NotOpenIdConfiguration,
    /// The path both starts and ends with `/.well-known/openid-configuration`, so the
    /// issuer cannot be told.
    Ambiguous,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::Unparsable(detail) => write!(f, "not a URL ({detail})"),
            UrlProblem::InvalidCharacter => {
                f.write_str("empty, or a character outside printable ASCII")
            }
            UrlProblem::NotAbsolute => f.write_str("not an absolute scheme://host URL"),
            UrlProblem::NoHost => f.write_str("no host"),
            UrlProblem::Userinfo => f.write_str("has userinfo"),
            UrlProblem::Query => f.write_str("has a query"),
            UrlProblem::Fragment => f.write_str("has a fragment"),
            UrlProblem::DotSegment => f.write_str("has a dot segment"),
            UrlProblem::BadPercentEncoding => f.write_str("bad percent-encoding"),
            UrlProblem::PercentEncodedUnreserved => {
                f.write_str("percent-encodes an unreserved character")
            }
            UrlProblem::NotOpenIdConfiguration => {
                f.write_str("not a /.well-known/openid-configuration URL")
            }
            UrlProblem::Ambiguous => f.write_str("the issuer cannot be derived unambiguously"),
        }
    }
}

/// Why discovery input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The document is larger than the limit ([`MAX_DOCUMENT_SIZE`]).
    TooLarge {
        /// The document's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The document is not UTF-8.
    NotUtf8,
    /// The XML is malformed (or has too many nodes); the detail is the parser's
    /// message.
    Xml(String),
    /// The XML has a document type declaration. DTDs (and so entity definitions,
    /// as in "billion laughs") are refused, never expanded.
    DtdRejected,
    /// The XML's root element is not the expected one.
    WrongRoot {
        /// The expected root element.
        expected: &'static str,
        /// The root element found.
        found: String,
    },
    /// The JSON is malformed, not an object, or has a member twice; the detail is
    /// the parser's message.
    Json(String),
    /// A URL is not `https` (and the [`Trust`] does not allow `http` for it).
    NotHttps {
        /// Which URL: a field name such as `token_endpoint` or `issuer`.
        field: &'static str,
        /// The URL.
        url: String,
    },
    /// A URL is malformed or breaks a rule for its kind.
    BadUrl {
        /// Which URL.
        field: &'static str,
        /// The URL.
        url: String,
        /// What is wrong with it.
        problem: UrlProblem,
    },
    /// The metadata's `issuer` is not identical to the issuer the client asked for
    /// (RFC 8414 §3.3); the metadata must not be used.
    IssuerMismatch {
        /// The issuer the client asked for.
        expected: String,
        /// The issuer in the document.
        found: String,
    },
    /// A required field or element is missing (or empty).
    MissingField(&'static str),
    /// A field or element has the wrong type or an invalid value.
    InvalidField {
        /// The field or element.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The e-mail address cannot be used for autoconfig.
    BadEmailAddress {
        /// The address.
        address: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::TooLarge { size, limit } => {
                write!(f, "document of {size} bytes exceeds the limit of {limit}")
            }
            DiscoveryError::NotUtf8 => f.write_str("document is not UTF-8"),
            DiscoveryError::Xml(detail) => write!(f, "malformed XML: {detail}"),
            DiscoveryError::DtdRejected => f.write_str("XML with a DTD is refused"),
            DiscoveryError::WrongRoot { expected, found } => {
                write!(f, "root element is <{found}>, expected <{expected}>")
            }
            DiscoveryError::Json(detail) => write!(f, "malformed JSON: {detail}"),
            DiscoveryError::NotHttps { field, url } => write!(f, "{field} is not https: {url:?}"),
            DiscoveryError::BadUrl {
                field,
                url,
                problem,
            } => write!(f, "{field} {url:?}: {problem}"),
            DiscoveryError::IssuerMismatch { expected, found } => {
                write!(
                    f,
                    "metadata issuer {found:?} is not the expected {expected:?}"
                )
            }
            DiscoveryError::MissingField(field) => write!(f, "missing {field}"),
            DiscoveryError::InvalidField { field, reason } => {
                write!(f, "invalid {field}: {reason}")
            }
            DiscoveryError::BadEmailAddress { address, reason } => {
                write!(f, "e-mail address {address:?}: {reason}")
            }
        }
    }
}

impl std::error::Error for DiscoveryError {}

/// Checks a document's size (at most `limit`) and encoding; a UTF-8 byte-order mark
/// is skipped.
fn document_text(document: &[u8], limit: usize) -> Result<&str, DiscoveryError> {
    if document.len() > limit {
        return Err(DiscoveryError::TooLarge {
            size: document.len(),
            limit,
        });
    }
    let document = document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document);
    std::str::from_utf8(document).map_err(|_| DiscoveryError::NotUtf8)
}
