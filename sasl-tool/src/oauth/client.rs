//! Which endpoints and which client id `sasl oauth login` uses.
//!
//! Endpoints: the command line's (`--auth-url`, `--token-url`, `--device-auth-url`),
//! else the verified metadata's, else autoconfig's `<authURL>`/`<tokenURL>`.
//!
//! The client, in this order: `--client-id` (with its secret, if any); else the
//! account's earlier registration at the same issuer, when its redirect port is free;
//! else RFC 7591 dynamic registration as a public native client when the metadata has
//! a `registration_endpoint` (and not `--no-register`); else autoconfig's
//! `<clientID>`. A refused registration falls back to autoconfig's client id, or says
//! what to pass.

use super::discover::{Found, say};
use super::http::Http;
use super::store::{Account, Tokens};
use crate::cli::OAuthLoginArgs;
use crate::failure::Failure;
use crate::secrets;
use sasl_oauthbearer::authorization::{
    ClientCredentials, ClientRegistration, RegistrationError, RegistrationRequest,
};

/// The provider's endpoints as used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoints {
    /// The issuer whose metadata was verified.
    pub(crate) issuer: Option<String>,
    /// The authorization endpoint (code grants).
    pub(crate) authorization: Option<String>,
    /// The token endpoint.
    pub(crate) token: String,
    /// The device authorization endpoint.
    pub(crate) device: Option<String>,
    /// The registration endpoint.
    pub(crate) registration: Option<String>,
    /// The revocation endpoint.
    pub(crate) revocation: Option<String>,
    /// Whether authorization responses carry `iss` (RFC 9207).
    pub(crate) iss_parameter: bool,
}

impl Endpoints {
    /// The endpoints from the command line, the metadata and autoconfig, in that order.
    pub(crate) fn resolve(args: &OAuthLoginArgs, found: &mut Found) -> Result<Self, Failure> {
        let Found {
            report,
            metadata,
            autoconfig,
            ..
        } = found;
        let (metadata, autoconfig) = (metadata.as_ref(), autoconfig.as_ref());
        let authorization = pick(
            report,
            "authorization endpoint",
            args.auth_url.as_deref(),
            "--auth-url",
            metadata.and_then(|m| m.authorization_endpoint()),
            autoconfig.and_then(|a| a.auth_url()),
        );
        let token = pick(
            report,
            "token endpoint",
            args.token_url.as_deref(),
            "--token-url",
            metadata.and_then(|m| m.token_endpoint()),
            autoconfig.and_then(|a| a.token_url()),
        )
        .ok_or_else(|| {
            Failure::error("no token endpoint: discovery found no metadata and none was given")
                .hint("pass --issuer URL, or --auth-url and --token-url")
        })?;
        let device = pick(
            report,
            "device authorization endpoint",
            args.device_auth_url.as_deref(),
            "--device-auth-url",
            metadata.and_then(|m| m.device_authorization_endpoint()),
            None,
        );
        Ok(Endpoints {
            issuer: metadata.map(|m| m.issuer().to_owned()),
            authorization,
            token,
            device,
            registration: metadata
                .and_then(|m| m.registration_endpoint())
                .map(str::to_owned),
            revocation: metadata
                .and_then(|m| m.revocation_endpoint())
                .map(str::to_owned),
            iss_parameter: metadata
                .is_some_and(|m| m.authorization_response_iss_parameter_supported()),
        })
    }
}

/// The first of the given, the metadata's and autoconfig's values; reports overrides
/// and autoconfig fallbacks (the metadata's are the expected case).
fn pick(
    report: &mut Vec<String>,
    what: &str,
    given: Option<&str>,
    flag: &str,
    metadata: Option<&str>,
    autoconfig: Option<&str>,
) -> Option<String> {
    if let Some(url) = given {
        say(report, format!("{what} {url} (from {flag})"));
        return Some(url.to_owned());
    }
    if let Some(url) = metadata {
        return Some(url.to_owned());
    }
    let url = autoconfig?;
    say(report, format!("{what} {url} (from autoconfig)"));
    Some(url.to_owned())
}

/// The client chosen, and what the account file records of it.
pub(crate) struct Client {
    /// The credentials for the token endpoint.
    pub(crate) credentials: ClientCredentials,
    /// `command line`, `registered` or `autoconfig`.
    pub(crate) source: &'static str,
    /// The redirect URI registered, when registered.
    pub(crate) redirect_uri: Option<String>,
    /// The registration access token (RFC 7592), if issued.
    pub(crate) registration_access_token: Option<String>,
}

/// What an earlier login of the account registered, if it can be used again.
pub(crate) struct Previous {
    /// The earlier account file.
    pub(crate) account: Account,
    /// Its tokens (for a client secret).
    pub(crate) tokens: Tokens,
}

/// Chooses the client (see the module docs). `redirect_uri` is the loopback URI this
/// login will use.
pub(crate) fn choose(
    args: &OAuthLoginArgs,
    found: &mut Found,
    endpoints: &Endpoints,
    redirect_uri: &str,
    previous: Option<&Previous>,
    http: &Http,
) -> Result<Client, Failure> {
    if let Some(id) = &args.client_id {
        let secret = match (&args.client_secret, &args.client_secret_file) {
            (Some(secret), _) => Some(secret.clone()),
            (None, Some(path)) => Some(secrets::read_file(path, "client secret")?.expose().clone()),
            (None, None) => None,
        };
        found.say(format!("client id {id} (from --client-id)"));
        return Ok(Client {
            credentials: match secret {
                // Installed-application secrets go in the body (RFC 6749 §2.3.1 allows
                // it; Google and Microsoft take it there).
                Some(secret) => ClientCredentials::secret_post(id.clone(), secret),
                None => ClientCredentials::public(id.clone()),
            },
            source: "command line",
            redirect_uri: None,
            registration_access_token: None,
        });
    }
    if let Some(previous) = previous.filter(|p| {
        p.account.client_source == "registered"
            && p.account.issuer.is_some()
            && p.account.issuer == endpoints.issuer
            && p.account.redirect_uri.as_deref() == Some(redirect_uri)
    }) {
        found.say(format!(
            "client id {} (registered by the earlier login)",
            previous.account.client_id
        ));
        let credentials = previous.account.credentials(&previous.tokens);
        return Ok(Client {
            credentials,
            source: "registered",
            redirect_uri: Some(redirect_uri.to_owned()),
            registration_access_token: previous.tokens.registration_access_token.clone(),
        });
    }
    let autoconfig_id = found
        .autoconfig
        .as_ref()
        .and_then(|a| a.client_id())
        .map(str::to_owned);
    match (&endpoints.registration, args.no_register) {
        (Some(endpoint), false) => match register(endpoint, redirect_uri, http) {
            Ok(registration) => {
                found.say(format!(
                    "client id {} (registered at {endpoint}, {})",
                    registration.client_id(),
                    registration.token_endpoint_auth_method()
                ));
                return Ok(Client {
                    credentials: registration.credentials(),
                    source: "registered",
                    redirect_uri: Some(redirect_uri.to_owned()),
                    registration_access_token: registration
                        .registration_access_token()
                        .map(str::to_owned),
                });
            }
            Err(failure) if autoconfig_id.is_some() => {
                found.say(format!(
                    "registration at {endpoint} failed ({}); using autoconfig's client id",
                    failure.message()
                ));
            }
            Err(failure) => {
                return Err(failure.hint(
                    "the provider refused to register this program: ask its administrator for a client id and pass --client-id",
                ));
            }
        },
        (Some(_), true) => found.say("dynamic registration skipped (--no-register)".to_owned()),
        (None, _) => found.say("the provider offers no dynamic registration".to_owned()),
    }
    match autoconfig_id {
        Some(id) => {
            found.say(format!("client id {id} (from autoconfig)"));
            Ok(Client {
                credentials: ClientCredentials::public(id),
                source: "autoconfig",
                redirect_uri: None,
                registration_access_token: None,
            })
        }
        None => Err(Failure::error("no client id: the provider offers no dynamic registration and autoconfig names none")
            .hint("register a client with the provider (a public, native application with a loopback redirect) and pass --client-id")),
    }
}

/// RFC 7591 registration as a public native client.
fn register(
    endpoint: &str,
    redirect_uri: &str,
    http: &Http,
) -> Result<ClientRegistration, Failure> {
    let request = RegistrationRequest::native_public(
        "sasl oauth (mail token helper)",
        vec![redirect_uri.to_owned()],
    )
    // No `scope`: it would only restrict the client, and providers refuse scopes they
    // do not list themselves (resource-server scopes, such as a mail scope, often).
    .with_software("sasl-tool", env!("CARGO_PKG_VERSION"));
    let response = http.post_json(endpoint, &request.to_json())?;
    ClientRegistration::parse(response.status, &response.body, &request).map_err(|e| match e {
        RegistrationError::Refused(error) => {
            Failure::refused(format!("the provider refused the registration: {error}"))
        }
        other => Failure::error(format!("the registration answer: {other}")),
    })
}
