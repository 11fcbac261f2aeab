//! The failure shapes real servers send, replayed against the client: each must end
//! in a typed result the application can act on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use sasl_core::{
    ClientCredentials, ClientOutcome, ClientRegistry, ClientStep, ConnectionInfo, FailureKind,
    ServerReply,
};
use sasl_oauthbearer::{BearerClient, BearerMechanism, TokenAction, TokenFailure, TokenOrigin};

struct Shape {
    server: &'static str,
    mechanism: &'static str,
    /// The error challenge, if the server sends one.
    challenge: Option<&'static [u8]>,
    /// The final reply.
    reply: ServerReply,
    /// What the client must do with a cached token, and with a fresh one.
    cached: TokenAction,
    fresh: TokenAction,
    status: Option<&'static str>,
    scopes: &'static [&'static str],
}

fn imap(line: &str) -> ServerReply {
    ServerReply::from_imap("a1", line).expect("an IMAP status line")
}

fn smtp(reply: &str) -> ServerReply {
    ServerReply::from_smtp(reply).expect("an SMTP reply")
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            server: "Gmail, XOAUTH2 (measured: 400, not the documented 401)",
            mechanism: "XOAUTH2",
            challenge: Some(br#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#),
            reply: imap("a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: Some("400"),
            scopes: &["https://mail.google.com/"],
        },
        Shape {
            server: "Google's document, XOAUTH2 (401, trailing newline)",
            mechanism: "XOAUTH2",
            challenge: Some(b"{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}\n"),
            reply: imap("a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: Some("401"),
            scopes: &["https://mail.google.com/"],
        },
        Shape {
            server: "Gmail, OAUTHBEARER (invalid_request for a bad token, no openid-configuration)",
            mechanism: "OAUTHBEARER",
            challenge: Some(br#"{"status":"invalid_request","scope":"https://mail.google.com/"}"#),
            reply: imap("a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: Some("invalid_request"),
            scopes: &["https://mail.google.com/"],
        },
        Shape {
            server: "Dovecot, OAUTHBEARER",
            mechanism: "OAUTHBEARER",
            challenge: Some(br#"{"status":"invalid_token"}"#),
            reply: imap("a1 NO [AUTHENTICATIONFAILED] Authentication failed."),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: Some("invalid_token"),
            scopes: &[],
        },
        Shape {
            server: "Dovecot, XOAUTH2",
            mechanism: "XOAUTH2",
            challenge: Some(br#"{"status":"401","schemes":"bearer","scope":"mail"}"#),
            reply: imap("a1 NO [AUTHENTICATIONFAILED] Authentication failed."),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: Some("401"),
            scopes: &["mail"],
        },
        Shape {
            server: "Dovecot, XOAUTH2, disabled user (403)",
            mechanism: "XOAUTH2",
            challenge: Some(br#"{"status":"403","schemes":"bearer","scope":"mail"}"#),
            reply: imap("a1 NO [AUTHENTICATIONFAILED] Authentication failed."),
            cached: TokenAction::Reauthorize,
            fresh: TokenAction::Reauthorize,
            status: Some("403"),
            scopes: &["mail"],
        },
        Shape {
            server: "Microsoft 365, IMAP XOAUTH2: no challenge at all",
            mechanism: "XOAUTH2",
            challenge: None,
            reply: imap("a1 NO AUTHENTICATE failed."),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: None,
            scopes: &[],
        },
        Shape {
            server: "Microsoft 365, SMTP XOAUTH2",
            mechanism: "XOAUTH2",
            challenge: None,
            reply: smtp("535 5.7.3 Authentication unsuccessful [SN4PR0201CA0045.namprd02.prod.outlook.com]\r\n"),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: None,
            scopes: &[],
        },
        Shape {
            server: "a server sending plain text instead of JSON",
            mechanism: "OAUTHBEARER",
            challenge: Some(b"Invalid token, go away"),
            reply: imap("a1 NO Authentication failed"),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Reauthorize,
            status: None,
            scopes: &[],
        },
        Shape {
            server: "RFC 7628, insufficient scope with discovery",
            mechanism: "OAUTHBEARER",
            challenge: Some(br#"{"status":"insufficient_scope","scope":"mail offline_access","openid-configuration":"https://id.example.org/.well-known/openid-configuration"}"#),
            reply: imap("a1 NO [AUTHORIZATIONFAILED] scope"),
            cached: TokenAction::GiveUp,
            fresh: TokenAction::GiveUp,
            status: Some("insufficient_scope"),
            scopes: &["mail", "offline_access"],
        },
        Shape {
            server: "RFC 7628 with discovery, token expired",
            mechanism: "OAUTHBEARER",
            challenge: Some(br#"{"status":"invalid_token","openid-configuration":"https://id.example.org/.well-known/openid-configuration"}"#),
            reply: imap("a1 NO [EXPIRED] token expired"),
            cached: TokenAction::Refresh,
            fresh: TokenAction::Discover,
            status: Some("invalid_token"),
            scopes: &[],
        },
        Shape {
            server: "identity provider down (IMAP UNAVAILABLE)",
            mechanism: "OAUTHBEARER",
            challenge: None,
            reply: imap("a1 NO [UNAVAILABLE] Temporary authentication failure"),
            cached: TokenAction::RetryLater,
            fresh: TokenAction::RetryLater,
            status: None,
            scopes: &[],
        },
        Shape {
            server: "SMTP temporary failure",
            mechanism: "XOAUTH2",
            challenge: Some(br#"{"status":"400","schemes":"Bearer"}"#),
            reply: smtp("454 4.7.0 Temporary authentication failure\r\n"),
            cached: TokenAction::RetryLater,
            fresh: TokenAction::RetryLater,
            status: Some("400"),
            scopes: &[],
        },
    ]
}

fn registry() -> ClientRegistry {
    ClientRegistry::new()
        .with(BearerClient::factory(BearerMechanism::OAuthBearer))
        .with(BearerClient::factory(BearerMechanism::XOAuth2))
}

#[test]
fn every_shape_becomes_an_action() {
    for shape in shapes() {
        let creds = ClientCredentials::new("tim@example.org").with_bearer_token("ya29.old-token");
        let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
        let mut session = registry()
            .start(shape.mechanism, &[shape.mechanism], creds, &conn)
            .expect("usable");
        assert!(matches!(session.start(), Ok(ClientStep::Respond(_))));
        if let Some(challenge) = shape.challenge {
            let step = session.step(challenge).expect("no misuse");
            let ClientStep::Respond(dummy) = step else {
                panic!("{}: {step:?}", shape.server)
            };
            let expected: &[u8] = if shape.mechanism == "XOAUTH2" {
                b""
            } else {
                b"\x01"
            };
            assert_eq!(dummy.expose(), expected, "{}", shape.server);
        }
        let outcome = session.finish(shape.reply.clone()).expect("finish");
        let ClientOutcome::Failure(failure) = outcome else {
            panic!("{}: must fail", shape.server)
        };
        let cached = TokenFailure::assess(&failure, TokenOrigin::Cached);
        let fresh = TokenFailure::assess(&failure, TokenOrigin::Fresh);
        assert_eq!(cached.action(), shape.cached, "{} (cached)", shape.server);
        assert_eq!(fresh.action(), shape.fresh, "{} (fresh)", shape.server);
        assert_eq!(cached.status(), shape.status, "{}", shape.server);
        assert_eq!(cached.scopes(), shape.scopes, "{}", shape.server);
    }
}

#[test]
fn plain_text_challenge_is_kept_for_the_user() {
    let creds = ClientCredentials::new("tim@example.org").with_bearer_token("t");
    let mut session = registry()
        .start(
            "OAUTHBEARER",
            &["OAUTHBEARER"],
            creds,
            &ConnectionInfo::tls(),
        )
        .expect("usable");
    assert!(session.start().is_ok());
    assert!(session.step(b"  Invalid token, go away\r\n").is_ok());
    let Ok(ClientOutcome::Failure(failure)) = session.finish(imap("a1 NO failed")) else {
        panic!()
    };
    assert_eq!(failure.server_error(), Some("Invalid token, go away"));
    assert_eq!(failure.reason().kind(), FailureKind::Rejected);
}

#[test]
fn a_second_challenge_aborts() {
    let creds = ClientCredentials::new("tim@example.org").with_bearer_token("t");
    let mut session = registry()
        .start("XOAUTH2", &["XOAUTH2"], creds, &ConnectionInfo::tls())
        .expect("usable");
    assert!(session.start().is_ok());
    assert!(matches!(session.step(b"{}"), Ok(ClientStep::Respond(_))));
    let step = session.step(b"{}").expect("no misuse");
    assert!(
        matches!(&step, ClientStep::Abort(f) if f.reason().kind() == FailureKind::Protocol),
        "{step:?}"
    );
}

#[test]
fn success_after_an_error_challenge_is_not_believed() {
    let creds = ClientCredentials::new("tim@example.org").with_bearer_token("t");
    let mut session = registry()
        .start(
            "OAUTHBEARER",
            &["OAUTHBEARER"],
            creds,
            &ConnectionInfo::tls(),
        )
        .expect("usable");
    assert!(session.start().is_ok());
    assert!(session.step(br#"{"status":"invalid_token"}"#).is_ok());
    let outcome = session.finish(ServerReply::success()).expect("finish");
    assert!(
        matches!(&outcome, ClientOutcome::Failure(f) if f.reason().kind() == FailureKind::Protocol),
        "{outcome:?}"
    );
}
