//! The EXTERNAL mechanism (RFC 4422 Appendix A), both roles, through the sasl-core
//! sessions, and against GNU SASL's client in both initial-response forms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use sasl_core::{
    Answer, ClientCredentials, ClientOutcome, ClientRegistry, ClientStep, ConnectionInfo,
    FailureKind, ImapCode, MechanismName, Request, ServerMechanism, ServerRegistry, ServerReply,
    ServerSession, ServerStep,
};
use sasl_external::{CertificateLogin, EXTERNAL, ExternalClient, ExternalServer};
use sasl_test::Driver;
use sasl_test::peers::{self, PeerError};

/// Alice's certificate maps to her account; she may act as the shared mailbox.
fn store(request: Request) -> Answer {
    match request {
        Request::AuthorizeExternal(ask)
            if ask.identity() == "alice" && ask.authzid() == "shared@example.org" =>
        {
            ask.grant()
        }
        Request::AuthorizeExternal(ask) => ask.deny(),
        other => other.unavailable(),
    }
}

fn alice() -> ConnectionInfo {
    CertificateLogin::new("alice").connection(ConnectionInfo::tls())
}

fn server(conn: &ConnectionInfo) -> ServerSession {
    ServerRegistry::new()
        .with(ExternalServer::factory())
        .start("EXTERNAL", conn)
        .unwrap()
}

fn run(authzid: Option<&str>, with_initial_response: bool) -> sasl_test::Transcript {
    let conn = alice();
    let mut credentials = ClientCredentials::new("");
    if let Some(z) = authzid {
        credentials = credentials.with_authzid(z);
    }
    let client = ClientRegistry::new()
        .with(ExternalClient::factory())
        .start_best(&["EXTERNAL"], credentials, &conn)
        .unwrap();
    let driver = Driver::new(client, server(&conn), store);
    let driver = if with_initial_response {
        driver
    } else {
        driver.without_initial_response()
    };
    driver.run().unwrap()
}

#[test]
fn empty_authzid_logs_in_as_the_external_identity() {
    for with_ir in [true, false] {
        let t = run(None, with_ir);
        assert!(t.both_succeeded(), "{t:?}");
        let ok = t.authenticated().unwrap();
        assert_eq!(
            (ok.authcid(), ok.authzid(), ok.identity()),
            ("alice", None, "alice")
        );
        assert_eq!(ok.mechanism(), &EXTERNAL);
        assert!(ok.additional_data().is_none());
        if with_ir {
            assert_eq!(t.shape(), "C ok ok");
            assert_eq!(t.client_messages(), [b"".as_slice()]);
        } else {
            // RFC 4422 Appendix A: the server's empty challenge, then the message.
            assert_eq!(t.shape(), "S C ok ok");
            assert_eq!(t.server_messages(), [b"".as_slice()]);
        }
    }
}

#[test]
fn the_identity_itself_needs_no_authorization() {
    let conn = alice();
    let mut s = server(&conn);
    // No request: acting as oneself is what the certificate proves.
    let step = s.start(Some(b"alice")).unwrap();
    assert!(
        matches!(step, ServerStep::Success(ok) if ok.identity() == "alice" && ok.authzid().is_none())
    );
}

#[test]
fn another_authzid_is_granted_or_denied_by_the_application() {
    let t = run(Some("shared@example.org"), true);
    assert!(t.both_succeeded(), "{t:?}");
    let ok = t.authenticated().unwrap();
    assert_eq!(
        (ok.authcid(), ok.identity()),
        ("alice", "shared@example.org")
    );

    let t = run(Some("bob@example.org"), true);
    let failure = t.server_failure().expect("denied");
    assert_eq!(failure.reason().kind(), FailureKind::AuthorizationDenied);
    assert_eq!(failure.imap().code, Some(ImapCode::AuthorizationFailed));
    let sasl_test::ClientEnd::Outcome(ClientOutcome::Failure(f)) = &t.client else {
        panic!("{t:?}")
    };
    assert_eq!(
        f.reason().kind(),
        FailureKind::AuthorizationDenied,
        "read back from the IMAP reply"
    );
}

#[test]
fn no_external_identity_is_not_offered_and_fails_clearly() {
    let plain_tls = ConnectionInfo::tls();
    let registry = ServerRegistry::new().with(ExternalServer::factory());
    assert!(registry.advertise(&plain_tls).is_empty());
    assert_eq!(registry.advertise(&alice()), vec![EXTERNAL]);
    let refused = registry.start("EXTERNAL", &plain_tls).unwrap_err();
    assert_eq!(refused.reason().kind(), FailureKind::UnknownMechanism);
    assert_eq!(refused.smtp().code, 504);
    // Driven directly on such a connection, the mechanism itself refuses.
    let mut typed = ExternalServer::new(&plain_tls);
    let ServerStep::Failure(f) = typed.start(Some(b"")).unwrap() else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
    assert!(
        f.reason().detail().contains("no identity"),
        "{}",
        f.reason()
    );
    // A client without external credentials does not pick EXTERNAL.
    let client = ClientRegistry::new().with(ExternalClient::factory());
    let creds = ClientCredentials::new("");
    assert!(client.select(&["EXTERNAL"], &creds, &plain_tls).is_none());
    assert!(client.select(&["EXTERNAL"], &creds, &alice()).is_some());
}

#[test]
fn malformed_authorization_identities_fail() {
    let long = vec![b'a'; sasl_external::MAX_AUTHZID_LEN + 1];
    for bad in [&b"a\0b"[..], &[0xff, 0xfe], &long] {
        let mut s = server(&alice());
        let ServerStep::Failure(f) = s.start(Some(bad)).unwrap() else {
            panic!("{bad:?}")
        };
        assert_eq!(f.reason().kind(), FailureKind::Malformed);
    }
    // The longest accepted one still works (and needs authorization).
    let mut s = server(&alice());
    let at_limit = vec![b'a'; sasl_external::MAX_AUTHZID_LEN];
    assert!(matches!(
        s.start(Some(&at_limit)).unwrap(),
        ServerStep::Request(Request::AuthorizeExternal(_))
    ));
}

#[test]
fn client_sends_its_authzid_and_expects_nothing_more() {
    let conn = alice();
    let registry = ClientRegistry::new().with(ExternalClient::factory());
    let mut c = registry
        .start(
            "EXTERNAL",
            &["EXTERNAL"],
            ClientCredentials::new("").with_authzid("shared@example.org"),
            &conn,
        )
        .unwrap();
    let ClientStep::Respond(m) = c.start().unwrap() else {
        panic!()
    };
    assert_eq!(m.expose(), b"shared@example.org");
    // A challenge after the message is a protocol error (the first empty one is the
    // session's business: it answers with the message).
    assert!(
        matches!(c.step(b"").unwrap(), ClientStep::Respond(again) if again.expose() == b"shared@example.org")
    );
    assert!(
        matches!(c.step(b"more").unwrap(), ClientStep::Abort(f) if f.reason().kind() == FailureKind::Protocol)
    );

    let mut c = registry
        .start("EXTERNAL", &["EXTERNAL"], ClientCredentials::new(""), &conn)
        .unwrap();
    let _ = c.start().unwrap();
    let data = ServerReply::Success {
        additional_data: Some(b"x".to_vec()),
    };
    assert!(!c.finish(data).unwrap().is_authenticated());

    let mut c = registry
        .start("EXTERNAL", &["EXTERNAL"], ClientCredentials::new(""), &conn)
        .unwrap();
    let _ = c.start().unwrap();
    let ClientOutcome::Success(ok) = c.finish(ServerReply::success()).unwrap() else {
        panic!()
    };
    assert!(!ok.server_verified(), "EXTERNAL cannot prove the server");

    assert!(ExternalClient::new(&ClientCredentials::new("").with_authzid("a\0b")).is_err());
}

#[test]
fn other_mechanisms_on_a_certificate_connection_must_be_the_same_account() {
    use sasl_plain::PlainServer;
    let login = CertificateLogin::new("alice");
    let conn = login.connection(ConnectionInfo::tls());
    let registry = ServerRegistry::new()
        .with(PlainServer::factory())
        .with(ExternalServer::factory());
    let account_of = |address: &str| address.split('@').next().map(str::to_owned);
    let plain = |message: &[u8]| {
        let mut s = registry.start("PLAIN", &conn).unwrap();
        let step = s
            .start_with(Some(message), &|r: Request| match r {
                Request::VerifyPassword(check) if check.password_matches("pencil") => check.valid(),
                Request::VerifyPassword(check) => check.invalid(),
                other => other.unavailable(),
            })
            .unwrap();
        let ServerStep::Success(ok) = step else {
            panic!("{step:?}")
        };
        ok
    };
    assert!(
        login
            .check_login(&plain(b"\0alice@example.org\0pencil"), account_of)
            .is_ok()
    );
    let refused = login
        .check_login(&plain(b"\0bob@example.org\0pencil"), account_of)
        .unwrap_err();
    assert_eq!(refused.reason().kind(), FailureKind::AuthorizationDenied);
    assert_eq!(refused.imap().code, Some(ImapCode::AuthorizationFailed));
    // Unknown addresses belong to no account.
    assert!(
        login
            .check_login(&plain(b"\0alice@example.org\0pencil"), |_: &str| None)
            .is_err()
    );
    // The PREAUTH switch.
    assert_eq!(
        login.clone().with_imap_preauth(false).imap_greeting(true),
        sasl_external::ImapGreeting::NotAuthenticated
    );
}

#[test]
fn certificate_login_needs_both_identities_in_the_account_and_preauth_needs_implicit_tls() {
    use sasl_core::ServerSuccess;
    use sasl_external::ImapGreeting;
    let login = CertificateLogin::new("alice");
    assert_eq!(login.account(), "alice");
    let account_of = |address: &str| address.split('@').next().map(str::to_owned);
    let success = |authcid: &str, authzid: Option<&str>| {
        ServerSuccess::new(MechanismName::from_static("PLAIN"), authcid)
            .with_authzid(authzid.map(str::to_owned))
    };
    assert!(
        login
            .check_login(
                &success("alice@example.org", Some("alice@example.net")),
                account_of
            )
            .is_ok()
    );
    // Alice's password acting as Bob's mailbox, and Bob acting as Alice: both refused.
    for (authcid, authzid) in [
        ("alice@example.org", "bob@example.org"),
        ("bob@example.org", "alice@example.org"),
    ] {
        let refused = login
            .check_login(&success(authcid, Some(authzid)), account_of)
            .unwrap_err();
        assert_eq!(refused.reason().kind(), FailureKind::AuthorizationDenied);
    }

    assert_eq!(login.imap_greeting(true), ImapGreeting::Preauth);
    assert_eq!(login.imap_greeting(false), ImapGreeting::NotAuthenticated);
    let no_preauth = login.with_imap_preauth(false);
    assert_eq!(
        no_preauth.imap_greeting(false),
        ImapGreeting::NotAuthenticated
    );
    assert_eq!(
        no_preauth.imap_greeting(true),
        ImapGreeting::NotAuthenticated
    );
}

#[test]
fn misuse_is_an_error() {
    let mut s = ExternalServer::new(&alice());
    assert!(s.step(b"").is_err(), "not started");
    let _ = s.start(None).unwrap();
    assert!(s.start(None).is_err(), "started twice");
    let _ = s.step(b"").unwrap();
    assert!(s.step(b"").is_err(), "finished");
    let _: MechanismName = EXTERNAL;
}

// ---- GNU SASL's client against our server ---------------------------------------------

fn gsasl_run(authzid: Option<&str>, with_ir: bool) -> Result<Option<peers::PeerRun>, PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(None);
    };
    let mut spec = gsasl.client("EXTERNAL");
    if let Some(z) = authzid {
        spec = spec.authzid(z);
    }
    let conn = alice();
    Ok(Some(if with_ir {
        peers::run_peer_client_against(spec.spawn()?, server(&conn), &store)
    } else {
        let spec = spec.arg("--no-client-first");
        peers::run_peer_client_against_without_initial_response(
            spec.spawn()?,
            server(&conn),
            &store,
        )
    }))
}

#[test]
fn gsasl_client_logs_in_with_both_initial_response_forms() -> Result<(), PeerError> {
    for with_ir in [true, false] {
        let Some(run) = gsasl_run(None, with_ir)? else {
            return Ok(());
        };
        assert!(run.both_succeeded(), "{run}");
        assert_eq!(run.client_messages(), [b"".as_slice()], "{run}");
        if !with_ir {
            assert_eq!(run.server_messages(), [b"".as_slice()], "{run}");
        }
    }
    Ok(())
}

#[test]
fn gsasl_client_authzid_is_authorized_by_the_application() -> Result<(), PeerError> {
    for with_ir in [true, false] {
        let Some(run) = gsasl_run(Some("shared@example.org"), with_ir)? else {
            return Ok(());
        };
        assert!(run.both_succeeded(), "{run}");
        assert_eq!(
            run.client_messages(),
            [b"shared@example.org".as_slice()],
            "{run}"
        );
        let Some(run) = gsasl_run(Some("bob@example.org"), with_ir)? else {
            return Ok(());
        };
        assert!(run.both_failed(), "{run}");
    }
    Ok(())
}

proptest! {
    /// Whatever the client sends, the server never panics, and it authenticates only as
    /// the external identity or an authzid the application granted.
    #[test]
    fn arbitrary_messages_never_escalate(message in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut s = server(&alice());
        match s.start_with(Some(&message), &store).unwrap() {
            ServerStep::Success(ok) => {
                prop_assert_eq!(ok.authcid(), "alice");
                prop_assert!(ok.identity() == "alice" || ok.identity() == "shared@example.org");
                prop_assert!(message.is_empty() || message == ok.identity().as_bytes());
            }
            ServerStep::Failure(_) => {}
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
