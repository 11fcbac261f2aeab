//! End to end with our software authenticator: it registers (verified by our
//! registration check, the record stored in its text form), then logs in through
//! PASSKEY sessions in both codecs and both flows, with the sign counter and backup
//! state coming back for the store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use sasl_core::{
    ClientCredentials, ClientOutcome, ClientRegistry, ClientRequest, ClientStep, ConnectionInfo,
    FailureKind, MechanismData, PasskeyAccount, PasskeyLookupKey, Request, ServerRegistry,
    ServerReply, ServerStep, UnixTime, UserVerification,
};
use sasl_passkey::authenticator::{
    AssertionOptions, Attestation, Authenticator, RegistrationOptions,
};
use sasl_passkey::webauthn::{CredentialRecord, RelyingParty, verify_registration};
use sasl_passkey::{
    Codec, PasskeyClient, PasskeyServer, PasskeyServerConfig, SoftwareAuthenticator,
};
use std::cell::RefCell;

const RP: &str = "example.com";
const ORIGIN: &str = "https://imap.example.com";
const HANDLE: &[u8] = b"alice-user-handle";

fn rp() -> RelyingParty {
    RelyingParty::new(RP, [ORIGIN]).with_user_verification(UserVerification::Required)
}

/// Registers a passkey for alice and returns the stored record (through its text
/// form, as a store would keep it).
fn enroll(
    auth: &mut SoftwareAuthenticator,
    algorithms: Vec<i64>,
    attestation: Attestation,
) -> CredentialRecord {
    let challenge = vec![0x5a; 32];
    let response = auth
        .register(
            &RegistrationOptions::new(RP, HANDLE.to_vec(), "alice", challenge.clone())
                .with_algorithms(algorithms)
                .with_attestation(attestation),
        )
        .unwrap();
    let record = verify_registration(
        &rp(),
        &challenge,
        HANDLE,
        &response.client_data_json,
        &response.attestation_object,
    )
    .unwrap();
    let text = record.to_text();
    assert!(text.starts_with("passkey-v1:"));
    CredentialRecord::from_text(&text).unwrap()
}

/// One PASSKEY login; the store holds `record` (updated on success).
fn login(
    auth: &mut SoftwareAuthenticator,
    record: &RefCell<CredentialRecord>,
    codec: Codec,
    user: &str,
) -> Result<String, (FailureKind, String)> {
    let account = || {
        PasskeyAccount::new(
            "alice",
            HANDLE.to_vec(),
            vec![record.borrow().to_credential()],
        )
    };
    let store = |r: Request| match r {
        Request::PasskeyLookup(q) => match q.key() {
            PasskeyLookupKey::User(u) if u == "alice" => q.found(account()),
            PasskeyLookupKey::Credential { id, .. } if id == record.borrow().credential_id() => {
                q.found(account())
            }
            _ => q.not_found(),
        },
        other => other.unavailable(),
    };
    let config = PasskeyServerConfig::new(rp()).unwrap().with_codec(codec);
    let mechs = ServerRegistry::new().with(PasskeyServer::factory(config));
    let mut server = mechs.start("PASSKEY", &ConnectionInfo::tls()).unwrap();
    server.set_now(UnixTime::from_secs(1_767_225_600));
    let conn = ConnectionInfo::tls().with_server("imap.example.com", 993);
    let creds = ClientCredentials::new(user).with_passkey();
    let mut client = ClientRegistry::new()
        .with(PasskeyClient::factory())
        .start_best(&["PASSKEY"], creds, &conn)
        .unwrap();

    let ClientStep::Respond(first) = client.start().unwrap() else {
        panic!()
    };
    let mut step = server.start_with(Some(first.expose()), &store).unwrap();
    loop {
        match step {
            ServerStep::Challenge(challenge) => {
                let mut cs = client.step(&challenge).unwrap();
                if let ClientStep::Request(ClientRequest::PasskeyAssertion(request)) = cs {
                    // The application hands the request to its authenticator.
                    let options = AssertionOptions::from(&*request);
                    match auth.get_assertion(&options) {
                        Ok(assertion) => cs = client.provide(request.provide(assertion)).unwrap(),
                        Err(e) => return Err((FailureKind::Cancelled, e.to_string())),
                    }
                }
                let ClientStep::Respond(r) = cs else {
                    panic!("{cs:?}")
                };
                step = server.step_with(r.expose(), &store).unwrap();
            }
            ServerStep::Success(ok) => {
                let Some(MechanismData::Passkey(used)) = ok.mechanism_data() else {
                    panic!()
                };
                // What the store does with the result.
                let mut r = record.borrow_mut();
                assert!(used.sign_count > r.sign_count() || used.sign_count == 0);
                r.apply_use(used);
                assert!(
                    client
                        .finish(ServerReply::success())
                        .unwrap()
                        .is_authenticated()
                );
                return Ok(ok.identity().to_owned());
            }
            ServerStep::Failure(f) => {
                let line = f.imap().line("a1", "failed");
                let out = client
                    .finish(ServerReply::from_imap("a1", &line).unwrap())
                    .unwrap();
                assert!(matches!(out, ClientOutcome::Failure(_)));
                return Err((f.reason().kind(), f.reason().detail().to_owned()));
            }
            ServerStep::Request(_) => panic!("answered by step_with"),
        }
    }
}

#[test]
fn register_then_log_in_in_both_codecs_and_flows() {
    for (algorithms, attestation) in [
        (vec![-7], Attestation::None),
        (vec![-8], Attestation::PackedSelf),
    ] {
        let mut auth = SoftwareAuthenticator::new(ORIGIN);
        let record = RefCell::new(enroll(&mut auth, algorithms, attestation));
        let mut last = 0;
        for codec in [Codec::Json, Codec::Cbor] {
            for user in ["alice", ""] {
                assert_eq!(
                    login(&mut auth, &record, codec, user),
                    Ok("alice".to_owned())
                );
                let now = record.borrow().sign_count();
                assert!(now > last, "the counter moves on: {now} after {last}");
                last = now;
            }
        }
    }
}

#[test]
fn failures_with_the_software_authenticator() {
    let mut auth = SoftwareAuthenticator::new(ORIGIN);
    let record = RefCell::new(enroll(&mut auth, vec![-7], Attestation::None));
    // A clone of the key file replays an old counter: refused as a possible clone.
    let clone_file = auth.to_key_file();
    assert!(login(&mut auth, &record, Codec::Json, "alice").is_ok());
    assert!(login(&mut auth, &record, Codec::Json, "alice").is_ok());
    let mut clone = SoftwareAuthenticator::from_key_file(clone_file.expose()).unwrap();
    let err = login(&mut clone, &record, Codec::Json, "alice").unwrap_err();
    assert_eq!(
        err.1,
        sasl_passkey::webauthn::AssertionError::CounterRegression.detail()
    );
    // The user cannot verify, but the server requires it: the authenticator refuses.
    let mut no_uv = SoftwareAuthenticator::from_key_file(auth.to_key_file().expose())
        .unwrap()
        .with_user_verified(false);
    assert!(matches!(
        login(&mut no_uv, &record, Codec::Cbor, "alice"),
        Err((FailureKind::Cancelled, _))
    ));
    // The authenticator runs at another origin (a phishing site relaying).
    let mut phished = SoftwareAuthenticator::from_key_file(auth.to_key_file().expose()).unwrap();
    phished.set_origin("https://imap.example.com.evil.example");
    let err = login(&mut phished, &record, Codec::Json, "").unwrap_err();
    assert_eq!(
        err.1,
        sasl_passkey::webauthn::AssertionError::OriginNotAllowed.detail()
    );
    // Another user's passkey for the same site: unknown credential.
    let mut other = SoftwareAuthenticator::new(ORIGIN);
    enroll(&mut other, vec![-8], Attestation::None);
    let err = login(&mut other, &record, Codec::Json, "").unwrap_err();
    assert_eq!(err.0, FailureKind::UnknownUser);
}
