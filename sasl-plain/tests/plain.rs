//! PLAIN and LOGIN end to end on the sasl-core session API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use sasl_core::{
    Answer, ClientCredentials, ClientRegistry, ClientStep, ConfigError, ConnectionInfo, Error,
    FailureKind, Limits, Request, ServerRegistry, ServerReply, ServerSession, ServerStep,
};
use sasl_plain::{
    FieldLimits, LoginClient, LoginServer, LoginServerConfig, PlainClient, PlainServer,
    PlainServerConfig, Preparation,
};
use sasl_test::{Direction, Driver, tamper};

const USER: &str = "tim";
const PASS: &str = "tanstaaftanstaaf";

/// A store that knows one user and grants authzid "shared" only.
fn store(request: Request) -> Answer {
    match request {
        Request::VerifyPassword(check) => {
            if check.authcid() != USER || !check.password_matches(PASS) {
                check.invalid()
            } else if check.authzid() == Some("shared") {
                check.valid_with_authzid()
            } else {
                check.valid()
            }
        }
        other => other.reject(FailureKind::Other),
    }
}

fn servers() -> ServerRegistry {
    ServerRegistry::new()
        .with(PlainServer::factory())
        .with(LoginServer::factory())
}

fn clients() -> ClientRegistry {
    ClientRegistry::new()
        .with(PlainClient::factory())
        .with(LoginClient::factory())
}

fn run(mech: &str, creds: ClientCredentials) -> sasl_test::Transcript {
    let conn = ConnectionInfo::tls();
    let advertised = servers().advertise(&conn);
    let client = clients().start(mech, &advertised, creds, &conn).unwrap();
    let server = servers().start(mech, &conn).unwrap();
    Driver::new(client, server, store).run().unwrap()
}

#[test]
fn plain_success_with_rfc4616_message() {
    let t = run("PLAIN", ClientCredentials::new(USER).with_password(PASS));
    assert_eq!(t.shape(), "C ok ok");
    assert_eq!(t.client_messages()[0], b"\0tim\0tanstaaftanstaaf");
    let auth = t.authenticated().unwrap();
    assert_eq!(auth.identity(), "tim");
    assert_eq!(auth.authzid(), None);
    assert!(!auth.channel_bound());
}

#[test]
fn plain_without_initial_response_uses_empty_challenge() {
    let conn = ConnectionInfo::tls();
    let client = clients()
        .start(
            "PLAIN",
            &["PLAIN"],
            ClientCredentials::new(USER).with_password(PASS),
            &conn,
        )
        .unwrap();
    let server = servers().start("PLAIN", &conn).unwrap();
    let t = Driver::new(client, server, store)
        .without_initial_response()
        .run()
        .unwrap();
    assert_eq!(t.shape(), "S C ok ok");
    assert_eq!(t.server_messages()[0], b"");
}

#[test]
fn plain_wrong_password_and_unknown_user_fail_alike() {
    let wrong = run("PLAIN", ClientCredentials::new(USER).with_password("nope"));
    let unknown = run("PLAIN", ClientCredentials::new("bob").with_password(PASS));
    for t in [&wrong, &unknown] {
        assert_eq!(t.shape(), "C fail fail");
        let f = t.server_failure().unwrap();
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
        assert_eq!(
            f.smtp().line(),
            "535 5.7.8 Authentication credentials invalid"
        );
    }
}

#[test]
fn plain_authzid_needs_the_applications_grant() {
    let granted = run(
        "PLAIN",
        ClientCredentials::new(USER)
            .with_password(PASS)
            .with_authzid("shared"),
    );
    assert_eq!(granted.authenticated().unwrap().identity(), "shared");
    assert_eq!(granted.authenticated().unwrap().authcid(), "tim");
    assert_eq!(
        granted.client_messages()[0],
        b"shared\0tim\0tanstaaftanstaaf"
    );

    let denied = run(
        "PLAIN",
        ClientCredentials::new(USER)
            .with_password(PASS)
            .with_authzid("root"),
    );
    assert_eq!(
        denied.server_failure().unwrap().reason().kind(),
        FailureKind::AuthorizationDenied
    );
    assert!(!denied.client_succeeded());

    // Asking to be yourself needs no grant.
    let same = run(
        "PLAIN",
        ClientCredentials::new(USER)
            .with_password(PASS)
            .with_authzid("tim"),
    );
    assert!(same.both_succeeded());
}

fn server_reply(mech: &str, initial: Option<&[u8]>) -> ServerStep {
    let mut s = servers().start(mech, &ConnectionInfo::tls()).unwrap();
    s.start_with(initial, &store).unwrap()
}

fn failure_kind(step: &ServerStep) -> Option<FailureKind> {
    match step {
        ServerStep::Failure(f) => Some(f.reason().kind()),
        _ => None,
    }
}

#[test]
fn plain_rejects_malformed_messages() {
    let long = "x".repeat(256);
    let cases: Vec<(Vec<u8>, FailureKind)> = vec![
        (b"".to_vec(), FailureKind::Malformed), // empty initial response
        (b"tim\0tanstaaf".to_vec(), FailureKind::Malformed), // one NUL
        (b"\0tim\0pass\0extra".to_vec(), FailureKind::Malformed), // three NULs
        (b"\0\0pass".to_vec(), FailureKind::Malformed), // empty authcid
        (b"\0tim\0".to_vec(), FailureKind::Malformed), // empty password
        (b"\0t\xffm\0pass".to_vec(), FailureKind::Malformed), // invalid UTF-8
        (
            format!("\0{long}\0pass").into_bytes(),
            FailureKind::Malformed,
        ), // oversized authcid
        (b"\0tim\0a\x07b".to_vec(), FailureKind::InvalidCredentials), // SASLprep-prohibited
    ];
    for (msg, kind) in cases {
        let step = server_reply("PLAIN", Some(&msg));
        assert_eq!(
            failure_kind(&step),
            Some(kind),
            "{:?}",
            String::from_utf8_lossy(&msg)
        );
    }
}

#[test]
fn none_and_empty_initial_response_differ() {
    assert!(matches!(server_reply("PLAIN", None), ServerStep::Challenge(c) if c.is_empty()));
    assert_eq!(
        failure_kind(&server_reply("PLAIN", Some(b""))),
        Some(FailureKind::Malformed)
    );
}

#[test]
fn login_success_is_server_first() {
    let t = run("LOGIN", ClientCredentials::new(USER).with_password(PASS));
    assert_eq!(t.shape(), "S C S C ok ok");
    assert!(!t.initial_response);
    assert_eq!(t.server_messages(), vec![&b"Username:"[..], b"Password:"]);
    assert_eq!(t.client_messages(), vec![&b"tim"[..], b"tanstaaftanstaaf"]);
    assert_eq!(t.authenticated().unwrap().mechanism().as_str(), "LOGIN");
}

#[test]
fn login_rejects_initial_response_unless_configured() {
    assert_eq!(
        failure_kind(&server_reply("LOGIN", Some(b"tim"))),
        Some(FailureKind::Protocol)
    );
    let lenient = LoginServerConfig::default().with_initial_username(true);
    let mechs = ServerRegistry::new().with(LoginServer::factory_with(lenient));
    let mut s = mechs.start("LOGIN", &ConnectionInfo::tls()).unwrap();
    let step = s.start(Some(b"tim")).unwrap();
    assert!(matches!(step, ServerStep::Challenge(c) if c == b"Password:"));
}

#[test]
fn login_rejects_line_breaks_and_wrong_password() {
    let mut s = servers().start("LOGIN", &ConnectionInfo::tls()).unwrap();
    let _ = s.start(None).unwrap();
    assert_eq!(
        failure_kind(&s.step(b"ti\r\nm").unwrap()),
        Some(FailureKind::Malformed)
    );
    let wrong = run("LOGIN", ClientCredentials::new(USER).with_password("bad"));
    assert_eq!(wrong.shape(), "S C S C fail fail");
}

#[test]
fn plain_and_login_hidden_without_tls() {
    let plaintext = ConnectionInfo::plaintext();
    assert!(servers().advertise(&plaintext).is_empty());
    // A client that chooses PLAIN or LOGIN anyway must encrypt first.
    for mech in ["PLAIN", "LOGIN"] {
        let f = servers().start(mech, &plaintext).unwrap_err();
        assert_eq!(f.reason().kind(), FailureKind::EncryptionRequired, "{mech}");
        assert_eq!(f.smtp().code, 538, "{mech}");
        assert_eq!(f.smtp().enhanced, "5.7.11", "{mech}");
        assert_eq!(
            f.imap().line("A1", "x"),
            "A1 NO [PRIVACYREQUIRED] x",
            "{mech}"
        );
    }
    let allowed = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    let names: Vec<String> = servers()
        .advertise(&allowed)
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(names, ["PLAIN", "LOGIN"]);
    let creds = ClientCredentials::new(USER).with_password(PASS);
    assert_eq!(
        clients().select(&["PLAIN", "LOGIN"], &creds, &plaintext),
        None
    );
    assert_eq!(
        clients()
            .select(&["LOGIN", "PLAIN"], &creds, &ConnectionInfo::tls())
            .unwrap()
            .as_str(),
        "PLAIN"
    );
    assert_eq!(
        clients()
            .select(&["login"], &creds, &ConnectionInfo::tls())
            .unwrap()
            .as_str(),
        "LOGIN"
    );
    // Without a password neither mechanism can be used.
    assert_eq!(
        clients().select(
            &["PLAIN"],
            &ClientCredentials::new(USER),
            &ConnectionInfo::tls()
        ),
        None
    );
}

#[test]
fn unknown_mechanism_is_a_failure() {
    // The client's choice, so a failure to reply with (SMTP 504 5.5.4, IMAP NO), not
    // a local Error.
    for name in ["CRAM-MD5", "bad name!"] {
        let f = servers().start(name, &ConnectionInfo::tls()).unwrap_err();
        assert_eq!(f.reason().kind(), FailureKind::UnknownMechanism, "{name}");
        assert_eq!(
            f.smtp().line(),
            "504 5.5.4 Unrecognized authentication type",
            "{name}"
        );
        assert_eq!(f.imap().status, sasl_core::ImapStatus::No, "{name}");
        assert!(f.local_error().is_none(), "{name}");
    }
}

#[test]
fn session_misuse_is_reported() {
    let mechs = servers();
    let conn = ConnectionInfo::tls();
    let mut a = mechs.start("PLAIN", &conn).unwrap();
    let mut b = mechs.start("PLAIN", &conn).unwrap();
    assert_eq!(
        a.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NotStarted)
    );
    let ServerStep::Request(req_a) = a.start(Some(b"\0tim\0tanstaaftanstaaf")).unwrap() else {
        panic!()
    };
    assert_eq!(
        a.start(None).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::AlreadyStarted)
    );
    assert_eq!(
        a.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::RequestPending)
    );
    let ServerStep::Request(req_b) = b.start(Some(b"\0tim\0wrong")).unwrap() else {
        panic!()
    };
    // A's answer given to B is refused, and B still waits for its own.
    let answer_a = store(req_a);
    let refused = b.provide(answer_a).unwrap_err();
    assert_eq!(refused.misuse(), sasl_core::Misuse::ForeignAnswer);
    let step = b.provide(store(req_b)).unwrap();
    assert_eq!(failure_kind(&step), Some(FailureKind::InvalidCredentials));
    // The refused answer comes back intact and still answers A, its own session.
    let step = a.provide(refused.into_answer()).unwrap();
    let ServerStep::Success(auth) = step else {
        panic!("{step:?}")
    };
    assert_eq!(auth.authcid(), "tim");
    assert!(a.is_finished());
    assert_eq!(
        b.step(b"").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );
    assert_eq!(
        b.cancel().unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );
    assert!(b.is_finished());
}

#[test]
fn stale_answer_from_same_session_is_refused() {
    // LOGIN asks once; a second session of the same registry has its own tickets.
    let conn = ConnectionInfo::tls();
    let mut s = servers().start("PLAIN", &conn).unwrap();
    assert_eq!(
        s.provide(store(Request::VerifyPassword(
            sasl_core::VerifyPassword::new(sasl_plain::PLAIN, "tim".into(), None, "x".into())
        )))
        .unwrap_err()
        .misuse(),
        sasl_core::Misuse::NotStarted
    );
    let _ = s.start(None).unwrap();
    // An unstamped request (never issued by any session) cannot answer a session.
    let forged =
        sasl_core::VerifyPassword::new(sasl_plain::PLAIN, "tim".into(), None, "x".into()).valid();
    assert_eq!(
        s.provide(forged).unwrap_err().misuse(),
        sasl_core::Misuse::NoRequestPending
    );
    let ServerStep::Request(_real) = s.step(b"\0tim\0tanstaaftanstaaf").unwrap() else {
        panic!()
    };
    let forged =
        sasl_core::VerifyPassword::new(sasl_plain::PLAIN, "tim".into(), None, "x".into()).valid();
    assert_eq!(
        s.provide(forged).unwrap_err().misuse(),
        sasl_core::Misuse::ForeignAnswer
    );
    // The session still waits for the real answer.
    assert!(!s.is_finished());
}

#[test]
fn cancel_ends_with_cancelled_failure() {
    let mut s = servers().start("LOGIN", &ConnectionInfo::tls()).unwrap();
    let _ = s.start(None).unwrap();
    let step = s.cancel().unwrap();
    let ServerStep::Failure(f) = step else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::Cancelled);
    assert_eq!(f.smtp().code, 501);
}

#[test]
fn limits_turn_into_failures() {
    let mechs = servers().with_limits(Limits::default().with_max_message_len(10));
    let mut s = mechs.start("PLAIN", &ConnectionInfo::tls()).unwrap();
    let step = s.start(Some(b"\0tim\0tanstaaftanstaaf")).unwrap();
    assert_eq!(failure_kind(&step), Some(FailureKind::MessageTooLarge));
    assert_eq!(
        s.step(b"").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );

    let mechs = servers().with_limits(Limits::default().with_max_round_trips(1));
    let mut s = mechs.start("LOGIN", &ConnectionInfo::tls()).unwrap();
    let _ = s.start(None).unwrap();
    let _ = s.step(b"tim").unwrap();
    assert_eq!(
        failure_kind(&s.step(b"pw").unwrap()),
        Some(FailureKind::TooManyRoundTrips)
    );
}

#[test]
fn server_session_limits_are_inclusive() {
    // The PLAIN message is 21 bytes: a 21-byte limit takes it, a 20-byte one does not.
    let message = b"\0tim\0tanstaaftanstaaf";
    assert_eq!(message.len(), 21);
    let at_len = |max: usize| {
        let mechs = servers().with_limits(Limits::default().with_max_message_len(max));
        let mut s = mechs.start("PLAIN", &ConnectionInfo::tls()).unwrap();
        s.start_with(Some(message), &store).unwrap()
    };
    assert!(matches!(at_len(21), ServerStep::Success(_)));
    assert_eq!(
        failure_kind(&at_len(20)),
        Some(FailureKind::MessageTooLarge)
    );

    // LOGIN takes two client messages: a limit of two round trips allows it.
    let mechs = servers().with_limits(Limits::default().with_max_round_trips(2));
    let mut s = mechs.start("LOGIN", &ConnectionInfo::tls()).unwrap();
    let _ = s.start(None).unwrap();
    let _ = s.step(b"tim").unwrap();
    assert!(matches!(
        s.step_with(PASS.as_bytes(), &store).unwrap(),
        ServerStep::Success(_)
    ));
}

#[test]
fn client_session_limits_are_inclusive() {
    let conn = ConnectionInfo::tls();
    let creds = ClientCredentials::new(USER).with_password(PASS);
    let login = |limits: Limits| {
        let mut c = clients()
            .with_limits(limits)
            .start("LOGIN", &["LOGIN"], creds.clone(), &conn)
            .unwrap();
        assert!(matches!(c.start().unwrap(), ClientStep::AwaitChallenge));
        c
    };
    let aborted = |step: ClientStep| match step {
        ClientStep::Abort(f) => Some(f.reason().kind()),
        _ => None,
    };
    // "Username:" and "Password:" are 9 bytes each.
    let mut c = login(Limits::default().with_max_message_len(9));
    assert!(
        matches!(c.step(b"Username:").unwrap(), ClientStep::Respond(r) if r.expose() == b"tim")
    );
    assert!(matches!(
        c.step(b"Password:").unwrap(),
        ClientStep::Respond(_)
    ));
    let mut c = login(Limits::default().with_max_message_len(8));
    assert_eq!(
        aborted(c.step(b"Username:").unwrap()),
        Some(FailureKind::MessageTooLarge)
    );
    assert!(c.is_finished());
    // Two challenges: allowed by a limit of two, not by a limit of one.
    let mut c = login(Limits::default().with_max_round_trips(2));
    let _ = c.step(b"Username:").unwrap();
    assert!(matches!(
        c.step(b"Password:").unwrap(),
        ClientStep::Respond(_)
    ));
    assert!(c.finish(ServerReply::success()).unwrap().is_authenticated());
    let mut c = login(Limits::default().with_max_round_trips(1));
    let _ = c.step(b"Username:").unwrap();
    assert_eq!(
        aborted(c.step(b"Password:").unwrap()),
        Some(FailureKind::TooManyRoundTrips)
    );

    // Success data of exactly the limit reaches the mechanism (PLAIN refuses any as a
    // protocol error); one byte more is refused by the session first.
    let finish_with = |data: &[u8]| {
        let mut c = clients()
            .with_limits(Limits::default().with_max_message_len(3))
            .start("PLAIN", &["PLAIN"], creds.clone(), &conn)
            .unwrap();
        let _ = c.start().unwrap();
        let out = c
            .finish(ServerReply::Success {
                additional_data: Some(data.to_vec()),
            })
            .unwrap();
        match out {
            sasl_core::ClientOutcome::Failure(f) => f.reason().kind(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(finish_with(b"abc"), FailureKind::Protocol);
    assert_eq!(finish_with(b"abcd"), FailureKind::MessageTooLarge);
}

#[test]
fn client_rejects_success_data_and_unexpected_challenges() {
    let conn = ConnectionInfo::tls();
    let creds = ClientCredentials::new(USER).with_password(PASS);
    let mut c = clients()
        .start("PLAIN", &["PLAIN"], creds.clone(), &conn)
        .unwrap();
    assert!(matches!(c.start().unwrap(), ClientStep::Respond(_)));
    assert!(matches!(c.step(b"huh").unwrap(), ClientStep::Abort(_)));
    assert_eq!(
        c.step(b"").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );

    let mut c = clients()
        .start("PLAIN", &["PLAIN"], creds.clone(), &conn)
        .unwrap();
    let _ = c.start().unwrap();
    let out = c
        .finish(ServerReply::Success {
            additional_data: Some(b"x".to_vec()),
        })
        .unwrap();
    assert!(!out.is_authenticated());

    // LOGIN: success before the password was sent is not success.
    let mut c = clients().start("LOGIN", &["LOGIN"], creds, &conn).unwrap();
    assert!(matches!(c.start().unwrap(), ClientStep::AwaitChallenge));
    let _ = c.step(b"Username:").unwrap();
    assert!(!c.finish(ServerReply::success()).unwrap().is_authenticated());
}

#[test]
fn client_refuses_nul_in_credentials() {
    let conn = ConnectionInfo::tls();
    let bad = ClientCredentials::new("t\0m").with_password(PASS);
    assert!(matches!(
        clients().start("PLAIN", &["PLAIN"], bad, &conn),
        Err(Error::Config(_))
    ));
    let bad = ClientCredentials::new(USER).with_password("a\nb");
    assert!(matches!(
        clients().start("LOGIN", &["LOGIN"], bad, &conn),
        Err(Error::Config(_))
    ));
}

#[test]
fn client_tells_missing_credentials_from_unsendable_ones() {
    let conn = ConnectionInfo::tls();
    let start = |mech: &str, creds: ClientCredentials| {
        clients()
            .start(mech, &[mech], creds, &conn)
            .map(|_| ())
            .unwrap_err()
    };
    // Empty is missing; NUL is a field that cannot be sent.
    assert_eq!(
        start("PLAIN", ClientCredentials::new("").with_password(PASS)),
        Error::Config(ConfigError::MissingCredentials("authcid"))
    );
    assert_eq!(
        start("PLAIN", ClientCredentials::new("t\0m").with_password(PASS)),
        Error::config("authcid contains NUL")
    );
    assert_eq!(
        start("LOGIN", ClientCredentials::new(USER).with_password("")),
        Error::Config(ConfigError::MissingCredentials("password"))
    );
    assert_eq!(
        start("LOGIN", ClientCredentials::new(USER).with_password("a\nb")),
        Error::config("password contains CR or LF")
    );
    // Neither a password nor a password on demand.
    for mech in ["PLAIN", "LOGIN"] {
        assert_eq!(
            start(mech, ClientCredentials::new(USER)),
            Error::Config(ConfigError::MissingCredentials("password")),
            "{mech}"
        );
    }
}

#[test]
fn login_client_is_selected_only_for_a_password_without_a_foreign_authzid() {
    let conn = ConnectionInfo::tls();
    let login_only = ClientRegistry::new().with(LoginClient::factory());
    let select = |creds: &ClientCredentials| {
        login_only
            .select(&["LOGIN"], creds, &conn)
            .map(|m| m.to_string())
    };
    assert_eq!(
        select(&ClientCredentials::new(USER).with_password(PASS)).as_deref(),
        Some("LOGIN")
    );
    assert_eq!(
        select(&ClientCredentials::new(USER).with_password_on_demand()).as_deref(),
        Some("LOGIN")
    );
    assert_eq!(
        select(
            &ClientCredentials::new(USER)
                .with_password(PASS)
                .with_authzid(USER)
        )
        .as_deref(),
        Some("LOGIN")
    );
    assert_eq!(select(&ClientCredentials::new(USER)), None);
    assert_eq!(
        select(
            &ClientCredentials::new(USER)
                .with_password(PASS)
                .with_authzid("shared")
        ),
        None
    );
}

#[test]
fn login_client_takes_a_password_only_when_it_asked_for_one() {
    use sasl_core::{ClientInput, ClientMechanism, ClientRequest};
    let password = || {
        sasl_core::PasswordPrompt::new(sasl_plain::LOGIN, USER)
            .provide(PASS)
            .into_input()
    };
    let creds = ClientCredentials::new(USER).with_password_on_demand();
    let mut client = LoginClient::new(&creds).unwrap();
    assert!(matches!(
        client.start().unwrap(),
        ClientStep::AwaitChallenge
    ));
    // Not asked yet.
    assert_eq!(
        client.provide(password()).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NoRequestPending)
    );
    assert!(
        matches!(client.step(b"Username:").unwrap(), ClientStep::Respond(r) if r.expose() == b"tim")
    );
    assert!(matches!(
        client.step(b"Password:").unwrap(),
        ClientStep::Request(ClientRequest::Password(_))
    ));
    assert!(
        matches!(client.provide(password()).unwrap(), ClientStep::Respond(r) if r.expose() == PASS.as_bytes())
    );
    // Asked once, answered once.
    assert_eq!(
        client.provide(password()).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NoRequestPending)
    );
    assert!(matches!(
        client.provide(ClientInput::Declined).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NoRequestPending)
    ));
}

#[test]
fn tampering_never_yields_success() {
    for mech in ["PLAIN", "LOGIN"] {
        for index in 0..2 {
            for pos in 0..20 {
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    let conn = ConnectionInfo::tls();
                    let client = clients()
                        .start(
                            mech,
                            &[mech],
                            ClientCredentials::new(USER).with_password(PASS),
                            &conn,
                        )
                        .unwrap();
                    let server = servers().start(mech, &conn).unwrap();
                    let t = Driver::new(client, server, store)
                        .with_tamper(tamper::flip_bit(dir, index, pos, 3))
                        .run()
                        .unwrap();
                    // Server challenges in PLAIN/LOGIN carry no meaning, so flipping them
                    // may still succeed; a changed client message never may.
                    if dir == Direction::ClientToServer
                        && t.messages
                            .iter()
                            .any(|m| m.direction == dir && m.index == index)
                    {
                        assert!(!t.server_succeeded(), "{mech} {index} {pos}: {}", t.shape());
                    }
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics_or_succeeds(
        mech in prop::sample::select(vec!["PLAIN", "LOGIN"]),
        initial in prop::option::of(prop::collection::vec(any::<u8>(), 0..600)),
        steps in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..4),
    ) {
        let mut s = servers().start(mech, &ConnectionInfo::tls()).unwrap();
        let mut step = s.start_with(initial.as_deref(), &store).unwrap();
        for input in &steps {
            match step {
                ServerStep::Challenge(_) => step = s.step_with(input, &store).unwrap(),
                _ => break,
            }
        }
        if let ServerStep::Success(auth) = step {
            // Only the real credentials can succeed.
            prop_assert_eq!(auth.authcid(), USER);
            let all: Vec<u8> = initial.iter().flatten().chain(steps.iter().flatten()).copied().collect();
            prop_assert!(all.windows(PASS.len()).any(|w| w == PASS.as_bytes()));
        }
    }

    #[test]
    fn arbitrary_challenges_never_panic_client(
        mech in prop::sample::select(vec!["PLAIN", "LOGIN"]),
        challenges in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..5),
        success in any::<bool>(),
    ) {
        let conn = ConnectionInfo::tls();
        let mut c = clients().start(mech, &[mech], ClientCredentials::new(USER).with_password(PASS), &conn).unwrap();
        let _ = c.start().unwrap();
        for ch in &challenges {
            match c.step(ch) {
                Ok(ClientStep::Abort(_)) | Err(Error::Misuse(sasl_core::Misuse::Finished)) => break,
                Ok(_) => {}
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
        let _ = c.finish(if success { ServerReply::success() } else { ServerReply::failure() });
    }
}

#[test]
fn server_session_can_be_built_without_a_registry() {
    let mut s = ServerSession::new(
        sasl_plain::PLAIN,
        Box::new(PlainServer::new()),
        Limits::default(),
        sasl_core::SuccessData::AsChallenge,
    );
    let step = s
        .start_with(Some(b"\0tim\0tanstaaftanstaaf"), &store)
        .unwrap();
    assert!(matches!(step, ServerStep::Success(_)));
}

#[test]
fn saslprep_profile_is_applied() {
    // U+00AD SOFT HYPHEN maps to nothing and U+2168 ROMAN NUMERAL NINE becomes "IX"
    // (RFC 4013 §3 examples 1 and 5), so these present the stored credentials.
    let t = run(
        "PLAIN",
        ClientCredentials::new("t\u{00AD}im").with_password("tanstaaf\u{00AD}tanstaaf"),
    );
    assert!(t.both_succeeded(), "{}", t.shape());
    assert_eq!(t.authenticated().unwrap().authcid(), "tim");
    // A prohibited character (U+0007) fails preparation, reported as bad credentials.
    let step = server_reply("PLAIN", Some("\0tim\0tanstaaf\u{0007}tanstaaf".as_bytes()));
    let ServerStep::Failure(f) = step else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
    assert!(
        f.reason().detail().contains("preparation"),
        "{}",
        f.reason().detail()
    );
}

/// The password check a server step asks for (authcid, authzid, password), or the
/// failure's kind and detail.
fn asked(step: ServerStep) -> Result<(String, Option<String>, String), (FailureKind, String)> {
    match step {
        ServerStep::Request(Request::VerifyPassword(check)) => Ok((
            check.authcid().to_owned(),
            check.authzid().map(str::to_owned),
            check.password().to_owned(),
        )),
        ServerStep::Failure(f) => Err((f.reason().kind(), f.reason().detail().to_owned())),
        other => panic!("unexpected step {other:?}"),
    }
}

/// PLAIN with `config`, started with `message` as the initial response.
fn plain_with(config: PlainServerConfig, message: &[u8]) -> ServerStep {
    let mechs = ServerRegistry::new().with(PlainServer::factory_with(config));
    let mut s = mechs.start("PLAIN", &ConnectionInfo::tls()).unwrap();
    s.start(Some(message)).unwrap()
}

/// LOGIN with `config`: the user name, then (if it is taken) the password.
fn login_with(config: LoginServerConfig, user: &[u8], password: &[u8]) -> ServerStep {
    let mechs = ServerRegistry::new().with(LoginServer::factory_with(config));
    let mut s = mechs.start("LOGIN", &ConnectionInfo::tls()).unwrap();
    let _ = s.start(None).unwrap();
    match s.step(user).unwrap() {
        ServerStep::Challenge(_) => s.step(password).unwrap(),
        other => other,
    }
}

#[test]
fn fields_of_exactly_the_limit_are_accepted_and_one_byte_more_is_not() {
    // Defaults: 255-byte identities and 1024-byte passwords, both bounds inclusive.
    let id = "i".repeat(255);
    let pw = "p".repeat(1024);
    let step = plain_with(
        PlainServerConfig::default(),
        format!("{id}\0{id}\0{pw}").as_bytes(),
    );
    assert_eq!(asked(step), Ok((id.clone(), Some(id.clone()), pw.clone())));
    let step = login_with(LoginServerConfig::default(), id.as_bytes(), pw.as_bytes());
    assert_eq!(asked(step), Ok((id.clone(), None, pw.clone())));

    let too_long = |field: &str| Err((FailureKind::Malformed, format!("{field} is too long")));
    for (message, field) in [
        (format!("{id}i\0tim\0pw"), "authzid"),
        (format!("\0{id}i\0pw"), "authcid"),
        (format!("\0tim\0{pw}p"), "password"),
    ] {
        let step = plain_with(PlainServerConfig::default(), message.as_bytes());
        assert_eq!(asked(step), too_long(field));
    }
    let step = login_with(
        LoginServerConfig::default(),
        format!("{id}i").as_bytes(),
        b"pw",
    );
    assert_eq!(asked(step), too_long("user name"));
    let step = login_with(
        LoginServerConfig::default(),
        b"tim",
        format!("{pw}p").as_bytes(),
    );
    assert_eq!(asked(step), too_long("password"));
}

#[test]
fn configured_limits_bound_the_fields() {
    let limits = FieldLimits::new(3, 4);
    let plain = PlainServerConfig::default().with_limits(limits);
    assert_eq!(
        asked(plain_with(plain, b"\0tim\0pass")),
        Ok(("tim".into(), None, "pass".into()))
    );
    assert_eq!(
        asked(plain_with(plain, b"\0timo\0pass")),
        Err((FailureKind::Malformed, "authcid is too long".into()))
    );
    assert_eq!(
        asked(plain_with(plain, b"\0tim\0passw")),
        Err((FailureKind::Malformed, "password is too long".into()))
    );

    let login = LoginServerConfig::default().with_limits(limits);
    assert_eq!(
        asked(login_with(login, b"tim", b"pass")),
        Ok(("tim".into(), None, "pass".into()))
    );
    assert_eq!(
        asked(login_with(login, b"timo", b"pass")),
        Err((FailureKind::Malformed, "user name is too long".into()))
    );
    assert_eq!(
        asked(login_with(login, b"tim", b"passw")),
        Err((FailureKind::Malformed, "password is too long".into()))
    );
}

#[test]
fn preparation_none_passes_the_fields_through_unchanged() {
    // SASLprep would drop U+00AD and turn U+2168 into "IX" (see saslprep_profile_is_applied).
    let user = "t\u{00AD}im";
    let password = "pass\u{2168}";
    let plain = PlainServerConfig::default().with_preparation(Preparation::None);
    assert_eq!(
        asked(plain_with(
            plain,
            format!("\0{user}\0{password}").as_bytes()
        )),
        Ok((user.into(), None, password.into()))
    );
    let login = LoginServerConfig::default().with_preparation(Preparation::None);
    assert_eq!(
        asked(login_with(login, user.as_bytes(), password.as_bytes())),
        Ok((user.into(), None, password.into()))
    );
    // The default prepares them.
    assert_eq!(
        asked(login_with(
            LoginServerConfig::default(),
            user.as_bytes(),
            password.as_bytes()
        )),
        Ok(("tim".into(), None, "passIX".into()))
    );
}

#[test]
fn login_sends_the_configured_prompts() {
    let config = LoginServerConfig::default().with_prompts("User Name", "Password");
    let mechs = ServerRegistry::new().with(LoginServer::factory_with(config));
    let mut s = mechs.start("LOGIN", &ConnectionInfo::tls()).unwrap();
    assert!(matches!(s.start(None).unwrap(), ServerStep::Challenge(c) if c == b"User Name"));
    assert!(matches!(s.step(b"tim").unwrap(), ServerStep::Challenge(c) if c == b"Password"));
}

// ---- password on demand (ClientRequest::Password) ----------------------------------

/// Runs `mech` with a password asked for on demand, answered by `answers`.
fn run_on_demand(
    mech: &str,
    answers: impl FnMut(sasl_core::ClientRequest) -> sasl_core::ClientAnswer + 'static,
) -> sasl_test::Transcript {
    let conn = ConnectionInfo::tls();
    let advertised = servers().advertise(&conn);
    let creds = ClientCredentials::new(USER).with_password_on_demand();
    let client = clients().start(mech, &advertised, creds, &conn).unwrap();
    let server = servers().start(mech, &conn).unwrap();
    Driver::new(client, server, store)
        .with_client_answers(answers)
        .run()
        .unwrap()
}

/// Answers password prompts with `password` (checking whose password is asked for),
/// declines anything else.
fn answer_password(
    password: &'static str,
) -> impl FnMut(sasl_core::ClientRequest) -> sasl_core::ClientAnswer + 'static {
    move |req| match req {
        sasl_core::ClientRequest::Password(p) => {
            assert_eq!(p.authcid(), USER);
            p.provide(password)
        }
        other => other.decline(),
    }
}

#[test]
fn password_on_demand_is_selectable() {
    let creds = ClientCredentials::new(USER).with_password_on_demand();
    let tls = ConnectionInfo::tls();
    assert_eq!(
        clients()
            .select(&["PLAIN", "LOGIN"], &creds, &tls)
            .unwrap()
            .as_str(),
        "PLAIN"
    );
    assert_eq!(
        clients().select(&["LOGIN"], &creds, &tls).unwrap().as_str(),
        "LOGIN"
    );
}

#[test]
fn plain_password_on_demand_succeeds_with_the_right_password() {
    let t = run_on_demand("PLAIN", answer_password(PASS));
    assert_eq!(t.shape(), "C ok ok");
    assert!(t.initial_response);
    assert_eq!(t.client_messages()[0], b"\0tim\0tanstaaftanstaaf");
    assert_eq!(t.authenticated().unwrap().identity(), USER);
}

#[test]
fn login_password_on_demand_succeeds_with_the_right_password() {
    let t = run_on_demand("LOGIN", answer_password(PASS));
    assert_eq!(t.shape(), "S C S C ok ok");
    assert_eq!(t.client_messages(), vec![&b"tim"[..], b"tanstaaftanstaaf"]);
    assert_eq!(t.authenticated().unwrap().mechanism().as_str(), "LOGIN");
}

#[test]
fn password_on_demand_with_a_wrong_password_fails() {
    for (mech, shape) in [("PLAIN", "C fail fail"), ("LOGIN", "S C S C fail fail")] {
        let t = run_on_demand(mech, answer_password("wrong"));
        assert_eq!(t.shape(), shape, "{mech}");
        assert_eq!(
            t.server_failure().unwrap().reason().kind(),
            FailureKind::InvalidCredentials,
            "{mech}"
        );
        // The client learns why from the server's reply (IMAP NO [AUTHENTICATIONFAILED]).
        let sasl_test::ClientEnd::Outcome(sasl_core::ClientOutcome::Failure(f)) = &t.client else {
            panic!("{mech}: {:?}", t.client)
        };
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials, "{mech}");
        assert_eq!(f.action(), sasl_core::ClientAction::AskUser, "{mech}");
    }
}

#[test]
fn password_on_demand_declined_aborts_as_cancelled() {
    for (mech, shape) in [("PLAIN", "fail abort"), ("LOGIN", "S C S fail abort")] {
        let t = run_on_demand(mech, |req| req.decline());
        assert_eq!(t.shape(), shape, "{mech}");
        let sasl_test::ClientEnd::Aborted(f) = &t.client else {
            panic!("{mech}: {:?}", t.client)
        };
        assert_eq!(f.reason().kind(), FailureKind::Cancelled, "{mech}");
        assert!(!t.server_succeeded(), "{mech}");
        assert_eq!(
            t.server_failure().unwrap().reason().kind(),
            FailureKind::Cancelled,
            "{mech}"
        );
        // The password never went over the wire.
        assert!(
            t.client_messages()
                .iter()
                .all(|m| !m.windows(PASS.len()).any(|w| w == PASS.as_bytes())),
            "{mech}"
        );
    }
}

/// A client session for `mech` with a password on demand, brought to its password
/// request.
fn asking_client(mech: &str) -> (sasl_core::ClientSession, sasl_core::PasswordPrompt) {
    let conn = ConnectionInfo::tls();
    let creds = ClientCredentials::new(USER).with_password_on_demand();
    let mut c = clients().start(mech, &[mech], creds, &conn).unwrap();
    let mut step = c.start().unwrap();
    if mech == "LOGIN" {
        assert!(matches!(step, ClientStep::AwaitChallenge));
        assert!(
            matches!(c.step(b"Username:").unwrap(), ClientStep::Respond(r) if r.expose() == b"tim")
        );
        step = c.step(b"Password:").unwrap();
    }
    let ClientStep::Request(sasl_core::ClientRequest::Password(prompt)) = step else {
        panic!("{mech}: {step:?}")
    };
    assert_eq!(prompt.authcid(), USER);
    (c, prompt)
}

#[test]
fn password_answer_for_another_client_session_is_refused_and_handed_back() {
    for mech in ["PLAIN", "LOGIN"] {
        let (mut a, prompt_a) = asking_client(mech);
        let (mut b, prompt_b) = asking_client(mech);
        // A's answer given to B is refused and comes back.
        let refused = b.provide(prompt_a.provide(PASS)).unwrap_err();
        assert_eq!(refused.misuse(), sasl_core::Misuse::ForeignAnswer, "{mech}");
        assert!(!b.is_finished(), "{mech}");
        // B still waits for its own answer: stepping is refused.
        assert_eq!(
            b.step(b"").unwrap_err(),
            Error::Misuse(sasl_core::Misuse::RequestPending),
            "{mech}"
        );
        // The answer handed back is accepted by A, its own session.
        let step = a.provide(refused.into_answer()).unwrap();
        let expected: &[u8] = if mech == "PLAIN" {
            b"\0tim\0tanstaaftanstaaf"
        } else {
            PASS.as_bytes()
        };
        assert!(
            matches!(&step, ClientStep::Respond(r) if r.expose() == expected),
            "{mech}: {step:?}"
        );
        assert!(
            a.finish(ServerReply::success()).unwrap().is_authenticated(),
            "{mech}"
        );
        // B's own answer works for B.
        let step = b.provide(prompt_b.provide(PASS)).unwrap();
        assert!(
            matches!(&step, ClientStep::Respond(r) if r.expose() == expected),
            "{mech}: {step:?}"
        );
        // Once answered, another answer is not pending any more.
        let (_c, prompt_c) = asking_client(mech);
        let refused = b.provide(prompt_c.provide(PASS)).unwrap_err();
        assert_eq!(
            refused.misuse(),
            sasl_core::Misuse::NoRequestPending,
            "{mech}"
        );
    }
}

// ---- protocols without an initial response (RFC 4422 §5) ---------------------------

#[test]
fn plain_and_login_succeed_without_initial_response() {
    for (mech, shape) in [("PLAIN", "S C ok ok"), ("LOGIN", "S C S C ok ok")] {
        let conn = ConnectionInfo::tls();
        let advertised = servers().advertise(&conn);
        let creds = ClientCredentials::new(USER).with_password(PASS);
        let client = clients().start(mech, &advertised, creds, &conn).unwrap();
        let server = servers().start(mech, &conn).unwrap();
        let t = Driver::new(client, server, store)
            .without_initial_response()
            .run()
            .unwrap();
        assert!(t.both_succeeded(), "{mech}: {}", t.shape());
        assert_eq!(t.shape(), shape, "{mech}");
        assert!(!t.initial_response, "{mech}");
        assert_eq!(t.authenticated().unwrap().identity(), USER, "{mech}");
    }
}

#[test]
fn password_on_demand_succeeds_without_initial_response() {
    for (mech, shape) in [("PLAIN", "S C ok ok"), ("LOGIN", "S C S C ok ok")] {
        let conn = ConnectionInfo::tls();
        let creds = ClientCredentials::new(USER).with_password_on_demand();
        let client = clients().start(mech, &[mech], creds, &conn).unwrap();
        let server = servers().start(mech, &conn).unwrap();
        let t = Driver::new(client, server, store)
            .with_client_answers(|req| match req {
                sasl_core::ClientRequest::Password(p) => p.provide(PASS),
                other => other.decline(),
            })
            .without_initial_response()
            .run()
            .unwrap();
        assert_eq!(t.shape(), shape, "{mech}");
        assert!(t.both_succeeded(), "{mech}");
    }
}

#[test]
fn plain_client_answers_an_empty_first_challenge_with_its_initial_response() {
    let conn = ConnectionInfo::tls();
    let creds = ClientCredentials::new(USER).with_password(PASS);
    let mut c = clients().start("PLAIN", &["PLAIN"], creds, &conn).unwrap();
    let ClientStep::Respond(ir) = c.start().unwrap() else {
        panic!()
    };
    let step = c.step(b"").unwrap();
    assert!(
        matches!(&step, ClientStep::Respond(r) if r.expose() == ir.expose()),
        "{step:?}"
    );
    assert!(c.finish(ServerReply::success()).unwrap().is_authenticated());
}

#[test]
fn client_failure_follows_the_servers_reply() {
    let conn = ConnectionInfo::tls();
    for (mech, line, kind) in [
        (
            "PLAIN",
            "A1 NO [AUTHENTICATIONFAILED] bad",
            FailureKind::InvalidCredentials,
        ),
        ("PLAIN", "A1 NO [UNAVAILABLE] later", FailureKind::Temporary),
        (
            "LOGIN",
            "A1 NO [AUTHENTICATIONFAILED] bad",
            FailureKind::InvalidCredentials,
        ),
    ] {
        let creds = ClientCredentials::new(USER).with_password(PASS);
        let mut c = clients().start(mech, &[mech], creds, &conn).unwrap();
        let _ = c.start().unwrap();
        if mech == "LOGIN" {
            let _ = c.step(b"Username:").unwrap();
            let _ = c.step(b"Password:").unwrap();
        }
        let reply = ServerReply::from_imap("A1", line).unwrap();
        let sasl_core::ClientOutcome::Failure(f) = c.finish(reply).unwrap() else {
            panic!("{mech} {line}")
        };
        assert_eq!(f.reason().kind(), kind, "{mech} {line}");
    }
}
