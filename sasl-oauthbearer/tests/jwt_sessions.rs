//! The built-in JWT validator answering real sessions: PyJWT-minted tokens
//! (tests/data/jwt) over OAUTHBEARER and XOAUTH2, with the precise local reason and
//! the IMAP/SMTP reply each failure maps to.
#![cfg(feature = "jwt")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use sasl_core::{ConnectionInfo, FailureKind, MechanismData, Request, ServerRegistry, ServerStep};
use sasl_oauthbearer::{
    BearerMechanism, BearerServer, BearerServerConfig, JwsAlgorithm, JwtConfig, JwtValidator,
};
use serde_json::Value;

mod common;

use common::{JWKS, now, token as case};

fn validator() -> JwtValidator {
    let config = JwtConfig::new(
        [
            JwsAlgorithm::RS256,
            JwsAlgorithm::PS256,
            JwsAlgorithm::ES256,
            JwsAlgorithm::ES384,
            JwsAlgorithm::EdDSA,
        ],
        "https://issuer.example",
        ["imap.example.com"],
    );
    JwtValidator::new(JWKS, config).unwrap()
}

/// Runs one exchange; returns the success identity, or the failure's kind, detail,
/// IMAP line and SMTP line (after the dummy response).
fn login(
    mech: BearerMechanism,
    message: &[u8],
    set_now: bool,
) -> Result<String, (FailureKind, String, String, String)> {
    let v = validator();
    let mechs = ServerRegistry::new().with(BearerServer::factory(
        mech,
        BearerServerConfig::new().with_scope("mail"),
    ));
    let Ok(mut s) = mechs.start(mech.name().as_str(), &ConnectionInfo::tls()) else {
        panic!("offered")
    };
    if set_now {
        s.set_now(now());
    }
    let answer = |r: Request| match r {
        Request::ValidateToken(ask) => v.answer(*ask),
        other => other.unavailable(),
    };
    let mut step = s.start_with(Some(message), &answer).unwrap();
    if let ServerStep::Challenge(c) = &step {
        let json: Value = serde_json::from_slice(c).expect("error challenge is JSON");
        assert!(json["status"].is_string());
        step = s
            .step(if mech == BearerMechanism::OAuthBearer {
                b"\x01"
            } else {
                b""
            })
            .unwrap();
    }
    match step {
        ServerStep::Success(ok) => {
            assert!(
                matches!(ok.mechanism_data(), Some(MechanismData::Token(g)) if g.issuer() == Some("https://issuer.example"))
            );
            Ok(ok.identity().to_owned())
        }
        ServerStep::Failure(f) => Err((
            f.reason().kind(),
            f.reason().detail().to_owned(),
            f.imap().line("a1", "failed"),
            f.smtp().line(),
        )),
        other => panic!("{other:?}"),
    }
}

fn oauthbearer(authzid: &str, token: &str) -> Vec<u8> {
    format!("n,{authzid},\x01auth=Bearer {token}\x01\x01").into_bytes()
}

#[test]
fn valid_tokens_log_in_as_their_subject() {
    for name in ["rs256", "ps256", "es256", "es384", "eddsa"] {
        let token = case(name);
        assert_eq!(
            login(BearerMechanism::OAuthBearer, &oauthbearer("", &token), true),
            Ok("alice".to_owned()),
            "{name}"
        );
        assert_eq!(
            login(
                BearerMechanism::OAuthBearer,
                &oauthbearer("a=alice", &token),
                true
            ),
            Ok("alice".to_owned()),
            "{name}"
        );
        let x = format!("user=alice\x01auth=Bearer {token}\x01\x01");
        assert_eq!(
            login(BearerMechanism::XOAuth2, x.as_bytes(), true),
            Ok("alice".to_owned()),
            "{name}"
        );
    }
}

#[test]
fn failures_carry_the_precise_reason() {
    let cases = [
        (
            "expired",
            FailureKind::Expired,
            "token expired",
            "a1 NO [EXPIRED] failed",
        ),
        (
            "not-yet-valid",
            FailureKind::InvalidCredentials,
            "token not yet valid",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "future-iat",
            FailureKind::InvalidCredentials,
            "token issued in the future",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "wrong-iss",
            FailureKind::InvalidCredentials,
            "wrong issuer",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "wrong-aud",
            FailureKind::InvalidCredentials,
            "wrong audience",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "missing-exp",
            FailureKind::InvalidCredentials,
            "required claim missing",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "flipped-sig-byte",
            FailureKind::InvalidCredentials,
            "bad signature",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "unknown-kid",
            FailureKind::InvalidCredentials,
            "unknown signing key",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "alg-none",
            FailureKind::InvalidCredentials,
            "algorithm not allowed",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
        (
            "es256-kid-rsa",
            FailureKind::InvalidCredentials,
            "key does not fit the algorithm",
            "a1 NO [AUTHENTICATIONFAILED] failed",
        ),
    ];
    for (name, kind, detail, imap) in cases {
        let got = login(
            BearerMechanism::OAuthBearer,
            &oauthbearer("", &case(name)),
            true,
        );
        let Err((k, d, i, smtp)) = got else {
            panic!("{name} logged in")
        };
        assert_eq!((k, i.as_str()), (kind, imap), "{name}");
        assert_eq!(d, detail, "{name}");
        assert!(
            smtp.starts_with("535 ") || smtp.starts_with("454 "),
            "{name}: {smtp}"
        );
    }
    // Truncated: the token no longer even has three parts.
    let token = case("rs256");
    let cut = token.get(..token.len() / 2).unwrap();
    let Err((k, _, _, _)) = login(BearerMechanism::OAuthBearer, &oauthbearer("", cut), true) else {
        panic!()
    };
    assert_eq!(k, FailureKind::InvalidCredentials);
}

#[test]
fn identity_mismatch_and_missing_time() {
    // The token is alice's; claiming bob is refused (the application did not allow it).
    let token = case("rs256");
    let Err((k, _, imap, _)) = login(
        BearerMechanism::OAuthBearer,
        &oauthbearer("a=bob", &token),
        true,
    ) else {
        panic!("bob must not log in with alice's token")
    };
    assert_eq!(
        (k, imap.as_str()),
        (
            FailureKind::AuthorizationDenied,
            "a1 NO [AUTHORIZATIONFAILED] failed"
        )
    );
    let x = format!("user=bob\x01auth=Bearer {token}\x01\x01");
    assert!(matches!(
        login(BearerMechanism::XOAuth2, x.as_bytes(), true),
        Err((FailureKind::AuthorizationDenied, ..))
    ));
    // Without the time, no expiry can be checked: fail closed, locally.
    let Err((k, _, imap, smtp)) = login(
        BearerMechanism::OAuthBearer,
        &oauthbearer("", &token),
        false,
    ) else {
        panic!("no time, no login")
    };
    assert_eq!(k, FailureKind::Internal);
    assert_eq!(imap, "a1 NO [SERVERBUG] failed");
    assert!(smtp.starts_with("454 "), "{smtp}");
}
