//! Which mechanisms, with which credentials, on which connection: the client registry
//! in preference order, the [`ClientCredentials`] the settings give, the
//! [`ConnectionInfo`] of the live connection, and the answers to the sessions'
//! requests (a password asked for only when needed, the token, passkey assertions).

use super::target::Target;
use super::transport::Transport;
use crate::cli::CbType;
use crate::failure::Failure;
use sasl_core::{
    ChannelBindingPolicy, ChannelBindingType, ClientAnswer, ClientCredentials, ClientRegistry,
    ClientRequest, ConnectionInfo, Secret,
};
use sasl_passkey::authenticator::{AssertionOptions, Authenticator};
use sasl_passkey::{PasskeyClient, SoftwareAuthenticator};

/// Mechanisms that use the password.
const PASSWORD_MECHANISMS: &[&str] = &[
    "SCRAM-SHA-512-PLUS",
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-512",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "PLAIN",
    "LOGIN",
];

/// Whether `mechanism` authenticates with a password.
pub(crate) fn uses_password(mechanism: &str) -> bool {
    PASSWORD_MECHANISMS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(mechanism))
}

/// Every mechanism the tool speaks, strongest first: SCRAM with channel binding,
/// SCRAM, PASSKEY, OAUTHBEARER, XOAUTH2, EXTERNAL, PLAIN, LOGIN. The credentials
/// decide which of them can be chosen ([`Answers::credentials`]).
pub(crate) fn registry() -> ClientRegistry {
    ClientRegistry::new()
        .with_all(sasl_scram::client_factories(
            sasl_scram::ScramClientConfig::new(),
        ))
        .with(PasskeyClient::factory())
        .with(sasl_oauthbearer::BearerClient::factory(
            sasl_oauthbearer::BearerMechanism::OAuthBearer,
        ))
        .with(sasl_oauthbearer::BearerClient::factory(
            sasl_oauthbearer::BearerMechanism::XOAuth2,
        ))
        .with(sasl_external::ExternalClient::factory())
        .with(sasl_plain::PlainClient::factory())
        .with(sasl_plain::LoginClient::factory())
}

/// The names of [`registry`]'s mechanisms, for hints.
pub(crate) fn known_mechanisms() -> &'static str {
    "SCRAM-SHA-512-PLUS SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1 PASSKEY OAUTHBEARER XOAUTH2 EXTERNAL PLAIN LOGIN"
}

/// What the user gave, and the answers to the sessions' requests.
pub(crate) struct Answers {
    user: Option<String>,
    authzid: Option<String>,
    password: Option<Secret<String>>,
    /// Whether a password may be asked for on the terminal when a mechanism needs it.
    prompt: bool,
    token: Option<Secret<String>>,
    passkey: Option<SoftwareAuthenticator>,
    /// Whether the passkey authenticator signed an assertion (its counters moved).
    passkey_signed: bool,
    client_cert: bool,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers")
            .field("user", &self.user)
            .field("authzid", &self.authzid)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("prompt", &self.prompt)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("passkey", &self.passkey.is_some())
            .field("client_cert", &self.client_cert)
            .finish()
    }
}

impl Answers {
    /// The credentials of the settings; `prompt` allows asking for a password on the
    /// terminal when none was given.
    pub(crate) fn new(
        user: Option<String>,
        authzid: Option<String>,
        password: Option<Secret<String>>,
        prompt: bool,
        token: Option<Secret<String>>,
        passkey: Option<SoftwareAuthenticator>,
        client_cert: bool,
    ) -> Self {
        Answers {
            user: user.filter(|u| !u.is_empty()),
            authzid: authzid.filter(|z| !z.is_empty()),
            password,
            prompt,
            token,
            passkey,
            passkey_signed: false,
            client_cert,
        }
    }

    /// The passkey authenticator back, if it signed during the login: its counters moved,
    /// so the key file must be rewritten before the next login.
    pub(crate) fn take_signed_passkey(&mut self) -> Option<SoftwareAuthenticator> {
        if self.passkey_signed {
            self.passkey.take()
        } else {
            None
        }
    }

    /// The user name, if given.
    pub(crate) fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The identity logged in as on success: the authzid, else the user name, else
    /// empty (the server derives it).
    pub(crate) fn identity(&self) -> String {
        self.authzid
            .clone()
            .or_else(|| self.user.clone())
            .unwrap_or_default()
    }

    /// Whether an authzid was given.
    pub(crate) fn has_authzid(&self) -> bool {
        self.authzid.is_some()
    }

    /// Whether a bearer token was given.
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether a password was given or can be asked for.
    pub(crate) fn has_password_source(&self) -> bool {
        self.password.is_some() || self.prompt
    }

    /// The credentials for a session. Password mechanisms need `--user`. A password
    /// that was not given counts as available (asked for on demand) only when it is
    /// the credential meant: `mechanism` names a password mechanism, or no token,
    /// passkey or certificate was given; otherwise a token given for OAUTHBEARER
    /// would lose to SCRAM and a password prompt.
    pub(crate) fn credentials(&self, mechanism: Option<&str>) -> ClientCredentials {
        let mut credentials = ClientCredentials::new(self.user.clone().unwrap_or_default());
        if let Some(authzid) = &self.authzid {
            credentials = credentials.with_authzid(authzid.clone());
        }
        if self.user.is_some() {
            if let Some(password) = &self.password {
                credentials = credentials.with_password(password.expose().clone());
            } else if self.prompt {
                let other_credential =
                    self.token.is_some() || self.passkey.is_some() || self.client_cert;
                let meant = match mechanism {
                    Some(name) => uses_password(name),
                    None => !other_credential,
                };
                if meant {
                    credentials = credentials.with_password_on_demand();
                }
            }
        }
        if let Some(token) = &self.token {
            credentials = credentials.with_bearer_token(token.expose().clone());
        }
        if self.passkey.is_some() {
            credentials = credentials.with_passkey();
        }
        credentials
    }

    /// The secrets known so far, for redaction.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        self.password
            .iter()
            .chain(self.token.iter())
            .map(|s| s.expose().as_str())
            .collect()
    }

    /// Answers a session's request: the password (asked for on the terminal if need
    /// be), the token, or an assertion of the passkey authenticator.
    pub(crate) async fn answer(&mut self, request: ClientRequest) -> Result<ClientAnswer, Failure> {
        let mechanism = request.mechanism().to_string();
        match request {
            ClientRequest::Password(prompt) => {
                if self.password.is_none() && self.prompt {
                    let user = prompt.authcid().to_owned();
                    let asked = tokio::task::spawn_blocking(move || {
                        crate::secrets::login_password(None, &user)
                    })
                    .await
                    .map_err(|e| Failure::error(format!("asking for the password: {e}")))??;
                    self.password = Some(asked);
                }
                match &self.password {
                    Some(password) => Ok(prompt.provide(password.expose().clone())),
                    None => Err(Failure::error(format!(
                        "{mechanism} needs a password and none was given"
                    ))
                    .hint("pass --password-file FILE or set SASL_PASSWORD")),
                }
            }
            ClientRequest::Token(prompt) => match &self.token {
                Some(token) => Ok(prompt.provide(token.expose().clone())),
                None => Err(Failure::error(format!(
                    "{mechanism} needs a bearer token and none was given"
                ))
                .hint("pass --token-file FILE")),
            },
            ClientRequest::PasskeyAssertion(request) => {
                let Some(authenticator) = self.passkey.as_mut() else {
                    return Err(Failure::error("PASSKEY needs an authenticator")
                        .hint("pass --passkey FILE (made by `sasl passkey register`)"));
                };
                let options = AssertionOptions::from(&*request);
                match authenticator.get_assertion(&options) {
                    Ok(assertion) => {
                        self.passkey_signed = true;
                        Ok(request.provide(assertion))
                    }
                    Err(e) => Err(Failure::error(format!(
                        "the passkey authenticator cannot sign for {:?}: {e}",
                        options.rp_id
                    ))
                    .hint("is this the key file registered for this server and user?")),
                }
            }
            ClientRequest::Extension(_) => Err(Failure::error(format!(
                "{mechanism} asked a question this tool cannot answer"
            ))),
        }
    }
}

/// The facts of the live connection for the sessions: TLS, channel bindings in the
/// order `--cb-type` asks for, the server's name and port (OAUTHBEARER `host=`,
/// PASSKEY's relying-party check), the client certificate for EXTERNAL. Passwords
/// may cross a connection without TLS only to this machine. The strings are notes for
/// the transcript.
pub(crate) fn connection_info(
    target: &Target,
    transport: &Transport,
    cb_type: Option<CbType>,
    client_cert: bool,
) -> Result<(ConnectionInfo, Vec<String>), Failure> {
    let mut notes = Vec::new();
    let tls = transport.is_tls();
    let mut info = if tls {
        ConnectionInfo::tls()
    } else {
        ConnectionInfo::plaintext()
    }
    .with_server(target.host.clone(), target.port)
    // Both the name and the address connected to must be this machine's: a `localhost`
    // that resolves elsewhere does not get passwords in the clear.
    .allow_plaintext_passwords(target.is_loopback() && transport.peer().ip().is_loopback());
    if !tls {
        if matches!(
            cb_type,
            Some(CbType::TlsExporter | CbType::TlsServerEndPoint | CbType::TlsUnique)
        ) {
            notes.push("no TLS, so no channel binding (--cb-type is ignored)".to_owned());
        }
        return Ok((info, notes));
    }
    info = info.with_peer_certificates(transport.peer_certificates());
    if client_cert {
        // Whether the server asked for the certificate is not known here; EXTERNAL is
        // offered by the server only when it has an identity for it anyway.
        info = info.with_external_identity("the TLS client certificate");
    }
    let bindings = match transport.channel_bindings() {
        Ok(bindings) => bindings,
        Err(reason) => {
            notes.push(format!("no channel binding: {reason}"));
            Vec::new()
        }
    };
    let wanted = match cb_type {
        None => None,
        Some(CbType::None) => {
            notes.push("channel binding off (--cb-type none): no -PLUS mechanism".to_owned());
            return Ok((info.with_policy(ChannelBindingPolicy::Disabled), notes));
        }
        Some(CbType::TlsExporter) => Some(ChannelBindingType::TlsExporter),
        Some(CbType::TlsServerEndPoint) => Some(ChannelBindingType::TlsServerEndPoint),
        Some(CbType::TlsUnique) => Some(ChannelBindingType::TlsUnique),
    };
    let available: Vec<&str> = bindings.iter().map(|b| b.kind().name()).collect();
    let chosen: Vec<_> = match wanted {
        None => bindings,
        Some(kind) => {
            let chosen: Vec<_> = bindings.into_iter().filter(|b| b.kind() == kind).collect();
            if chosen.is_empty() {
                let why = match kind {
                    ChannelBindingType::TlsUnique => {
                        "rustls does not expose tls-unique (and TLS 1.3 has none)"
                    }
                    ChannelBindingType::TlsExporter => {
                        "tls-exporter needs TLS 1.3 here (TLS 1.2 without a known extended master secret is unsafe)"
                    }
                    _ => "the server's certificate does not define it",
                };
                return Err(Failure::error(format!(
                    "channel binding {} is not available on this connection: {why}",
                    kind.name()
                ))
                .hint(format!(
                    "available here: {}; or --cb-type none",
                    if available.is_empty() {
                        "none".to_owned()
                    } else {
                        available.join(", ")
                    }
                )));
            }
            chosen
        }
    };
    if let Some(first) = chosen.first() {
        notes.push(format!(
            "channel binding: {} (available: {})",
            first.kind().name(),
            available.join(", ")
        ));
    }
    info = info.with_channel_bindings(chosen);
    Ok((info, notes))
}
