//! POP3 (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034) and the
//! RFC 2449 / RFC 3206 response codes, over an empty maildrop.
//!
//! - Greeting `+OK`; `CAPA` lists `SASL` with the mechanisms advertised for this
//!   connection, `STLS` (plain text only), `RESP-CODES`, `AUTH-RESP-CODE`, `UIDL`.
//! - `AUTH mech [ir]` (`=` is an empty initial response), `+ <base64>` continuations,
//!   `*` cancels; success `+OK`, failure `-ERR [AUTH] ...` for refused credentials and
//!   `-ERR [SYS/TEMP] ...` for a temporary problem (sasl-core maps only IMAP and SMTP,
//!   so the mapping from the failure kind is here). `AUTH` alone lists the mechanisms.
//!   `USER`/`PASS`/`APOP` are refused.
//! - Transaction state: `STAT`, `LIST`, `UIDL`, `NOOP`, `RSET`, `QUIT` on an empty
//!   maildrop; `RETR`/`DELE`/`TOP` name no message.
//! - An overlong line, a read timeout or too many failed authentications get `-ERR`
//!   and the connection closes.

use super::command::{AuthArguments, verb};
use super::connection::{Commands, Connection, Next, run_commands};
use super::session::{AuthEnd, authenticate};
use super::transport::LinkError;
use sasl_core::{FailureKind, ServerFailure};

/// The busy reply when the connection cap is reached.
pub(super) const BUSY: &str = "-ERR [SYS/TEMP] Too many connections, try again later";

/// Serves one POP3 connection (TLS, for implicit TLS, already started).
pub(super) async fn serve(conn: &mut Connection) {
    let greeting = format!(
        "+OK {} POP3 server (sasl serve) ready",
        conn.shared.hostname
    );
    if conn.send(&greeting).await.is_err() {
        return;
    }
    run_commands(conn, &mut Pop3(false)).await;
}

/// POP3's commands over the connection's state (whether it authenticated).
struct Pop3(bool);

impl Commands for Pop3 {
    const AUTH_WORDS: &'static [&'static str] = &["AUTH"];

    async fn command(&mut self, conn: &mut Connection, line: &str) -> Result<Next, LinkError> {
        command(conn, &mut self.0, line).await
    }

    fn goodbye(&self, error: &LinkError, _hostname: &str) -> Option<String> {
        let line = match error {
            LinkError::Timeout => "-ERR Timeout, closing connection",
            LinkError::TooLong => "-ERR Line too long",
            LinkError::TooManyCommands => "-ERR Too many commands",
            LinkError::Closed | LinkError::Io(_) => return None,
        };
        Some(line.to_owned())
    }
}

fn capabilities(conn: &Connection, authenticated: bool) -> Vec<String> {
    let mut lines = vec!["+OK Capability list follows".to_owned()];
    lines.extend(["UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"].map(str::to_owned));
    if !authenticated {
        if !conn.is_tls() {
            lines.push("STLS".to_owned());
        }
        let mechanisms = conn.mechanism_list("");
        if !mechanisms.is_empty() {
            lines.push(format!("SASL {}", mechanisms.join(" ")));
        }
    }
    lines.push("IMPLEMENTATION sasl-serve".to_owned());
    lines.push(".".to_owned());
    lines
}

async fn command(
    conn: &mut Connection,
    authenticated: &mut bool,
    line: &str,
) -> Result<Next, LinkError> {
    let (verb, rest) = verb(line);
    match (verb.as_str(), *authenticated) {
        ("CAPA", _) => {
            let lines = capabilities(conn, *authenticated);
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            conn.send_lines(&refs).await?;
        }
        ("QUIT", _) => {
            conn.send("+OK Bye").await?;
            conn.close().await;
            return Ok(Next::Close);
        }
        ("NOOP", true) => conn.send("+OK").await?,
        ("STLS", false) if !conn.is_tls() => {
            conn.send("+OK Begin TLS negotiation").await?;
            if conn.start_tls().await.is_err() {
                return Ok(Next::Close);
            }
        }
        ("STLS", _) => conn.send("-ERR TLS is already active").await?,
        ("AUTH", false) if rest.trim().is_empty() => {
            let mut lines = vec!["+OK Mechanisms follow".to_owned()];
            lines.extend(conn.mechanism_list(""));
            lines.push(".".to_owned());
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            conn.send_lines(&refs).await?;
        }
        ("AUTH", false) => return auth(conn, authenticated, rest).await,
        ("USER" | "PASS" | "APOP", false) => {
            conn.send("-ERR [AUTH] USER, PASS and APOP are not supported, use AUTH")
                .await?
        }
        ("STAT", true) => conn.send("+OK 0 0").await?,
        ("LIST" | "UIDL", true) if rest.trim().is_empty() => {
            conn.send_lines(&["+OK 0 messages", "."]).await?
        }
        ("LIST" | "UIDL" | "RETR" | "DELE" | "TOP", true) => {
            conn.send("-ERR No such message").await?
        }
        ("RSET", true) => conn.send("+OK 0 messages").await?,
        (_, false) => {
            conn.send("-ERR Unknown command, or authenticate first")
                .await?
        }
        (_, true) => conn.send("-ERR Unknown command").await?,
    }
    Ok(Next::Continue)
}

async fn auth(
    conn: &mut Connection,
    authenticated: &mut bool,
    rest: &str,
) -> Result<Next, LinkError> {
    let Some(AuthArguments { mechanism, initial }) = AuthArguments::parse(rest) else {
        conn.send("-ERR Syntax: AUTH mechanism [initial-response]")
            .await?;
        return Ok(Next::Continue);
    };
    match authenticate(conn, mechanism, initial, "+ ").await {
        AuthEnd::Success(_) => {
            *authenticated = true;
            conn.send("+OK Logged in, maildrop has 0 messages").await?;
            return Ok(Next::Continue);
        }
        AuthEnd::Failure(failure) => conn.send(&failure_line(&failure)).await?,
        AuthEnd::Malformed(_) => conn.send("-ERR Cannot decode response").await?,
        AuthEnd::Broken(e) => return Err(e),
        AuthEnd::Local(_) => {
            conn.send("-ERR [SYS/TEMP] Temporary authentication failure")
                .await?
        }
    }
    if conn.too_many_failures() {
        conn.event("too many failed authentications");
        conn.send("-ERR [SYS/PERM] Too many failed authentications")
            .await?;
        conn.close().await;
        return Ok(Next::Close);
    }
    Ok(Next::Continue)
}

/// The `-ERR` line for a failure: `[AUTH]` (RFC 3206) where the credentials were
/// refused, `[SYS/TEMP]` for a temporary or internal problem, no code for a broken
/// exchange.
pub(super) fn failure_line(failure: &ServerFailure) -> String {
    use FailureKind as K;
    match failure.reason().kind() {
        K::Cancelled => "-ERR Authentication cancelled".to_owned(),
        K::UnknownMechanism => "-ERR Unrecognized authentication type".to_owned(),
        K::EncryptionRequired => "-ERR [AUTH] This mechanism needs TLS: use STLS".to_owned(),
        K::Temporary | K::Internal => "-ERR [SYS/TEMP] Temporary authentication failure".to_owned(),
        K::Malformed | K::Protocol | K::MessageTooLarge | K::TooManyRoundTrips => {
            "-ERR Authentication exchange failed".to_owned()
        }
        _ => "-ERR [AUTH] Authentication failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_lines() {
        let line = |k| failure_line(&ServerFailure::new(k, "x"));
        assert_eq!(
            line(FailureKind::UnknownUser),
            line(FailureKind::InvalidCredentials)
        );
        assert_eq!(
            line(FailureKind::InvalidCredentials),
            "-ERR [AUTH] Authentication failed"
        );
        assert!(line(FailureKind::Temporary).starts_with("-ERR [SYS/TEMP]"));
    }
}
