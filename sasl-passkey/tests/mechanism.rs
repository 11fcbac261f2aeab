//! PASSKEY through the sasl-core sessions: both codecs, both flows, authzid, the
//! error protocol, expiry, and arbitrary input. The authenticator is the test signer
//! of tests/common (our SoftwareAuthenticator and independent ones are tested in
//! their own files).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::{CRED_ID, ORIGIN, RP_ID, Signer, UP, USER_HANDLE, UV, auth_data, client_data};
use proptest::prelude::*;
use sasl_core::{
    Answer, ClientCredentials, ClientOutcome, ClientRegistry, ClientRequest, ClientSession,
    ClientStep, ConnectionInfo, FailureKind, MechanismData, PasskeyAccount, PasskeyAssertion,
    PasskeyCredential, PasskeyLookupKey, Request, ServerRegistry, ServerReply, ServerSession,
    ServerStep, UnixTime, UserVerification,
};
use sasl_passkey::webauthn::RelyingParty;
use sasl_passkey::{Codec, PasskeyClient, PasskeyServer, PasskeyServerConfig};

const NOW: u64 = 1_767_225_600;

struct Fixture {
    signer: Signer,
    account: PasskeyAccount,
}

impl Fixture {
    fn new() -> Self {
        let signer = Signer::es256();
        let credential = PasskeyCredential::new(CRED_ID.to_vec(), signer.cose(), 7);
        let account = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![credential]);
        Self { signer, account }
    }

    /// The application's store: alice by name or by credential; `shared` may be used
    /// by alice.
    fn answer(&self, request: Request) -> Answer {
        match request {
            Request::PasskeyLookup(r) => {
                let ours = match r.key() {
                    PasskeyLookupKey::User(u) => u == "alice",
                    PasskeyLookupKey::Credential { id, .. } => id == CRED_ID,
                };
                if !ours {
                    r.not_found()
                } else if r.authzid() == Some("shared") {
                    r.found_with_authzid(self.account.clone())
                } else {
                    r.found(self.account.clone())
                }
            }
            other => other.unavailable(),
        }
    }

    /// The authenticator: signs whatever options it is given, for `origin`.
    fn sign(&self, rp_id: &str, challenge: &[u8], origin: &str, count: u32) -> PasskeyAssertion {
        let ad = auth_data(rp_id, UP | UV, count, &[]);
        let cd = client_data("webauthn.get", challenge, origin, "");
        PasskeyAssertion {
            credential_id: CRED_ID.to_vec(),
            signature: self.signer.sign_webauthn(&ad, &cd),
            authenticator_data: ad,
            client_data_json: cd,
            user_handle: Some(USER_HANDLE.to_vec()),
        }
    }
}

fn config(codec: Codec) -> PasskeyServerConfig {
    let rp = RelyingParty::new(RP_ID, [ORIGIN]).with_user_verification(UserVerification::Required);
    PasskeyServerConfig::new(rp)
        .unwrap()
        .with_codec(codec)
        .with_failure_message("Passkey not accepted; see https://example.com/help")
        .with_secret([7; 32])
}

fn server(codec: Codec) -> ServerSession {
    let mechs = ServerRegistry::new().with(PasskeyServer::factory(config(codec)));
    let mut s = mechs.start("PASSKEY", &ConnectionInfo::tls()).unwrap();
    s.set_now(UnixTime::from_secs(NOW));
    s
}

fn client(user: &str, authzid: Option<&str>) -> ClientSession {
    client_at("imap.example.com", user, authzid)
}

fn client_at(host: &str, user: &str, authzid: Option<&str>) -> ClientSession {
    let mut creds = ClientCredentials::new(user).with_passkey();
    if let Some(z) = authzid {
        creds = creds.with_authzid(z);
    }
    let conn = ConnectionInfo::tls().with_server(host, 993);
    ClientRegistry::new()
        .with(PasskeyClient::factory())
        .start_best(&["PASSKEY"], creds, &conn)
        .unwrap()
}

/// Runs a whole exchange; `origin` is where the authenticator thinks it is.
fn run(
    fx: &Fixture,
    codec: Codec,
    user: &str,
    authzid: Option<&str>,
    origin: &str,
) -> (ServerStep, ClientOutcome, Vec<Vec<u8>>) {
    let mut s = server(codec);
    let mut c = client(user, authzid);
    let mut seen = Vec::new();
    let ClientStep::Respond(first) = c.start().unwrap() else {
        panic!("client-first")
    };
    let mut step = s
        .start_with(Some(first.expose()), &|r| fx.answer(r))
        .unwrap();
    loop {
        match step {
            ServerStep::Challenge(ch) => {
                seen.push(ch.clone());
                let mut cs = c.step(&ch).unwrap();
                if let ClientStep::Request(ClientRequest::PasskeyAssertion(req)) = cs {
                    let a = fx.sign(req.rp_id(), req.challenge(), origin, 8);
                    cs = c.provide(req.provide(a)).unwrap();
                }
                let ClientStep::Respond(r) = cs else {
                    panic!("{cs:?}")
                };
                step = s.step_with(r.expose(), &|r| fx.answer(r)).unwrap();
            }
            ServerStep::Success(_) => {
                let out = c.finish(ServerReply::success()).unwrap();
                return (step, out, seen);
            }
            ServerStep::Failure(ref f) => {
                let line = f.imap().line("a1", "failed");
                let out = c
                    .finish(ServerReply::from_imap("a1", &line).unwrap())
                    .unwrap();
                return (step, out, seen);
            }
            ServerStep::Request(_) => unreachable_in_test(),
        }
    }
}

fn unreachable_in_test() -> ! {
    panic!("requests are answered by step_with")
}

#[test]
fn config_reports_what_it_was_given() {
    for codec in [Codec::Json, Codec::Cbor] {
        let c = config(codec);
        assert_eq!(c.codec(), codec);
        assert_eq!(c.relying_party().rp_id(), RP_ID);
    }
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    assert_eq!(PasskeyServerConfig::new(rp).unwrap().codec(), Codec::Json);
}

#[test]
fn both_codecs_both_flows_log_in() {
    let fx = Fixture::new();
    for codec in [Codec::Json, Codec::Cbor] {
        for user in ["alice", ""] {
            let (step, out, seen) = run(&fx, codec, user, None, ORIGIN);
            let ServerStep::Success(ok) = step else {
                panic!("{codec:?} {user:?}: {step:?}")
            };
            assert_eq!(ok.identity(), "alice");
            assert!(out.is_authenticated());
            let Some(MechanismData::Passkey(used)) = ok.mechanism_data() else {
                panic!()
            };
            assert_eq!(
                (used.credential_id.as_slice(), used.sign_count),
                (CRED_ID, 8)
            );
            // The challenge is in the configured codec and lists alice's credential
            // only when she was named.
            assert_eq!(Codec::detect(&seen[0]), Some(codec));
            let (_, options) = sasl_passkey::codec::RequestOptions::decode(&seen[0]).unwrap();
            assert_eq!(options.rp_id, RP_ID);
            assert_eq!(options.challenge.len(), 32);
            assert_eq!(options.user_verification, UserVerification::Required);
            assert_eq!(options.allow_credentials.is_empty(), user.is_empty());
        }
    }
}

#[test]
fn authzid_needs_the_applications_grant() {
    let fx = Fixture::new();
    let (step, _, _) = run(&fx, Codec::Json, "alice", Some("shared"), ORIGIN);
    assert!(
        matches!(&step, ServerStep::Success(ok) if ok.identity() == "shared" && ok.authcid() == "alice")
    );
    // Naming herself as authzid needs no grant, and the success carries no authzid.
    let (step, _, _) = run(&fx, Codec::Json, "alice", Some("alice"), ORIGIN);
    assert!(
        matches!(&step, ServerStep::Success(ok) if ok.identity() == "alice" && ok.authzid().is_none()),
        "{step:?}"
    );
    let (step, out, _) = run(&fx, Codec::Json, "", Some("boss"), ORIGIN);
    let ServerStep::Failure(f) = step else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::AuthorizationDenied);
    // The client saw the configured message, not the reason.
    let ClientOutcome::Failure(cf) = out else {
        panic!()
    };
    assert_eq!(
        cf.server_error(),
        Some("Passkey not accepted; see https://example.com/help")
    );
}

#[test]
fn failures_keep_their_reason_and_look_alike() {
    let fx = Fixture::new();
    // Wrong origin (a phishing site relayed the challenge).
    let (step, _, seen) = run(&fx, Codec::Json, "alice", None, "https://evil.example");
    let ServerStep::Failure(f) = step else {
        panic!()
    };
    assert_eq!(
        f.reason().detail(),
        sasl_passkey::webauthn::AssertionError::OriginNotAllowed.detail()
    );
    assert_eq!(
        seen.last().unwrap(),
        b"e=other-error,m=Passkey not accepted; see https://example.com/help"
    );
    // An unknown user gets a challenge shaped like a known one's, then the same error.
    let (step, _, seen) = run(&fx, Codec::Json, "mallory", None, ORIGIN);
    let ServerStep::Failure(f) = step else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::UnknownUser);
    let (_, options) = sasl_passkey::codec::RequestOptions::decode(&seen[0]).unwrap();
    assert_eq!(options.allow_credentials.len(), 1);
    assert_eq!(options.allow_credentials[0].len(), 32);
    let (_, again) = {
        let (_, _, seen2) = run(&fx, Codec::Json, "mallory", None, ORIGIN);
        sasl_passkey::codec::RequestOptions::decode(&seen2[0]).unwrap()
    };
    assert_eq!(
        again.allow_credentials, options.allow_credentials,
        "stable fake ids"
    );
    assert_eq!(f.imap().line("a", "x"), "a NO [AUTHENTICATIONFAILED] x");
}

#[test]
fn the_application_can_say_why_and_what_to_do() {
    let fx = Fixture::new();
    let mut s = server(Codec::Json);
    let locked = |r: Request| match r {
        Request::PasskeyLookup(q) => q.reject_with_message(
            FailureKind::AccountDisabled,
            "Your account is locked; contact support@example.com",
        ),
        other => other.unavailable(),
    };
    let _ = &fx;
    let step = s.start_with(Some(b"alice"), &locked).unwrap();
    assert!(
        matches!(&step, ServerStep::Challenge(e) if e == b"e=other-error,m=Your account is locked; contact support@example.com")
    );
    let ServerStep::Failure(f) = s.step(b"").unwrap() else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::AccountDisabled);
}

/// The client's signed answer to challenge `ch`, signed as if at `origin`.
fn assertion_for(fx: &Fixture, c: &mut ClientSession, ch: &[u8], origin: &str) -> Vec<u8> {
    let Ok(ClientStep::Request(ClientRequest::PasskeyAssertion(req))) = c.step(ch) else {
        panic!("an assertion request")
    };
    let a = fx.sign(req.rp_id(), req.challenge(), origin, 8);
    let ClientStep::Respond(r) = c.provide(req.provide(a)).unwrap() else {
        panic!("the signed response")
    };
    r.expose().to_vec()
}

/// Runs `c` against `s` (lookups answered by the fixture) up to the client's signed
/// answer, and returns it.
fn signed_response(fx: &Fixture, s: &mut ServerSession, c: &mut ClientSession) -> Vec<u8> {
    let ClientStep::Respond(first) = c.start().unwrap() else {
        panic!("client-first")
    };
    let ServerStep::Challenge(ch) = s
        .start_with(Some(first.expose()), &|r| fx.answer(r))
        .unwrap()
    else {
        panic!("the challenge")
    };
    assertion_for(fx, c, &ch, ORIGIN)
}

/// The server session after the client's answer to the challenge, `elapsed` seconds
/// after the challenge went out.
fn answer_after(fx: &Fixture, elapsed: u64) -> ServerStep {
    let mut s = server(Codec::Json);
    let mut c = client("alice", None);
    let r = signed_response(fx, &mut s, &mut c);
    s.set_now(UnixTime::from_secs(NOW + elapsed));
    let step = s.step(&r).unwrap();
    if matches!(step, ServerStep::Challenge(ref e) if e.starts_with(b"e=other-error,")) {
        return s.step(b"").unwrap();
    }
    step
}

#[test]
fn challenge_expires_and_time_is_required() {
    let fx = Fixture::new();
    // The timeout is 60 s: an answer at 60 s is in time, one at 61 s is not.
    assert!(matches!(answer_after(&fx, 60), ServerStep::Success(_)));
    let ServerStep::Failure(f) = answer_after(&fx, 61) else {
        panic!()
    };
    assert_eq!(
        (f.reason().kind(), f.reason().detail()),
        (FailureKind::Expired, "challenge expired")
    );

    // No time given: fail closed before any challenge.
    let mechs = ServerRegistry::new().with(PasskeyServer::factory(config(Codec::Json)));
    let mut s = mechs.start("PASSKEY", &ConnectionInfo::tls()).unwrap();
    let step = s.start(Some(b"")).unwrap();
    assert!(matches!(step, ServerStep::Failure(f) if f.reason().kind() == FailureKind::Internal));
}

#[test]
fn the_client_refuses_a_foreign_relying_party() {
    // A mail server at imap.example.com asking for a bank's passkey.
    let mut c = client("alice", None);
    assert!(c.start().is_ok());
    let options = sasl_passkey::codec::RequestOptions {
        rp_id: "bank.example".into(),
        challenge: vec![1; 32],
        timeout_ms: Some(60_000),
        allow_credentials: vec![],
        user_verification: UserVerification::Preferred,
    };
    let step = c.step(&options.encode(Codec::Json)).unwrap();
    assert!(
        matches!(&step, ClientStep::Abort(f) if f.reason().kind() == FailureKind::Protocol),
        "{step:?}"
    );
    // Its own domain is fine.
    let mut c = client("alice", None);
    assert!(c.start().is_ok());
    let ok = sasl_passkey::codec::RequestOptions {
        rp_id: "example.com".into(),
        ..options
    };
    assert!(matches!(
        c.step(&ok.encode(Codec::Cbor)),
        Ok(ClientStep::Request(_))
    ));
}

#[test]
fn the_host_itself_fits_even_as_one_label_but_no_bare_suffix_does() {
    let options = |rp_id: &str| sasl_passkey::codec::RequestOptions {
        rp_id: rp_id.into(),
        challenge: vec![1; 32],
        timeout_ms: Some(60_000),
        allow_credentials: vec![],
        user_verification: UserVerification::Preferred,
    };
    let outcome = |host: &str, rp_id: &str| {
        let mut c = client_at(host, "alice", None);
        assert!(c.start().is_ok());
        c.step(&options(rp_id).encode(Codec::Json)).unwrap()
    };
    // A server on localhost may ask for the localhost RP ID (browsers allow it too).
    assert!(matches!(
        outcome("localhost", "localhost"),
        ClientStep::Request(_)
    ));
    assert!(matches!(
        outcome("LocalHost", "localhost"),
        ClientStep::Request(_)
    ));
    // A suffix without a dot is never an RP ID a server may claim.
    for (host, rp_id) in [("mail.localhost", "localhost"), ("imap.example.com", "com")] {
        let step = outcome(host, rp_id);
        assert!(
            matches!(&step, ClientStep::Abort(f) if f.reason().kind() == FailureKind::Protocol),
            "{host} asking for {rp_id}: {step:?}"
        );
    }
}

#[test]
fn cancel_after_the_error_keeps_the_reason() {
    let fx = Fixture::new();
    let mut s = server(Codec::Cbor);
    let step = s.start_with(Some(b"alice\x01"), &|r| fx.answer(r)).unwrap();
    assert!(
        matches!(step, ServerStep::Challenge(ref e) if e.starts_with(b"e=invalid-username-encoding,"))
    );
    let ServerStep::Failure(f) = s.cancel().unwrap() else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::Malformed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Arbitrary bytes at every step never panic and never authenticate.
    #[test]
    fn arbitrary_server_input(
        first in proptest::collection::vec(any::<u8>(), 0..64),
        rest in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..3),
        cbor in any::<bool>(),
    ) {
        let fx = Fixture::new();
        let mut s = server(if cbor { Codec::Cbor } else { Codec::Json });
        let mut step = s.start_with(Some(&first), &|r| fx.answer(r));
        for r in &rest {
            match &step {
                Ok(ServerStep::Challenge(_)) => step = s.step_with(r, &|q| fx.answer(q)),
                _ => break,
            }
        }
        prop_assert!(!matches!(step, Ok(ServerStep::Success(_))));
    }

    /// Arbitrary challenges never panic the client.
    #[test]
    fn arbitrary_client_input(challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..3)) {
        let mut c = client("alice", None);
        prop_assert!(c.start().is_ok());
        for ch in &challenges {
            match c.step(ch) {
                Ok(ClientStep::Respond(_)) => {}
                _ => break,
            }
        }
    }
}

/// Every refusal the application can give to either lookup (by user name, or by
/// credential in the discoverable flow) ends the way it says: a store that is down
/// fails at once, a refusal goes through the error message first, with the
/// application's own text when it gave one.
#[test]
fn every_lookup_refusal_ends_as_the_application_said() {
    let fx = Fixture::new();
    type Refusal = fn(sasl_core::PasskeyLookup) -> Answer;
    let refusals: [(Refusal, bool, FailureKind, &str, &[u8]); 4] = [
        (
            |r| r.reject(FailureKind::Temporary),
            false,
            FailureKind::Temporary,
            "passkey store unavailable",
            b"",
        ),
        (
            |r| r.reject(FailureKind::Internal),
            false,
            FailureKind::Internal,
            "passkey store unavailable",
            b"",
        ),
        (
            |r| r.reject(FailureKind::AccountDisabled),
            true,
            FailureKind::AccountDisabled,
            "login refused by the application",
            b"e=other-error,m=Passkey not accepted; see https://example.com/help",
        ),
        (
            |r| {
                r.reject_with_message(
                    FailureKind::AccountDisabled,
                    "Account locked; call the help desk",
                )
            },
            true,
            FailureKind::AccountDisabled,
            "login refused by the application",
            b"e=other-error,m=Account locked; call the help desk",
        ),
    ];
    let lookup = |r: Request, refuse: Refusal| match r {
        Request::PasskeyLookup(r) => refuse(r),
        other => other.unavailable(),
    };
    for (user, flow) in [("alice", "by user"), ("", "by credential")] {
        for (refuse, via_error, kind, detail, error) in refusals {
            let mut s = server(Codec::Json);
            let mut c = client(user, None);
            let ClientStep::Respond(first) = c.start().unwrap() else {
                panic!()
            };
            let mut step = s
                .start_with(Some(first.expose()), &|r| lookup(r, refuse))
                .unwrap();
            if user.is_empty() {
                // The discoverable flow looks up the credential after the assertion.
                let ServerStep::Challenge(ch) = step else {
                    panic!("{flow}: {step:?}")
                };
                let r = assertion_for(&fx, &mut c, &ch, ORIGIN);
                step = s.step_with(&r, &|r| lookup(r, refuse)).unwrap();
            }
            if via_error {
                let ServerStep::Challenge(e) = step else {
                    panic!("{flow}: {step:?}")
                };
                assert_eq!(e, error, "{flow}");
                step = s.step(b"").unwrap();
            }
            let ServerStep::Failure(f) = step else {
                panic!("{flow}: {step:?}")
            };
            assert_eq!(
                (f.reason().kind(), f.reason().detail()),
                (kind, detail),
                "{flow}"
            );
        }
    }

    // An unknown credential in the discoverable flow.
    let mut s = server(Codec::Json);
    let mut c = client("", None);
    let r = signed_response(&fx, &mut s, &mut c);
    let step = s.step_with(&r, &|r| lookup(r, |r| r.not_found())).unwrap();
    assert!(matches!(step, ServerStep::Challenge(ref e) if e.starts_with(b"e=other-error,")));
    let ServerStep::Failure(f) = s.step(b"").unwrap() else {
        panic!()
    };
    assert_eq!(
        (f.reason().kind(), f.reason().detail()),
        (FailureKind::UnknownUser, "unknown credential")
    );
}

/// The named flow's challenge lists exactly the account's credentials, in order, and
/// the assertion must be from one of them; an account without credentials gets an
/// empty list, which is the discoverable flow's rule (a userHandle is required).
#[test]
fn the_named_flow_lists_and_requires_the_accounts_credentials() {
    let fx = Fixture::new();
    let second = PasskeyCredential::new(b"credential-2".to_vec(), fx.signer.cose(), 0);
    let two = PasskeyAccount::new(
        "alice",
        USER_HANDLE.to_vec(),
        vec![fx.account.credentials()[0].clone(), second],
    );
    let none = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![]);
    for codec in [Codec::Json, Codec::Cbor] {
        for (account, listed) in [
            (&two, vec![CRED_ID.to_vec(), b"credential-2".to_vec()]),
            (&none, vec![]),
        ] {
            let store = |r: Request| match r {
                Request::PasskeyLookup(q) => q.found(account.clone()),
                other => other.unavailable(),
            };
            let outcome = |mutate: &dyn Fn(&mut PasskeyAssertion)| {
                let mut s = server(codec);
                let Ok(ServerStep::Challenge(ch)) = s.start_with(Some(b"alice"), &store) else {
                    panic!("options expected")
                };
                let (_, options) = sasl_passkey::codec::RequestOptions::decode(&ch).unwrap();
                assert_eq!(options.allow_credentials, listed, "{codec:?}");
                let mut a = fx.sign(RP_ID, &options.challenge, ORIGIN, 8);
                mutate(&mut a);
                let response = sasl_passkey::codec::encode_assertion(codec, &a);
                match s.step_with(&response, &store).unwrap() {
                    ServerStep::Success(ok) => Ok(ok.identity().to_owned()),
                    // The error message first; the client's reply ends in the failure.
                    ServerStep::Challenge(_) => match s.step_with(b"", &store).unwrap() {
                        ServerStep::Failure(f) => Err(f.reason().detail().to_owned()),
                        other => panic!("{other:?}"),
                    },
                    other => panic!("{other:?}"),
                }
            };
            use sasl_passkey::webauthn::AssertionError as E;
            let foreign = |a: &mut PasskeyAssertion| a.credential_id = b"credential-9999".to_vec();
            let anonymous = |a: &mut PasskeyAssertion| a.user_handle = None;
            if listed.is_empty() {
                assert_eq!(
                    outcome(&|_| {}),
                    Err(E::UnknownCredential.detail().to_owned())
                );
                assert_eq!(
                    outcome(&anonymous),
                    Err(E::UserHandleMissing.detail().to_owned())
                );
            } else {
                assert_eq!(outcome(&|_| {}), Ok("alice".to_owned()));
                assert_eq!(
                    outcome(&foreign),
                    Err(E::CredentialNotAllowed.detail().to_owned())
                );
                // The second credential (same key, its own id) is accepted.
                let second = |a: &mut PasskeyAssertion| a.credential_id = b"credential-2".to_vec();
                assert_eq!(outcome(&second), Ok("alice".to_owned()));
            }
        }
    }
}
