//! Authorization-server metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::issuer::{UrlKind, check_url};
use super::{DiscoveryError, Issuer, Trust, document_text};

/// Parses a JSON document of at most [`MAX_DOCUMENT_SIZE`](super::MAX_DOCUMENT_SIZE)
/// bytes (UTF-8, a byte-order mark skipped) that must be an object without duplicate
/// member names. Shared with the OAuth client's response parsers.
pub(crate) fn json_object(document: &[u8]) -> Result<Map<String, Value>, DiscoveryError> {
    let text = document_text(document, super::MAX_DOCUMENT_SIZE)?;
    let UniqueObject(map) =
        serde_json::from_str(text).map_err(|e| DiscoveryError::Json(e.to_string()))?;
    Ok(map)
}

/// Authorization-server metadata whose `issuer` was checked against the issuer the
/// client asked for.
///
/// Only [`AuthorizationServerMetadata::parse`] (or
/// [`DiscoveryTarget::verify`](super::DiscoveryTarget::verify)) makes one, and it
/// refuses a document
///
/// - larger than [`MAX_DOCUMENT_SIZE`](super::MAX_DOCUMENT_SIZE), not UTF-8, not a
///   JSON object, or with a member twice;
/// - whose `issuer` is missing or not identical to the expected issuer (RFC 8414
///   §3.3: code point by code point, no normalisation, no trailing-slash forgiveness);
/// - missing `response_types_supported`, `authorization_endpoint` (when a grant type
///   that uses it, `authorization_code` or `implicit`, is supported, which is the
///   default) or `token_endpoint` (unless only `implicit` is supported);
/// - with an endpoint that is not an absolute `https` URL (unless the [`Trust`]
///   allows `http`) or that has userinfo or a fragment;
/// - with a known member of the wrong JSON type, or an empty array (RFC 8414 §2:
///   claims with zero elements are omitted).
///
/// OpenID-only required members (`jwks_uri`, `subject_types_supported`,
/// `id_token_signing_alg_values_supported`) are not required, since mail clients do
/// not need them; the unknown ones are in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationServerMetadata {
    issuer: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    registration_endpoint: Option<String>,
    jwks_uri: Option<String>,
    scopes_supported: Option<Vec<String>>,
    response_types_supported: Vec<String>,
    grant_types_supported: Vec<String>,
    token_endpoint_auth_methods_supported: Vec<String>,
    code_challenge_methods_supported: Option<Vec<String>>,
    revocation_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    authorization_response_iss_parameter_supported: bool,
    extra: Map<String, Value>,
}

/// A JSON object that refuses duplicate member names (which different parsers would
/// resolve differently).
struct UniqueObject(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueObject {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any`, not `deserialize_map`: serde_json answers a non-object
        // given to `deserialize_map` with a message that quotes the value, without
        // asking the visitor.
        deserializer.deserialize_any(UniqueObjectVisitor)
    }
}

struct UniqueObjectVisitor;

impl<'de> Visitor<'de> for UniqueObjectVisitor {
    type Value = UniqueObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    // The default messages for a document that is a bare string or number quote the
    // value; these documents can be token responses carrying secrets, so the
    // messages here name only the type.
    fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueObject, E> {
        Err(E::custom("a string, expected a JSON object"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueObject, E> {
        Err(E::custom("a number, expected a JSON object"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueObject, E> {
        Err(E::custom("a number, expected a JSON object"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueObject, E> {
        Err(E::custom("a number, expected a JSON object"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<UniqueObject, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
            }
            let value: Value = access.next_value()?;
            map.insert(key, value);
        }
        Ok(UniqueObject(map))
    }
}

/// Takes members out of the object, checking their types.
struct Members {
    map: Map<String, Value>,
    trust: Trust,
}

impl Members {
    fn string(&mut self, field: &'static str) -> Result<Option<String>, DiscoveryError> {
        match self.map.remove(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(DiscoveryError::InvalidField {
                field,
                reason: "not a string".to_owned(),
            }),
        }
    }

    fn boolean(&mut self, field: &'static str) -> Result<Option<bool>, DiscoveryError> {
        match self.map.remove(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(DiscoveryError::InvalidField {
                field,
                reason: "not a boolean".to_owned(),
            }),
        }
    }

    fn endpoint(&mut self, field: &'static str) -> Result<Option<String>, DiscoveryError> {
        let url = self.string(field)?;
        if let Some(url) = &url {
            check_url(url, field, self.trust, UrlKind::Endpoint)?;
        }
        Ok(url)
    }

    fn strings(&mut self, field: &'static str) -> Result<Option<Vec<String>>, DiscoveryError> {
        let invalid = |reason: &str| DiscoveryError::InvalidField {
            field,
            reason: reason.to_owned(),
        };
        match self.map.remove(field) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    return Err(invalid("an empty array (RFC 8414 §2: omit it instead)"));
                }
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(s) => Ok(s),
                        _ => Err(invalid("an array element is not a string")),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            }
            Some(_) => Err(invalid("not an array")),
        }
    }
}

impl AuthorizationServerMetadata {
    /// Parses a metadata document (RFC 8414 or OpenID Connect Discovery JSON) and
    /// checks it against `expected`, the issuer the client asked for. See the type's
    /// documentation for what is refused.
    pub fn parse(document: &[u8], expected: &Issuer, trust: Trust) -> Result<Self, DiscoveryError> {
        let map = json_object(document)?;
        let mut members = Members { map, trust };

        let issuer = members
            .string("issuer")?
            .ok_or(DiscoveryError::MissingField("issuer"))?;
        if issuer != expected.as_str() {
            return Err(DiscoveryError::IssuerMismatch {
                expected: expected.as_str().to_owned(),
                found: issuer,
            });
        }

        let authorization_endpoint = members.endpoint("authorization_endpoint")?;
        let token_endpoint = members.endpoint("token_endpoint")?;
        let registration_endpoint = members.endpoint("registration_endpoint")?;
        let jwks_uri = members.endpoint("jwks_uri")?;
        let revocation_endpoint = members.endpoint("revocation_endpoint")?;
        let userinfo_endpoint = members.endpoint("userinfo_endpoint")?;
        let device_authorization_endpoint = members.endpoint("device_authorization_endpoint")?;
        let scopes_supported = members.strings("scopes_supported")?;
        let response_types_supported = members
            .strings("response_types_supported")?
            .ok_or(DiscoveryError::MissingField("response_types_supported"))?;
        let grant_types_supported = members
            .strings("grant_types_supported")?
            .unwrap_or_else(|| vec!["authorization_code".to_owned(), "implicit".to_owned()]);
        let token_endpoint_auth_methods_supported = members
            .strings("token_endpoint_auth_methods_supported")?
            .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]);
        let code_challenge_methods_supported =
            members.strings("code_challenge_methods_supported")?;
        let authorization_response_iss_parameter_supported = members
            .boolean("authorization_response_iss_parameter_supported")?
            .unwrap_or(false);

        let uses_authorization_endpoint = grant_types_supported
            .iter()
            .any(|g| g == "authorization_code" || g == "implicit");
        if uses_authorization_endpoint && authorization_endpoint.is_none() {
            return Err(DiscoveryError::MissingField("authorization_endpoint"));
        }
        let uses_token_endpoint = grant_types_supported.iter().any(|g| g != "implicit");
        if uses_token_endpoint && token_endpoint.is_none() {
            return Err(DiscoveryError::MissingField("token_endpoint"));
        }

        Ok(Self {
            issuer,
            authorization_endpoint,
            token_endpoint,
            registration_endpoint,
            jwks_uri,
            scopes_supported,
            response_types_supported,
            grant_types_supported,
            token_endpoint_auth_methods_supported,
            code_challenge_methods_supported,
            revocation_endpoint,
            userinfo_endpoint,
            device_authorization_endpoint,
            authorization_response_iss_parameter_supported,
            extra: members.map,
        })
    }

    /// `issuer`: identical to the issuer the client asked for.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `authorization_endpoint`; present whenever a grant type that uses it is
    /// supported.
    pub fn authorization_endpoint(&self) -> Option<&str> {
        self.authorization_endpoint.as_deref()
    }

    /// `token_endpoint`; present unless only the implicit grant is supported.
    pub fn token_endpoint(&self) -> Option<&str> {
        self.token_endpoint.as_deref()
    }

    /// `registration_endpoint`: dynamic client registration (RFC 7591), which the
    /// mailmaint profile and RFC 7628 §3.2.2 ask for.
    pub fn registration_endpoint(&self) -> Option<&str> {
        self.registration_endpoint.as_deref()
    }

    /// `jwks_uri`.
    pub fn jwks_uri(&self) -> Option<&str> {
        self.jwks_uri.as_deref()
    }

    /// `scopes_supported`.
    pub fn scopes_supported(&self) -> Option<&[String]> {
        self.scopes_supported.as_deref()
    }

    /// `response_types_supported` (required).
    pub fn response_types_supported(&self) -> &[String] {
        &self.response_types_supported
    }

    /// `grant_types_supported`, or its RFC 8414 default
    /// `["authorization_code", "implicit"]` when absent.
    pub fn grant_types_supported(&self) -> &[String] {
        &self.grant_types_supported
    }

    /// `token_endpoint_auth_methods_supported`, or its RFC 8414 default
    /// `["client_secret_basic"]` when absent.
    pub fn token_endpoint_auth_methods_supported(&self) -> &[String] {
        &self.token_endpoint_auth_methods_supported
    }

    /// `code_challenge_methods_supported` (PKCE, RFC 7636); absent means PKCE is not
    /// advertised.
    pub fn code_challenge_methods_supported(&self) -> Option<&[String]> {
        self.code_challenge_methods_supported.as_deref()
    }

    /// `revocation_endpoint` (RFC 7009).
    pub fn revocation_endpoint(&self) -> Option<&str> {
        self.revocation_endpoint.as_deref()
    }

    /// `userinfo_endpoint` (OpenID Connect).
    pub fn userinfo_endpoint(&self) -> Option<&str> {
        self.userinfo_endpoint.as_deref()
    }

    /// `device_authorization_endpoint` (RFC 8628).
    pub fn device_authorization_endpoint(&self) -> Option<&str> {
        self.device_authorization_endpoint.as_deref()
    }

    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3): whether the
    /// server puts `iss` in its authorization responses, so that a client must refuse
    /// a response without one
    /// ([`RedirectCheck::require_iss`](crate::authorization::RedirectCheck::require_iss)).
    /// `false` when absent; a value other than a JSON boolean is refused by the parser.
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.authorization_response_iss_parameter_supported
    }

    /// The members not listed above (such as `subject_types_supported`,
    /// `introspection_endpoint` or the mailmaint profile's `protected_resources`),
    /// unchecked.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// Whether PKCE with `S256` is advertised, as the mailmaint profile requires.
    pub fn supports_pkce_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .as_deref()
            .is_some_and(|methods| methods.iter().any(|m| m == "S256"))
    }

    /// Whether `grant` (such as `authorization_code` or `refresh_token`) is in
    /// [`grant_types_supported`](Self::grant_types_supported).
    pub fn supports_grant_type(&self, grant: &str) -> bool {
        self.grant_types_supported.iter().any(|g| g == grant)
    }

    /// Whether `method` (such as `none`, for public clients) is in
    /// [`token_endpoint_auth_methods_supported`](Self::token_endpoint_auth_methods_supported).
    pub fn supports_token_endpoint_auth_method(&self, method: &str) -> bool {
        self.token_endpoint_auth_methods_supported
            .iter()
            .any(|m| m == method)
    }
}
