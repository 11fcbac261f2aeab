//! OAUTHBEARER and XOAUTH2 with independent clients logging into our server through
//! the shared loopback IMAP front end (`sasl_test::imap`): curl (`--oauth2-bearer`,
//! Debian's curl 7.88) and Python's `imaplib` (XOAUTH2). Tokens are the PyJWT
//! fixtures (tests/data/jwt), validated by the built-in JWT validator at the
//! fixtures' time.
//!
//! Without curl or python3 each test prints `SKIPPED` and passes, unless
//! `SASL_REQUIRE_PEERS=1` (CI), where it fails.
//!
//! What curl 7.88 does: with both mechanisms advertised it picks OAUTHBEARER, sends it
//! with SASL-IR as `n,a=<user>,^Ahost=<URL host>^Aport=<URL port>^Aauth=Bearer
//! <token>^A^A`, answers an error challenge with `AQ==` (the `\x01` dummy), and exits
//! 67 after `NO`. With only XOAUTH2 advertised it sends `user=..^Aauth=Bearer ..^A^A`,
//! and on an error challenge closes the connection (exit 67) without the empty dummy
//! response.
#![cfg(feature = "jwt")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use sasl_core::{ConnectionInfo, FailureKind, Request, ServerRegistry};
use sasl_oauthbearer::{
    BearerMechanism, BearerServer, BearerServerConfig, JwsAlgorithm, JwtConfig, JwtValidator,
};
use sasl_test::imap::{ImapFrontEnd, RunningServer};
use sasl_test::peers::{self, PeerError, PeerExit};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{JWKS, now, token};

/// A front end offering `mechanisms`, validating with the fixtures' JWKS at their time.
fn front_end(mechanisms: &[BearerMechanism], connections: usize) -> RunningServer {
    let config = BearerServerConfig::new()
        .with_scope("mail")
        .with_openid_configuration("https://issuer.example/.well-known/openid-configuration")
        .unwrap();
    let mut registry = ServerRegistry::new();
    for m in mechanisms {
        registry = registry.with(BearerServer::factory(*m, config.clone()));
    }
    let validator = Arc::new(
        JwtValidator::new(
            JWKS,
            JwtConfig::new(
                [
                    JwsAlgorithm::RS256,
                    JwsAlgorithm::ES256,
                    JwsAlgorithm::EdDSA,
                ],
                "https://issuer.example",
                ["imap.example.com"],
            ),
        )
        .unwrap(),
    );
    // Loopback has no TLS; bearer tokens are allowed on it for the test.
    let connection = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
    ImapFrontEnd::new(registry, connection)
        .with_server_name("127.0.0.1")
        .with_now(now())
        .with_connections(connections)
        .with_answers(move |request| match request {
            Request::ValidateToken(ask) => validator.answer(*ask),
            other => other.unavailable(),
        })
        .spawn()
        .unwrap()
}

fn curl(program: &Path, server: &RunningServer, token: &str) -> PeerExit {
    let exit = peers::run_to_exit(
        Command::new(program)
            .args(["--silent", "--show-error", "--max-time", "20"])
            .args(["--oauth2-bearer", token, "--user", "alice:"])
            .arg(server.url()),
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(!exit.timed_out, "{exit:?}");
    exit
}

#[test]
fn curl_oauthbearer_logs_in_and_is_refused_precisely() -> Result<(), PeerError> {
    let Some(program) = peers::require_curl()? else {
        return Ok(());
    };
    let server = front_end(&[BearerMechanism::XOAuth2, BearerMechanism::OAuthBearer], 2);
    let port = server.port();
    let good = token("rs256");
    let ok = curl(&program, &server, &good);
    let expired = curl(&program, &server, &token("expired"));
    let log = server.finish();
    assert!(ok.success(), "{ok:?}\n{log}");
    assert_eq!(expired.code, Some(67), "login denied: {expired:?}\n{log}");

    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 2, "{log}");
    assert_eq!(auths[0].mechanism, "OAUTHBEARER", "{log}");
    assert!(auths[0].initial_response, "{log}");
    // curl's message passes our strict parser, host/port checks included.
    let expected =
        format!("n,a=alice,\x01host=127.0.0.1\x01port={port}\x01auth=Bearer {good}\x01\x01");
    assert_eq!(auths[0].client_messages, [expected.into_bytes()], "{log}");
    assert_eq!(auths[0].success().unwrap().identity(), "alice");

    // The expired token: error challenge (RFC 7628 JSON), curl's \x01, then NO [EXPIRED]
    // with the validator's reason.
    let refused = auths[1];
    assert_eq!(
        refused.server_challenges,
        [br#"{"status":"invalid_token","scope":"mail","openid-configuration":"https://issuer.example/.well-known/openid-configuration"}"#.to_vec()],
        "{log}"
    );
    assert_eq!(
        refused.client_messages.last().map(Vec::as_slice),
        Some(&b"\x01"[..]),
        "{log}"
    );
    let failure = refused.failure().unwrap();
    assert_eq!(failure.reason().kind(), FailureKind::Expired);
    assert_eq!(failure.reason().detail(), "token expired");
    assert!(
        refused.reply.as_deref().unwrap().contains(" NO [EXPIRED] "),
        "{log}"
    );
    Ok(())
}

#[test]
fn curl_xoauth2_when_it_is_all_there_is() -> Result<(), PeerError> {
    let Some(program) = peers::require_curl()? else {
        return Ok(());
    };
    let server = front_end(&[BearerMechanism::XOAuth2], 2);
    let good = token("eddsa");
    let ok = curl(&program, &server, &good);
    let forged = curl(&program, &server, &token("flipped-sig-byte"));
    let log = server.finish();
    assert!(ok.success(), "{ok:?}\n{log}");
    assert_eq!(forged.code, Some(67), "{forged:?}\n{log}");
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths[0].mechanism, "XOAUTH2", "{log}");
    assert_eq!(
        auths[0].client_messages,
        [format!("user=alice\x01auth=Bearer {good}\x01\x01").into_bytes()],
        "{log}"
    );
    assert_eq!(auths[0].success().unwrap().identity(), "alice");
    // Google-style error JSON. curl 7.88 then closes the connection instead of
    // sending XOAUTH2's empty dummy response: the exchange stays unfinished, and no
    // one is logged in.
    assert_eq!(
        auths[1].server_challenges,
        [br#"{"status":"400","schemes":"Bearer","scope":"mail"}"#.to_vec()],
        "{log}"
    );
    assert!(!auths[1].succeeded(), "{log}");
    assert!(
        matches!(
            auths[1].outcome,
            sasl_test::imap::AuthOutcome::Incomplete(_)
        ) || auths[1].failure().is_some(),
        "{log}"
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn imaplib_xoauth2() -> Result<(), PeerError> {
    let Some(python) = peers::require_imaplib()? else {
        return Ok(());
    };
    let server = front_end(&[BearerMechanism::OAuthBearer, BearerMechanism::XOAuth2], 3);
    let run = |message: String| {
        let hex = hex(message.as_bytes());
        let args = ["--mech", "XOAUTH2", "--response-hex", &hex];
        let exit = peers::run_imaplib(&python, server.port(), &args).unwrap();
        assert!(!exit.timed_out, "{exit:?}");
        exit
    };
    let ok = run(format!(
        "user=alice\x01auth=Bearer {}\x01\x01",
        token("es256")
    ));
    let wrong_user = run(format!(
        "user=bob\x01auth=Bearer {}\x01\x01",
        token("es256")
    ));
    let wrong_aud = run(format!(
        "user=alice\x01auth=Bearer {}\x01\x01",
        token("wrong-aud")
    ));
    let log = server.finish();
    assert!(ok.success(), "{ok:?}\n{log}");
    assert_eq!(wrong_user.code, Some(1), "NO: {wrong_user:?}\n{log}");
    assert_eq!(wrong_aud.code, Some(1), "NO: {wrong_aud:?}\n{log}");
    // imaplib saw our error challenge (and answered it with an empty response).
    let challenge = hex(br#"{"status":"400","schemes":"Bearer","scope":"mail"}"#);
    assert!(
        wrong_aud
            .stdout
            .iter()
            .any(|l| l == &format!("CHALLENGE {challenge}")),
        "{wrong_aud:?}"
    );
    let auths: Vec<_> = log.authentications().collect();
    assert_eq!(auths.len(), 3, "{log}");
    assert!(
        !auths[0].initial_response,
        "imaplib sends no initial response\n{log}"
    );
    assert_eq!(auths[0].success().unwrap().identity(), "alice");
    assert_eq!(
        auths[1].failure_kind(),
        Some(FailureKind::AuthorizationDenied),
        "{log}"
    );
    assert!(
        auths[1]
            .reply
            .as_deref()
            .unwrap()
            .contains("[AUTHORIZATIONFAILED]"),
        "{log}"
    );
    assert_eq!(
        auths[2].failure().unwrap().reason().detail(),
        "wrong audience",
        "{log}"
    );
    Ok(())
}
