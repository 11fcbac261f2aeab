//! A sans-IO OAuth 2 client for mail clients: the protocol pieces that get a native
//! application from verified metadata ([`discovery`](crate::discovery)) to an access
//! token for OAUTHBEARER or XOAUTH2, and keep it fresh.
//!
//! Nothing here does I/O or reads a clock. Functions build request URLs and bodies;
//! the application sends them (over TLS, without following redirects), opens the
//! browser, runs the loopback listener, and hands back what it received together
//! with the current time.
//!
//! The parts, one per RFC:
//!
//! - **PKCE** (RFC 7636, `S256` only): [`PkceVerifier`], and [`state_from_random`]
//!   for the CSRF `state`.
//! - **Authorization code grant for native apps** (RFC 6749 §4.1, RFC 8252):
//!   [`authorization_url`] builds the URL to open in the browser;
//!   [`parse_redirect`] checks the redirect (duplicate parameters, `iss` per RFC
//!   9207, `state` in constant time, provider errors) and yields an
//!   [`AuthorizationCode`].
//! - **Token endpoint** (RFC 6749 §2.3, §4.1.3, §5, §6): [`ClientCredentials`] (public
//!   client, or a client secret by post or HTTP Basic), the [`FormRequest`]s from
//!   [`code_grant`] and [`refresh_grant`], and [`TokenResponse::parse`] with its
//!   [`TokenEndpointError`] / [`OAuthError`].
//! - **Device authorization grant** (RFC 8628), for machines without a browser:
//!   [`device_authorization_request`], [`DeviceAuthorization`], [`device_grant`] and
//!   the polling rules in [`DevicePolling`].
//! - **Dynamic client registration** as a native public client (RFC 7591, RFC 8252
//!   §8.4): [`RegistrationRequest`] and [`ClientRegistration`].
//! - **Revocation** (RFC 7009): [`revocation_request`], for "log out" or "remove
//!   account".
//!
//! Secrets (tokens, codes, the verifier, client secrets, device codes, registration
//! access tokens and the request bodies that carry them) live in
//! [`zeroize::Zeroizing`] buffers, have a `Debug` that hides them, and never appear in
//! an error message; nor does a response body. A provider's `error_description` is
//! kept, sanitised and short. JSON bodies are bounded by
//! [`MAX_DOCUMENT_SIZE`](crate::discovery::MAX_DOCUMENT_SIZE) and refused with a
//! member twice; a redirect is refused with a parameter twice.
//!
//! # Example: the authorization code flow
//!
//! ```
//! use sasl_core::UnixTime;
//! use sasl_oauthbearer::authorization::{
//!     authorization_url, code_grant, parse_redirect, refresh_grant, state_from_random,
//!     AuthorizationParams, ClientCredentials, FormRequest, PkceVerifier, RedirectCheck,
//!     TokenResponse,
//! };
//! use sasl_oauthbearer::discovery::Trust;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // From verified metadata (see the discovery module): the issuer and endpoints.
//! let issuer = "https://auth.example.com";
//! let authorization_endpoint = "https://auth.example.com/authorize";
//!
//! // 1. Fresh randomness for every attempt; from the operating system (such as the
//! //    getrandom crate) in a real client, fixed bytes here.
//! let verifier = PkceVerifier::from_random([0x5a; 32]);
//! let state = state_from_random([0xc3; 16]);
//!
//! // 2. The URL to open in the user's browser. The loopback listener on 127.0.0.1
//! //    receives the redirect (RFC 8252 §7.3).
//! let redirect_uri = "http://127.0.0.1:49152/callback";
//! let scopes = ["https://mail.example.com/".to_owned(), "offline_access".to_owned()];
//! let challenge = verifier.challenge();
//! let url = authorization_url(
//!     authorization_endpoint,
//!     &AuthorizationParams {
//!         client_id: "mail-client",
//!         redirect_uri,
//!         scopes: &scopes,
//!         state: &state,
//!         code_challenge: &challenge,
//!         extra: &[("login_hint", "alice@example.com")],
//!     },
//!     Trust::HttpsOnly,
//! )?;
//! assert!(url.starts_with(
//!     "https://auth.example.com/authorize?response_type=code&client_id=mail-client\
//!      &redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcallback\
//!      &scope=https%3A%2F%2Fmail.example.com%2F+offline_access&state="
//! ));
//! assert!(url.ends_with("&code_challenge_method=S256&login_hint=alice%40example.com"));
//!
//! // 3. The listener got `GET /callback?...`; its request target is checked against
//! //    the state sent and the issuer the metadata was verified for.
//! let target = format!(
//!     "/callback?code=SplxlOBeZQQYbYS6WxSbIA&state={state}&iss=https%3A%2F%2Fauth.example.com"
//! );
//! let check = RedirectCheck { state: &state, issuer: Some(issuer), require_iss: true };
//! let code = parse_redirect(&target, &check)?;
//! assert_eq!(code.as_str(), "SplxlOBeZQQYbYS6WxSbIA");
//! // A redirect carrying someone else's state is refused.
//! assert!(parse_redirect("?code=SplxlOBeZQQYbYS6WxSbIA&state=forged", &check).is_err());
//!
//! // 4. The token request: POST the body to the token endpoint.
//! let client = ClientCredentials::public("mail-client");
//! let request = code_grant(&client, &code, redirect_uri, &verifier);
//! assert_eq!(FormRequest::CONTENT_TYPE, "application/x-www-form-urlencoded");
//! assert_eq!(request.authorization(), None);
//! assert_eq!(
//!     request.body(),
//!     format!(
//!         "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA\
//!          &redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcallback\
//!          &code_verifier={}&client_id=mail-client",
//!         verifier.as_str()
//!     )
//! );
//!
//! // 5. The token response, with the time it arrived.
//! let now = UnixTime::from_secs(1_767_225_600);
//! let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer",
//!                 "expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}"#;
//! let tokens = TokenResponse::parse(200, body, now)?;
//! assert_eq!(tokens.access_token(), "2YotnFZFEjr1zCsicMWpAA");
//! assert_eq!(tokens.expires_at(), Some(UnixTime::from_secs(1_767_229_200)));
//!
//! // 6. Before it expires: refresh (the new response may carry a new refresh token).
//! let refresh_token = tokens.refresh_token().ok_or("no refresh token")?;
//! let refresh = refresh_grant(&client, refresh_token, None);
//! assert_eq!(
//!     refresh.body(),
//!     "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&client_id=mail-client"
//! );
//! # Ok(())
//! # }
//! ```

use std::fmt;

mod device;
mod pkce;
mod registration;
mod request;
mod token;
mod wire;

pub use device::{
    DeviceAuthorization, DevicePolling, MAX_POLL_INTERVAL, PollOutcome,
    device_authorization_request, device_grant,
};
pub use pkce::{PkceVerifier, state_from_random};
pub use registration::{ClientRegistration, RegistrationError, RegistrationRequest};
pub use request::{
    AuthorizationCode, AuthorizationParams, MAX_REDIRECT_LEN, RedirectCheck, authorization_url,
    code_grant, parse_redirect,
};
pub use token::{
    ClientCredentials, FormRequest, OAuthError, OAuthErrorCode, TokenEndpointError, TokenResponse,
    refresh_grant, revocation_request,
};

use crate::discovery::DiscoveryError;

/// Why a PKCE verifier, an authorization URL or an authorization redirect was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// Not an RFC 7636 §4.1 code verifier (43 to 128 characters of ALPHA, DIGIT,
    /// `-`, `.`, `_`, `~`).
    InvalidVerifier,
    /// The authorization endpoint is not an acceptable URL (see
    /// [`authorization_url`]).
    BadEndpoint(DiscoveryError),
    /// An extra authorization parameter has a name [`authorization_url`] sets itself.
    ReservedParameter(String),
    /// A parameter appears twice: in the redirect, or in the authorization request
    /// (extra parameters, the endpoint's query). The name, sanitised.
    DuplicateParameter(String),
    /// The redirect has no `state`: it does not answer this request.
    StateMissing,
    /// The redirect's `state` is not the one sent: it does not answer this request
    /// (possibly cross-site request forgery).
    StateMismatch,
    /// The server puts `iss` in its responses (RFC 9207), and this one has none.
    IssuerMissing,
    /// The redirect's `iss` is not the issuer the request went to: a mix-up attack
    /// or misconfiguration (RFC 9207 §2.4). Do not use the response.
    IssuerMismatch {
        /// The issuer the request went to.
        expected: String,
        /// The `iss` received, sanitised and shortened.
        found: String,
    },
    /// The authorization server (or the user) refused, such as `access_denied`.
    Provider(OAuthError),
    /// The redirect has no `code`, or an empty one.
    CodeMissing,
    /// Malformed input or parameters; the detail never contains a secret.
    Malformed(String),
}

impl fmt::Display for AuthorizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidVerifier => {
                f.write_str("not a PKCE code verifier (43 to 128 unreserved characters)")
            }
            Self::BadEndpoint(error) => write!(f, "bad authorization endpoint: {error}"),
            Self::ReservedParameter(name) => {
                write!(f, "the parameter {name:?} is set by the library")
            }
            Self::DuplicateParameter(name) => write!(f, "the parameter {name:?} appears twice"),
            Self::StateMissing => f.write_str("the authorization response has no state"),
            Self::StateMismatch => {
                f.write_str("the authorization response's state is not the one sent")
            }
            Self::IssuerMissing => f.write_str("the authorization response has no iss"),
            Self::IssuerMismatch { expected, found } => write!(
                f,
                "the authorization response's iss {found:?} is not the expected {expected:?}"
            ),
            Self::Provider(error) => write!(f, "authorization refused: {error}"),
            Self::CodeMissing => f.write_str("the authorization response has no code"),
            Self::Malformed(detail) => write!(f, "malformed: {detail}"),
        }
    }
}

impl std::error::Error for AuthorizationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::BadEndpoint(error) => Some(error),
            Self::Provider(error) => Some(error),
            _ => None,
        }
    }
}
