//! Dynamic client registration as a native public client (RFC 7591, RFC 8252 §8.4).

use std::fmt;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::device::DEVICE_CODE_GRANT_TYPE;
use super::token::{ClientCredentials, OAuthError};
use super::wire::{Members, is_vschar, sanitise};

/// A client registration request (RFC 7591 §3.1): POST [`to_json`](Self::to_json)
/// to the `registration_endpoint` with `Content-Type: application/json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRequest {
    client_name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    scope: Option<String>,
    software_id: Option<String>,
    software_version: Option<String>,
}

impl RegistrationRequest {
    /// A request for a native public client (RFC 8252 §8.4, RFC 7591 §2):
    /// `application_type` `native`, `token_endpoint_auth_method` `none`,
    /// `grant_types` `authorization_code`, `refresh_token` and
    /// `urn:ietf:params:oauth:grant-type:device_code`, `response_types` `code`.
    ///
    /// `redirect_uris` are the loopback or private-use-scheme URIs the client will
    /// use; a server may refuse or replace them, so use the ones in the
    /// [`ClientRegistration`].
    pub fn native_public(client_name: &str, redirect_uris: Vec<String>) -> Self {
        Self {
            client_name: client_name.to_owned(),
            redirect_uris,
            grant_types: vec![
                "authorization_code".to_owned(),
                "refresh_token".to_owned(),
                DEVICE_CODE_GRANT_TYPE.to_owned(),
            ],
            scope: None,
            software_id: None,
            software_version: None,
        }
    }

    /// Replaces the grant types (for a server that refuses the device grant, say).
    pub fn with_grant_types(self, grant_types: Vec<String>) -> Self {
        Self {
            grant_types,
            ..self
        }
    }

    /// The scopes the client will ask for (`scope`, space-separated); none if empty.
    pub fn with_scope(self, scopes: &[String]) -> Self {
        let scope = scopes.join(" ");
        Self {
            scope: (!scope.is_empty()).then_some(scope),
            ..self
        }
    }

    /// `software_id` and `software_version`: the same for every installation of the
    /// application, so the server can tell its registrations apart from others.
    pub fn with_software(self, id: &str, version: &str) -> Self {
        Self {
            software_id: Some(id.to_owned()),
            software_version: Some(version.to_owned()),
            ..self
        }
    }

    /// The redirect URIs asked for.
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// The request body (a JSON object).
    pub fn to_json(&self) -> String {
        let strings =
            |items: &[String]| Value::Array(items.iter().cloned().map(Value::String).collect());
        let mut map = Map::new();
        map.insert(
            "client_name".to_owned(),
            Value::String(self.client_name.clone()),
        );
        map.insert("redirect_uris".to_owned(), strings(&self.redirect_uris));
        map.insert(
            "application_type".to_owned(),
            Value::String("native".to_owned()),
        );
        map.insert(
            "token_endpoint_auth_method".to_owned(),
            Value::String("none".to_owned()),
        );
        map.insert("grant_types".to_owned(), strings(&self.grant_types));
        map.insert(
            "response_types".to_owned(),
            Value::Array(vec![Value::String("code".to_owned())]),
        );
        for (name, value) in [
            ("scope", &self.scope),
            ("software_id", &self.software_id),
            ("software_version", &self.software_version),
        ] {
            if let Some(value) = value {
                map.insert(name.to_owned(), Value::String(value.clone()));
            }
        }
        Value::Object(map).to_string()
    }
}

/// How a registered client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthMethod {
    None,
    Post,
    Basic,
}

impl AuthMethod {
    fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::Post => "client_secret_post",
            AuthMethod::Basic => "client_secret_basic",
        }
    }
}

/// A client information response (RFC 7591 §3.2.1): what the server registered.
///
/// Store it; [`credentials`](Self::credentials) gives the
/// [`ClientCredentials`] for the token requests. The client secret and the
/// registration access token are zeroized on drop and not shown by `Debug`.
pub struct ClientRegistration {
    client_id: String,
    client_secret: Option<Zeroizing<String>>,
    client_secret_expires_at: Option<u64>,
    client_id_issued_at: Option<u64>,
    auth_method: AuthMethod,
    redirect_uris: Vec<String>,
    registration_client_uri: Option<String>,
    registration_access_token: Option<Zeroizing<String>>,
}

impl ClientRegistration {
    /// Parses the registration endpoint's answer to `request`: a client information
    /// response (RFC 7591 §3.2.1; 201, and 200 is accepted too) or an error (§3.2.2,
    /// 400), which is [`RegistrationError::Refused`].
    ///
    /// `client_id` is required. Without a `token_endpoint_auth_method` the method is
    /// `client_secret_basic` (RFC 7591's default) if a secret was issued, `none`
    /// otherwise; a secret method without a `client_secret` is
    /// [`RegistrationError::Malformed`]. `client_secret_expires_at` is kept as sent
    /// (`0` means never).
    ///
    /// A 400 answer that is not an error object, and any other status, is
    /// [`RegistrationError::Status`]. The body is bounded JSON without a member twice;
    /// `null` counts as absent. `client_id`, `client_secret` and
    /// `registration_access_token` must be non-empty VSCHAR text. A method other than
    /// `none`, `client_secret_post` and `client_secret_basic` (such as
    /// `private_key_jwt`) is [`RegistrationError::UnsupportedAuthMethod`].
    /// `redirect_uris` absent from the answer are taken from `request`.
    pub fn parse(
        status: u16,
        body: &[u8],
        request: &RegistrationRequest,
    ) -> Result<Self, RegistrationError> {
        match status {
            200 | 201 => {}
            400 => {
                return Err(match OAuthError::parse(body) {
                    Ok(error) => RegistrationError::Refused(error),
                    Err(_) => RegistrationError::Status(status),
                });
            }
            other => return Err(RegistrationError::Status(other)),
        }
        let mut members = Members::parse(body).map_err(RegistrationError::Malformed)?;
        Self::from_members(&mut members, request)
    }

    fn from_members(
        members: &mut Members,
        request: &RegistrationRequest,
    ) -> Result<Self, RegistrationError> {
        let malformed = RegistrationError::Malformed;
        let client_id = members
            .string("client_id")
            .map_err(malformed)?
            .filter(|id| is_vschar(id))
            .ok_or_else(|| malformed("no client_id, or one outside RFC 6749 VSCHAR".to_owned()))?;
        let client_secret = members
            .optional_secret("client_secret")
            .map_err(malformed)?;
        let client_secret_expires_at = members
            .seconds("client_secret_expires_at")
            .map_err(malformed)?;
        let client_id_issued_at = members.seconds("client_id_issued_at").map_err(malformed)?;
        let auth_method = match members
            .string("token_endpoint_auth_method")
            .map_err(malformed)?
            .as_deref()
        {
            None if client_secret.is_some() => AuthMethod::Basic,
            None | Some("none") => AuthMethod::None,
            Some("client_secret_post") => AuthMethod::Post,
            Some("client_secret_basic") => AuthMethod::Basic,
            Some(other) => {
                return Err(RegistrationError::UnsupportedAuthMethod(sanitise(
                    other, 64,
                )));
            }
        };
        if auth_method != AuthMethod::None && client_secret.is_none() {
            return Err(malformed(format!(
                "token_endpoint_auth_method {} without a client_secret",
                auth_method.as_str()
            )));
        }
        let redirect_uris = members
            .strings("redirect_uris")
            .map_err(malformed)?
            .unwrap_or_else(|| request.redirect_uris.clone());
        let registration_client_uri = members
            .string("registration_client_uri")
            .map_err(malformed)?;
        if registration_client_uri
            .as_deref()
            .is_some_and(|uri| !is_vschar(uri))
        {
            return Err(malformed(
                "registration_client_uri has characters outside VSCHAR".to_owned(),
            ));
        }
        let registration_access_token = members
            .optional_secret("registration_access_token")
            .map_err(malformed)?;
        Ok(Self {
            client_id,
            client_secret,
            client_secret_expires_at,
            client_id_issued_at,
            auth_method,
            redirect_uris,
            registration_client_uri,
            registration_access_token,
        })
    }

    /// `client_id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `client_secret`, if one was issued.
    pub fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref().map(String::as_str)
    }

    /// `client_secret_expires_at` as sent: seconds since the epoch, and `0` means the
    /// secret never expires (RFC 7591 §3.2.1). `None` if absent.
    pub fn client_secret_expires_at(&self) -> Option<u64> {
        self.client_secret_expires_at
    }

    /// `client_id_issued_at`, seconds since the epoch, if sent.
    pub fn client_id_issued_at(&self) -> Option<u64> {
        self.client_id_issued_at
    }

    /// The token endpoint authentication method: `none`, `client_secret_post` or
    /// `client_secret_basic` (the RFC 7591 default when a secret was issued and the
    /// answer names no method).
    pub fn token_endpoint_auth_method(&self) -> &str {
        self.auth_method.as_str()
    }

    /// The registered redirect URIs (the request's if the answer did not list them).
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// `registration_client_uri` (RFC 7592 client configuration endpoint), if sent.
    pub fn registration_client_uri(&self) -> Option<&str> {
        self.registration_client_uri.as_deref()
    }

    /// `registration_access_token` (RFC 7592), if sent.
    pub fn registration_access_token(&self) -> Option<&str> {
        self.registration_access_token
            .as_deref()
            .map(String::as_str)
    }

    /// The credentials for token requests, by
    /// [`token_endpoint_auth_method`](Self::token_endpoint_auth_method).
    pub fn credentials(&self) -> ClientCredentials {
        let id = self.client_id.clone();
        match (self.auth_method, self.client_secret.as_deref()) {
            (AuthMethod::Post, Some(secret)) => ClientCredentials::secret_post(id, secret.as_str()),
            (AuthMethod::Basic, Some(secret)) => {
                ClientCredentials::secret_basic(id, secret.as_str())
            }
            // parse() refuses a secret method without a secret.
            _ => ClientCredentials::public(id),
        }
    }
}

impl fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| present.then_some("<redacted>");
        f.debug_struct("ClientRegistration")
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(self.client_secret.is_some()))
            .field("client_secret_expires_at", &self.client_secret_expires_at)
            .field("client_id_issued_at", &self.client_id_issued_at)
            .field("token_endpoint_auth_method", &self.auth_method.as_str())
            .field("redirect_uris", &self.redirect_uris)
            .field("registration_client_uri", &self.registration_client_uri)
            .field(
                "registration_access_token",
                &redacted(self.registration_access_token.is_some()),
            )
            .finish()
    }
}

/// Why a registration answer gave no client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The server refused (RFC 7591 §3.2.2), such as `invalid_redirect_uri`.
    Refused(OAuthError),
    /// An HTTP status other than 200, 201, or 400 with an error object.
    Status(u16),
    /// The answer is not what RFC 7591 describes; the detail never quotes the body.
    Malformed(String),
    /// The server registered an authentication method this crate cannot use.
    UnsupportedAuthMethod(String),
}

impl fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(error) => write!(f, "client registration refused: {error}"),
            Self::Status(status) => {
                write!(f, "HTTP status {status} from the registration endpoint")
            }
            Self::Malformed(detail) => write!(f, "malformed registration answer: {detail}"),
            Self::UnsupportedAuthMethod(method) => {
                write!(f, "unsupported token_endpoint_auth_method {method:?}")
            }
        }
    }
}

impl std::error::Error for RegistrationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused(error) => Some(error),
            _ => None,
        }
    }
}
