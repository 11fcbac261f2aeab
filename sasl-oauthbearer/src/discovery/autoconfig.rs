//! Mozilla autoconfig (`config-v1.1.xml`, the Thunderbird ISPDB format).

use roxmltree::{Document, Node, ParsingOptions};

use super::issuer::{UrlKind, check_url, is_unreserved};
use super::{DiscoveryError, Issuer, Trust, document_text};

/// At most this many XML nodes; real autoconfig files have a few hundred.
const NODES_LIMIT: u32 = 20_000;

/// An e-mail address split for autoconfig.
struct EmailAddress<'a> {
    address: &'a str,
    local: &'a str,
    /// The domain as written.
    domain: &'a str,
    /// The domain in lower-case ASCII (IDNA A-labels), for hostnames and URLs.
    ascii_domain: String,
}

impl<'a> EmailAddress<'a> {
    fn parse(address: &'a str) -> Result<Self, DiscoveryError> {
        let refuse = |reason| DiscoveryError::BadEmailAddress {
            address: address.to_owned(),
            reason,
        };
        if address.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(refuse("contains white space or a control character"));
        }
        let (local, domain) = address.rsplit_once('@').ok_or_else(|| refuse("no @"))?;
        if local.is_empty() {
            return Err(refuse("empty local part"));
        }
        if local.len() > 64 {
            return Err(refuse("local part longer than 64 octets"));
        }
        let ascii_domain = match url::Host::parse(domain) {
            Ok(url::Host::Domain(d)) if is_hostname(&d) => d,
            Ok(_) => return Err(refuse("the domain is an address literal")),
            Err(_) => return Err(refuse("the domain is not a valid domain name")),
        };
        if !is_hostname(&ascii_domain) {
            return Err(refuse("the domain is not a valid domain name"));
        }
        Ok(Self {
            address,
            local,
            domain,
            ascii_domain,
        })
    }
}

/// Whether `name` is a host name of letters, digits and hyphens (RFC 1123), or a
/// dotted IPv4 address.
fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn percent_encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The provider's own autoconfig URLs for an e-mail address, in the order to try:
///
/// 1. `https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=<address>`,
///    the address percent-encoded;
/// 2. `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`.
///
/// The domain is in lower-case ASCII (IDNA). Thunderbird also tries these over plain
/// `http`; that is deliberately left out, since an attacker on the path could then
/// choose the servers. The third-party ISPDB is separate: [`ispdb_url`].
pub fn autoconfig_urls(email: &str) -> Result<Vec<String>, DiscoveryError> {
    let email = EmailAddress::parse(email)?;
    let domain = &email.ascii_domain;
    Ok(vec![
        format!(
            "https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={}",
            percent_encode_component(email.address)
        ),
        format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ])
}

/// The Thunderbird ISPDB URL for an e-mail address's domain,
/// `https://autoconfig.thunderbird.net/v1.1/<domain>`, to try after
/// [`autoconfig_urls`].
///
/// The ISPDB is run by a third party (Mozilla), which learns the domain; ask it only
/// if the user or the application's policy allows that.
pub fn ispdb_url(email: &str) -> Result<String, DiscoveryError> {
    let email = EmailAddress::parse(email)?;
    Ok(format!(
        "https://autoconfig.thunderbird.net/v1.1/{}",
        email.ascii_domain
    ))
}

/// Whether a server receives mail (`incomingServer`) or sends it (`outgoingServer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `<incomingServer>`: IMAP, POP3 and the like.
    Incoming,
    /// `<outgoingServer>`: SMTP.
    Outgoing,
}

/// A server's protocol, from its `type` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `imap`.
    Imap,
    /// `pop3`.
    Pop3,
    /// `smtp`.
    Smtp,
    /// Anything else (such as `exchange` or `jmap`), as written.
    Other(String),
}

impl Protocol {
    fn from_attribute(value: &str) -> Self {
        match value.to_ascii_lowercase().as_str() {
            "imap" => Protocol::Imap,
            "pop3" => Protocol::Pop3,
            "smtp" => Protocol::Smtp,
            _ => Protocol::Other(value.to_owned()),
        }
    }
}

/// How a server's connection is secured, from `<socketType>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// `SSL` (or `TLS`): TLS from the first byte (implicit TLS).
    Tls,
    /// `STARTTLS`: plain text upgraded to TLS.
    StartTls,
    /// `plain`: no TLS at all.
    Plain,
}

impl SocketType {
    fn parse(value: &str) -> Result<Self, DiscoveryError> {
        match value.to_ascii_uppercase().as_str() {
            "SSL" | "TLS" => Ok(SocketType::Tls),
            "STARTTLS" => Ok(SocketType::StartTls),
            "PLAIN" => Ok(SocketType::Plain),
            _ => Err(DiscoveryError::InvalidField {
                field: "socketType",
                reason: format!("unknown socket type {value:?}"),
            }),
        }
    }

    /// Whether the connection uses TLS (implicit or STARTTLS).
    pub fn is_tls(self) -> bool {
        matches!(self, SocketType::Tls | SocketType::StartTls)
    }
}

/// An authentication method from `<authentication>` (names compared ignoring ASCII
/// case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `OAuth2` (Thunderbird's spelling) or `OAuth`: OAUTHBEARER or XOAUTH2 with the
    /// `<oAuth2>` settings.
    OAuth2,
    /// `password-cleartext` (or the old `plain`): PLAIN, LOGIN or the protocol's
    /// plain-text login.
    PasswordCleartext,
    /// `password-encrypted` (or the old `secure`): CRAM-MD5 or similar.
    PasswordEncrypted,
    /// `NTLM`.
    Ntlm,
    /// `GSSAPI` (Kerberos).
    GssApi,
    /// `client-IP-address`: the server trusts the client's address.
    ClientIpAddress,
    /// `TLS-client-cert`: a TLS client certificate (SASL EXTERNAL).
    TlsClientCert,
    /// `smtp-after-pop`.
    SmtpAfterPop,
    /// `none`: no authentication.
    NoAuthentication,
    /// Anything else, as written.
    Other(String),
}

impl AuthMethod {
    fn from_element(value: &str) -> Self {
        match value.to_ascii_lowercase().as_str() {
            "oauth2" | "oauth" => AuthMethod::OAuth2,
            "password-cleartext" | "plain" => AuthMethod::PasswordCleartext,
            "password-encrypted" | "secure" => AuthMethod::PasswordEncrypted,
            "ntlm" => AuthMethod::Ntlm,
            "gssapi" => AuthMethod::GssApi,
            "client-ip-address" => AuthMethod::ClientIpAddress,
            "tls-client-cert" => AuthMethod::TlsClientCert,
            "smtp-after-pop" => AuthMethod::SmtpAfterPop,
            "none" => AuthMethod::NoAuthentication,
            _ => AuthMethod::Other(value.to_owned()),
        }
    }
}

/// An `<incomingServer>` or `<outgoingServer>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    direction: Direction,
    protocol: Protocol,
    hostname: String,
    port: u16,
    socket_type: SocketType,
    username: Option<String>,
    authentication: Vec<AuthMethod>,
}

impl Server {
    /// Incoming or outgoing.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The protocol (`type` attribute).
    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    /// `<hostname>`, placeholders substituted; a valid host name.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// `<port>`, 1 to 65535.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `<socketType>`.
    pub fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// `<username>`, placeholders substituted, if given.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The `<authentication>` methods in the file's order (its order of preference);
    /// never empty.
    pub fn authentication(&self) -> &[AuthMethod] {
        &self.authentication
    }

    /// Whether [`AuthMethod::OAuth2`] is among the methods.
    pub fn supports_oauth2(&self) -> bool {
        self.authentication.contains(&AuthMethod::OAuth2)
    }
}

/// How the `<oAuth2>` block names its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuth2Issuer {
    /// An issuer identifier URL, which starts discovery
    /// ([`DiscoveryTarget::for_issuer`](super::DiscoveryTarget::for_issuer)).
    Url(Issuer),
    /// A bare host name, as Thunderbird's ISPDB writes it (`accounts.google.com`):
    /// a key into the application's own table of providers, not a discovery issuer.
    Hostname(String),
}

/// The `<oAuth2>` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Config {
    issuer: OAuth2Issuer,
    scopes: Vec<String>,
    auth_url: Option<String>,
    token_url: Option<String>,
    client_id: Option<String>,
}

impl OAuth2Config {
    /// `<issuer>`: a URL, or a host name in ISPDB files.
    pub fn issuer(&self) -> &OAuth2Issuer {
        &self.issuer
    }

    /// The issuer, if `<issuer>` is a URL (and so can start discovery).
    pub fn issuer_url(&self) -> Option<&Issuer> {
        match &self.issuer {
            OAuth2Issuer::Url(issuer) => Some(issuer),
            OAuth2Issuer::Hostname(_) => None,
        }
    }

    /// `<scope>`, split on white space; never empty.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// `<authURL>`: the authorization endpoint, an `https` URL, if given.
    pub fn auth_url(&self) -> Option<&str> {
        self.auth_url.as_deref()
    }

    /// `<tokenURL>`: the token endpoint, an `https` URL, if given.
    pub fn token_url(&self) -> Option<&str> {
        self.token_url.as_deref()
    }

    /// `<clientID>`, if given.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
}

/// A parsed autoconfig document (`<clientConfig version="1.1">`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autoconfig {
    provider_id: String,
    domains: Vec<String>,
    display_name: Option<String>,
    display_short_name: Option<String>,
    incoming: Vec<Server>,
    outgoing: Vec<Server>,
    oauth2: Option<OAuth2Config>,
}

impl Autoconfig {
    /// Parses an autoconfig document for `email`, with `https` required for URLs.
    ///
    /// See [`Autoconfig::parse_with`].
    pub fn parse(document: &[u8], email: &str) -> Result<Self, DiscoveryError> {
        Self::parse_with(document, email, Trust::HttpsOnly)
    }

    /// Parses an autoconfig document for `email`, allowing `http` for `<authURL>`,
    /// `<tokenURL>` and an `<issuer>` URL as far as `trust` says.
    ///
    /// `%EMAILADDRESS%`, `%EMAILLOCALPART%` and `%EMAILDOMAIN%` are substituted in
    /// `<hostname>` (with the domain in lower-case ASCII) and `<username>` (with the
    /// domain as written). Refused are documents that are too large, not UTF-8,
    /// malformed, with a DTD, with a root other than `<clientConfig>` (or a `version`
    /// other than `1.1`), with other than exactly one `<emailProvider>` (and its `id`),
    /// or without an `<incomingServer>`. Web-service entries of a non-mail `type`
    /// with a `<url>` and no `<hostname>` (EWS, OWA, Graph) are skipped. Each server
    /// needs a `type`, a valid
    /// `<hostname>`, a `<port>` from 1 to 65535, a `<socketType>` of `SSL`, `TLS`,
    /// `STARTTLS` or `plain`, and at least one `<authentication>`; an `<oAuth2>`
    /// block (beside `<emailProvider>`, or inside it) needs an `<issuer>` that is an
    /// issuer URL or a host name, and a `<scope>`. Single-valued elements may not
    /// repeat. Unknown elements are ignored.
    pub fn parse_with(document: &[u8], email: &str, trust: Trust) -> Result<Self, DiscoveryError> {
        let email = EmailAddress::parse(email)?;
        let source = document_text(document, super::MAX_AUTOCONFIG_SIZE)?;
        let options = ParsingOptions {
            allow_dtd: false,
            nodes_limit: NODES_LIMIT,
            ..ParsingOptions::default()
        };
        let doc = Document::parse_with_options(source, options).map_err(|e| match e {
            roxmltree::Error::DtdDetected => DiscoveryError::DtdRejected,
            other => DiscoveryError::Xml(other.to_string()),
        })?;
        let root = doc.root_element();
        if root.tag_name().name() != "clientConfig" {
            return Err(DiscoveryError::WrongRoot {
                expected: "clientConfig",
                found: root.tag_name().name().to_owned(),
            });
        }
        if let Some(version) = root.attribute("version")
            && version != "1.1"
        {
            return Err(DiscoveryError::InvalidField {
                field: "clientConfig version",
                reason: format!("version {version:?}, expected \"1.1\""),
            });
        }

        let provider =
            single(root, "emailProvider")?.ok_or(DiscoveryError::MissingField("emailProvider"))?;
        let provider_id = provider
            .attribute("id")
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or(DiscoveryError::MissingField("emailProvider id"))?
            .to_owned();
        let domains = children(provider, "domain")
            .map(|n| text(n, "domain"))
            .filter_map(Result::transpose)
            .collect::<Result<Vec<_>, _>>()?;
        let display_name = optional_text(provider, "displayName")?;
        let display_short_name = optional_text(provider, "displayShortName")?;

        let incoming = children(provider, "incomingServer")
            .filter(|n| !is_web_service(*n))
            .map(|n| parse_server(n, Direction::Incoming, &email))
            .collect::<Result<Vec<_>, _>>()?;
        if incoming.is_empty() {
            return Err(DiscoveryError::MissingField("incomingServer"));
        }
        let outgoing = children(provider, "outgoingServer")
            .filter(|n| !is_web_service(*n))
            .map(|n| parse_server(n, Direction::Outgoing, &email))
            .collect::<Result<Vec<_>, _>>()?;

        let oauth2 = match (single(root, "oAuth2")?, single(provider, "oAuth2")?) {
            (Some(_), Some(_)) => {
                return Err(DiscoveryError::InvalidField {
                    field: "oAuth2",
                    reason: "appears more than once".to_owned(),
                });
            }
            (Some(node), None) | (None, Some(node)) => Some(parse_oauth2(node, trust)?),
            (None, None) => None,
        };

        Ok(Self {
            provider_id,
            domains,
            display_name,
            display_short_name,
            incoming,
            outgoing,
            oauth2,
        })
    }

    /// `<emailProvider id>`.
    pub fn provider_id(&self) -> &str {
        &self.provider_id
    }

    /// The `<domain>` elements: the domains the provider serves. Not checked against
    /// the address (a provider found through MX records serves domains it cannot
    /// list).
    pub fn domains(&self) -> &[String] {
        &self.domains
    }

    /// `<displayName>`, if given.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// `<displayShortName>`, if given.
    pub fn display_short_name(&self) -> Option<&str> {
        self.display_short_name.as_deref()
    }

    /// The `<incomingServer>`s in the file's order (its order of preference); never
    /// empty.
    pub fn incoming_servers(&self) -> &[Server] {
        &self.incoming
    }

    /// The `<outgoingServer>`s in the file's order.
    pub fn outgoing_servers(&self) -> &[Server] {
        &self.outgoing
    }

    /// All servers, incoming first, each group in the file's order.
    pub fn servers(&self) -> impl Iterator<Item = &Server> + '_ {
        self.incoming.iter().chain(&self.outgoing)
    }

    /// The servers that offer OAuth2 over TLS (implicit or STARTTLS), incoming first.
    /// A server offering OAuth2 with `<socketType>plain</socketType>` is left out:
    /// OAUTHBEARER requires TLS (RFC 7628 §3) and a bearer token must not travel in
    /// clear text.
    pub fn oauth_servers(&self) -> impl Iterator<Item = &Server> + '_ {
        self.servers()
            .filter(|s| s.supports_oauth2() && s.socket_type.is_tls())
    }

    /// The `<oAuth2>` block, if any.
    pub fn oauth2(&self) -> Option<&OAuth2Config> {
        self.oauth2.as_ref()
    }
}

/// Whether a server element describes a web service by `<url>` instead of a mail
/// server by `<hostname>`: Thunderbird's ISPDB lists Exchange Web Services, OWA and
/// Microsoft Graph that way (`<incomingServer type="ews"><url>..</url>`, as in its
/// `office365.com` entry). Such entries are skipped rather than failing the whole
/// document; servers of the mail protocols still need a `<hostname>`.
fn is_web_service(node: Node<'_, '_>) -> bool {
    let mail_protocol = node
        .attribute("type")
        .map(Protocol::from_attribute)
        .is_some_and(|p| matches!(p, Protocol::Imap | Protocol::Pop3 | Protocol::Smtp));
    !mail_protocol
        && children(node, "hostname").next().is_none()
        && children(node, "url").next().is_some()
}

fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The child element `name`, which may appear at most once.
fn single<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> Result<Option<Node<'a, 'input>>, DiscoveryError> {
    let mut found = children(node, name);
    let first = found.next();
    if found.next().is_some() {
        return Err(DiscoveryError::InvalidField {
            field: name,
            reason: "appears more than once".to_owned(),
        });
    }
    Ok(first)
}

/// An element's text, trimmed; `None` if empty. Elements inside are refused.
fn text(node: Node<'_, '_>, field: &'static str) -> Result<Option<String>, DiscoveryError> {
    let mut out = String::new();
    for child in node.children() {
        if child.is_element() {
            return Err(DiscoveryError::InvalidField {
                field,
                reason: "contains an element".to_owned(),
            });
        }
        if child.is_text()
            && let Some(t) = child.text()
        {
            out.push_str(t);
        }
    }
    let trimmed = out.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

fn optional_text(node: Node<'_, '_>, name: &'static str) -> Result<Option<String>, DiscoveryError> {
    match single(node, name)? {
        Some(child) => text(child, name),
        None => Ok(None),
    }
}

fn required_text(node: Node<'_, '_>, name: &'static str) -> Result<String, DiscoveryError> {
    optional_text(node, name)?.ok_or(DiscoveryError::MissingField(name))
}

/// Substitutes the placeholders in one pass (so a local part that looks like a
/// placeholder is not substituted again).
fn substitute(template: &str, email: &EmailAddress<'_>, domain: &str) -> String {
    const PLACEHOLDERS: [&str; 3] = ["%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%"];
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('%') {
        let (before, from_percent) = rest.split_at_checked(start).unwrap_or((rest, ""));
        out.push_str(before);
        let found = PLACEHOLDERS.iter().find(|p| from_percent.starts_with(**p));
        match found {
            Some(placeholder) => {
                out.push_str(match *placeholder {
                    "%EMAILADDRESS%" => email.address,
                    "%EMAILLOCALPART%" => email.local,
                    _ => domain,
                });
                rest = from_percent.get(placeholder.len()..).unwrap_or("");
            }
            None => {
                out.push('%');
                rest = from_percent.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_server(
    node: Node<'_, '_>,
    direction: Direction,
    email: &EmailAddress<'_>,
) -> Result<Server, DiscoveryError> {
    let (element, type_field) = match direction {
        Direction::Incoming => ("incomingServer", "incomingServer type"),
        Direction::Outgoing => ("outgoingServer", "outgoingServer type"),
    };
    let protocol = node
        .attribute("type")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Protocol::from_attribute)
        .ok_or(DiscoveryError::MissingField(type_field))?;

    let hostname = substitute(
        &required_text(node, "hostname")?,
        email,
        &email.ascii_domain,
    );
    if !is_hostname(&hostname) {
        return Err(DiscoveryError::InvalidField {
            field: "hostname",
            reason: format!("{hostname:?} in <{element}> is not a host name"),
        });
    }

    let port_text = required_text(node, "port")?;
    let port = (port_text.len() <= 5 && port_text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| port_text.parse::<u16>().ok())
        .flatten()
        .filter(|p| *p != 0)
        .ok_or_else(|| DiscoveryError::InvalidField {
            field: "port",
            reason: format!("{port_text:?} is not a port from 1 to 65535"),
        })?;

    let socket_type = SocketType::parse(&required_text(node, "socketType")?)?;
    let username = optional_text(node, "username")?.map(|u| substitute(&u, email, email.domain));

    let authentication = children(node, "authentication")
        .map(|n| text(n, "authentication"))
        .filter_map(Result::transpose)
        .map(|r| r.map(|m| AuthMethod::from_element(&m)))
        .collect::<Result<Vec<_>, _>>()?;
    if authentication.is_empty() {
        return Err(DiscoveryError::MissingField("authentication"));
    }

    Ok(Server {
        direction,
        protocol,
        hostname,
        port,
        socket_type,
        username,
        authentication,
    })
}

fn parse_oauth2(node: Node<'_, '_>, trust: Trust) -> Result<OAuth2Config, DiscoveryError> {
    let issuer_text =
        optional_text(node, "issuer")?.ok_or(DiscoveryError::MissingField("oAuth2 issuer"))?;
    let issuer = if issuer_text.contains("://") {
        OAuth2Issuer::Url(Issuer::parse_with(&issuer_text, trust)?)
    } else if is_hostname(&issuer_text) {
        OAuth2Issuer::Hostname(issuer_text)
    } else {
        return Err(DiscoveryError::InvalidField {
            field: "oAuth2 issuer",
            reason: format!("{issuer_text:?} is neither an issuer URL nor a host name"),
        });
    };
    let scopes: Vec<String> = optional_text(node, "scope")?
        .ok_or(DiscoveryError::MissingField("oAuth2 scope"))?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let auth_url = optional_text(node, "authURL")?;
    if let Some(url) = &auth_url {
        check_url(url, "authURL", trust, UrlKind::Endpoint)?;
    }
    let token_url = optional_text(node, "tokenURL")?;
    if let Some(url) = &token_url {
        check_url(url, "tokenURL", trust, UrlKind::Endpoint)?;
    }
    let client_id = optional_text(node, "clientID")?;
    Ok(OAuth2Config {
        issuer,
        scopes,
        auth_url,
        token_url,
        client_id,
    })
}
