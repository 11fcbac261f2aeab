//! The loopback IMAP front end (`sasl_test::imap`) against a raw socket client and
//! against Python's `imaplib`, with a test mechanism defined here (`X-TEST`) that has
//! every shape a real one has: client-first with or without an initial response, a
//! request to the application, an error challenge the client must answer before the
//! failure (OAUTHBEARER's), success data sent as a last challenge (SCRAM's), and time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_core::wire::encode_base64;
use sasl_core::{
    ConnectionInfo, Error, FailureKind, MechanismName, MechanismProperties, Request, Secret,
    ServerContext, ServerFailure, ServerMechanism, ServerMechanismFactory, ServerRegistry,
    ServerStep, ServerSuccess, UnixTime, Verdict, VerifyPassword,
};
use sasl_test::imap::{AuthOutcome, ConnectionEnd, FrontEndLog, ImapFrontEnd, RunningServer};
use sasl_test::peers;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const NAME: &str = "X-TEST";
const ERROR_JSON: &[u8] = br#"{"status":"invalid_token"}"#;

// ---------------------------------------------------------------------------------------
// The test mechanism
// ---------------------------------------------------------------------------------------

/// `user:password` asks the application; a rejection is answered with the error
/// challenge `ERROR_JSON`, which the client must answer with `\x01` before the
/// failure. `final:<user>` succeeds with success data (`done`), `time` succeeds as the
/// time given with `set_now`.
struct TestFactory;

impl ServerMechanismFactory for TestFactory {
    fn mechanism(&self) -> MechanismName {
        MechanismName::from_static(NAME)
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn start(&self, _: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(TestMechanism {
            user: String::new(),
            now: None,
            failing: None,
        }))
    }
}

struct TestMechanism {
    user: String,
    now: Option<UnixTime>,
    /// The failure to report once the client has answered the error challenge.
    failing: Option<FailureKind>,
}

impl TestMechanism {
    fn success(&self, user: &str) -> ServerStep {
        ServerStep::Success(ServerSuccess::new(MechanismName::from_static(NAME), user))
    }

    fn message(&mut self, message: &[u8]) -> ServerStep {
        let text = String::from_utf8_lossy(message).into_owned();
        if let Some(user) = text.strip_prefix("final:") {
            let success = ServerSuccess::new(MechanismName::from_static(NAME), user)
                .with_additional_data(b"done".to_vec());
            return ServerStep::Success(success);
        }
        if text == "time" {
            return match self.now {
                Some(now) => self.success(&now.as_secs().to_string()),
                None => ServerStep::Failure(ServerFailure::new(FailureKind::Internal, "no time")),
            };
        }
        let Some((user, password)) = text.split_once(':') else {
            return ServerStep::Failure(ServerFailure::new(FailureKind::Malformed, "no colon"));
        };
        self.user = user.to_owned();
        ServerStep::Request(Request::VerifyPassword(VerifyPassword::new(
            MechanismName::from_static(NAME),
            user.to_owned(),
            None,
            Secret::new(password.to_owned()),
        )))
    }
}

impl ServerMechanism for TestMechanism {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        Ok(match initial_response {
            None => ServerStep::Challenge(Vec::new()),
            Some(message) => self.message(message),
        })
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        Ok(match self.failing.take() {
            Some(kind) if response == b"\x01" => ServerStep::Failure(ServerFailure::new(
                kind,
                "rejected after the error challenge",
            )),
            Some(_) => ServerStep::Failure(ServerFailure::new(
                FailureKind::Protocol,
                "the error challenge was not answered with \\x01",
            )),
            None => self.message(response),
        })
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        Ok(match verdict {
            Verdict::PasswordValid { .. } => self.success(&self.user.clone()),
            Verdict::Rejected(kind) => {
                self.failing = Some(kind);
                ServerStep::Challenge(ERROR_JSON.to_vec())
            }
            _ => ServerStep::Failure(ServerFailure::new(FailureKind::Internal, "odd verdict")),
        })
    }

    fn set_now(&mut self, now: UnixTime) {
        self.now = Some(now);
    }
}

fn front_end() -> ImapFrontEnd {
    let registry = ServerRegistry::new().with(TestFactory);
    let connection = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    ImapFrontEnd::new(registry, connection).with_answers(|request| match request {
        Request::VerifyPassword(check)
            if check.authcid() == "alice" && check.password_matches("secret") =>
        {
            check.valid()
        }
        Request::VerifyPassword(check) if check.authcid() == "alice" => check.invalid(),
        Request::VerifyPassword(check) => check.unknown_user(),
        other => other.unavailable(),
    })
}

// ---------------------------------------------------------------------------------------
// A raw client
// ---------------------------------------------------------------------------------------

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(server: &RunningServer) -> Self {
        let stream = TcpStream::connect(server.address()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut client = Self {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = client.line();
        assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
        client
    }

    fn send(&mut self, line: &str) {
        self.send_bytes(line.as_bytes());
    }

    fn send_bytes(&mut self, line: &[u8]) {
        self.writer.write_all(line).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
    }

    /// The next line without CRLF; empty at end of input.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line.trim_end_matches(['\r', '\n']).to_owned()
    }

    /// Sends a command and returns every line up to its tagged reply.
    fn command(&mut self, tag: &str, command: &str) -> Vec<String> {
        self.send(&format!("{tag} {command}"));
        self.until(tag)
    }

    fn until(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            let done = line.starts_with(&format!("{tag} ")) || line.is_empty();
            lines.push(line);
            if done {
                return lines;
            }
        }
    }
}

fn b64(text: &str) -> String {
    encode_base64(text.as_bytes())
}

fn only_auth(log: &FrontEndLog) -> &sasl_test::imap::Authentication {
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 1, "{log}");
    auths[0]
}

// ---------------------------------------------------------------------------------------
// Raw-socket tests
// ---------------------------------------------------------------------------------------

#[test]
fn commands_before_and_after_login() {
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    let caps = c.command("a1", "CAPABILITY");
    assert_eq!(
        caps,
        [
            "* CAPABILITY IMAP4rev1 SASL-IR LOGINDISABLED AUTH=X-TEST",
            "a1 OK CAPABILITY completed"
        ]
    );
    assert_eq!(c.command("a2", "noop"), ["a2 OK NOOP completed"]);
    assert_eq!(c.command("a3", "FROB x"), ["a3 BAD unknown command"]);
    assert_eq!(c.command("a4", "LIST \"\" *"), ["a4 BAD not authenticated"]);
    assert_eq!(
        c.command("a5", "LOGIN alice secret"),
        ["a5 NO LOGIN is disabled, use AUTHENTICATE"]
    );
    assert_eq!(
        c.command("a6", "AUTHENTICATE"),
        ["a6 BAD AUTHENTICATE takes a mechanism and an optional initial response"]
    );
    let ok = c.command(
        "a7",
        &format!("AUTHENTICATE X-TEST {}", b64("alice:secret")),
    );
    assert_eq!(ok, ["a7 OK [CAPABILITY IMAP4rev1] Logged in"]);
    assert_eq!(c.command("a8", "LIST \"\" *"), ["a8 OK LIST completed"]);
    assert_eq!(c.command("a9", "LSUB \"\" *"), ["a9 OK LIST completed"]);
    let select = c.command("b1", "SELECT INBOX");
    assert_eq!(
        select.last().unwrap(),
        "b1 OK [READ-WRITE] SELECT completed"
    );
    assert!(select.contains(&"* 0 EXISTS".to_owned()), "{select:?}");
    let examine = c.command("b2", "EXAMINE INBOX");
    assert_eq!(
        examine.last().unwrap(),
        "b2 OK [READ-ONLY] EXAMINE completed"
    );
    assert_eq!(
        c.command("b3", "CAPABILITY"),
        ["* CAPABILITY IMAP4rev1", "b3 OK CAPABILITY completed"]
    );
    assert_eq!(
        c.command(
            "b4",
            &format!("AUTHENTICATE X-TEST {}", b64("alice:secret"))
        ),
        ["b4 BAD already authenticated"]
    );
    assert_eq!(
        c.command("b5", "LOGOUT"),
        ["* BYE logging out", "b5 OK LOGOUT completed"]
    );
    assert_eq!(c.line(), "", "closed after LOGOUT");
    let log = server.finish();
    assert!(log.errors.is_empty(), "{log}");
    assert_eq!(log.connections.len(), 1);
    assert_eq!(log.connections[0].end, ConnectionEnd::Logout);
    let auth = only_auth(&log);
    assert_eq!(auth.mechanism, "X-TEST");
    assert!(auth.initial_response);
    assert_eq!(auth.client_messages, [b"alice:secret".to_vec()]);
    assert!(auth.server_challenges.is_empty());
    assert_eq!(auth.success().unwrap().identity(), "alice");
    assert_eq!(
        auth.reply.as_deref(),
        Some("a7 OK [CAPABILITY IMAP4rev1] Logged in")
    );
    assert_eq!(log.successes().len(), 1);
    // The raw lines are all there, in order.
    let lines = &log.connections[0].lines;
    assert!(
        lines[0]
            .text
            .starts_with("* OK [CAPABILITY IMAP4rev1 SASL-IR")
    );
    assert_eq!(lines[1].text, "a1 CAPABILITY");
    assert_eq!(lines.last().unwrap().text, "b5 OK LOGOUT completed");
}

#[test]
fn error_challenge_then_no() {
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    c.send(&format!("t1 AUTHENTICATE X-TEST {}", b64("alice:wrong")));
    assert_eq!(c.line(), format!("+ {}", encode_base64(ERROR_JSON)));
    c.send("AQ==");
    assert_eq!(
        c.line(),
        "t1 NO [AUTHENTICATIONFAILED] authentication failed"
    );
    // An unknown user looks the same on the wire.
    c.send(&format!("t2 AUTHENTICATE X-TEST {}", b64("bob:secret")));
    assert_eq!(c.line(), format!("+ {}", encode_base64(ERROR_JSON)));
    c.send("AQ==");
    assert_eq!(
        c.line(),
        "t2 NO [AUTHENTICATIONFAILED] authentication failed"
    );
    // Anything but \x01 after the error challenge is a protocol error: BAD.
    c.send(&format!("t3 AUTHENTICATE X-TEST {}", b64("alice:wrong")));
    c.line();
    c.send(&b64("again"));
    assert_eq!(c.line(), "t3 BAD authentication exchange failed");
    // After failures the client may still log in on the same connection.
    c.send(&format!("t4 AUTHENTICATE X-TEST {}", b64("alice:secret")));
    assert_eq!(c.line(), "t4 OK [CAPABILITY IMAP4rev1] Logged in");
    drop(c);
    let log = server.finish();
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 4, "{log}");
    assert_eq!(
        auths[0].client_messages,
        [b"alice:wrong".to_vec(), b"\x01".to_vec()]
    );
    assert_eq!(auths[0].server_challenges, [ERROR_JSON.to_vec()]);
    assert_eq!(
        auths[0].failure_kind(),
        Some(FailureKind::InvalidCredentials)
    );
    assert_eq!(auths[1].failure_kind(), Some(FailureKind::UnknownUser));
    assert_eq!(auths[2].failure_kind(), Some(FailureKind::Protocol));
    assert!(auths[3].succeeded());
    assert_eq!(log.connections[0].end, ConnectionEnd::Closed);
}

#[test]
fn without_initial_response_and_empty_initial_response() {
    let server = front_end().with_connections(2).spawn().unwrap();
    let mut c = Client::connect(&server);
    // No initial response: an empty challenge, `+ ` with a space.
    c.send("n1 AUTHENTICATE x-test");
    assert_eq!(c.line(), "+ ");
    c.send(&b64("alice:secret"));
    assert_eq!(c.line(), "n1 OK [CAPABILITY IMAP4rev1] Logged in");
    drop(c);
    let mut c = Client::connect(&server);
    // `=` is an empty initial response, which the mechanism finds malformed.
    c.send("n2 AUTHENTICATE X-TEST =");
    assert_eq!(c.line(), "n2 BAD authentication exchange failed");
    drop(c);
    let log = server.finish();
    assert_eq!(log.connections.len(), 2, "{log}");
    let auths: Vec<_> = log.authentications().collect();
    let auth = auths[0];
    assert!(!auth.initial_response);
    assert_eq!(auth.mechanism, "x-test");
    assert_eq!(auth.server_challenges, [Vec::<u8>::new()]);
    assert_eq!(auth.success().unwrap().identity(), "alice");
    assert!(auths[1].initial_response);
    assert_eq!(auths[1].client_messages, [Vec::<u8>::new()]);
    assert_eq!(auths[1].failure_kind(), Some(FailureKind::Malformed));
}

#[test]
fn the_connection_count_is_kept() {
    // One connection by default: after it, the front end stops listening.
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    c.command("k1", "LOGOUT");
    let log = server.finish();
    assert_eq!(log.connections.len(), 1, "{log}");
    assert!(log.errors.is_empty(), "{log}");
}

#[test]
fn several_connections() {
    let server = front_end().with_connections(3).spawn().unwrap();
    for (n, user) in ["alice:secret", "alice:wrong"].iter().enumerate() {
        let mut c = Client::connect(&server);
        c.send(&format!("c{n} AUTHENTICATE X-TEST ="));
        c.line();
        c.send(&format!("c{n} AUTHENTICATE X-TEST {}", b64(user)));
        let reply = c.line();
        if reply.starts_with('+') {
            c.send("AQ==");
            c.line();
        }
        c.command("z", "LOGOUT");
    }
    // Two clients of three: finish does not wait for the third.
    let started = Instant::now();
    let log = server.finish();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(log.connections.len(), 2, "{log}");
    assert_eq!(log.authentications().count(), 4);
    assert!(log.connections[0].authentications[1].succeeded());
    assert_eq!(
        log.connections[1].authentications[1].failure_kind(),
        Some(FailureKind::InvalidCredentials)
    );
    assert!(log.errors.is_empty(), "{log}");
}

#[test]
fn cancel_and_malformed_lines_are_bad() {
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    c.send("m1 AUTHENTICATE X-TEST");
    assert_eq!(c.line(), "+ ");
    c.send("*");
    assert_eq!(c.line(), "m1 BAD authentication cancelled");
    c.send("m2 AUTHENTICATE X-TEST");
    c.line();
    c.send("not base64!");
    assert_eq!(c.line(), "m2 BAD malformed response");
    assert_eq!(
        c.command("m3", "AUTHENTICATE X-TEST abc"),
        ["m3 BAD malformed initial response"]
    );
    assert_eq!(
        c.command("m4", "AUTHENTICATE X-TEST YQ== extra"),
        ["m4 BAD AUTHENTICATE takes a mechanism and an optional initial response"]
    );
    assert_eq!(
        c.command("m5", "AUTHENTICATE SCRAM-SHA-1 ="),
        ["m5 NO unsupported mechanism"]
    );
    // Garbage is answered, never fatal.
    c.send_bytes(b"\xff\xfe\x00 \x01");
    assert_eq!(c.line(), "* BAD malformed command");
    c.send("");
    assert_eq!(c.line(), "* BAD malformed command");
    c.send("+ NOOP");
    assert_eq!(c.line(), "* BAD malformed command");
    assert_eq!(c.command("m6", "NOOP"), ["m6 OK NOOP completed"]);
    drop(c);
    let log = server.finish();
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 4, "{log}");
    assert_eq!(auths[0].failure_kind(), Some(FailureKind::Cancelled));
    assert!(auths[0].client_messages.is_empty());
    assert!(matches!(auths[1].outcome, AuthOutcome::Bad(_)), "{log}");
    assert!(matches!(auths[2].outcome, AuthOutcome::Bad(_)), "{log}");
    assert_eq!(auths[3].failure_kind(), Some(FailureKind::UnknownMechanism));
}

#[test]
fn success_data_goes_out_as_a_last_challenge() {
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    c.send(&format!("s1 AUTHENTICATE X-TEST {}", b64("final:carol")));
    assert_eq!(c.line(), format!("+ {}", b64("done")));
    c.send("");
    assert_eq!(c.line(), "s1 OK [CAPABILITY IMAP4rev1] Logged in");
    drop(c);
    let log = server.finish();
    let auth = only_auth(&log);
    assert_eq!(auth.success().unwrap().identity(), "carol");
    assert_eq!(auth.server_challenges, [b"done".to_vec()]);
    assert_eq!(auth.client_messages, [b"final:carol".to_vec(), Vec::new()]);
}

#[test]
fn the_time_reaches_the_session() {
    let server = front_end()
        .with_now(UnixTime::from_secs(1_700_000_000))
        .with_connections(1)
        .spawn()
        .unwrap();
    let mut c = Client::connect(&server);
    c.send(&format!("w1 AUTHENTICATE X-TEST {}", b64("time")));
    assert_eq!(c.line(), "w1 OK [CAPABILITY IMAP4rev1] Logged in");
    drop(c);
    let log = server.finish();
    assert_eq!(only_auth(&log).success().unwrap().identity(), "1700000000");
    // Without it, the mechanism fails closed.
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    c.send(&format!("w2 AUTHENTICATE X-TEST {}", b64("time")));
    assert_eq!(c.line(), "w2 NO [SERVERBUG] authentication failed");
    drop(c);
    assert_eq!(
        only_auth(&server.finish()).failure_kind(),
        Some(FailureKind::Internal)
    );
}

#[test]
fn without_sasl_ir() {
    let front = front_end().without_sasl_ir();
    assert_eq!(front.capabilities(), "IMAP4rev1 LOGINDISABLED AUTH=X-TEST");
    let server = front.spawn().unwrap();
    let mut c = Client::connect(&server);
    assert_eq!(
        c.command(
            "i1",
            &format!("AUTHENTICATE X-TEST {}", b64("alice:secret"))
        ),
        ["i1 BAD initial response without SASL-IR"]
    );
    drop(c);
    let log = server.finish();
    assert!(matches!(only_auth(&log).outcome, AuthOutcome::Bad(_)));
}

#[test]
fn store_answers() {
    let store = |request: Request| match request {
        Request::VerifyPassword(check) if check.password_matches("secret") => check.valid(),
        other => other.reject(FailureKind::AccountDisabled),
    };
    let registry = ServerRegistry::new().with(TestFactory);
    let connection = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    let server = ImapFrontEnd::new(registry, connection)
        .with_store(store)
        .spawn()
        .unwrap();
    let mut c = Client::connect(&server);
    c.send(&format!("d1 AUTHENTICATE X-TEST {}", b64("dave:nope")));
    c.line();
    c.send("AQ==");
    assert_eq!(c.line(), "d1 NO [CONTACTADMIN] authentication failed");
    drop(c);
    assert_eq!(
        only_auth(&server.finish()).failure_kind(),
        Some(FailureKind::AccountDisabled)
    );
}

#[test]
fn default_answers_are_unavailable() {
    let registry = ServerRegistry::new().with(TestFactory);
    let connection = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    let server = ImapFrontEnd::new(registry, connection).spawn().unwrap();
    let mut c = Client::connect(&server);
    c.send(&format!("u1 AUTHENTICATE X-TEST {}", b64("alice:secret")));
    c.line();
    c.send("AQ==");
    assert_eq!(c.line(), "u1 NO [UNAVAILABLE] authentication failed");
    drop(c);
    server.finish();
}

#[test]
fn long_lines_close_the_connection() {
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    let long = "A".repeat(sasl_test::imap::MAX_LINE + 10);
    // The client may see the connection reset while it is still writing.
    let _ = c.writer.write_all(format!("x1 NOOP {long}\r\n").as_bytes());
    let _ = c.writer.flush();
    let mut rest = String::new();
    let _ = c.reader.read_line(&mut rest);
    let log = server.finish();
    assert_eq!(log.connections[0].end, ConnectionEnd::LineTooLong, "{log}");
    // A long line inside an exchange too.
    let server = front_end().spawn().unwrap();
    let mut c = Client::connect(&server);
    c.send("x2 AUTHENTICATE X-TEST");
    c.line();
    let _ = c.writer.write_all(long.as_bytes());
    let _ = c.writer.write_all(b"\r\n");
    let log = server.finish();
    assert_eq!(log.connections[0].end, ConnectionEnd::LineTooLong, "{log}");
    assert!(matches!(
        only_auth(&log).outcome,
        AuthOutcome::Incomplete(_)
    ));
}

#[test]
fn a_silent_client_times_out() {
    let server = front_end()
        .with_timeout(Duration::from_millis(300))
        .spawn()
        .unwrap();
    let mut c = Client::connect(&server);
    c.send("q1 AUTHENTICATE X-TEST");
    assert_eq!(c.line(), "+ ");
    // ... and never answers.
    let started = Instant::now();
    let log = server.finish();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(log.connections[0].end, ConnectionEnd::Timeout, "{log}");
    assert!(matches!(
        only_auth(&log).outcome,
        AuthOutcome::Incomplete(_)
    ));
    drop(c);
}

#[test]
fn no_client_at_all() {
    // finish() right away: no connection, no wait.
    let started = Instant::now();
    let log = front_end().spawn().unwrap().finish();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(log.connections.is_empty());
    // A front end nobody finishes gives up after its timeout.
    let server = front_end()
        .with_timeout(Duration::from_millis(200))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let log = server.finish();
    assert!(log.connections.is_empty());
    assert_eq!(log.errors.len(), 1, "{log}");
}

// ---------------------------------------------------------------------------------------
// Python imaplib, an independent client
// ---------------------------------------------------------------------------------------

fn imaplib(python: &std::path::Path, server: &RunningServer, args: &[&str]) -> peers::PeerExit {
    let exit = peers::run_imaplib(python, server.port(), args).unwrap();
    assert!(!exit.timed_out, "{exit:?}");
    exit
}

#[test]
fn imaplib_logs_in() -> Result<(), peers::PeerError> {
    let Some(python) = peers::require_imaplib()? else {
        return Ok(());
    };
    let server = front_end().spawn().unwrap();
    let exit = imaplib(
        &python,
        &server,
        &[
            "--mech",
            NAME,
            "--response",
            "alice:secret",
            "--list",
            "--select",
            "INBOX",
        ],
    );
    let log = server.finish();
    assert!(exit.success(), "{exit:?}\n{log}");
    assert!(
        exit.stdout.iter().any(|l| l.starts_with("AUTH OK")),
        "{exit:?}"
    );
    assert!(
        exit.stdout.iter().any(|l| l.starts_with("SELECT OK")),
        "{exit:?}"
    );
    assert!(exit.stdout.iter().any(|l| l == "LOGOUT BYE"), "{exit:?}");
    assert_eq!(log.connections[0].end, ConnectionEnd::Logout, "{log}");
    let auth = only_auth(&log);
    // imaplib sends no initial response: it answers the empty challenge.
    assert!(!auth.initial_response, "{log}");
    assert_eq!(auth.server_challenges, [Vec::<u8>::new()]);
    assert_eq!(auth.success().unwrap().identity(), "alice");
    Ok(())
}

#[test]
fn imaplib_error_challenge_and_cancel() -> Result<(), peers::PeerError> {
    let Some(python) = peers::require_imaplib()? else {
        return Ok(());
    };
    let server = front_end().with_connections(2).spawn().unwrap();
    let wrong = imaplib(
        &python,
        &server,
        &["--mech", NAME, "--response", "alice:wrong", "--then", "01"],
    );
    let cancel = imaplib(&python, &server, &["--mech", NAME, "--cancel"]);
    let log = server.finish();
    assert_eq!(wrong.code, Some(1), "{wrong:?}\n{log}");
    let challenge = format!("CHALLENGE {}", hex(ERROR_JSON));
    assert!(wrong.stdout.contains(&challenge), "{wrong:?}");
    assert!(
        wrong
            .stdout
            .iter()
            .any(|l| l.starts_with("AUTH NO [AUTHENTICATIONFAILED]")),
        "{wrong:?}"
    );
    assert_eq!(cancel.code, Some(2), "{cancel:?}\n{log}");
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 2, "{log}");
    assert_eq!(
        auths[0].failure_kind(),
        Some(FailureKind::InvalidCredentials)
    );
    assert_eq!(auths[0].client_messages.last().unwrap(), b"\x01");
    assert_eq!(auths[1].failure_kind(), Some(FailureKind::Cancelled));
    Ok(())
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}
