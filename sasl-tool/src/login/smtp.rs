//! The SMTP submission client dialog (RFC 6409, AUTH RFC 4954, STARTTLS RFC 3207):
//! greeting, `EHLO`, `STARTTLS`, `AUTH` with an initial response (always allowed,
//! while the command fits in 512 octets), `QUIT`.
//!
//! A SCRAM server-final message may come as a last `334` challenge or with the `235`
//! (`235 2.7.0 dj1...`): both are accepted.

use super::session::{AuthProtocol, Capabilities, Incoming, auth_command, auth_line_fits};
use super::transport::Link;
use crate::failure::Failure;
use sasl_core::{FailureKind, FailureReply, ServerReply, wire};
use std::net::SocketAddr;

/// The longest command line, CRLF included (RFC 5321 §4.5.3.1.4).
const MAX_COMMAND: usize = 512;

/// The most lines of one reply.
const MAX_REPLY_LINES: usize = 256;

/// A complete SMTP reply.
#[derive(Debug)]
struct Reply {
    code: u16,
    /// The text of each line, after the code and separator.
    texts: Vec<String>,
    /// The lines as received.
    lines: Vec<String>,
}

/// `NNN-text` (more follows), `NNN text` or `NNN` (last line): the code, whether it is
/// the last line, and the text.
fn reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let code_text = line.get(..3)?;
    if !code_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = code_text.parse::<u16>().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, line.get(4..).unwrap_or_default())),
        Some(b'-') => Some((code, false, line.get(4..).unwrap_or_default())),
        Some(_) => None,
    }
}

async fn read_reply(link: &mut Link<'_>) -> Result<Reply, Failure> {
    let mut reply = Reply {
        code: 0,
        texts: Vec::new(),
        lines: Vec::new(),
    };
    for _ in 0..MAX_REPLY_LINES {
        let line = link.recv().await?;
        let Some((code, last, text)) = reply_line(&line) else {
            return Err(Failure::error(format!("this is no SMTP reply: {line:?}"))
                .hint("is this an SMTP submission port? imap:// and pop3:// talk to the other protocols"));
        };
        if reply.code != 0 && code != reply.code {
            return Err(Failure::error(format!(
                "the SMTP reply changes its code midway: {line:?}"
            )));
        }
        reply.code = code;
        reply.texts.push(text.to_owned());
        reply.lines.push(line.clone());
        if last {
            return Ok(reply);
        }
    }
    Err(Failure::error(format!(
        "the server sent a reply of more than {MAX_REPLY_LINES} lines"
    )))
}

/// The SMTP side of one connection.
#[derive(Debug)]
pub(crate) struct Smtp {
    /// The `EHLO` argument: this side's address literal.
    helo: String,
    /// The lines of a multi-line reply to `AUTH` read so far.
    pending: Vec<String>,
}

impl Smtp {
    /// A dialog that greets with this side's address (`EHLO [192.0.2.1]`).
    pub(crate) fn new(local: SocketAddr) -> Self {
        let helo = match local {
            SocketAddr::V4(v4) => format!("[{}]", v4.ip()),
            SocketAddr::V6(v6) => format!("[IPv6:{}]", v6.ip()),
        };
        Smtp {
            helo,
            pending: Vec::new(),
        }
    }

    /// Reads the `220` greeting and sends `EHLO`.
    pub(crate) async fn greet(&mut self, link: &mut Link<'_>) -> Result<Capabilities, Failure> {
        let greeting = read_reply(link).await?;
        if greeting.code != 220 {
            return Err(Failure::error(format!(
                "the server refused the connection: {}",
                greeting.lines.join(" / ")
            )));
        }
        self.ehlo(link).await
    }

    /// Sends `EHLO` and reads the extensions offered.
    pub(crate) async fn ehlo(&mut self, link: &mut Link<'_>) -> Result<Capabilities, Failure> {
        link.send(&format!("EHLO {}", self.helo)).await?;
        let reply = read_reply(link).await?;
        if reply.code != 250 {
            return Err(Failure::error(format!(
                "the server refused EHLO: {}",
                reply.lines.join(" / ")
            ))
            .hint("AUTH needs ESMTP; is this a submission port (587, 465)?"));
        }
        Ok(parse_ehlo(&reply.texts))
    }

    /// Sends `STARTTLS` and waits for its `220`; the caller runs the handshake.
    pub(crate) async fn starttls(&mut self, link: &mut Link<'_>) -> Result<(), Failure> {
        link.send("STARTTLS").await?;
        let reply = read_reply(link).await?;
        if reply.code != 220 {
            return Err(Failure::error(format!(
                "the server refused STARTTLS: {}",
                reply.lines.join(" / ")
            ))
            .hint("try smtps:// (port 465) instead"));
        }
        Ok(())
    }

    /// Sends `QUIT` and reads its reply; errors do not matter any more.
    pub(crate) async fn quit(&mut self, link: &mut Link<'_>) {
        if link.send("QUIT").await.is_ok() {
            let _ = read_reply(link).await;
        }
    }
}

/// The extensions of an `EHLO` reply (its first line is the greeting).
fn parse_ehlo(texts: &[String]) -> Capabilities {
    let mut capabilities = Capabilities {
        initial_response: true,
        ..Capabilities::default()
    };
    for text in texts.iter().skip(1) {
        let upper = text.to_ascii_uppercase();
        let mut words = upper.split([' ', '=']).filter(|w| !w.is_empty());
        match words.next() {
            Some("AUTH") => {
                for mechanism in words {
                    if !capabilities.mechanisms.iter().any(|m| m == mechanism) {
                        capabilities.mechanisms.push(mechanism.to_owned());
                    }
                }
            }
            Some("STARTTLS") => capabilities.starttls = true,
            _ => {}
        }
    }
    capabilities
}

/// Success data sent with `235`: one base64 word after the optional enhanced status
/// code that decodes to a SCRAM server-final (`v=...`). Human text never decodes to
/// that.
fn success_data(text: &str) -> Option<Vec<u8>> {
    let mut words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let enhanced = words.first().is_some_and(|w| {
        let parts: Vec<&str> = w.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if enhanced {
        words.remove(0);
    }
    let [word] = words.as_slice() else {
        return None;
    };
    let data = wire::decode_base64(word.as_bytes()).ok()?;
    data.starts_with(b"v=").then_some(data)
}

impl AuthProtocol for Smtp {
    fn start_exchange(&mut self) {
        self.pending.clear();
    }

    fn command(&self, mechanism: &str, initial: Option<&str>) -> String {
        auth_command(mechanism, initial)
    }

    fn takes_initial_response(&self, mechanism: &str, encoded_len: usize) -> bool {
        auth_line_fits(mechanism, encoded_len, MAX_COMMAND)
    }

    fn read(&mut self, line: &str) -> Incoming {
        let Some((code, last, text)) = reply_line(line) else {
            return Incoming::Outcome(ServerReply::Failure(FailureReply::new(
                FailureKind::Protocol,
                format!("not an SMTP reply: {line}"),
            )));
        };
        if code == 334 && last && self.pending.is_empty() {
            return Incoming::Challenge(text.to_owned());
        }
        self.pending.push(line.to_owned());
        if !last {
            return Incoming::Other;
        }
        let joined = self.pending.join("\r\n");
        self.pending.clear();
        let reply = match ServerReply::from_smtp(&joined) {
            Some(ServerReply::Success { .. }) => ServerReply::Success {
                additional_data: success_data(text),
            },
            Some(failure) => failure,
            None => ServerReply::Failure(FailureReply::new(
                FailureKind::Protocol,
                format!("unreadable SMTP reply: {joined}"),
            )),
        };
        Incoming::Outcome(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_extensions() {
        let texts: Vec<String> = [
            "mail.example.com greets you",
            "PIPELINING",
            "AUTH PLAIN LOGIN SCRAM-SHA-256",
            "AUTH=PLAIN LOGIN",
            "STARTTLS",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let caps = parse_ehlo(&texts);
        assert_eq!(caps.mechanisms, ["PLAIN", "LOGIN", "SCRAM-SHA-256"]);
        assert!(caps.starttls && caps.initial_response);
    }

    #[test]
    fn reply_lines() {
        assert_eq!(
            reply_line("250-PIPELINING"),
            Some((250, false, "PIPELINING"))
        );
        assert_eq!(reply_line("235 2.7.0 ok"), Some((235, true, "2.7.0 ok")));
        assert_eq!(reply_line("334"), Some((334, true, "")));
        assert_eq!(reply_line("33"), None);
        assert_eq!(reply_line("abc def"), None);
        assert_eq!(reply_line("250x"), None);
    }

    #[test]
    fn success_data_only_for_server_final() {
        assert_eq!(success_data("2.7.0 dj1hYmM="), Some(b"v=abc".to_vec()));
        assert_eq!(success_data("dj1hYmM="), Some(b"v=abc".to_vec()));
        assert_eq!(success_data("2.7.0 Accepted"), None);
        assert_eq!(success_data("2.7.0 Authentication successful"), None);
        assert_eq!(success_data(""), None);
    }

    #[test]
    fn auth_replies() {
        let mut smtp = Smtp::new(SocketAddr::from(([127, 0, 0, 1], 1)));
        assert_eq!(smtp.helo, "[127.0.0.1]");
        smtp.start_exchange();
        assert!(matches!(smtp.read("334 "), Incoming::Challenge(c) if c.is_empty()));
        assert!(matches!(smtp.read("334 cj1h"), Incoming::Challenge(c) if c == "cj1h"));
        assert!(matches!(smtp.read("535-5.7.8 bad"), Incoming::Other));
        assert!(matches!(
            smtp.read("535 5.7.8 credentials"),
            Incoming::Outcome(ServerReply::Failure(f)) if f.kind() == FailureKind::InvalidCredentials
        ));
        assert!(matches!(
            smtp.read("235 2.7.0 dj1hYmM="),
            Incoming::Outcome(ServerReply::Success { additional_data: Some(d) }) if d == b"v=abc"
        ));
        assert!(matches!(
            smtp.read("530 5.7.0 Must issue a STARTTLS command first"),
            Incoming::Outcome(ServerReply::Failure(f)) if f.kind() == FailureKind::EncryptionRequired
        ));
        assert!(smtp.takes_initial_response("PLAIN", 400));
        assert!(!smtp.takes_initial_response("PLAIN", 510));
    }
}
