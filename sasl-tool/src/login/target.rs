//! The server to log into: `imap|imaps|smtp|smtps|pop3|pop3s://host[:port]`.

use crate::failure::Failure;
use std::fmt;
use std::net::IpAddr;

/// The application protocol spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// IMAP (RFC 9051).
    Imap,
    /// SMTP submission (RFC 6409, AUTH RFC 4954).
    Smtp,
    /// POP3 (RFC 1939, AUTH RFC 5034).
    Pop3,
}

impl Protocol {
    /// The lowercase name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Smtp => "smtp",
            Protocol::Pop3 => "pop3",
        }
    }

    /// The command that upgrades a plain connection to TLS.
    pub(crate) fn starttls_command(self) -> &'static str {
        match self {
            Protocol::Imap | Protocol::Smtp => "STARTTLS",
            Protocol::Pop3 => "STLS",
        }
    }
}

/// A URL scheme: a protocol, with implicit TLS or without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// IMAP on port 143, TLS by STARTTLS.
    Imap,
    /// IMAP over implicit TLS on port 993.
    Imaps,
    /// SMTP submission on port 587, TLS by STARTTLS.
    Smtp,
    /// SMTP submission over implicit TLS on port 465 (RFC 8314).
    Smtps,
    /// POP3 on port 110, TLS by STLS.
    Pop3,
    /// POP3 over implicit TLS on port 995.
    Pop3s,
}

impl Scheme {
    /// Every scheme, for parsing and for the usage hint.
    const ALL: [Scheme; 6] = [
        Scheme::Imap,
        Scheme::Imaps,
        Scheme::Smtp,
        Scheme::Smtps,
        Scheme::Pop3,
        Scheme::Pop3s,
    ];

    /// The scheme as written in the URL.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scheme::Imap => "imap",
            Scheme::Imaps => "imaps",
            Scheme::Smtp => "smtp",
            Scheme::Smtps => "smtps",
            Scheme::Pop3 => "pop3",
            Scheme::Pop3s => "pop3s",
        }
    }

    /// The protocol spoken.
    pub(crate) fn protocol(self) -> Protocol {
        match self {
            Scheme::Imap | Scheme::Imaps => Protocol::Imap,
            Scheme::Smtp | Scheme::Smtps => Protocol::Smtp,
            Scheme::Pop3 | Scheme::Pop3s => Protocol::Pop3,
        }
    }

    /// Whether TLS starts right after connecting (no STARTTLS).
    pub(crate) fn implicit_tls(self) -> bool {
        matches!(self, Scheme::Imaps | Scheme::Smtps | Scheme::Pop3s)
    }

    /// The port used when the URL names none.
    pub(crate) fn default_port(self) -> u16 {
        match self {
            Scheme::Imap => 143,
            Scheme::Imaps => 993,
            Scheme::Smtp => 587,
            Scheme::Smtps => 465,
            Scheme::Pop3 => 110,
            Scheme::Pop3s => 995,
        }
    }
}

/// Where to connect: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The scheme (protocol and TLS mode).
    pub(crate) scheme: Scheme,
    /// The host name or IP address (without IPv6 brackets).
    pub(crate) host: String,
    /// The port.
    pub(crate) port: u16,
}

/// The usage hint for a URL that cannot be read.
const URL_HINT: &str = "write the server as imap|imaps|smtp|smtps|pop3|pop3s://host[:port], e.g. imaps://imap.example.com";

impl Target {
    /// Parses `scheme://host[:port]` (a trailing `/` is allowed; IPv6 addresses go in
    /// brackets). Usage errors are exit status 2.
    pub(crate) fn parse(url: &str) -> Result<Target, Failure> {
        let bad = |what: &str| Failure::error(format!("{what}: {url:?}")).hint(URL_HINT);
        let (scheme_text, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("the server URL has no scheme"))?;
        let scheme = Scheme::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(scheme_text))
            .ok_or_else(|| bad("unknown scheme in the server URL"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) || authority.chars().any(char::is_whitespace) {
            return Err(bad(
                "the server URL may only hold a host and a port (no user, path or query)",
            ));
        }
        let (host, port_text) = if let Some(inner) = authority.strip_prefix('[') {
            let (host, after) = inner
                .split_once(']')
                .ok_or_else(|| bad("unclosed [ in the server URL"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("not an IPv6 address in brackets"));
            }
            let port = match after {
                "" => None,
                other => Some(
                    other
                        .strip_prefix(':')
                        .ok_or_else(|| bad("junk after ] in the server URL"))?,
                ),
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("the server URL has no host"));
        }
        let port = match port_text {
            None => scheme.default_port(),
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
        };
        Ok(Target {
            scheme,
            host: host.to_owned(),
            port,
        })
    }

    /// Whether the host is this machine (`localhost`, 127.0.0.0/8, `::1`): passwords
    /// may cross a loopback connection without TLS.
    pub(crate) fn is_loopback(&self) -> bool {
        if self.host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme.name(), self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme.name(), self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports() {
        for (url, port) in [
            ("imap://h", 143),
            ("imaps://h", 993),
            ("smtp://h", 587),
            ("smtps://h", 465),
            ("pop3://h", 110),
            ("POP3S://h/", 995),
        ] {
            assert_eq!(Target::parse(url).unwrap().port, port, "{url}");
        }
    }

    #[test]
    fn hosts_and_ports() {
        let t = Target::parse("imaps://mail.example.com:1993").unwrap();
        assert_eq!(
            (t.scheme, t.host.as_str(), t.port),
            (Scheme::Imaps, "mail.example.com", 1993)
        );
        let t = Target::parse("smtp://[::1]:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 2525));
        assert!(t.is_loopback());
        assert_eq!(t.to_string(), "smtp://[::1]:2525");
        let t = Target::parse("pop3://[::1]").unwrap();
        assert_eq!(t.port, 110);
        assert!(
            Target::parse("imap://127.0.0.1:1143")
                .unwrap()
                .is_loopback()
        );
        assert!(!Target::parse("imap://example.com").unwrap().is_loopback());
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        for url in [
            "imap.example.com",
            "http://example.com",
            "imap://",
            "imap://:143",
            "imap://h:0",
            "imap://h:99999",
            "imap://h:x",
            "imap://user@h",
            "imap://h/INBOX",
            "imap://[::1",
            "imap://[nothost]:1",
            "imap://[::1]x",
        ] {
            let failure = Target::parse(url).unwrap_err();
            assert_eq!(failure.status(), crate::failure::EXIT_ERROR, "{url}");
            assert!(failure.hint_text().is_some(), "{url}");
        }
    }
}
