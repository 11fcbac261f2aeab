//! PLAIN over IMAP with independent clients, `curl` and Python's `imaplib`, logging
//! into our server through the loopback front end `sasl_test::imap`.
//!
//! Without `curl` or `python3` each test prints `SKIPPED` and passes, unless
//! `SASL_REQUIRE_PEERS=1` (CI), where it fails.
//!
//! What curl 7.88 does here: with `--login-options AUTH=PLAIN` it reads the greeting's
//! capabilities, sends `CAPABILITY` anyway, then `AUTHENTICATE PLAIN <initial
//! response>` (SASL-IR), and after `OK` a `LIST "" *` and `LOGOUT`. A `NO` ends it with
//! exit code 67 (login denied) without `LOGOUT`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_core::{ConnectionInfo, FailureKind, Request, ServerRegistry};
use sasl_plain::PlainServer;
use sasl_test::imap::{ConnectionEnd, FrontEndLog, ImapFrontEnd, RunningServer};
use sasl_test::peers::{self, PeerError, PeerExit};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn front_end() -> ImapFrontEnd {
    let registry = ServerRegistry::new().with(PlainServer::factory());
    // The loopback has no TLS; PLAIN is allowed on it for the test.
    let connection = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    ImapFrontEnd::new(registry, connection).with_answers(|request| match request {
        Request::VerifyPassword(check)
            if check.authcid() == "alice" && check.password_matches("secret") =>
        {
            if check.authzid().is_none_or(|z| z == "shared") {
                check.valid_with_authzid()
            } else {
                check.valid()
            }
        }
        Request::VerifyPassword(check) if check.authcid() == "alice" => check.invalid(),
        Request::VerifyPassword(check) => check.unknown_user(),
        other => other.unavailable(),
    })
}

fn curl(program: &Path, server: &RunningServer, user: &str) -> PeerExit {
    let exit = peers::run_to_exit(
        Command::new(program)
            .args(["--silent", "--show-error", "--max-time", "20"])
            .args(["--user", user, "--login-options", "AUTH=PLAIN"])
            .arg(server.url()),
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(!exit.timed_out, "{exit:?}");
    exit
}

fn only_auth(log: &FrontEndLog) -> &sasl_test::imap::Authentication {
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 1, "{log}");
    auths[0]
}

#[test]
fn curl_logs_in_with_plain() -> Result<(), PeerError> {
    let Some(curl_program) = peers::require_curl()? else {
        return Ok(());
    };
    let server = front_end().spawn().unwrap();
    let exit = curl(&curl_program, &server, "alice:secret");
    let log = server.finish();
    assert!(exit.success(), "{exit:?}\n{log}");
    let auth = only_auth(&log);
    assert_eq!(auth.mechanism, "PLAIN", "{log}");
    assert!(auth.initial_response, "curl uses SASL-IR\n{log}");
    assert_eq!(auth.client_messages, [b"\0alice\0secret".to_vec()], "{log}");
    assert!(auth.server_challenges.is_empty(), "{log}");
    let success = auth.success().unwrap();
    assert_eq!(success.identity(), "alice");
    assert_eq!(success.authzid(), None);
    // curl lists the root and logs out.
    let lines: Vec<&str> = log.connections[0]
        .lines
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert!(
        lines.iter().any(|l| l.ends_with(" OK LIST completed")),
        "{log}"
    );
    assert_eq!(log.connections[0].end, ConnectionEnd::Logout, "{log}");
    Ok(())
}

#[test]
fn curl_wrong_password_is_login_denied() -> Result<(), PeerError> {
    let Some(curl_program) = peers::require_curl()? else {
        return Ok(());
    };
    let server = front_end().with_connections(2).spawn().unwrap();
    let wrong = curl(&curl_program, &server, "alice:wrong");
    let unknown = curl(&curl_program, &server, "mallory:secret");
    let log = server.finish();
    // 67: CURLE_LOGIN_DENIED.
    assert_eq!(wrong.code, Some(67), "{wrong:?}\n{log}");
    assert_eq!(unknown.code, Some(67), "{unknown:?}\n{log}");
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 2, "{log}");
    assert_eq!(
        auths[0].failure_kind(),
        Some(FailureKind::InvalidCredentials),
        "{log}"
    );
    assert_eq!(
        auths[1].failure_kind(),
        Some(FailureKind::UnknownUser),
        "{log}"
    );
    // Both look the same on the wire.
    for auth in auths {
        let reply = auth.reply.as_deref().unwrap();
        assert!(
            reply.ends_with(" NO [AUTHENTICATIONFAILED] authentication failed"),
            "{log}"
        );
    }
    Ok(())
}

#[test]
fn curl_without_plain_offered_fails_locally() -> Result<(), PeerError> {
    let Some(curl_program) = peers::require_curl()? else {
        return Ok(());
    };
    // Without TLS or the allowance, PLAIN is not advertised; LOGIN is disabled, so curl
    // has nothing to log in with and never sends AUTHENTICATE.
    let registry = ServerRegistry::new().with(PlainServer::factory());
    let server = ImapFrontEnd::new(registry, ConnectionInfo::plaintext())
        .spawn()
        .unwrap();
    let exit = curl(&curl_program, &server, "alice:secret");
    let log = server.finish();
    assert!(!exit.success(), "{exit:?}\n{log}");
    assert_eq!(log.authentications().count(), 0, "{log}");
    Ok(())
}

fn imaplib(python: &Path, server: &RunningServer, args: &[&str]) -> PeerExit {
    let exit = peers::run_imaplib(python, server.port(), args).unwrap();
    assert!(!exit.timed_out, "{exit:?}");
    exit
}

#[test]
fn imaplib_logs_in_with_plain() -> Result<(), PeerError> {
    let Some(python) = peers::require_imaplib()? else {
        return Ok(());
    };
    let server = front_end().with_connections(3).spawn().unwrap();
    let ok = imaplib(
        &python,
        &server,
        &[
            "--mech",
            "PLAIN",
            "--response",
            "\\0alice\\0secret",
            "--list",
        ],
    );
    let authzid = imaplib(
        &python,
        &server,
        &["--mech", "PLAIN", "--response", "shared\\0alice\\0secret"],
    );
    let wrong = imaplib(
        &python,
        &server,
        &["--mech", "PLAIN", "--response", "\\0alice\\0wrong"],
    );
    let log = server.finish();
    assert!(ok.success(), "{ok:?}\n{log}");
    assert!(ok.stdout.iter().any(|l| l.starts_with("LIST OK")), "{ok:?}");
    assert!(authzid.success(), "{authzid:?}\n{log}");
    assert_eq!(wrong.code, Some(1), "{wrong:?}\n{log}");
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 3, "{log}");
    // imaplib sends no initial response: it answers the server's empty challenge.
    assert!(!auths[0].initial_response, "{log}");
    assert_eq!(auths[0].server_challenges, [Vec::<u8>::new()], "{log}");
    assert_eq!(auths[0].success().unwrap().identity(), "alice");
    assert_eq!(auths[1].success().unwrap().identity(), "shared");
    assert_eq!(auths[1].success().unwrap().authcid(), "alice");
    assert_eq!(
        auths[2].failure_kind(),
        Some(FailureKind::InvalidCredentials),
        "{log}"
    );
    assert!(
        log.connections
            .iter()
            .all(|c| c.end == ConnectionEnd::Logout),
        "{log}"
    );
    Ok(())
}
