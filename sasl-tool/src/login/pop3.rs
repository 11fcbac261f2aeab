//! The POP3 client dialog (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034):
//! greeting, `CAPA`, `STLS`, `AUTH` with an initial response (RFC 5034 allows one
//! while the command fits in 255 octets), `QUIT`.

use super::session::{AuthProtocol, Capabilities, Incoming, auth_command, auth_line_fits};
use super::transport::Link;
use crate::failure::Failure;
use sasl_core::{FailureKind, FailureReply, ServerReply};

/// The longest `AUTH` command with an initial response, CRLF included (RFC 5034 §4).
const MAX_COMMAND: usize = 255;

/// The most lines of a multi-line reply (`CAPA`).
const MAX_REPLY_LINES: usize = 256;

/// Whether a line is a `+OK` status.
fn is_ok(line: &str) -> bool {
    line.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("+OK"))
        && matches!(line.as_bytes().get(3), None | Some(b' '))
}

/// The POP3 side of one connection.
#[derive(Debug, Default)]
pub(crate) struct Pop3;

impl Pop3 {
    /// A new connection's dialog.
    pub(crate) fn new() -> Self {
        Pop3
    }

    /// Reads the `+OK` greeting and asks for the capabilities.
    pub(crate) async fn greet(&mut self, link: &mut Link<'_>) -> Result<Capabilities, Failure> {
        let line = link.recv().await?;
        if !is_ok(&line) {
            if line
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("-ERR"))
            {
                return Err(Failure::error(format!(
                    "the server refused the connection: {line}"
                )));
            }
            return Err(
                Failure::error(format!("this is no POP3 greeting: {line:?}"))
                    .hint("is this a POP3 port? imap:// and smtp:// talk to the other protocols"),
            );
        }
        self.capabilities(link).await
    }

    /// Sends `CAPA`; a server without it offers nothing known.
    pub(crate) async fn capabilities(
        &mut self,
        link: &mut Link<'_>,
    ) -> Result<Capabilities, Failure> {
        link.send("CAPA").await?;
        let status = link.recv().await?;
        let mut capabilities = Capabilities {
            initial_response: true,
            ..Capabilities::default()
        };
        if !is_ok(&status) {
            link.log
                .note("the server has no CAPA: its mechanisms and STLS are unknown");
            return Ok(capabilities);
        }
        for _ in 0..MAX_REPLY_LINES {
            let line = link.recv().await?;
            if line == "." {
                return Ok(capabilities);
            }
            let line = line.strip_prefix('.').unwrap_or(&line);
            let upper = line.to_ascii_uppercase();
            let mut words = upper.split(' ').filter(|w| !w.is_empty());
            match words.next() {
                Some("SASL") => {
                    for mechanism in words {
                        if !capabilities.mechanisms.iter().any(|m| m == mechanism) {
                            capabilities.mechanisms.push(mechanism.to_owned());
                        }
                    }
                }
                Some("STLS") => capabilities.starttls = true,
                _ => {}
            }
        }
        Err(Failure::error(format!(
            "the server sent more than {MAX_REPLY_LINES} CAPA lines"
        )))
    }

    /// Sends `STLS` and waits for its `+OK`; the caller runs the handshake.
    pub(crate) async fn starttls(&mut self, link: &mut Link<'_>) -> Result<(), Failure> {
        link.send("STLS").await?;
        let line = link.recv().await?;
        if !is_ok(&line) {
            return Err(Failure::error(format!("the server refused STLS: {line}"))
                .hint("try pop3s:// (port 995) instead"));
        }
        Ok(())
    }

    /// Sends `QUIT` and reads its reply; errors do not matter any more.
    pub(crate) async fn quit(&mut self, link: &mut Link<'_>) {
        if link.send("QUIT").await.is_ok() {
            let _ = link.recv().await;
        }
    }
}

impl AuthProtocol for Pop3 {
    fn command(&self, mechanism: &str, initial: Option<&str>) -> String {
        auth_command(mechanism, initial)
    }

    fn takes_initial_response(&self, mechanism: &str, encoded_len: usize) -> bool {
        auth_line_fits(mechanism, encoded_len, MAX_COMMAND)
    }

    fn read(&mut self, line: &str) -> Incoming {
        if line == "+" {
            return Incoming::Challenge(String::new());
        }
        if let Some(text) = line.strip_prefix("+ ") {
            return Incoming::Challenge(text.to_owned());
        }
        match ServerReply::from_pop3(line) {
            Some(reply) => Incoming::Outcome(reply),
            None => Incoming::Outcome(ServerReply::Failure(FailureReply::new(
                FailureKind::Protocol,
                format!("not a POP3 reply: {line}"),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_replies() {
        let mut pop = Pop3::new();
        assert_eq!(pop.command("PLAIN", Some("=")), "AUTH PLAIN =");
        assert!(matches!(pop.read("+ "), Incoming::Challenge(c) if c.is_empty()));
        assert!(matches!(pop.read("+"), Incoming::Challenge(c) if c.is_empty()));
        assert!(matches!(pop.read("+ cj1h"), Incoming::Challenge(c) if c == "cj1h"));
        assert!(matches!(
            pop.read("+OK welcome"),
            Incoming::Outcome(ServerReply::Success { .. })
        ));
        assert!(matches!(
            pop.read("-ERR [AUTH] no"),
            Incoming::Outcome(ServerReply::Failure(f)) if f.kind() == FailureKind::InvalidCredentials
        ));
        assert!(matches!(
            pop.read("junk"),
            Incoming::Outcome(ServerReply::Failure(f)) if f.kind() == FailureKind::Protocol
        ));
        assert!(pop.takes_initial_response("PLAIN", 200));
        assert!(!pop.takes_initial_response("PLAIN", 250));
        assert!(is_ok("+OK") && is_ok("+ok hi") && !is_ok("+OKAY"));
    }
}
