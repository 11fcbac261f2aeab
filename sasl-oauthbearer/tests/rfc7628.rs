//! RFC 7628 §4's examples verbatim (IMAP and SMTP, success and failure), both roles,
//! and Google's XOAUTH2 example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use sasl_core::wire::{decode_base64, encode_base64};
use sasl_core::{
    ClientCredentials, ClientOutcome, ClientRegistry, ClientStep, ConnectionInfo, FailureKind,
    Request, ServerRegistry, ServerReply, ServerStep, TokenGrant,
};
use sasl_oauthbearer::{
    BearerClient, BearerMechanism, BearerServer, BearerServerConfig, TokenAction, TokenFailure,
    TokenOrigin, XOAuth2ErrorStyle,
};

/// §4.1, the initial response of the IMAP example, as the RFC prints it.
const IMAP_IR: &str = "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
/// §4.2, the SMTP example: the same with port 587.
const SMTP_IR: &str = "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
const TOKEN: &str = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
/// §4.3, the failed exchange: the initial response with an empty `auth=` ...
const FAILED_IR: &str =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9AQE=";
/// ... and the server's error challenge.
const FAILED_CHALLENGE: &str = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";
/// §4.4, SMTP failure: an initial response with the erratum `n,user=...` header ...
const SMTP_FAILED_IR: &str = "bix1c2VyPXNvbWV1c2VyQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BAQ==";
/// ... and the server's challenge.
const SMTP_FAILED_CHALLENGE: &str = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5leGFtcGxlLmNvbS8ifQ==";

fn b64(text: &str) -> Vec<u8> {
    decode_base64(text.as_bytes()).expect("RFC base64")
}

fn servers(config: BearerServerConfig) -> ServerRegistry {
    ServerRegistry::new()
        .with(BearerServer::factory(
            BearerMechanism::OAuthBearer,
            config.clone(),
        ))
        .with(BearerServer::factory(BearerMechanism::XOAuth2, config))
}

fn clients() -> ClientRegistry {
    ClientRegistry::new()
        .with(BearerClient::factory(BearerMechanism::OAuthBearer))
        .with(BearerClient::factory(BearerMechanism::XOAuth2))
}

/// Validates `TOKEN` for user@example.com, everything else as expired.
fn answer(request: Request) -> sasl_core::Answer {
    match request {
        Request::ValidateToken(ask) if ask.token() == TOKEN => {
            ask.valid(TokenGrant::new("user@example.com"))
        }
        Request::ValidateToken(ask) => ask.expired(),
        other => other.unavailable(),
    }
}

fn run_server_success(ir: &str, port: u16) {
    let conn = ConnectionInfo::tls().with_server("server.example.com", port);
    let Ok(mut session) = servers(BearerServerConfig::new()).start("OAUTHBEARER", &conn) else {
        panic!("OAUTHBEARER is offered over TLS");
    };
    let step = session
        .start_with(Some(&b64(ir)), &answer)
        .expect("no misuse");
    match step {
        ServerStep::Success(ok) => {
            assert_eq!(ok.identity(), "user@example.com");
            assert_eq!(ok.authzid(), None, "the authzid is the token's subject");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn imap_and_smtp_success_server() {
    run_server_success(IMAP_IR, 143);
    run_server_success(SMTP_IR, 587);
}

#[test]
fn imap_and_smtp_success_client() {
    for (ir, port) in [(IMAP_IR, 143), (SMTP_IR, 587)] {
        let creds = ClientCredentials::new("user@example.com").with_bearer_token(TOKEN);
        let conn = ConnectionInfo::tls().with_server("server.example.com", port);
        let mut session = clients()
            .start("OAUTHBEARER", &["OAUTHBEARER"], creds, &conn)
            .expect("usable");
        let ClientStep::Respond(first) = session.start().expect("start") else {
            panic!("client-first");
        };
        assert_eq!(
            encode_base64(first.expose()),
            ir,
            "verbatim initial response"
        );
        let outcome = session
            .finish(
                ServerReply::from_imap("t1", "t1 OK SASL authentication succeeded").expect("ok"),
            )
            .expect("finish");
        let ClientOutcome::Success(ok) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(!ok.server_verified());
    }
}

#[test]
fn imap_failure_server() {
    let config = BearerServerConfig::new()
        .with_scope("example_scope")
        .with_openid_configuration("https://example.com/.well-known/openid-configuration")
        .expect("an https discovery URL");
    let conn = ConnectionInfo::tls().with_server("server.example.com", 143);
    let Ok(mut session) = servers(config).start("OAUTHBEARER", &conn) else {
        panic!("offered");
    };
    // The empty auth= asks for the scope: the token never reaches the application.
    let step = session
        .start_with(Some(&b64(FAILED_IR)), &|_: Request| {
            panic!("no token to validate")
        })
        .expect("no misuse");
    let ServerStep::Challenge(challenge) = step else {
        panic!("{step:?}")
    };
    assert_eq!(encode_base64(&challenge), FAILED_CHALLENGE, "verbatim");
    let step = session.step(&b64("AQ==")).expect("dummy response");
    let ServerStep::Failure(failure) = step else {
        panic!("{step:?}")
    };
    assert_eq!(failure.reason().kind(), FailureKind::InvalidCredentials);
    assert_eq!(failure.reason().detail(), "no token (empty auth=)");
    assert_eq!(
        failure.imap().line("t1", "SASL authentication failed"),
        "t1 NO [AUTHENTICATIONFAILED] SASL authentication failed"
    );
}

#[test]
fn imap_failure_client() {
    let creds = ClientCredentials::new("user@example.com").with_bearer_token(TOKEN);
    let conn = ConnectionInfo::tls().with_server("server.example.com", 143);
    let mut session = clients()
        .start("OAUTHBEARER", &["OAUTHBEARER"], creds, &conn)
        .expect("usable");
    assert!(matches!(session.start(), Ok(ClientStep::Respond(_))));
    let step = session.step(&b64(FAILED_CHALLENGE)).expect("step");
    let ClientStep::Respond(dummy) = step else {
        panic!("{step:?}")
    };
    assert_eq!(encode_base64(dummy.expose()), "AQ==");
    let reply = ServerReply::from_imap("t1", "t1 NO SASL authentication failed").expect("NO");
    let ClientOutcome::Failure(failure) = session.finish(reply).expect("finish") else {
        panic!("must fail")
    };
    let error = failure.token_error().expect("the challenge was kept");
    assert_eq!(error.status(), "invalid_token");
    assert_eq!(error.scope(), Some("example_scope"));
    let advice = TokenFailure::assess(&failure, TokenOrigin::Fresh);
    assert_eq!(advice.action(), TokenAction::Discover);
    assert_eq!(
        advice.openid_configuration(),
        Some("https://example.com/.well-known/openid-configuration")
    );
    assert_eq!(
        TokenFailure::assess(&failure, TokenOrigin::Cached).action(),
        TokenAction::Refresh
    );
    // Where to find the provider, and the issuer its metadata must name.
    let target = advice
        .discovery_target()
        .expect("given")
        .expect("an https discovery URL");
    assert_eq!(target.expected_issuer(), "https://example.com");
    let metadata = target
        .verify(br#"{"issuer":"https://example.com","authorization_endpoint":"https://example.com/auth","token_endpoint":"https://example.com/token","response_types_supported":["code"]}"#)
        .expect("matching issuer");
    assert_eq!(metadata.token_endpoint(), Some("https://example.com/token"));
    assert!(target.verify(br#"{"issuer":"https://evil.example","authorization_endpoint":"https://evil.example/a","token_endpoint":"https://evil.example/t","response_types_supported":["code"]}"#).is_err());
}

#[test]
fn smtp_failure_server_refuses_the_erratum_header() {
    // §4.4's `n,user=...,` GS2 header is invalid under RFC 5801: a strict server
    // answers invalid_request (and never asks the application about the token).
    let conn = ConnectionInfo::tls();
    let Ok(mut session) = servers(BearerServerConfig::new()).start("OAUTHBEARER", &conn) else {
        panic!("offered");
    };
    let step = session
        .start_with(Some(&b64(SMTP_FAILED_IR)), &|_: Request| {
            panic!("not validated")
        })
        .expect("no misuse");
    assert!(
        matches!(&step, ServerStep::Challenge(c) if c == br#"{"status":"invalid_request"}"#),
        "{step:?}"
    );
    let ServerStep::Failure(failure) = session.step(b"\x01").expect("dummy") else {
        panic!("must fail")
    };
    assert_eq!(failure.reason().kind(), FailureKind::Malformed);
    assert_eq!(
        failure.smtp().line(),
        "501 5.5.2 Cannot decode response",
        "SMTP reply for a malformed message"
    );
}

#[test]
fn smtp_failure_client() {
    let creds = ClientCredentials::new("someuser@example.com").with_bearer_token(TOKEN);
    let mut session = clients()
        .start(
            "OAUTHBEARER",
            &["OAUTHBEARER"],
            creds,
            &ConnectionInfo::tls(),
        )
        .expect("usable");
    let ClientStep::Respond(first) = session.start().expect("start") else {
        panic!()
    };
    // We never emit the erratum header: ours is `n,a=...,` without host/port.
    assert!(
        first
            .expose()
            .starts_with(b"n,a=someuser@example.com,\x01auth=Bearer ")
    );
    let ClientStep::Respond(dummy) = session.step(&b64(SMTP_FAILED_CHALLENGE)).expect("step")
    else {
        panic!()
    };
    assert_eq!(dummy.expose(), b"\x01");
    let reply = ServerReply::from_smtp(
        "535-5.7.1 Username and Password not accepted. Learn more at\r\n535 5.7.1 http://support.example.com/mail/oauth\r\n",
    )
    .expect("SMTP reply");
    let ClientOutcome::Failure(failure) = session.finish(reply).expect("finish") else {
        panic!()
    };
    let error = failure.token_error().expect("kept");
    assert_eq!(
        (error.status(), error.scope()),
        ("invalid_token", Some("https://mail.example.com/"))
    );
    assert_eq!(
        TokenFailure::assess(&failure, TokenOrigin::Cached).action(),
        TokenAction::Refresh
    );
}

#[test]
fn xoauth2_google_example_both_roles() {
    const GOOGLE: &str = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==";
    const GOOGLE_TOKEN: &str = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
    let creds = ClientCredentials::new("someuser@example.com").with_bearer_token(GOOGLE_TOKEN);
    let conn = ConnectionInfo::tls();
    let mut client = clients()
        .start("XOAUTH2", &["XOAUTH2"], creds, &conn)
        .expect("usable");
    let ClientStep::Respond(first) = client.start().expect("start") else {
        panic!()
    };
    assert_eq!(encode_base64(first.expose()), GOOGLE);

    let Ok(mut server) = servers(BearerServerConfig::new()).start("XOAUTH2", &conn) else {
        panic!()
    };
    let step = server
        .start_with(Some(&b64(GOOGLE)), &|r: Request| match r {
            Request::ValidateToken(ask) => {
                assert_eq!(ask.token(), GOOGLE_TOKEN);
                assert_eq!(ask.authzid(), Some("someuser@example.com"));
                ask.valid(TokenGrant::new("someuser@example.com"))
            }
            other => other.unavailable(),
        })
        .expect("no misuse");
    assert!(matches!(step, ServerStep::Success(ok) if ok.identity() == "someuser@example.com"));
}

#[test]
fn xoauth2_error_styles() {
    let conn = ConnectionInfo::tls();
    for (style, expected) in [
        (
            XOAuth2ErrorStyle::Google,
            &br#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#[..],
        ),
        (
            XOAuth2ErrorStyle::Dovecot,
            br#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#,
        ),
    ] {
        let config = BearerServerConfig::new()
            .with_scope("https://mail.google.com/")
            .with_xoauth2_style(style);
        let Ok(mut server) = servers(config).start("XOAUTH2", &conn) else {
            panic!()
        };
        let step = server
            .start_with(Some(b"user=a@b.c\x01auth=Bearer old\x01\x01"), &answer)
            .expect("no misuse");
        assert!(
            matches!(&step, ServerStep::Challenge(c) if c == expected),
            "{step:?}"
        );
        // XOAUTH2 clients answer with an empty line.
        let ServerStep::Failure(failure) = server.step(b"").expect("dummy") else {
            panic!()
        };
        assert_eq!(failure.reason().kind(), FailureKind::Expired);
        assert_eq!(failure.imap().line("a", "failed"), "a NO [EXPIRED] failed");
    }
}
