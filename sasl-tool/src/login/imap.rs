//! The IMAP client dialog (RFC 9051, SASL-IR RFC 4959): greeting, `CAPABILITY`,
//! `STARTTLS`, `AUTHENTICATE` with an initial response when `SASL-IR` is advertised,
//! `LOGOUT`.

use super::session::{AuthProtocol, Capabilities, Incoming};
use super::transport::Link;
use crate::failure::Failure;
use sasl_core::ServerReply;

/// The most lines a command's reply may take before its tagged status.
const MAX_REPLY_LINES: usize = 256;

/// What the greeting said.
#[derive(Debug)]
pub(crate) enum Greeting {
    /// `* OK`: log in.
    Ready(Capabilities),
    /// `* PREAUTH`: the connection is authenticated already (a client certificate).
    Preauth,
}

/// The IMAP side of one connection: the tag counter and the exchange's tag.
#[derive(Debug, Default)]
pub(crate) struct Imap {
    counter: u32,
    tag: String,
    sasl_ir: bool,
}

impl Imap {
    /// A new connection's dialog.
    pub(crate) fn new() -> Self {
        Imap::default()
    }

    /// Says whether the server advertised `SASL-IR` (from its latest capabilities).
    pub(crate) fn set_sasl_ir(&mut self, sasl_ir: bool) {
        self.sasl_ir = sasl_ir;
    }

    fn next_tag(&mut self) -> String {
        self.counter = self.counter.saturating_add(1);
        self.tag = format!("a{}", self.counter);
        self.tag.clone()
    }

    /// Reads the greeting, and the capabilities (from its `[CAPABILITY ...]` code, else
    /// with a `CAPABILITY` command).
    pub(crate) async fn greet(&mut self, link: &mut Link<'_>) -> Result<Greeting, Failure> {
        let line = link.recv().await?;
        let mut words = line.splitn(3, ' ');
        let star = words.next().unwrap_or_default();
        let status = words.next().unwrap_or_default().to_ascii_uppercase();
        let rest = words.next().unwrap_or_default();
        if star != "*" {
            return Err(not_imap(&line));
        }
        match status.as_str() {
            "OK" => {}
            "PREAUTH" => return Ok(Greeting::Preauth),
            "BYE" => {
                return Err(Failure::error(format!(
                    "the server refused the connection: {line}"
                )));
            }
            _ => return Err(not_imap(&line)),
        }
        match capability_code(rest) {
            Some(list) => Ok(Greeting::Ready(parse_capabilities(list))),
            None => self.capabilities(link).await.map(Greeting::Ready),
        }
    }

    /// Asks for the capabilities (`CAPABILITY`).
    pub(crate) async fn capabilities(
        &mut self,
        link: &mut Link<'_>,
    ) -> Result<Capabilities, Failure> {
        let tag = self.next_tag();
        link.send(&format!("{tag} CAPABILITY")).await?;
        let mut words = Vec::new();
        for _ in 0..MAX_REPLY_LINES {
            let line = link.recv().await?;
            if let Some(list) = untagged(&line, "CAPABILITY") {
                words.push(list.to_owned());
                continue;
            }
            if let Some(status) = tagged_status(&tag, &line) {
                if status != "OK" {
                    return Err(Failure::error(format!("CAPABILITY failed: {line}")));
                }
                return Ok(parse_capabilities(&words.join(" ")));
            }
        }
        Err(too_long("CAPABILITY"))
    }

    /// Sends `STARTTLS` and waits for its `OK`; the caller runs the handshake.
    pub(crate) async fn starttls(&mut self, link: &mut Link<'_>) -> Result<(), Failure> {
        let tag = self.next_tag();
        link.send(&format!("{tag} STARTTLS")).await?;
        for _ in 0..MAX_REPLY_LINES {
            let line = link.recv().await?;
            if let Some(status) = tagged_status(&tag, &line) {
                if status == "OK" {
                    return Ok(());
                }
                return Err(
                    Failure::error(format!("the server refused STARTTLS: {line}"))
                        .hint("try imaps:// (port 993) instead"),
                );
            }
        }
        Err(too_long("STARTTLS"))
    }

    /// Sends `LOGOUT` and reads up to its tagged reply; errors do not matter any more.
    pub(crate) async fn logout(&mut self, link: &mut Link<'_>) {
        let tag = self.next_tag();
        if link.send(&format!("{tag} LOGOUT")).await.is_err() {
            return;
        }
        for _ in 0..16 {
            match link.recv().await {
                Ok(line) if tagged_status(&tag, &line).is_some() => return,
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }
}

impl AuthProtocol for Imap {
    fn start_exchange(&mut self) {
        self.next_tag();
    }

    fn command(&self, mechanism: &str, initial: Option<&str>) -> String {
        match initial {
            Some(initial) => format!("{} AUTHENTICATE {mechanism} {initial}", self.tag),
            None => format!("{} AUTHENTICATE {mechanism}", self.tag),
        }
    }

    fn takes_initial_response(&self, _mechanism: &str, _encoded_len: usize) -> bool {
        self.sasl_ir
    }

    fn read(&mut self, line: &str) -> Incoming {
        if let Some(rest) = line.strip_prefix('+') {
            return Incoming::Challenge(rest.trim_start().to_owned());
        }
        match ServerReply::from_imap(&self.tag, line) {
            Some(reply) => Incoming::Outcome(reply),
            None => Incoming::Other,
        }
    }
}

fn not_imap(line: &str) -> Failure {
    Failure::error(format!("this is no IMAP greeting: {line:?}"))
        .hint("is this an IMAP port? smtp:// and pop3:// talk to the other protocols")
}

fn too_long(command: &str) -> Failure {
    Failure::error(format!(
        "the server sent more than {MAX_REPLY_LINES} lines without ending {command}"
    ))
}

/// `* NAME rest` → `rest`.
fn untagged<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.strip_prefix("* ")?;
    let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    word.eq_ignore_ascii_case(name).then_some(tail)
}

/// `tag STATUS ...` → `STATUS`, uppercase.
fn tagged_status(tag: &str, line: &str) -> Option<String> {
    let rest = line.strip_prefix(tag)?.strip_prefix(' ')?;
    let status = rest.split(' ').next().unwrap_or_default();
    Some(status.to_ascii_uppercase())
}

/// The list in a `[CAPABILITY ...]` response code at the start of `text`.
fn capability_code(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('[')?;
    let (code, _) = inner.split_once(']')?;
    let (name, list) = code.split_once(' ').unwrap_or((code, ""));
    name.eq_ignore_ascii_case("CAPABILITY").then_some(list)
}

/// Reads a capability list.
fn parse_capabilities(list: &str) -> Capabilities {
    let mut capabilities = Capabilities::default();
    for word in list.split(' ').filter(|w| !w.is_empty()) {
        let upper = word.to_ascii_uppercase();
        if let Some(mechanism) = upper.strip_prefix("AUTH=") {
            if !mechanism.is_empty() && !capabilities.mechanisms.iter().any(|m| m == mechanism) {
                capabilities.mechanisms.push(mechanism.to_owned());
            }
        } else {
            match upper.as_str() {
                "STARTTLS" => capabilities.starttls = true,
                // LOGINDISABLED is about the LOGIN command only (RFC 9051 §7.2.2), not
                // AUTHENTICATE: SCRAM before TLS is still fine.
                "SASL-IR" => capabilities.initial_response = true,
                _ => {}
            }
        }
    }
    capabilities
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read() {
        let caps = parse_capabilities(
            "IMAP4rev1 SASL-IR LOGINDISABLED STARTTLS AUTH=PLAIN auth=scram-sha-256 AUTH=PLAIN",
        );
        assert_eq!(caps.mechanisms, ["PLAIN", "SCRAM-SHA-256"]);
        assert!(caps.starttls && caps.initial_response);
        assert_eq!(
            capability_code("[CAPABILITY IMAP4rev1 AUTH=PLAIN] ready"),
            Some("IMAP4rev1 AUTH=PLAIN")
        );
        assert_eq!(capability_code("[ALERT] hi"), None);
        assert_eq!(capability_code("ready"), None);
    }

    #[test]
    fn exchange_lines() {
        let mut imap = Imap::new();
        imap.set_sasl_ir(true);
        imap.start_exchange();
        let line = imap.command("PLAIN", Some("AGEAYg=="));
        assert_eq!(line, "a1 AUTHENTICATE PLAIN AGEAYg==");
        assert_eq!(
            imap.command("PLAIN", Some("***")),
            "a1 AUTHENTICATE PLAIN ***"
        );
        assert!(matches!(imap.read("+ "), Incoming::Challenge(c) if c.is_empty()));
        assert!(matches!(imap.read("+ cj1h"), Incoming::Challenge(c) if c == "cj1h"));
        assert!(matches!(
            imap.read("* CAPABILITY IMAP4rev1"),
            Incoming::Other
        ));
        assert!(matches!(imap.read("a0 OK old"), Incoming::Other));
        assert!(matches!(
            imap.read("a1 OK done"),
            Incoming::Outcome(ServerReply::Success { .. })
        ));
        assert!(matches!(
            imap.read("a1 NO [AUTHENTICATIONFAILED] no"),
            Incoming::Outcome(ServerReply::Failure(_))
        ));
        imap.start_exchange();
        assert_eq!(imap.command("LOGIN", None), "a2 AUTHENTICATE LOGIN");
    }
}
