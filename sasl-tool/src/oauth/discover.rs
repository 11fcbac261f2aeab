//! Discovery for `sasl oauth login`, from the e-mail address alone, in three steps,
//! each reported on stderr as it happens so the user sees where the configuration
//! came from:
//!
//! 1. Mozilla autoconfig for the address's domain (or the `--autoconfig-url` given):
//!    the IMAP and SMTP servers and the `<oAuth2>` block;
//! 2. when no issuer is known yet: an OAUTHBEARER attempt with an invalid token at the
//!    account's IMAP (else SMTP) server, whose RFC 7628 error names the
//!    `openid-configuration`;
//! 3. the issuer's metadata (RFC 8414 / OpenID Connect discovery), accepted only when
//!    its `issuer` is the one asked for.
//!
//! The parsing and checks are sasl-oauthbearer's sans-IO [`discovery`] module; this
//! file does the fetching and the reporting.

use super::http::Http;
use crate::failure::Failure;
use crate::login::{self, LoginSettings, Target};
use crate::tls;
use sasl_core::Secret;
use sasl_oauthbearer::discovery::{
    self, AuthorizationServerMetadata, Autoconfig, DiscoveryTarget, Issuer, OAuth2Config, Protocol,
    Server, SocketType,
};

/// What discovery found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Each step's report line, in order.
    pub(crate) report: Vec<String>,
    /// The IMAP server URL (`imaps://` or `imap://` with STARTTLS).
    pub(crate) imap: Option<String>,
    /// The SMTP submission server URL.
    pub(crate) smtp: Option<String>,
    /// The autoconfig `<oAuth2>` block.
    pub(crate) autoconfig: Option<OAuth2Config>,
    /// The verified metadata.
    pub(crate) metadata: Option<AuthorizationServerMetadata>,
}

impl Found {
    /// Reports one step (see [`say`]).
    pub(crate) fn say(&mut self, line: String) {
        say(&mut self.report, line);
    }
}

/// Reports one step: on stderr now, and in `report`, the account file's record.
pub(crate) fn say(report: &mut Vec<String>, line: String) {
    // Documents from the network may carry terminal control characters.
    let line: String = line
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    eprintln!("  {line}");
    report.push(line);
}

/// Where discovery starts: what the command line gave.
pub(crate) struct Start<'a> {
    /// The e-mail address.
    pub(crate) address: &'a str,
    /// `--autoconfig-url`: fetch this instead of the address's autoconfig URLs.
    pub(crate) autoconfig_url: Option<&'a str>,
    /// `--issuer`.
    pub(crate) issuer: Option<&'a str>,
    /// `--imap`, `--smtp`: override the servers of autoconfig.
    pub(crate) imap: Option<&'a str>,
    /// See `imap`.
    pub(crate) smtp: Option<&'a str>,
    /// TLS trust for the mail servers of step 2.
    pub(crate) mail_trust: tls::Trust,
}

/// Runs the three steps.
pub(crate) fn discover(start: &Start<'_>, http: &Http) -> Result<Found, Failure> {
    let mut found = Found::default();
    eprintln!("Discovering the OAuth configuration of {}:", start.address);
    autoconfig(start, http, &mut found);
    if let Some(url) = start.imap {
        found.imap = Some(Target::parse(url).map(|_| url.to_owned())?);
        found.say(format!("IMAP server {url} (from --imap)"));
    }
    if let Some(url) = start.smtp {
        found.smtp = Some(Target::parse(url).map(|_| url.to_owned())?);
        found.say(format!("SMTP server {url} (from --smtp)"));
    }

    let target = if let Some(issuer) = start.issuer {
        found.say(format!("issuer {issuer} (from --issuer)"));
        Some(
            DiscoveryTarget::from_issuer_with(issuer, http.trust())
                .map_err(|e| Failure::error(format!("--issuer {issuer}: {e}")))?,
        )
    } else if let Some(issuer) = found.autoconfig.as_ref().and_then(OAuth2Config::issuer_url) {
        let issuer: Issuer = issuer.clone();
        found.say(format!("issuer {} (from autoconfig)", issuer.as_str()));
        Some(DiscoveryTarget::for_issuer(issuer, http.trust()))
    } else {
        probe(start, http, &mut found)?
    };

    if let Some(target) = target {
        found.metadata = Some(metadata(&target, http, &mut found)?);
    }
    Ok(found)
}

/// Step 1.
fn autoconfig(start: &Start<'_>, http: &Http, found: &mut Found) {
    let urls = match start.autoconfig_url {
        Some(url) => vec![url.to_owned()],
        None => match discovery::autoconfig_urls(start.address) {
            Ok(urls) => urls,
            Err(e) => {
                found.say(format!("autoconfig: not tried ({e})"));
                return;
            }
        },
    };
    for url in urls {
        let response = match http.get(&url, "application/xml, text/xml") {
            Ok(response) => response,
            Err(e) => {
                found.say(format!("autoconfig {url}: {}", e.message()));
                continue;
            }
        };
        if response.status != 200 {
            found.say(format!("autoconfig {url}: HTTP {}", response.status));
            continue;
        }
        let parsed = Autoconfig::parse_with(&response.body, start.address, http.trust());
        match parsed {
            Ok(config) => {
                let servers: Vec<String> = config
                    .oauth_servers()
                    .map(|s| format!("{:?} {}:{}", s.protocol(), s.hostname(), s.port()))
                    .collect();
                found.say(format!(
                    "autoconfig {url}: found {} ({})",
                    config.provider_id(),
                    if servers.is_empty() {
                        "no server offers OAuth2".to_owned()
                    } else {
                        format!("OAuth2 on {}", servers.join(", "))
                    }
                ));
                found.imap = first_server(&config, &Protocol::Imap);
                found.smtp = first_server(&config, &Protocol::Smtp);
                if let Some(oauth) = config.oauth2() {
                    found.autoconfig = Some(oauth.clone());
                } else {
                    found.say("autoconfig has no <oAuth2> block".to_owned());
                }
                return;
            }
            Err(e) => found.say(format!("autoconfig {url}: not usable ({e})")),
        }
    }
}

/// The URL of the first OAuth-capable server of `protocol` that uses TLS.
fn first_server(config: &Autoconfig, protocol: &Protocol) -> Option<String> {
    config
        .oauth_servers()
        .find(|s| s.protocol() == protocol)
        .and_then(server_url)
}

fn server_url(server: &Server) -> Option<String> {
    let scheme = match (server.protocol(), server.socket_type()) {
        (Protocol::Imap, SocketType::Tls) => "imaps",
        (Protocol::Imap, SocketType::StartTls) => "imap",
        (Protocol::Smtp, SocketType::Tls) => "smtps",
        (Protocol::Smtp, SocketType::StartTls) => "smtp",
        _ => return None,
    };
    let host = server.hostname();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Some(format!("{scheme}://{host}:{}", server.port()))
}

/// Step 2: ask the mail server (IMAP first) for its `openid-configuration`.
fn probe(
    start: &Start<'_>,
    http: &Http,
    found: &mut Found,
) -> Result<Option<DiscoveryTarget>, Failure> {
    let servers: Vec<String> = [found.imap.clone(), found.smtp.clone()]
        .into_iter()
        .flatten()
        .collect();
    if servers.is_empty() {
        found.say("no issuer and no mail server to ask for one".to_owned());
        return Ok(None);
    }
    let runtime = login::runtime()?;
    for url in servers {
        let settings = LoginSettings::bearer(
            Target::parse(&url)?,
            "OAUTHBEARER",
            start.address,
            Secret::new("sasl-oauth-discovery-probe".to_owned()),
            start.mail_trust.clone(),
        );
        let report = runtime.block_on(login::login(settings));
        match report.openid_configuration {
            Some(config_url) => {
                found.say(format!(
                    "{url}: OAUTHBEARER with an invalid token names {config_url}"
                ));
                let target =
                    DiscoveryTarget::from_openid_configuration_with(&config_url, http.trust())
                        .map_err(|e| {
                            Failure::error(format!(
                                "the openid-configuration {config_url:?} from {url}: {e}"
                            ))
                        })?;
                return Ok(Some(target));
            }
            None => {
                let why = report
                    .failure()
                    .map(|f| f.message().to_owned())
                    .unwrap_or_else(|| "it gave no openid-configuration".to_owned());
                found.say(format!("{url}: no openid-configuration ({why})"));
            }
        }
    }
    Ok(None)
}

/// Step 3: the metadata URLs in order; the first document found must verify.
fn metadata(
    target: &DiscoveryTarget,
    http: &Http,
    found: &mut Found,
) -> Result<AuthorizationServerMetadata, Failure> {
    for url in target.urls() {
        let response = match http.get(url, "application/json") {
            Ok(response) => response,
            Err(e) => {
                found.say(format!("metadata {url}: {}", e.message()));
                continue;
            }
        };
        if response.status != 200 {
            found.say(format!("metadata {url}: HTTP {}", response.status));
            continue;
        }
        return match target.verify(&response.body) {
            Ok(metadata) => {
                found.say(format!(
                    "metadata {url}: issuer {} verified{}{}",
                    metadata.issuer(),
                    if metadata.registration_endpoint().is_some() {
                        ", dynamic registration"
                    } else {
                        ""
                    },
                    if metadata.device_authorization_endpoint().is_some() {
                        ", device flow"
                    } else {
                        ""
                    }
                ));
                if !metadata.supports_pkce_s256() {
                    found.say(
                        "warning: the metadata does not list PKCE S256; it is sent anyway, but a provider that ignores it leaves a stolen code usable"
                            .to_owned(),
                    );
                }
                Ok(metadata)
            }
            Err(e) => Err(Failure::error(format!(
                "the metadata at {url} cannot be used: {e}"
            ))
            .hint(
                "its issuer must be exactly the one discovery found; check --issuer or the autoconfig file",
            )),
        };
    }
    Err(Failure::error(format!(
        "no metadata found for the issuer {}",
        target.expected_issuer()
    ))
    .hint("give the endpoints with --auth-url and --token-url"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoconfig_servers_become_login_urls_tls_only() {
        let xml = br#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>plain.example.org</hostname><port>143</port><socketType>plain</socketType>
      <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname><port>143</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;
        let config = Autoconfig::parse(xml, "alice@example.org").expect("parses");
        assert_eq!(
            first_server(&config, &Protocol::Imap).as_deref(),
            Some("imap://imap.example.org:143")
        );
        assert_eq!(
            first_server(&config, &Protocol::Smtp).as_deref(),
            Some("smtps://smtp.example.org:465")
        );
        for url in [
            first_server(&config, &Protocol::Imap),
            first_server(&config, &Protocol::Smtp),
        ]
        .into_iter()
        .flatten()
        {
            assert!(Target::parse(&url).is_ok(), "{url}");
        }
    }

    #[test]
    fn report_lines_lose_control_characters() {
        let mut found = Found::default();
        found.say("provider \u{9b}31mred\u{7} id".to_owned());
        assert_eq!(found.report, ["provider ?31mred? id"]);
    }
}
