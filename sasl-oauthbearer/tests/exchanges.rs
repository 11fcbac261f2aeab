//! Server and client behaviour beyond the RFC examples: identity rules, host/port,
//! error protocol, tokens on demand, secrets, and arbitrary input (proptest).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use sasl_core::{
    Answer, ClientCredentials, ClientRegistry, ClientRequest, ClientStep, ConnectionInfo,
    FailureKind, MechanismData, Request, ServerRegistry, ServerSession, ServerStep, TokenError,
    TokenGrant, UnixTime,
};
use sasl_oauthbearer::{BearerClient, BearerMechanism, BearerServer, BearerServerConfig};

const GOOD: &str = "good-token";

fn servers(config: BearerServerConfig) -> ServerRegistry {
    ServerRegistry::new()
        .with(BearerServer::factory(
            BearerMechanism::OAuthBearer,
            config.clone(),
        ))
        .with(BearerServer::factory(BearerMechanism::XOAuth2, config))
}

fn start(mech: &str, config: BearerServerConfig, conn: &ConnectionInfo) -> ServerSession {
    match servers(config).start(mech, conn) {
        Ok(s) => s,
        Err(f) => panic!("{mech} not offered: {f:?}"),
    }
}

/// GOOD is valid for tim@example.org; `shared@example.org` may be used by tim.
fn store(request: Request) -> Answer {
    match request {
        Request::ValidateToken(ask) if ask.token() == GOOD => {
            let grant = TokenGrant::new("tim@example.org")
                .with_expiry(UnixTime::from_secs(2_000))
                .with_scopes(["mail"]);
            if ask.authzid() == Some("shared@example.org") {
                ask.valid_with_authzid(grant)
            } else {
                ask.valid(grant)
            }
        }
        Request::ValidateToken(ask) => ask.reject_token(
            FailureKind::InvalidCredentials,
            "bad signature",
            TokenError::invalid_token(),
        ),
        other => other.unavailable(),
    }
}

fn oauthbearer(authzid: &str, extra: &str, token: &str) -> Vec<u8> {
    let header = if authzid.is_empty() {
        "n,,".to_owned()
    } else {
        format!("n,a={authzid},")
    };
    format!("{header}\x01{extra}auth=Bearer {token}\x01\x01").into_bytes()
}

fn expect_failure(session: &mut ServerSession, step: ServerStep) -> sasl_core::ServerFailure {
    match step {
        ServerStep::Challenge(_) => match session.step(b"\x01") {
            Ok(ServerStep::Failure(f)) => f,
            other => panic!("{other:?}"),
        },
        ServerStep::Failure(f) => f,
        other => panic!("{other:?}"),
    }
}

#[test]
fn identity_comes_from_the_token() {
    let conn = ConnectionInfo::tls();
    // No authzid: the token's subject.
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    match s.start_with(Some(&oauthbearer("", "", GOOD)), &store) {
        Ok(ServerStep::Success(ok)) => {
            assert_eq!((ok.authcid(), ok.authzid()), ("tim@example.org", None));
            let Some(MechanismData::Token(grant)) = ok.mechanism_data() else {
                panic!("grant expected")
            };
            assert_eq!(grant.scopes(), ["mail"]);
            assert_eq!(grant.expires_at(), Some(UnixTime::from_secs(2_000)));
        }
        other => panic!("{other:?}"),
    }
    // An authzid the application allows.
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    match s.start_with(Some(&oauthbearer("shared@example.org", "", GOOD)), &store) {
        Ok(ServerStep::Success(ok)) => assert_eq!(ok.identity(), "shared@example.org"),
        other => panic!("{other:?}"),
    }
    // A claimed identity that is not the token's, not allowed: refused, whatever
    // the token proves (XOAUTH2's user= and OAUTHBEARER's authzid alike).
    for (mech, msg) in [
        ("OAUTHBEARER", oauthbearer("eve@example.org", "", GOOD)),
        (
            "XOAUTH2",
            format!("user=eve@example.org\x01auth=Bearer {GOOD}\x01\x01").into_bytes(),
        ),
    ] {
        let mut s = start(mech, BearerServerConfig::new(), &conn);
        let step = s.start_with(Some(&msg), &store).expect("no misuse");
        let f = expect_failure(&mut s, step);
        assert_eq!(
            f.reason().kind(),
            FailureKind::AuthorizationDenied,
            "{mech}"
        );
        assert_eq!(
            f.imap().line("a", "no"),
            "a NO [AUTHORIZATIONFAILED] no",
            "{mech}"
        );
    }
}

#[test]
fn precise_reason_after_the_dummy_response_or_cancel() {
    let conn = ConnectionInfo::tls();
    // Dummy response \x01 (RFC 7628), or `*` (go-imap): the same failure.
    for cancel in [false, true] {
        let mut s = start(
            "OAUTHBEARER",
            BearerServerConfig::new().with_scope("mail"),
            &conn,
        );
        let step = s
            .start_with(Some(&oauthbearer("", "", "forged")), &store)
            .expect("no misuse");
        assert!(
            matches!(&step, ServerStep::Challenge(c) if c == br#"{"status":"invalid_token","scope":"mail"}"#),
            "{step:?}"
        );
        let end = if cancel { s.cancel() } else { s.step(b"\x01") };
        let Ok(ServerStep::Failure(f)) = end else {
            panic!("{end:?}")
        };
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
        assert_eq!(f.reason().detail(), "bad signature");
        assert!(s.is_finished());
    }
    // Any other reply to the error challenge fails the same way.
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    let step = s.start_with(Some(&oauthbearer("", "", "forged")), &store);
    assert!(matches!(step, Ok(ServerStep::Challenge(_))));
    let end = s.step(&oauthbearer("", "", GOOD));
    assert!(
        matches!(&end, Ok(ServerStep::Failure(f)) if f.reason().detail() == "bad signature"),
        "a second try inside one exchange never authenticates: {end:?}"
    );
}

/// The application's plain refusals: a validator that is down fails at once, any
/// other refusal goes through the error challenge as an invalid token, both
/// mechanisms alike.
#[test]
fn application_refusals_end_as_it_said() {
    let conn = ConnectionInfo::tls();
    type Refusal = fn(Request) -> Answer;
    let cases: [(Refusal, bool, FailureKind, &str); 3] = [
        (
            |r| r.reject(FailureKind::Temporary),
            false,
            FailureKind::Temporary,
            "token could not be validated now",
        ),
        (
            |r| r.reject(FailureKind::Internal),
            false,
            FailureKind::Internal,
            "token could not be validated now",
        ),
        (
            |r| r.reject(FailureKind::AccountDisabled),
            true,
            FailureKind::AccountDisabled,
            "token rejected by the application",
        ),
    ];
    for (refuse, via_challenge, kind, detail) in cases {
        for (mech, message) in [
            ("OAUTHBEARER", oauthbearer("", "", GOOD)),
            (
                "XOAUTH2",
                format!("user=tim@example.org\x01auth=Bearer {GOOD}\x01\x01").into_bytes(),
            ),
        ] {
            let mut s = start(mech, BearerServerConfig::new(), &conn);
            let step = s.start_with(Some(&message), &refuse).unwrap();
            assert_eq!(
                matches!(step, ServerStep::Challenge(_)),
                via_challenge,
                "{mech} {kind:?}: {step:?}"
            );
            let f = expect_failure(&mut s, step);
            assert_eq!(
                (f.reason().kind(), f.reason().detail()),
                (kind, detail),
                "{mech}"
            );
        }
    }
}

#[test]
fn host_and_port_must_match_the_server() {
    let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
    for (extra, ok) in [
        ("host=imap.example.org\x01port=993\x01", true),
        ("host=IMAP.Example.Org\x01", true),
        ("", true),
        ("host=evil.example.net\x01port=993\x01", false),
        ("host=imap.example.org\x01port=143\x01", false),
    ] {
        let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
        let step = s
            .start_with(Some(&oauthbearer("", extra, GOOD)), &store)
            .expect("no misuse");
        if ok {
            assert!(
                matches!(step, ServerStep::Success(_)),
                "{extra:?}: {step:?}"
            );
        } else {
            let f = expect_failure(&mut s, step);
            assert_eq!(f.reason().kind(), FailureKind::Malformed, "{extra:?}");
        }
    }
}

#[test]
fn the_request_carries_what_validation_needs_and_hides_the_token() {
    let conn = ConnectionInfo::tls();
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    s.set_now(UnixTime::from_secs(1_767_225_600));
    let step = s
        .start(Some(&oauthbearer(
            "tim@example.org",
            "host=imap.example.org\x01port=993\x01",
            "s3cr3t.tok3n",
        )))
        .expect("start");
    let ServerStep::Request(Request::ValidateToken(ask)) = step else {
        panic!("{step:?}")
    };
    assert_eq!(ask.token(), "s3cr3t.tok3n");
    assert_eq!(ask.authzid(), Some("tim@example.org"));
    assert_eq!(
        (ask.host(), ask.port(), ask.now()),
        (
            Some("imap.example.org"),
            Some(993),
            Some(UnixTime::from_secs(1_767_225_600))
        )
    );
    assert!(!format!("{ask:?}").contains("s3cr3t"));
    // Temporary problems fail at once, without an error challenge.
    let step = s
        .provide(ask.reject(FailureKind::Temporary))
        .expect("answer accepted");
    let ServerStep::Failure(f) = step else {
        panic!("{step:?}")
    };
    assert_eq!(f.reason().kind(), FailureKind::Temporary);
    assert_eq!(
        f.imap().line("a", "try later"),
        "a NO [UNAVAILABLE] try later"
    );
}

#[test]
fn authzid_can_be_required_and_plaintext_is_refused() {
    let conn = ConnectionInfo::tls();
    let mut s = start(
        "OAUTHBEARER",
        BearerServerConfig::new().require_authzid(true),
        &conn,
    );
    let step = s
        .start_with(Some(&oauthbearer("", "", GOOD)), &store)
        .expect("no misuse");
    assert!(matches!(&step, ServerStep::Challenge(c) if c == br#"{"status":"invalid_request"}"#));
    assert_eq!(
        expect_failure(&mut s, step).reason().kind(),
        FailureKind::Malformed
    );

    // Bearer tokens are replayable: not offered without TLS.
    let plain = ConnectionInfo::plaintext();
    assert!(
        servers(BearerServerConfig::new())
            .advertise(&plain)
            .is_empty()
    );
    let refused = servers(BearerServerConfig::new()).start("XOAUTH2", &plain);
    assert!(
        matches!(&refused, Err(f) if f.reason().kind() == FailureKind::EncryptionRequired),
        "{refused:?}"
    );
    let lab = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    assert_eq!(servers(BearerServerConfig::new()).advertise(&lab).len(), 2);
}

#[test]
fn review_findings() {
    let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
    // Control characters in an identity (log injection) are refused.
    for msg in [
        oauthbearer("tim@example.org\r\nX", "", GOOD),
        format!("user=tim\tx\x01auth=Bearer {GOOD}\x01\x01").into_bytes(),
    ] {
        let mech = if msg.starts_with(b"user=") {
            "XOAUTH2"
        } else {
            "OAUTHBEARER"
        };
        let mut s = start(mech, BearerServerConfig::new(), &conn);
        let step = s.start_with(Some(&msg), &store).expect("no misuse");
        assert_eq!(
            expect_failure(&mut s, step).reason().kind(),
            FailureKind::Malformed
        );
    }
    // An application granting an empty identity does not log anyone in.
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    let step = s
        .start_with(Some(&oauthbearer("", "", GOOD)), &|r: Request| match r {
            Request::ValidateToken(ask) => ask.valid(TokenGrant::new("")),
            other => other.unavailable(),
        })
        .expect("no misuse");
    assert!(matches!(step, ServerStep::Failure(f) if f.reason().kind() == FailureKind::Internal));
    // A host with a final dot is the same host.
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    let step = s.start_with(
        Some(&oauthbearer("", "host=imap.example.org.\x01", GOOD)),
        &store,
    );
    assert!(matches!(step, Ok(ServerStep::Success(_))), "{step:?}");
    // The discovery URL a server sends is checked when configured.
    for bad in [
        "http://id.example/.well-known/openid-configuration",
        "https://id.example/x",
        "https://id.example/\"/.well-known/openid-configuration",
    ] {
        assert!(
            BearerServerConfig::new()
                .with_openid_configuration(bad)
                .is_err(),
            "{bad}"
        );
    }
    // A 16 KiB token fits the default session limits.
    let big = "a".repeat(sasl_oauthbearer::MAX_TOKEN_LEN);
    let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    let step = s
        .start(Some(&oauthbearer("", "", &big)))
        .expect("no misuse");
    assert!(
        matches!(step, ServerStep::Request(Request::ValidateToken(_))),
        "{step:?}"
    );
    // The client sends only XOAUTH2 users the server accepts.
    let creds = ClientCredentials::new("jörg@example.org").with_bearer_token("t");
    assert!(BearerClient::new(BearerMechanism::XOAuth2, &creds, &conn).is_err());
}

#[test]
fn without_initial_response_the_server_asks() {
    let conn = ConnectionInfo::tls();
    let mut s = start("XOAUTH2", BearerServerConfig::new(), &conn);
    assert!(matches!(s.start(None), Ok(ServerStep::Challenge(c)) if c.is_empty()));
    let step = s
        .step_with(
            format!("user=tim@example.org\x01auth=Bearer {GOOD}\x01\x01").as_bytes(),
            &store,
        )
        .expect("no misuse");
    assert!(matches!(step, ServerStep::Success(ok) if ok.identity() == "tim@example.org"));
}

#[test]
fn client_token_on_demand_and_secrets() {
    let clients = ClientRegistry::new().with(BearerClient::factory(BearerMechanism::OAuthBearer));
    let conn = ConnectionInfo::tls();
    // No token source: the mechanism is not chosen.
    assert_eq!(
        clients.select(&["OAUTHBEARER"], &ClientCredentials::new("tim"), &conn),
        None
    );
    let creds = ClientCredentials::new("tim@example.org").with_token_on_demand();
    let mut session = clients
        .start_best(&["OAUTHBEARER"], creds.clone(), &conn)
        .expect("usable");
    let ClientStep::Request(ClientRequest::Token(prompt)) = session.start().expect("start") else {
        panic!("the token is asked for")
    };
    assert_eq!(prompt.user(), Some("tim@example.org"));
    let step = session
        .provide(prompt.provide("fresh.t0ken"))
        .expect("accepted");
    let ClientStep::Respond(message) = step else {
        panic!("{step:?}")
    };
    assert!(
        message
            .expose()
            .ends_with(b"auth=Bearer fresh.t0ken\x01\x01")
    );
    assert!(!format!("{message:?}").contains("fresh"));
    assert!(!format!("{creds:?}").contains("fresh"));

    // A token that cannot be sent is refused before anything goes out.
    let mut session = clients
        .start_best(&["OAUTHBEARER"], creds, &conn)
        .expect("usable");
    let Ok(ClientStep::Request(ClientRequest::Token(prompt))) = session.start() else {
        panic!()
    };
    let step = session
        .provide(prompt.provide("has space\x01"))
        .expect("accepted");
    assert!(
        matches!(&step, ClientStep::Abort(f) if f.reason().kind() == FailureKind::Malformed),
        "{step:?}"
    );
    let bad = ClientCredentials::new("tim").with_bearer_token("a b");
    assert!(clients.start_best(&["OAUTHBEARER"], bad, &conn).is_err());
    let with_ctl = ClientCredentials::new("tim\x01x").with_bearer_token("ok");
    assert!(
        clients
            .start_best(&["OAUTHBEARER"], with_ctl, &conn)
            .is_err()
    );
}

#[test]
fn client_extra_pairs_and_no_host() {
    let creds = ClientCredentials::new("tim@example.org")
        .with_authzid("shared@example.org")
        .with_bearer_token("t0k");
    let conn = ConnectionInfo::tls().with_server("imap.example.org", 143);
    let client = BearerClient::new(BearerMechanism::OAuthBearer, &creds, &conn)
        .and_then(|c| c.with_pair("mthd", "POST"));
    let Ok(mut client) = client else {
        panic!("{client:?}")
    };
    use sasl_core::ClientMechanism;
    let Ok(ClientStep::Respond(m)) = client.start() else {
        panic!()
    };
    assert_eq!(
        m.expose(),
        b"n,a=shared@example.org,\x01host=imap.example.org\x01port=143\x01mthd=POST\x01auth=Bearer t0k\x01\x01"
    );
    assert!(
        BearerClient::new(BearerMechanism::OAuthBearer, &creds, &conn)
            .and_then(|c| c.with_pair("auth", "x"))
            .is_err()
    );
    let Ok(mut bare) = BearerClient::new(BearerMechanism::OAuthBearer, &creds, &conn)
        .map(|c| c.without_host_port())
    else {
        panic!()
    };
    let Ok(ClientStep::Respond(m)) = bare.start() else {
        panic!()
    };
    assert_eq!(
        m.expose(),
        b"n,a=shared@example.org,\x01auth=Bearer t0k\x01\x01"
    );
}

/// What the fuzz target `bearer_messages` found the client would send and our own
/// server refuse: a user with a tab (XOAUTH2 allowed it, the server refuses controls
/// in an identity), an OAUTHBEARER authzid with controls or over the GS2 name limit
/// once escaped, and `port=0`. The client now refuses the first three when it is made
/// and leaves out a zero port; what it does send, our server accepts.
#[test]
fn the_client_never_sends_what_the_server_refuses() {
    use sasl_core::ClientMechanism;
    let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
    for (mechanism, user) in [
        (BearerMechanism::XOAuth2, "tim\t@example.org"),
        (BearerMechanism::OAuthBearer, "tim\t@example.org"),
        (BearerMechanism::OAuthBearer, "tim\r\n@example.org"),
        (BearerMechanism::OAuthBearer, "tim\x7f@example.org"),
    ] {
        let creds = ClientCredentials::new(user).with_bearer_token(GOOD);
        assert!(
            BearerClient::new(mechanism, &creds, &conn).is_err(),
            "{mechanism:?} {user:?}"
        );
    }

    // 1024 bytes escaped is the limit: 340 commas are 1020, four letters make 1024.
    let at_limit = format!("{}abcd", ",".repeat(340));
    let over_limit = format!("{}abcde", ",".repeat(340));
    let creds = |authzid: &str| {
        ClientCredentials::new("tim@example.org")
            .with_authzid(authzid)
            .with_bearer_token(GOOD)
    };
    assert!(BearerClient::new(BearerMechanism::OAuthBearer, &creds(&over_limit), &conn).is_err());
    let Ok(mut client) = BearerClient::new(BearerMechanism::OAuthBearer, &creds(&at_limit), &conn)
    else {
        panic!("the authzid at the limit is refused")
    };
    let Ok(ClientStep::Respond(first)) = client.start() else {
        panic!()
    };
    // Our server parses it: the refusal is the store's (no such authzid), not the syntax.
    let mut server = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
    let step = server.start_with(Some(first.expose()), &store).unwrap();
    let failure = expect_failure(&mut server, step);
    assert_ne!(
        failure.reason().kind(),
        FailureKind::Malformed,
        "{failure:?}"
    );

    // No `port=0`: the server would refuse it as no port number.
    let zero = ConnectionInfo::tls().with_server("imap.example.org", 0);
    let creds = ClientCredentials::new("tim@example.org").with_bearer_token(GOOD);
    let Ok(mut client) = BearerClient::new(BearerMechanism::OAuthBearer, &creds, &zero) else {
        panic!()
    };
    let Ok(ClientStep::Respond(m)) = client.start() else {
        panic!()
    };
    assert_eq!(
        m.expose(),
        b"n,a=tim@example.org,\x01host=imap.example.org\x01auth=Bearer good-token\x01\x01"
    );
}

/// Accepts only GOOD; anything else is rejected.
fn strict(request: Request) -> Answer {
    store(request)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Arbitrary bytes at every step never panic and never authenticate.
    #[test]
    fn arbitrary_server_input(
        mech in prop_oneof![Just("OAUTHBEARER"), Just("XOAUTH2")],
        first in proptest::collection::vec(any::<u8>(), 0..300),
        rest in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..4),
        ir in any::<bool>(),
    ) {
        let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
        let mut s = start(mech, BearerServerConfig::new().with_scope("mail"), &conn);
        let mut step = if ir { s.start_with(Some(&first), &strict) } else {
            s.start_with(None, &strict).and_then(|_| s.step_with(&first, &strict))
        };
        for r in &rest {
            match &step {
                Ok(ServerStep::Challenge(_)) => step = s.step_with(r, &strict),
                _ => break,
            }
        }
        prop_assert!(!matches!(step, Ok(ServerStep::Success(_))));
    }

    /// Mutations of a valid message never authenticate as anyone but the subject.
    #[test]
    fn mutated_messages(pos in 0usize..64, byte in any::<u8>()) {
        let mut msg = oauthbearer("tim@example.org", "host=imap.example.org\x01", GOOD);
        let i = pos % msg.len();
        if let Some(b) = msg.get_mut(i) { *b = byte; }
        let conn = ConnectionInfo::tls();
        let mut s = start("OAUTHBEARER", BearerServerConfig::new(), &conn);
        if let Ok(ServerStep::Success(ok)) = s.start_with(Some(&msg), &strict) {
            prop_assert_eq!(ok.authcid(), "tim@example.org");
        }
    }

    /// Arbitrary challenges never panic the client and never make it succeed after an
    /// error challenge.
    #[test]
    fn arbitrary_client_input(
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..4),
        xoauth2 in any::<bool>(),
    ) {
        let mech = if xoauth2 { BearerMechanism::XOAuth2 } else { BearerMechanism::OAuthBearer };
        let clients = ClientRegistry::new().with(BearerClient::factory(mech));
        let creds = ClientCredentials::new("tim@example.org").with_bearer_token("t0k");
        let name = mech.name();
        let mut session = clients.start(name.as_str(), &[name.as_str()], creds, &ConnectionInfo::tls())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(session.start().is_ok());
        let mut challenged = false;
        for c in &challenges {
            match session.step(c) {
                Ok(ClientStep::Respond(_)) => challenged |= !c.is_empty(),
                _ => break,
            }
        }
        if let Ok(outcome) = session.finish(sasl_core::ServerReply::success())
            && challenged
        {
            prop_assert!(!outcome.is_authenticated());
        }
    }
}
