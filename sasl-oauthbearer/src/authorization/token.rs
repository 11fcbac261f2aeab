//! Client authentication (RFC 6749 §2.3), the form requests sent to the token,
//! device-authorization and revocation endpoints, token responses (§5.1) and OAuth
//! error responses (§5.2).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sasl_core::UnixTime;
use zeroize::Zeroizing;

use super::wire::{
    Members, basic_credentials, description, form, is_nqschar, is_scope_token, is_vschar, sanitise,
};

/// The longest `error` code accepted, in bytes; registered codes are short.
const MAX_ERROR_CODE_LEN: usize = 128;
/// The longest `error_uri` kept, in bytes.
const MAX_ERROR_URI_LEN: usize = 1024;

/// How the client authenticates to the token endpoint, with its `client_id`.
#[derive(Clone)]
enum ClientAuth {
    /// `none`: a public client, `client_id` in the body.
    None,
    /// `client_secret_post`: `client_id` and `client_secret` in the body.
    Post(Zeroizing<String>),
    /// `client_secret_basic`: HTTP Basic with the form-encoded id and secret.
    Basic(Zeroizing<String>),
}

/// A client's identifier and how it authenticates to the token endpoint (RFC 6749
/// §2.3, `token_endpoint_auth_method` of RFC 7591 §2).
///
/// Native mail clients are public clients ([`ClientCredentials::public`], PKCE instead
/// of a secret, RFC 8252 §8.4); the secret methods exist for providers that issue a
/// secret to installed applications anyway (Google does), where the "secret" is not
/// really one. `Debug` shows the client id and the method, never the secret.
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: String,
    auth: ClientAuth,
}

impl ClientCredentials {
    /// A public client (`token_endpoint_auth_method` `none`): `client_id` goes in the
    /// request body.
    pub fn public(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::None,
        }
    }

    /// `client_secret_post`: `client_id` and `client_secret` in the request body.
    pub fn secret_post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::Post(Zeroizing::new(secret.into())),
        }
    }

    /// `client_secret_basic` (RFC 6749 §2.3.1): an `Authorization: Basic` header of
    /// `base64(urlencode(client_id) ":" urlencode(secret))`, with the
    /// `application/x-www-form-urlencoded` encoding of Appendix B; nothing about the
    /// client in the body.
    pub fn secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::Basic(Zeroizing::new(secret.into())),
        }
    }

    /// The `client_id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The RFC 7591 name of the method: `"none"`, `"client_secret_post"` or
    /// `"client_secret_basic"`.
    pub fn auth_method(&self) -> &'static str {
        match self.auth {
            ClientAuth::None => "none",
            ClientAuth::Post(_) => "client_secret_post",
            ClientAuth::Basic(_) => "client_secret_basic",
        }
    }

    /// The client secret, for the secret methods.
    pub fn secret(&self) -> Option<&str> {
        match &self.auth {
            ClientAuth::None => None,
            ClientAuth::Post(secret) | ClientAuth::Basic(secret) => Some(secret),
        }
    }

    /// A form request with the client's authentication added to `pairs`.
    pub(super) fn request<'a>(&'a self, mut pairs: Vec<(&'a str, &'a str)>) -> FormRequest {
        let authorization = match &self.auth {
            ClientAuth::None => {
                pairs.push(("client_id", &self.client_id));
                None
            }
            ClientAuth::Post(secret) => {
                pairs.push(("client_id", &self.client_id));
                pairs.push(("client_secret", secret));
                None
            }
            ClientAuth::Basic(secret) => {
                let credentials = basic_credentials(&self.client_id, secret);
                let prefix = "Basic ";
                let encoded_len = credentials.len().div_ceil(3).saturating_mul(4);
                let mut header = Zeroizing::new(String::with_capacity(
                    prefix.len().saturating_add(encoded_len),
                ));
                header.push_str(prefix);
                STANDARD.encode_string(credentials.as_bytes(), &mut header);
                Some(header)
            }
        };
        FormRequest {
            body: form(&pairs),
            authorization,
        }
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ClientCredentials");
        s.field("client_id", &self.client_id)
            .field("auth_method", &self.auth_method());
        if self.secret().is_some() {
            s.field("secret", &"<redacted>");
        }
        s.finish()
    }
}

/// An `application/x-www-form-urlencoded` POST for the token, device-authorization or
/// revocation endpoint.
///
/// Send [`body`](Self::body) with `Content-Type:`
/// [`CONTENT_TYPE`](Self::CONTENT_TYPE) and, if present, the
/// [`authorization`](Self::authorization) header; over TLS, without following
/// redirects. The body holds secrets (code, verifier, refresh token, client secret) and
/// is zeroized on drop; `Debug` shows neither it nor the header.
pub struct FormRequest {
    body: Zeroizing<String>,
    authorization: Option<Zeroizing<String>>,
}

impl FormRequest {
    /// The `Content-Type` of the body.
    pub const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded";

    /// The request body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The whole `Authorization` header value (`Basic ...`) for
    /// `client_secret_basic`; `None` for the other methods.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref().map(String::as_str)
    }
}

impl fmt::Debug for FormRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormRequest")
            .field(
                "body",
                &format_args!("<redacted, {} bytes>", self.body.len()),
            )
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A refresh request (RFC 6749 §6): `grant_type=refresh_token`, `refresh_token`, and
/// `scope` (space-separated) if `scopes` is given and not empty; without it the new
/// token has the scopes of the old one.
///
/// Keep the old refresh token until the response says otherwise: a
/// [`TokenResponse`] without a `refresh_token` means the old one stays valid.
pub fn refresh_grant(
    client: &ClientCredentials,
    refresh_token: &str,
    scopes: Option<&[String]>,
) -> FormRequest {
    let scope = scopes.map(|s| s.join(" ")).filter(|s| !s.is_empty());
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = &scope {
        pairs.push(("scope", scope));
    }
    client.request(pairs)
}

/// A token revocation request (RFC 7009 §2.1): `token` and, if given,
/// `token_type_hint` (`refresh_token` or `access_token`). The server answers 200
/// whether or not the token was valid; revoking a refresh token usually revokes its
/// access tokens too.
pub fn revocation_request(
    client: &ClientCredentials,
    token: &str,
    token_type_hint: Option<&str>,
) -> FormRequest {
    let mut pairs = vec![("token", token)];
    if let Some(hint) = token_type_hint {
        pairs.push(("token_type_hint", hint));
    }
    client.request(pairs)
}

/// A successful token response (RFC 6749 §5.1), from the code, refresh or device grant.
///
/// Its tokens are zeroized on drop; `Debug` shows the token type, expiry and scopes,
/// never a token.
pub struct TokenResponse {
    access_token: Zeroizing<String>,
    token_type: String,
    expires_at: Option<UnixTime>,
    refresh_token: Option<Zeroizing<String>>,
    scopes: Option<Vec<String>>,
    id_token: Option<Zeroizing<String>>,
}

impl TokenResponse {
    /// Parses the token endpoint's answer: its HTTP `status`, its `body`, and the time
    /// `now` at which it arrived.
    ///
    /// A 200 answer must be JSON with `access_token` (required, non-empty, RFC 6749
    /// VSCHAR) and `token_type` (required, `Bearer` ignoring ASCII case; anything
    /// else is an error, since this crate only presents bearer tokens). Optional are
    /// `expires_in` (a non-negative integer, giving
    /// [`expires_at`](Self::expires_at) = `now` + `expires_in`; a JSON string of
    /// digits is tolerated, since some providers send one), `refresh_token`, `scope`
    /// (space-separated) and `id_token`. A 400 or 401 answer with an RFC 6749 §5.2
    /// error object is [`TokenEndpointError::OAuth`]; any other status is
    /// [`TokenEndpointError::Status`], with the OAuth error if the body has one.
    ///
    /// In more detail: the body is at most
    /// [`MAX_DOCUMENT_SIZE`](crate::discovery::MAX_DOCUMENT_SIZE) bytes of one JSON
    /// object without a member twice; JSON `null` counts as absent; unknown members
    /// are ignored. A 200 answer without `access_token` but with an `error` (GitHub
    /// answers so) is read as the error. A 400 or 401 answer whose body is not an
    /// error object is [`TokenEndpointError::Status`] without an error.
    /// `refresh_token` and `id_token`, when present, must be non-empty VSCHAR text,
    /// and each scope an RFC 6749 §3.3 scope token. Error messages never quote the
    /// body.
    pub fn parse(status: u16, body: &[u8], now: UnixTime) -> Result<Self, TokenEndpointError> {
        let mut members = success_members(status, body, "access_token")?;
        Self::from_members(&mut members, now).map_err(TokenEndpointError::Malformed)
    }

    fn from_members(members: &mut Members, now: UnixTime) -> Result<Self, String> {
        let access_token = members.required_secret("access_token")?;
        let token_type = members
            .string("token_type")?
            .ok_or_else(|| "no token_type".to_owned())?;
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "token_type {:?} is not Bearer",
                sanitise(&token_type, 32)
            ));
        }
        let expires_at = members
            .seconds("expires_in")?
            .map(|secs| now.saturating_add_secs(secs));
        let refresh_token = members.optional_secret("refresh_token")?;
        let id_token = members.optional_secret("id_token")?;
        let scopes = match members.string("scope")? {
            None => None,
            Some(scope) => {
                let scopes: Vec<String> = scope
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if !scopes.iter().all(|s| is_scope_token(s)) {
                    return Err("scope has characters outside RFC 6749 scope tokens".to_owned());
                }
                (!scopes.is_empty()).then_some(scopes)
            }
        };
        Ok(Self {
            access_token,
            token_type,
            expires_at,
            refresh_token,
            scopes,
            id_token,
        })
    }

    /// The access token, for OAUTHBEARER or XOAUTH2.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// `token_type` as sent; always `Bearer` ignoring ASCII case.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When the access token expires: the `now` given to the parser plus
    /// `expires_in`; `None` if the server did not say. Refresh a little before.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.expires_at
    }

    /// A new refresh token, if one was issued. Store it in place of the old one (some
    /// servers rotate refresh tokens and revoke the old one on use); if absent, keep
    /// using the old one.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref().map(String::as_str)
    }

    /// The granted scopes (`scope`, split on spaces), if the server listed them. RFC
    /// 6749 §5.1 lets a server omit `scope` when it granted what was asked for.
    pub fn scopes(&self) -> Option<&[String]> {
        self.scopes.as_deref()
    }

    /// The OpenID Connect `id_token`, unverified; this crate does not check it.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_deref().map(String::as_str)
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scopes", &self.scopes)
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The members of a successful answer, or the error the answer carries: 200 is
/// success unless the object lacks `key` and has an `error`; 400 and 401 are OAuth
/// errors; any other status is [`TokenEndpointError::Status`].
pub(super) fn success_members(
    status: u16,
    body: &[u8],
    key: &str,
) -> Result<Members, TokenEndpointError> {
    match status {
        200 => {
            let mut members = Members::parse(body).map_err(TokenEndpointError::Malformed)?;
            if !members.contains(key) && members.contains("error") {
                return Err(TokenEndpointError::OAuth(OAuthError::from_members(
                    &mut members,
                )?));
            }
            Ok(members)
        }
        400 | 401 => Err(match OAuthError::parse(body) {
            Ok(error) => TokenEndpointError::OAuth(error),
            Err(_) => TokenEndpointError::Status {
                status,
                error: None,
            },
        }),
        _ => Err(TokenEndpointError::Status {
            status,
            error: OAuthError::parse(body).ok(),
        }),
    }
}

/// An OAuth `error` code (RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5, RFC 7591
/// §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: the request is malformed (a bug on this side, or a
    /// parameter the server does not accept).
    InvalidRequest,
    /// `invalid_client`: client authentication failed (unknown client id, wrong
    /// secret, wrong method).
    InvalidClient,
    /// `invalid_grant`: the code, refresh token or device code is invalid, expired or
    /// revoked, or the `code_verifier` or `redirect_uri` does not match: the user must
    /// log in again.
    InvalidGrant,
    /// `unauthorized_client`: this client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`: a scope is unknown, malformed, or more than the original grant.
    InvalidScope,
    /// `access_denied`: the user (or a policy) refused.
    AccessDenied,
    /// `unsupported_response_type`.
    UnsupportedResponseType,
    /// `server_error`.
    ServerError,
    /// `temporarily_unavailable`: try again later.
    TemporarilyUnavailable,
    /// `authorization_pending` (RFC 8628): the user has not finished yet; poll again.
    AuthorizationPending,
    /// `slow_down` (RFC 8628): poll again, 5 seconds less often.
    SlowDown,
    /// `expired_token` (RFC 8628): the device code expired; start over.
    ExpiredToken,
    /// `invalid_redirect_uri` (RFC 7591): a redirect URI was refused.
    InvalidRedirectUri,
    /// `invalid_client_metadata` (RFC 7591): some client metadata was refused.
    InvalidClientMetadata,
    /// `invalid_software_statement` (RFC 7591).
    InvalidSoftwareStatement,
    /// `unapproved_software_statement` (RFC 7591).
    UnapprovedSoftwareStatement,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthErrorCode {
    /// The code for an `error` value; unknown values become [`OAuthErrorCode::Other`].
    /// Codes are compared exactly (they are case-sensitive).
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "authorization_pending" => Self::AuthorizationPending,
            "slow_down" => Self::SlowDown,
            "expired_token" => Self::ExpiredToken,
            "invalid_redirect_uri" => Self::InvalidRedirectUri,
            "invalid_client_metadata" => Self::InvalidClientMetadata,
            "invalid_software_statement" => Self::InvalidSoftwareStatement,
            "unapproved_software_statement" => Self::UnapprovedSoftwareStatement,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The `error` value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidSoftwareStatement => "invalid_software_statement",
            Self::UnapprovedSoftwareStatement => "unapproved_software_statement",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error response: from the token endpoint (RFC 6749 §5.2), the device
/// endpoints (RFC 8628), the registration endpoint (RFC 7591 §3.2.2) or the
/// authorization redirect (§4.1.2.1).
///
/// The code is checked (NQSCHAR, at most 128 bytes); the description is kept
/// sanitised (printable ASCII, at most 200 characters) so that it can be logged or
/// shown; `error_uri` is kept only if it is printable ASCII of at most 1024 bytes, and
/// is not checked as a URL: do not open it without asking the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    code: OAuthErrorCode,
    description: Option<String>,
    uri: Option<String>,
}

impl OAuthError {
    /// The `error` code.
    pub fn code(&self) -> &OAuthErrorCode {
        &self.code
    }

    /// `error_description`, sanitised and shortened.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `error_uri`, if it was plausible.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    /// Parses an error response body: a JSON object (bounded, no member twice) with a
    /// string `error`. Anything else is [`TokenEndpointError::Malformed`].
    pub fn parse(body: &[u8]) -> Result<Self, TokenEndpointError> {
        let mut members = Members::parse(body).map_err(TokenEndpointError::Malformed)?;
        Self::from_members(&mut members)
    }

    fn from_members(members: &mut Members) -> Result<Self, TokenEndpointError> {
        let malformed = TokenEndpointError::Malformed;
        let code = members
            .string("error")
            .map_err(malformed)?
            .ok_or_else(|| malformed("no error member".to_owned()))?;
        let description = members.string("error_description").map_err(malformed)?;
        let uri = members.string("error_uri").map_err(malformed)?;
        Self::from_parts(&code, description.as_deref(), uri.as_deref()).map_err(malformed)
    }

    /// An error from its parts, as received (JSON members or redirect parameters).
    pub(super) fn from_parts(
        code: &str,
        description_text: Option<&str>,
        uri: Option<&str>,
    ) -> Result<Self, String> {
        if code.len() > MAX_ERROR_CODE_LEN || !is_nqschar(code) {
            return Err("the error code is empty, too long or has invalid characters".to_owned());
        }
        let uri = uri
            .filter(|u| u.len() <= MAX_ERROR_URI_LEN && is_vschar(u) && !u.contains(' '))
            .map(str::to_owned);
        Ok(Self {
            code: OAuthErrorCode::parse(code),
            description: description_text.and_then(description),
            uri,
        })
    }

    /// An error made on this side (such as a device code past its deadline).
    pub(super) fn local(code: OAuthErrorCode, description: &str) -> Self {
        Self {
            code,
            description: Some(description.to_owned()),
            uri: None,
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// Why a token-endpoint (or device-authorization-endpoint) answer gave no tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenEndpointError {
    /// The server refused with an OAuth error (400 or 401, or 200 with an error body).
    OAuth(OAuthError),
    /// Another HTTP status; the OAuth error if the body was one.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The error in the body, if it was an OAuth error object.
        error: Option<OAuthError>,
    },
    /// The answer is not what the RFCs describe; the detail never quotes the body.
    Malformed(String),
}

impl TokenEndpointError {
    /// True for invalid_grant (refresh token expired/revoked: the user must log in again).
    pub fn needs_new_login(&self) -> bool {
        self.oauth_error()
            .is_some_and(|e| *e.code() == OAuthErrorCode::InvalidGrant)
    }

    /// The OAuth error, from [`OAuth`](Self::OAuth) or [`Status`](Self::Status).
    pub fn oauth_error(&self) -> Option<&OAuthError> {
        match self {
            Self::OAuth(error)
            | Self::Status {
                error: Some(error), ..
            } => Some(error),
            Self::Status { error: None, .. } | Self::Malformed(_) => None,
        }
    }
}

impl fmt::Display for TokenEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth(error) => write!(f, "the authorization server refused: {error}"),
            Self::Status {
                status,
                error: Some(error),
            } => write!(
                f,
                "HTTP status {status} from the authorization server: {error}"
            ),
            Self::Status {
                status,
                error: None,
            } => write!(f, "HTTP status {status} from the authorization server"),
            Self::Malformed(detail) => {
                write!(
                    f,
                    "malformed answer from the authorization server: {detail}"
                )
            }
        }
    }
}

impl std::error::Error for TokenEndpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.oauth_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
