//! What a server is made of, built once before anything binds: the TLS config, the
//! mechanism registry, the account store, the limits and the log.
//!
//! [`ServerSetup::from_args`] builds it from `sasl serve`'s flags (and prints nothing);
//! [`ServerSetup::from_parts`] from values `sasl demo` has in hand.

use super::Protocol;
use super::log::{Log, LogFormat};
use super::store::Store;
use crate::cli::ServeArgs;
use crate::config::{self, Accounts, PasskeySection};
use crate::failure::{Failure, file_error};
use crate::tls::{self, ClientAuth};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sasl_core::{RandomSource, ServerRegistry};
use sasl_external::ExternalServer;
use sasl_oauthbearer::{
    BearerMechanism, BearerServer, BearerServerConfig, JwsAlgorithm, JwtConfig, JwtValidator,
};
use sasl_passkey::webauthn::RelyingParty;
use sasl_passkey::{PasskeyServer, PasskeyServerConfig};
use sasl_plain::{LoginServer, PlainServer};
use sasl_scram::ScramServerConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The most failed authentications one connection may make before it is closed.
pub(super) const MAX_FAILURES_PER_CONNECTION: u32 = 5;

/// Default per-read timeout of an in-process server ([`ServerSetup::from_parts`]).
const DEMO_TIMEOUT: Duration = Duration::from_secs(30);

/// Default connection cap of an in-process server.
const DEMO_MAX_CONNECTIONS: usize = 64;

/// Days the generated self-signed certificate is valid.
const GENERATED_CERT_DAYS: u32 = 30;

/// Bearer-token validation settings (the `[oauth]` section, or `--jwks`/`--issuer`/
/// `--audience`), with the JWKS already read.
#[derive(Debug, Clone)]
pub(crate) struct OAuthSettings {
    /// The JWKS document (JSON text) whose keys sign the tokens.
    pub(crate) jwks_json: String,
    /// The issuer (`iss`) to require.
    pub(crate) issuer: String,
    /// The audiences (`aud`) to accept: any one of them.
    pub(crate) audiences: Vec<String>,
    /// The identity provider's OpenID configuration URL, sent in OAUTHBEARER failures
    /// (RFC 7628 §3.2.2) so that clients can discover where to get a token.
    pub(crate) openid_configuration: Option<String>,
}

/// What `sasl demo` hands over to run a server in-process
/// ([`ServerSetup::from_parts`]). The server is quiet: no log lines, the attempts are
/// kept for [`RunningServer::attempts`](super::RunningServer::attempts).
pub(crate) struct DemoServerParts {
    /// The accounts.
    pub(crate) accounts: Accounts,
    /// The server's certificate chain, leaf first.
    pub(crate) tls_chain: Vec<CertificateDer<'static>>,
    /// The server's private key (a secret).
    pub(crate) tls_key: PrivateKeyDer<'static>,
    /// How client certificates are asked for (EXTERNAL needs `AnyKey` or `Roots`).
    pub(crate) client_auth: ClientAuth,
    /// OAUTHBEARER and XOAUTH2 are offered only with these.
    pub(crate) oauth: Option<OAuthSettings>,
    /// PASSKEY is offered only with a relying party.
    pub(crate) passkey: Option<PasskeySection>,
    /// The name the server calls itself (greetings, EHLO, the OAUTHBEARER `host=`
    /// check: clients must send this name).
    pub(crate) hostname: String,
    /// Where to listen (port 0 for any; [`RunningServer::addresses`](super::RunningServer::addresses) has the real ones).
    pub(crate) listeners: Vec<(Protocol, SocketAddr)>,
    /// How long to wait before answering a failed authentication.
    pub(crate) failure_delay: Duration,
}

impl std::fmt::Debug for DemoServerParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServerParts")
            .field("accounts", &self.accounts.len())
            .field("hostname", &self.hostname)
            .field("listeners", &self.listeners)
            .finish_non_exhaustive()
    }
}

/// Everything a running server shares between its connections.
pub(super) struct Shared {
    /// The mechanisms offered.
    pub(super) registry: ServerRegistry,
    /// TLS for STARTTLS and implicit TLS.
    pub(super) tls: Arc<ServerConfig>,
    /// The leaf certificate served (for `tls-server-end-point`).
    pub(super) leaf_der: Vec<u8>,
    /// Answers the sessions' requests.
    pub(super) store: Store,
    /// The name the server calls itself.
    pub(super) hostname: String,
    /// PLAIN and LOGIN offered without TLS.
    pub(super) allow_plaintext: bool,
    /// The longest one read or write may wait.
    pub(super) timeout: Duration,
    /// The wait before a failed-authentication reply.
    pub(super) failure_delay: Duration,
    /// The most connections served at once.
    pub(super) max_connections: usize,
    /// The attempt log.
    pub(super) log: Log,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("registry", &self.registry)
            .field("hostname", &self.hostname)
            .field("allow_plaintext", &self.allow_plaintext)
            .field("timeout", &self.timeout)
            .field("failure_delay", &self.failure_delay)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// The generated self-signed certificate: where it was written, for clients to trust.
#[derive(Debug, Clone)]
pub(super) struct GeneratedCert {
    /// The temporary directory holding it (removed when `sasl serve` ends).
    pub(super) dir: PathBuf,
    /// The certificate file (PEM).
    pub(super) cert_path: PathBuf,
}

/// A server ready to bind: build with [`from_args`](Self::from_args) or
/// [`from_parts`](Self::from_parts), start with [`spawn`](super::spawn).
#[derive(Debug)]
pub(crate) struct ServerSetup {
    /// What the connections share.
    pub(super) shared: Arc<Shared>,
    /// Where to listen.
    pub(super) listeners: Vec<(Protocol, SocketAddr)>,
    /// The generated certificate, when no `--cert` was given.
    pub(super) generated: Option<GeneratedCert>,
    /// The SHA-256 fingerprint of the served leaf certificate.
    pub(super) fingerprint: String,
    /// Mechanism names by connection kind, for the start-up summary.
    pub(super) summary: Vec<String>,
}

impl ServerSetup {
    /// Builds the server `sasl serve` runs from its flags: accounts from `--config` and
    /// `--account`, TLS from `--cert`/`--key` or a generated self-signed certificate
    /// written to a temporary directory, OAuth from `--jwks`/`--issuer`/`--audience` or
    /// the config's `[oauth]`, PASSKEY from the config's `[passkey]`.
    pub(crate) fn from_args(args: &ServeArgs) -> Result<ServerSetup, Failure> {
        let listeners = listeners_of(args);
        if listeners.is_empty() {
            return Err(Failure::error("sasl serve needs at least one address").hint(
                "give --imap, --imaps, --smtp, --submissions, --pop3 or --pop3s, e.g. --imap 127.0.0.1:1143",
            ));
        }
        let file = match &args.config {
            Some(path) => Some((config::ServerConfigFile::load(path)?, path.clone())),
            None => None,
        };
        let mut accounts = match &file {
            Some((file, _)) => Accounts::from_file(file)?,
            None => Accounts::default(),
        };
        for spec in &args.account {
            accounts.add_password_account(spec)?;
        }
        let hostname = if args.hostname != "localhost" {
            args.hostname.clone()
        } else {
            file.as_ref()
                .and_then(|(f, _)| f.hostname.clone())
                .unwrap_or_else(|| args.hostname.clone())
        };
        let oauth = oauth_from_args(args, file.as_ref())?;
        let passkey = file.as_ref().and_then(|(f, _)| f.passkey.clone());
        let client_auth = match &args.client_ca {
            Some(path) => ClientAuth::Roots(tls::load_certs(path)?),
            None => ClientAuth::AnyKey,
        };
        let (chain, key, generated) = match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => (tls::load_certs(cert)?, tls::load_key(key)?, None),
            _ => {
                let (chain, key, generated) = generate_cert(&hostname)?;
                (chain, key, Some(generated))
            }
        };
        let log = Log::new(if args.log_json {
            LogFormat::Json
        } else {
            LogFormat::Text
        });
        let settings = Settings {
            accounts,
            chain,
            key,
            client_auth,
            oauth,
            passkey,
            hostname,
            allow_plaintext: args.allow_plaintext,
            timeout: Duration::from_secs(args.timeout.max(1)),
            failure_delay: Duration::from_millis(args.failure_delay),
            max_connections: args.max_connections.max(1),
            log,
        };
        let mut setup = build(settings, listeners)?;
        setup.generated = generated;
        Ok(setup)
    }

    /// Builds an in-process server from `parts` (for `sasl demo`): quiet, PLAIN and
    /// LOGIN only over TLS, a 30 s read timeout, at most 64 connections.
    pub(crate) fn from_parts(parts: DemoServerParts) -> Result<ServerSetup, Failure> {
        let settings = Settings {
            accounts: parts.accounts,
            chain: parts.tls_chain,
            key: parts.tls_key,
            client_auth: parts.client_auth,
            oauth: parts.oauth,
            passkey: parts.passkey,
            hostname: parts.hostname,
            allow_plaintext: false,
            timeout: DEMO_TIMEOUT,
            failure_delay: parts.failure_delay,
            max_connections: DEMO_MAX_CONNECTIONS,
            log: Log::new(LogFormat::Silent),
        };
        build(settings, parts.listeners)
    }

    /// The generated certificate's file, when there is one.
    pub(super) fn generated_cert_path(&self) -> Option<&Path> {
        self.generated.as_ref().map(|g| g.cert_path.as_path())
    }
}

/// The inputs of [`build`], from either constructor.
struct Settings {
    accounts: Accounts,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_auth: ClientAuth,
    oauth: Option<OAuthSettings>,
    passkey: Option<PasskeySection>,
    hostname: String,
    allow_plaintext: bool,
    timeout: Duration,
    failure_delay: Duration,
    max_connections: usize,
    log: Log,
}

fn build(
    settings: Settings,
    listeners: Vec<(Protocol, SocketAddr)>,
) -> Result<ServerSetup, Failure> {
    let leaf_der = settings
        .chain
        .first()
        .map(|c| c.as_ref().to_vec())
        .ok_or_else(|| Failure::error("the server certificate chain is empty"))?;
    let fingerprint = tls::cert_fingerprint(&leaf_der);
    let tls_config = tls::server_config(settings.chain, settings.key, &settings.client_auth)?;

    let mut secret = [0u8; 32];
    sasl_core::OsRandom
        .fill(&mut secret)
        .map_err(|e| Failure::error(format!("randomness for the SCRAM server secret: {e}")))?;
    let scram = ScramServerConfig::new(secret.to_vec())
        .map_err(|e| Failure::error(format!("SCRAM setup: {e}")))?;
    let mut registry = ServerRegistry::new()
        .with_all(sasl_scram::server_factories(scram))
        .with(PlainServer::factory())
        .with(LoginServer::factory());
    let validator = match &settings.oauth {
        Some(oauth) => {
            let rules = JwtConfig::new(
                JwsAlgorithm::ALL.iter().copied(),
                oauth.issuer.clone(),
                oauth.audiences.iter().cloned(),
            );
            let validator = JwtValidator::new(&oauth.jwks_json, rules)
                .map_err(|e| Failure::error(format!("the OAuth settings (JWKS): {e}")))?;
            let mut config = BearerServerConfig::new();
            if let Some(url) = &oauth.openid_configuration {
                config = config.with_openid_configuration(url).map_err(|e| {
                    Failure::error(format!("the OpenID configuration URL {url:?}: {e}"))
                })?;
            }
            registry = registry
                .with(BearerServer::factory(
                    BearerMechanism::OAuthBearer,
                    config.clone(),
                ))
                .with(BearerServer::factory(BearerMechanism::XOAuth2, config));
            Some(validator)
        }
        None => None,
    };
    registry = registry.with(ExternalServer::factory());
    if let Some(passkey) = &settings.passkey {
        let rp = RelyingParty::new(passkey.rp_id.clone(), passkey.origins.iter().cloned());
        let config = PasskeyServerConfig::new(rp)
            .map_err(|e| Failure::error(format!("the [passkey] settings: {e}")))?;
        registry = registry.with(PasskeyServer::factory(config));
    }
    let store = Store::new(settings.accounts, validator)?;
    let shared = Shared {
        registry,
        tls: tls_config,
        leaf_der,
        store,
        hostname: settings.hostname,
        allow_plaintext: settings.allow_plaintext,
        timeout: settings.timeout,
        failure_delay: settings.failure_delay,
        max_connections: settings.max_connections,
        log: settings.log,
    };
    let summary = summary(&shared);
    Ok(ServerSetup {
        shared: Arc::new(shared),
        listeners,
        generated: None,
        fingerprint,
        summary,
    })
}

/// What is offered where, one line per connection kind.
fn summary(shared: &Shared) -> Vec<String> {
    let names = |info: &sasl_core::ConnectionInfo| {
        shared
            .registry
            .advertise(info)
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let plain =
        sasl_core::ConnectionInfo::plaintext().allow_plaintext_passwords(shared.allow_plaintext);
    let tls = sasl_core::ConnectionInfo::tls().with_channel_binding(
        sasl_core::ChannelBinding::new(sasl_core::ChannelBindingType::TlsExporter, vec![0; 32]),
    );
    vec![
        format!("mechanisms before TLS: {}", names(&plain)),
        format!(
            "mechanisms over TLS: {} (EXTERNAL with a known client certificate)",
            names(&tls)
        ),
    ]
}

fn listeners_of(args: &ServeArgs) -> Vec<(Protocol, SocketAddr)> {
    let mut out = Vec::new();
    for (protocol, addrs) in [
        (Protocol::Imap, &args.imap),
        (Protocol::Imaps, &args.imaps),
        (Protocol::Smtp, &args.smtp),
        (Protocol::Submissions, &args.submissions),
        (Protocol::Pop3, &args.pop3),
        (Protocol::Pop3s, &args.pop3s),
    ] {
        out.extend(addrs.iter().map(|a| (protocol, *a)));
    }
    out
}

fn oauth_from_args(
    args: &ServeArgs,
    file: Option<&(config::ServerConfigFile, PathBuf)>,
) -> Result<Option<OAuthSettings>, Failure> {
    if let Some(jwks) = &args.jwks {
        let issuer = args
            .issuer
            .clone()
            .ok_or_else(|| Failure::error("--jwks needs --issuer"))?;
        if args.audience.is_empty() {
            return Err(Failure::error("--jwks needs at least one --audience"));
        }
        return Ok(Some(OAuthSettings {
            jwks_json: read_jwks(jwks)?,
            issuer,
            audiences: args.audience.clone(),
            openid_configuration: args.openid_configuration.clone(),
        }));
    }
    let Some((file, path)) = file else {
        return Ok(None);
    };
    let Some(oauth) = &file.oauth else {
        return Ok(None);
    };
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    Ok(Some(OAuthSettings {
        jwks_json: read_jwks(&base.join(&oauth.jwks))?,
        issuer: oauth.issuer.clone(),
        audiences: oauth.audience.clone(),
        openid_configuration: args
            .openid_configuration
            .clone()
            .or_else(|| oauth.openid_configuration.clone()),
    }))
}

fn read_jwks(path: &Path) -> Result<String, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| file_error(path, "reading the JWKS", e))?;
    if meta.len() > config::MAX_CONFIG_LEN {
        return Err(Failure::error(format!(
            "the JWKS {} is larger than {} bytes",
            path.display(),
            config::MAX_CONFIG_LEN
        )));
    }
    std::fs::read_to_string(path).map_err(|e| file_error(path, "reading the JWKS", e))
}

/// A self-signed certificate for the host name, 127.0.0.1 and ::1, written as PEM to
/// a new temporary directory.
fn generate_cert(
    hostname: &str,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
        GeneratedCert,
    ),
    Failure,
> {
    let mut hosts = vec![hostname, "127.0.0.1", "::1"];
    if hostname != "localhost" {
        hosts.push("localhost");
    }
    let issued = tls::self_signed_server(&hosts, GENERATED_CERT_DAYS)?;
    let mut tag = [0u8; 6];
    sasl_core::OsRandom
        .fill(&mut tag)
        .map_err(|e| Failure::error(format!("randomness: {e}")))?;
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("sasl-serve-{}-{tag}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| file_error(&dir, "creating", e))?;
    let cert_path = dir.join("cert.pem");
    std::fs::write(&cert_path, issued.cert_pem.as_bytes())
        .map_err(|e| file_error(&cert_path, "writing", e))?;
    let key = issued.private_key()?;
    Ok((issued.chain(), key, GeneratedCert { dir, cert_path }))
}
