//! SMTP submission (RFC 6409) with STARTTLS (RFC 3207) and AUTH (RFC 4954), enhanced
//! status codes (RFC 3463).
//!
//! - Greeting `220`; `EHLO` lists `STARTTLS` (plain text only) and `AUTH` with the
//!   mechanisms advertised for this connection (until authenticated); `HELO` works
//!   without extensions.
//! - `AUTH mech [ir]` (`=` is an empty initial response), `334 <base64>`
//!   continuations, `*` cancels (`501 5.7.0`); success `235 2.7.0`, failures as
//!   [`ServerFailure::smtp`](sasl_core::ServerFailure::smtp) maps them (`535 5.7.8`,
//!   `538 5.7.11`, `504 5.5.4`, ...). SCRAM's server-final message is a last `334`
//!   challenge, then `235`.
//! - After authentication `MAIL`/`RCPT`/`DATA` are accepted and the message is
//!   discarded; before it they get `530 5.7.0`. `RSET`, `NOOP`, `QUIT`, `VRFY`, `HELP`.
//! - An overlong line gets `500 5.5.6` and the connection closes; a read timeout
//!   `421 4.4.2`; too many failed authentications `421 4.7.0`.

use super::command::{AuthArguments, starts_with_ignore_case, verb};
use super::connection::{Commands, Connection, Next, run_commands};
use super::session::{AuthEnd, authenticate};
use super::transport::LinkError;

/// The largest message accepted by `DATA` (then discarded).
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// The busy reply when the connection cap is reached.
pub(super) const BUSY: &str = "421 4.3.2 Too many connections, try again later";

#[derive(Debug, Default)]
struct State {
    ehlo: bool,
    authenticated: bool,
    mail: bool,
    recipients: u32,
}

/// Serves one SMTP connection (TLS, for implicit TLS, already started).
pub(super) async fn serve(conn: &mut Connection) {
    let greeting = format!("220 {} ESMTP sasl serve ready", conn.shared.hostname);
    if conn.send(&greeting).await.is_err() {
        return;
    }
    run_commands(conn, &mut Smtp(State::default())).await;
}

/// SMTP's commands over the connection's state.
struct Smtp(State);

impl Commands for Smtp {
    const AUTH_WORDS: &'static [&'static str] = &["AUTH"];

    async fn command(&mut self, conn: &mut Connection, line: &str) -> Result<Next, LinkError> {
        command(conn, &mut self.0, line).await
    }

    fn goodbye(&self, error: &LinkError, host: &str) -> Option<String> {
        match error {
            LinkError::Timeout => Some(format!("421 4.4.2 {host} Timeout, closing connection")),
            LinkError::TooLong => Some("500 5.5.6 Line too long".to_owned()),
            LinkError::TooManyCommands => Some(format!(
                "421 4.7.0 {host} Too many commands, closing connection"
            )),
            LinkError::Closed | LinkError::Io(_) => None,
        }
    }
}

async fn command(conn: &mut Connection, state: &mut State, line: &str) -> Result<Next, LinkError> {
    let (verb, rest) = verb(line);
    match verb.as_str() {
        "EHLO" | "HELO" if rest.trim().is_empty() => {
            conn.send(&format!("501 5.5.4 {verb} needs a domain"))
                .await?
        }
        "EHLO" => {
            *state = State {
                ehlo: true,
                authenticated: state.authenticated,
                ..State::default()
            };
            let mut lines = vec![
                format!("{} greets {}", conn.shared.hostname, rest.trim()),
                "8BITMIME".to_owned(),
                "ENHANCEDSTATUSCODES".to_owned(),
                format!("SIZE {MAX_MESSAGE}"),
            ];
            if !conn.is_tls() {
                lines.push("STARTTLS".to_owned());
            }
            let mechanisms = conn.mechanism_list("");
            if !state.authenticated && !mechanisms.is_empty() {
                lines.push(format!("AUTH {}", mechanisms.join(" ")));
            }
            lines.push("HELP".to_owned());
            let count = lines.len();
            let numbered: Vec<String> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let sep = if i + 1 == count { ' ' } else { '-' };
                    format!("250{sep}{l}")
                })
                .collect();
            let refs: Vec<&str> = numbered.iter().map(String::as_str).collect();
            conn.send_lines(&refs).await?;
        }
        "HELO" => {
            state.ehlo = true;
            state.mail = false;
            state.recipients = 0;
            conn.send(&format!("250 {}", conn.shared.hostname)).await?;
        }
        "STARTTLS" if conn.is_tls() => conn.send("503 5.5.1 TLS is already active").await?,
        "STARTTLS" if !rest.is_empty() => conn.send("501 5.5.4 No parameters allowed").await?,
        "STARTTLS" => {
            conn.send("220 2.0.0 Ready to start TLS").await?;
            if conn.start_tls().await.is_err() {
                return Ok(Next::Close);
            }
            // RFC 3207 §4.2: forget everything, the client starts over with EHLO.
            *state = State::default();
        }
        "AUTH" => return auth(conn, state, rest).await,
        "MAIL" if !state.authenticated => conn.send("530 5.7.0 Authentication required").await?,
        "MAIL" if state.mail => conn.send("503 5.5.1 MAIL already given").await?,
        "MAIL" if !starts_with_ignore_case(rest, "FROM:") => {
            conn.send("501 5.5.4 Syntax: MAIL FROM:<address>").await?
        }
        "MAIL" => {
            state.mail = true;
            state.recipients = 0;
            conn.send("250 2.1.0 Sender OK").await?;
        }
        "RCPT" if !state.mail => conn.send("503 5.5.1 Need MAIL first").await?,
        "RCPT" if !starts_with_ignore_case(rest, "TO:") => {
            conn.send("501 5.5.4 Syntax: RCPT TO:<address>").await?
        }
        "RCPT" if state.recipients >= 100 => conn.send("452 4.5.3 Too many recipients").await?,
        "RCPT" => {
            state.recipients = state.recipients.saturating_add(1);
            conn.send("250 2.1.5 Recipient OK").await?;
        }
        "DATA" if state.recipients == 0 => conn.send("503 5.5.1 Need RCPT first").await?,
        "DATA" => {
            conn.send("354 End data with <CR><LF>.<CR><LF>").await?;
            let mut size: usize = 0;
            loop {
                let line = conn.auth_line().await?;
                if line == b"." {
                    break;
                }
                size = size.saturating_add(line.len().saturating_add(2));
            }
            state.mail = false;
            state.recipients = 0;
            if size > MAX_MESSAGE {
                conn.send("552 5.3.4 Message too big").await?;
            } else {
                conn.send("250 2.0.0 Message accepted and discarded")
                    .await?;
            }
        }
        "RSET" => {
            state.mail = false;
            state.recipients = 0;
            conn.send("250 2.0.0 OK").await?;
        }
        "NOOP" => conn.send("250 2.0.0 OK").await?,
        "VRFY" => {
            conn.send("252 2.1.5 Cannot verify, but will accept")
                .await?
        }
        "HELP" => {
            conn.send("214 2.0.0 EHLO STARTTLS AUTH MAIL RCPT DATA RSET NOOP QUIT")
                .await?
        }
        "QUIT" => {
            conn.send("221 2.0.0 Bye").await?;
            conn.close().await;
            return Ok(Next::Close);
        }
        _ => conn.send("500 5.5.2 Command not recognized").await?,
    }
    Ok(Next::Continue)
}

async fn auth(conn: &mut Connection, state: &mut State, rest: &str) -> Result<Next, LinkError> {
    if !state.ehlo {
        conn.send("503 5.5.1 Send EHLO first").await?;
        return Ok(Next::Continue);
    }
    if state.authenticated {
        conn.send("503 5.5.1 Already authenticated").await?;
        return Ok(Next::Continue);
    }
    if state.mail {
        conn.send("503 5.5.1 AUTH is not allowed during a mail transaction")
            .await?;
        return Ok(Next::Continue);
    }
    let Some(AuthArguments { mechanism, initial }) = AuthArguments::parse(rest) else {
        conn.send("501 5.5.4 Syntax: AUTH mechanism [initial-response]")
            .await?;
        return Ok(Next::Continue);
    };
    match authenticate(conn, mechanism, initial, "334 ").await {
        AuthEnd::Success(_) => {
            state.authenticated = true;
            conn.send("235 2.7.0 Authentication successful").await?;
            return Ok(Next::Continue);
        }
        AuthEnd::Failure(failure) => conn.send(&failure.smtp().line()).await?,
        AuthEnd::Malformed(_) => conn.send("501 5.5.2 Cannot decode response").await?,
        AuthEnd::Broken(e) => return Err(e),
        AuthEnd::Local(_) => {
            conn.send("454 4.7.0 Temporary authentication failure")
                .await?
        }
    }
    if conn.too_many_failures() {
        conn.event("too many failed authentications");
        let host = conn.shared.hostname.clone();
        conn.send(&format!(
            "421 4.7.0 {host} Too many failed authentications, closing connection"
        ))
        .await?;
        conn.close().await;
        return Ok(Next::Close);
    }
    Ok(Next::Continue)
}
