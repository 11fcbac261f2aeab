//! IMAP (RFC 9051 / RFC 3501) with STARTTLS (RFC 9051 §6.2.1), SASL-IR (RFC 4959) and
//! RFC 5530 response codes, over a minimal empty account.
//!
//! - Greeting `* OK [CAPABILITY IMAP4rev1 SASL-IR LOGINDISABLED [STARTTLS] AUTH=...]`,
//!   the mechanisms advertised for this connection.
//! - Any state: `CAPABILITY`, `NOOP`, `LOGOUT`.
//! - Not authenticated: `STARTTLS` (plain text only), `AUTHENTICATE mech [ir]` (`=` is
//!   an empty initial response; `+ <base64>` continuations; `*` cancels with `BAD`);
//!   `LOGIN` is refused (`LOGINDISABLED`).
//! - Authenticated: `LIST`/`LSUB` (INBOX only), `SELECT`/`EXAMINE INBOX` (no
//!   messages), `STATUS INBOX`, `SUBSCRIBE`/`UNSUBSCRIBE`, `CLOSE`/`UNSELECT`, and in
//!   the selected state `FETCH`/`SEARCH`/`UID ...`/`EXPUNGE`/`CHECK` on the empty
//!   mailbox.
//! - An overlong line gets `* BYE` and the connection closes; so does a read timeout
//!   and too many failed authentications.

use super::command::{AuthArguments, ImapCommand, is_inbox, split_list_arguments};
use super::connection::{Commands, Connection, Next, run_commands};
use super::session::{AuthEnd, authenticate};
use super::transport::LinkError;
use sasl_core::{FailureKind, ImapStatus, ServerFailure};

/// The capabilities after authentication.
const AUTHENTICATED_CAPABILITIES: &str = "IMAP4rev1 UNSELECT";

/// The untagged data of `SELECT`/`EXAMINE INBOX`.
const SELECT_DATA: [&str; 6] = [
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* OK [PERMANENTFLAGS ()] No permanent flags",
    "* 0 EXISTS",
    "* 0 RECENT",
    "* OK [UIDVALIDITY 1] UIDs valid",
    "* OK [UIDNEXT 1] Predicted next UID",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotAuthenticated,
    Authenticated,
    Selected,
}

/// The busy reply when the connection cap is reached.
pub(super) const BUSY: &str = "* BYE [UNAVAILABLE] Too many connections, try again later";

/// Serves one IMAP connection (TLS, for implicit TLS, already started).
pub(super) async fn serve(conn: &mut Connection) {
    let greeting = format!(
        "* OK [CAPABILITY {}] {} IMAP server (sasl serve) ready",
        capabilities(conn),
        conn.shared.hostname
    );
    if conn.send(&greeting).await.is_err() {
        return;
    }
    run_commands(conn, &mut Imap(State::NotAuthenticated)).await;
}

/// IMAP's commands over the connection's state.
struct Imap(State);

impl Commands for Imap {
    const AUTH_WORDS: &'static [&'static str] = &["AUTHENTICATE"];

    async fn command(&mut self, conn: &mut Connection, line: &str) -> Result<Next, LinkError> {
        command(conn, &mut self.0, line).await
    }

    fn goodbye(&self, error: &LinkError, _hostname: &str) -> Option<String> {
        let bye = match error {
            LinkError::Timeout => "* BYE Autologout; idle for too long",
            LinkError::TooLong => "* BYE [TOOBIG] Line too long",
            LinkError::TooManyCommands => "* BYE Too many commands",
            LinkError::Closed | LinkError::Io(_) => return None,
        };
        Some(bye.to_owned())
    }
}

/// The capability list before authentication.
fn capabilities(conn: &Connection) -> String {
    let mut words = vec!["IMAP4rev1".to_owned(), "SASL-IR".to_owned()];
    words.push("LOGINDISABLED".to_owned());
    if !conn.is_tls() {
        words.push("STARTTLS".to_owned());
    }
    words.extend(conn.mechanism_list("AUTH="));
    words.join(" ")
}

async fn command(conn: &mut Connection, state: &mut State, line: &str) -> Result<Next, LinkError> {
    let Some(cmd) = ImapCommand::parse(line) else {
        conn.send("* BAD Malformed command").await?;
        return Ok(Next::Continue);
    };
    let tag = cmd.tag;
    let args = cmd.arguments;
    let authenticated = *state != State::NotAuthenticated;
    match (cmd.name.as_str(), authenticated) {
        ("CAPABILITY", _) => {
            let list = if authenticated {
                AUTHENTICATED_CAPABILITIES.to_owned()
            } else {
                capabilities(conn)
            };
            conn.send_lines(&[
                &format!("* CAPABILITY {list}"),
                &format!("{tag} OK CAPABILITY completed"),
            ])
            .await?;
        }
        ("NOOP", _) => conn.send(&format!("{tag} OK NOOP completed")).await?,
        ("LOGOUT", _) => {
            conn.send_lines(&["* BYE Logging out", &format!("{tag} OK LOGOUT completed")])
                .await?;
            conn.close().await;
            return Ok(Next::Close);
        }
        ("STARTTLS", false) if !conn.is_tls() => {
            conn.send(&format!("{tag} OK Begin TLS negotiation now"))
                .await?;
            if conn.start_tls().await.is_err() {
                return Ok(Next::Close);
            }
        }
        ("STARTTLS", _) => {
            conn.send(&format!("{tag} BAD TLS is already active"))
                .await?
        }
        ("LOGIN", false) => {
            conn.send(&format!("{tag} NO LOGIN is disabled, use AUTHENTICATE"))
                .await?;
        }
        ("AUTHENTICATE", false) => return authenticate_command(conn, state, tag, args).await,
        ("AUTHENTICATE" | "LOGIN", true) => {
            conn.send(&format!("{tag} BAD Already authenticated"))
                .await?
        }
        ("LIST" | "LSUB", true) => {
            let (_reference, pattern) = split_list_arguments(args);
            let mut lines = Vec::new();
            if pattern.is_empty() {
                lines.push("* LIST (\\Noselect) \"/\" \"\"".to_owned());
            } else if pattern == "*" || pattern == "%" || pattern.eq_ignore_ascii_case("INBOX") {
                lines.push(format!("* {} (\\HasNoChildren) \"/\" INBOX", cmd.name));
            }
            lines.push(format!("{tag} OK {} completed", cmd.name));
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            conn.send_lines(&refs).await?;
        }
        ("SUBSCRIBE" | "UNSUBSCRIBE", true) => {
            conn.send(&format!("{tag} OK {} completed", cmd.name))
                .await?
        }
        ("STATUS", true) if is_inbox(args) => {
            conn.send_lines(&[
                "* STATUS INBOX (MESSAGES 0 RECENT 0 UIDNEXT 1 UIDVALIDITY 1 UNSEEN 0)",
                &format!("{tag} OK STATUS completed"),
            ])
            .await?;
        }
        ("SELECT" | "EXAMINE", true) if is_inbox(args) => {
            let access = if cmd.name == "SELECT" {
                "READ-WRITE"
            } else {
                "READ-ONLY"
            };
            let done = format!("{tag} OK [{access}] {} completed", cmd.name);
            let mut lines: Vec<&str> = SELECT_DATA.to_vec();
            lines.push(&done);
            conn.send_lines(&lines).await?;
            *state = State::Selected;
        }
        ("SELECT" | "EXAMINE" | "STATUS", true) => {
            // A failed SELECT leaves the selected state (RFC 9051 §6.3.2).
            if cmd.name != "STATUS" {
                *state = State::Authenticated;
            }
            conn.send(&format!("{tag} NO [NONEXISTENT] No such mailbox"))
                .await?
        }
        ("CLOSE" | "UNSELECT", true) if *state == State::Selected => {
            *state = State::Authenticated;
            conn.send(&format!("{tag} OK {} completed", cmd.name))
                .await?;
        }
        ("SEARCH", true) if *state == State::Selected => {
            conn.send_lines(&["* SEARCH", &format!("{tag} OK SEARCH completed")])
                .await?;
        }
        ("UID", true) if *state == State::Selected => {
            let sub = args.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let lines = match sub.as_str() {
                "SEARCH" => vec![
                    "* SEARCH".to_owned(),
                    format!("{tag} OK UID SEARCH completed"),
                ],
                "FETCH" | "STORE" | "COPY" | "MOVE" | "EXPUNGE" => {
                    vec![format!("{tag} OK UID {sub} completed")]
                }
                _ => vec![format!("{tag} BAD Unknown UID command")],
            };
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            conn.send_lines(&refs).await?;
        }
        ("FETCH" | "STORE" | "COPY" | "MOVE", true) if *state == State::Selected => {
            // Any message number names a message that does not exist.
            conn.send(&format!("{tag} NO No such message")).await?
        }
        ("EXPUNGE" | "CHECK", true) if *state == State::Selected => {
            conn.send(&format!("{tag} OK {} completed", cmd.name))
                .await?
        }
        (_, false) => {
            conn.send(&format!("{tag} BAD Not authenticated or unknown command"))
                .await?
        }
        _ => conn.send(&format!("{tag} BAD Unknown command")).await?,
    }
    Ok(Next::Continue)
}

async fn authenticate_command(
    conn: &mut Connection,
    state: &mut State,
    tag: &str,
    args: &str,
) -> Result<Next, LinkError> {
    let Some(AuthArguments { mechanism, initial }) = AuthArguments::parse(args) else {
        conn.send(&format!(
            "{tag} BAD AUTHENTICATE takes a mechanism and an optional initial response"
        ))
        .await?;
        return Ok(Next::Continue);
    };
    match authenticate(conn, mechanism, initial, "+ ").await {
        AuthEnd::Success(_) => {
            *state = State::Authenticated;
            conn.send(&format!(
                "{tag} OK [CAPABILITY {AUTHENTICATED_CAPABILITIES}] Logged in"
            ))
            .await?;
            return Ok(Next::Continue);
        }
        AuthEnd::Failure(failure) => conn.send(&failure_line(tag, &failure)).await?,
        AuthEnd::Malformed(what) => conn.send(&format!("{tag} BAD {what}")).await?,
        AuthEnd::Broken(e) => return Err(e),
        AuthEnd::Local(_) => {
            conn.send(&format!("{tag} NO [SERVERBUG] Internal error"))
                .await?
        }
    }
    if conn.too_many_failures() {
        conn.event("too many failed authentications");
        conn.send("* BYE Too many failed authentications").await?;
        conn.close().await;
        return Ok(Next::Close);
    }
    Ok(Next::Continue)
}

/// The tagged reply for a failure: its IMAP status and RFC 5530 code, with a text.
fn failure_line(tag: &str, failure: &ServerFailure) -> String {
    let response = failure.imap();
    let text = match (response.status, failure.reason().kind()) {
        (_, FailureKind::Cancelled) => "Authentication cancelled",
        (_, FailureKind::UnknownMechanism) => "Unsupported mechanism",
        (_, FailureKind::EncryptionRequired) => "This mechanism needs TLS: use STARTTLS",
        (ImapStatus::Bad, _) => "Authentication exchange failed",
        (ImapStatus::No, _) => "Authentication failed",
    };
    response.line(tag, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_lines() {
        let f = ServerFailure::new(FailureKind::UnknownUser, "x");
        assert_eq!(
            failure_line("A1", &f),
            "A1 NO [AUTHENTICATIONFAILED] Authentication failed"
        );
        let f = ServerFailure::new(FailureKind::Cancelled, "x");
        assert_eq!(failure_line("A1", &f), "A1 BAD Authentication cancelled");
    }
}
