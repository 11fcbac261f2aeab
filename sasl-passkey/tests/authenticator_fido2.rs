//! The software authenticator against an independent WebAuthn implementation:
//! Yubico's python-fido2 (`Fido2Server`, through `tests/peers/fido2_verify.py`)
//! verifies our registrations and assertions, and refuses tampered ones; and
//! `tests/peers/soft_authenticator.py` (keys from `cryptography`, CBOR from fido2), an
//! independent authenticator, registers with our registration verification and logs
//! in through our PASSKEY server in both codecs.
//!
//! python-fido2 lives in the peers venv (`$SASL_PEERS_VENV`, else
//! `<workspace>/.peers-venv`); missing, the tests print `SKIPPED` and pass, unless
//! `SASL_REQUIRE_PEERS=1` (CI), where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::{PasskeyAssertion, UserVerification};
use sasl_passkey::authenticator::{
    AssertionOptions, Attestation, Authenticator, RegistrationOptions, RegistrationResponse,
    SoftwareAuthenticator,
};
use sasl_test::peers;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const RP: &str = "example.com";
const WEB_ORIGIN: &str = "https://imap.example.com";
const NATIVE_ORIGIN: &str = "android:apk-key-hash:Tc4Uq2wgHn8b-EwWUs3sPN4Xt3S9bN7SPtqp5v3nN5A";

fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a base64url string"))
        .expect("base64url")
}

fn challenge() -> Vec<u8> {
    let mut c = vec![0u8; 32];
    aws_lc_rs::rand::fill(&mut c).unwrap();
    c
}

/// The venv's python if it has fido2; else SKIPPED (or a failure under
/// `SASL_REQUIRE_PEERS=1`).
fn fido2_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = PYTHON
        .get_or_init(|| peers::venv_python("fido2.server, cryptography"))
        .clone();
    if found.is_none() {
        let what = "python-fido2 not installed (.peers-venv/bin/pip install 'fido2==2.2.1', \
                    or set SASL_PEERS_VENV)";
        return peers::missing(what).unwrap_or_else(|e| panic!("{e}"));
    }
    found
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
        .join(name)
}

/// Runs a peer script with `input` on stdin; its stdout, stderr and exit status.
/// Killed after 30 s.
fn run(python: &Path, name: &str, input: &Value) -> (bool, String, String) {
    let mut child = Command::new(python)
        .arg(script(name))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{name} timed out");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// fido2's verdict: `Ok(details)` for `OK {json}`, `Err(reason)` for `FAIL reason`.
fn fido2(python: &Path, input: &Value) -> Result<Value, String> {
    let (ok, stdout, stderr) = run(python, "fido2_verify.py", input);
    if let Some(details) = stdout.strip_prefix("OK ") {
        assert!(ok, "OK with a failing exit status: {stdout} {stderr}");
        return Ok(serde_json::from_str(details).unwrap());
    }
    let reason = stdout
        .strip_prefix("FAIL ")
        .unwrap_or_else(|| panic!("neither OK nor FAIL: {stdout:?} {stderr}"));
    assert!(!ok, "FAIL with exit status 0");
    Err(reason.to_owned())
}

fn register_input(
    r: &RegistrationResponse,
    challenge: &[u8],
    origin: &str,
    fmt: &str,
    uv: &str,
) -> Value {
    json!({
        "op": "register",
        "rp_id": RP,
        "origin": origin,
        "challenge": b64(challenge),
        "user_verification": uv,
        "expect_fmt": fmt,
        "credential_id": b64(&r.credential_id),
        "client_data_json": b64(&r.client_data_json),
        "attestation_object": b64(&r.attestation_object),
    })
}

fn authenticate_input(
    public_key_cose: &[u8],
    a: &PasskeyAssertion,
    options: &AssertionOptions,
    origin: &str,
    uv: &str,
) -> Value {
    json!({
        "op": "authenticate",
        "rp_id": RP,
        "origin": origin,
        "challenge": b64(&options.challenge),
        "user_verification": uv,
        "credential_public_key": b64(public_key_cose),
        "allow_credentials": options.allow_credentials.iter().map(|id| b64(id)).collect::<Vec<_>>(),
        "expected_user_handle": a.user_handle.as_deref().map(b64),
        "credential_id": b64(&a.credential_id),
        "client_data_json": b64(&a.client_data_json),
        "authenticator_data": b64(&a.authenticator_data),
        "signature": b64(&a.signature),
        "user_handle": a.user_handle.as_deref().map(b64),
    })
}

fn flag_names(details: &Value) -> Vec<String> {
    details["flag_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn fido2_accepts_our_registrations() {
    let Some(python) = fido2_python() else { return };
    let mut n = 0;
    for (alg, name) in [(-7, "ES256"), (-8, "EdDSA")] {
        for (attestation, fmt, att_type) in [
            (Attestation::None, "none", "NONE"),
            (Attestation::PackedSelf, "packed", "SELF"),
        ] {
            for origin in [WEB_ORIGIN, NATIVE_ORIGIN] {
                n += 1;
                let backup = n % 2 == 0;
                let mut authenticator =
                    SoftwareAuthenticator::new(origin).with_backup(backup, backup);
                let c = challenge();
                let options = RegistrationOptions::new(
                    RP,
                    format!("user-{n}").into_bytes(),
                    "alice",
                    c.clone(),
                )
                .with_algorithms(vec![alg])
                .with_attestation(attestation)
                .with_user_verification(UserVerification::Required);
                let r = authenticator.register(&options).unwrap();
                let details = fido2(&python, &register_input(&r, &c, origin, fmt, "required"))
                    .unwrap_or_else(|e| panic!("{name} {fmt} {origin}: {e}"));
                assert_eq!(details["alg"], alg);
                assert_eq!(details["key_type"], name);
                assert_eq!(details["attestation"]["fmt"], fmt);
                assert_eq!(details["attestation"]["type"], att_type);
                assert_eq!(details["sign_count"], 0);
                assert_eq!(details["client_data_type"], "webauthn.create");
                assert_eq!(details["cross_origin"], false);
                assert_eq!(unb64(&details["credential_id"]), r.credential_id);
                // fido2 re-encodes the key and the attestation object in CTAP2
                // canonical form: byte for byte ours.
                assert_eq!(unb64(&details["public_key_cose"]), r.public_key_cose);
                assert_eq!(details["attestation_object_canonical"], true);
                let mut expected = vec!["UP", "UV", "AT"];
                if backup {
                    expected = vec!["UP", "UV", "BE", "BS", "AT"];
                }
                assert_eq!(flag_names(&details), expected);
            }
        }
    }
}

#[test]
fn fido2_accepts_our_assertions() {
    let Some(python) = fido2_python() else { return };
    for origin in [WEB_ORIGIN, NATIVE_ORIGIN] {
        let mut authenticator = SoftwareAuthenticator::new(origin);
        let es = authenticator
            .register(&RegistrationOptions::new(
                RP,
                b"alice".to_vec(),
                "alice",
                challenge(),
            ))
            .unwrap();
        let ed = authenticator
            .register(
                &RegistrationOptions::new(RP, b"bob".to_vec(), "bob", challenge())
                    .with_algorithms(vec![-8])
                    .with_attestation(Attestation::PackedSelf),
            )
            .unwrap();
        // fido2 checks the registration's challenge.
        let wrong_challenge = fido2(
            &python,
            &register_input(&ed, &[0; 16], origin, "packed", "preferred"),
        )
        .map(|_| ())
        .expect_err("wrong challenge");
        assert!(wrong_challenge.contains("challenge"), "{wrong_challenge}");

        // Discoverable, UV preferred: the first credential (ES256), counter 1.
        let options = AssertionOptions::new(RP, challenge());
        let a = authenticator.get_assertion(&options).unwrap();
        assert_eq!(a.credential_id, es.credential_id);
        let details = fido2(
            &python,
            &authenticate_input(&es.public_key_cose, &a, &options, origin, "preferred"),
        )
        .unwrap();
        assert_eq!(details["sign_count"], 1);
        assert_eq!(flag_names(&details), ["UP", "UV"]);
        assert_eq!(details["client_data_type"], "webauthn.get");

        // allowCredentials naming the Ed25519 one, UV required.
        let options = AssertionOptions::new(RP, challenge())
            .with_allow_credentials(vec![vec![0xee; 20], ed.credential_id.clone()])
            .with_user_verification(UserVerification::Required);
        let a = authenticator.get_assertion(&options).unwrap();
        assert_eq!(a.credential_id, ed.credential_id);
        assert_eq!(a.user_handle.as_deref(), Some(&b"bob"[..]));
        let details = fido2(
            &python,
            &authenticate_input(&ed.public_key_cose, &a, &options, origin, "required"),
        )
        .unwrap();
        assert_eq!(details["sign_count"], 1);
        assert_eq!(flag_names(&details), ["UP", "UV"]);

        // The stored record as attested credential data (fido2's own storage form).
        let mut input = authenticate_input(&ed.public_key_cose, &a, &options, origin, "required");
        let attested = &ed.authenticator_data[37..];
        input["attested_credential_data"] = json!(b64(attested));
        fido2(&python, &input).unwrap();

        // UV off: discouraged and preferred pass without UV; the counter goes on.
        authenticator.set_user_verified(false);
        for (uv, name) in [
            (UserVerification::Discouraged, "discouraged"),
            (UserVerification::Preferred, "preferred"),
        ] {
            let options = AssertionOptions::new(RP, challenge()).with_user_verification(uv);
            let a = authenticator.get_assertion(&options).unwrap();
            let details = fido2(
                &python,
                &authenticate_input(&es.public_key_cose, &a, &options, origin, name),
            )
            .unwrap();
            assert_eq!(flag_names(&details), ["UP"]);
        }
        assert_eq!(authenticator.credentials()[0].sign_count, 3);

        // A synced-passkey style credential: counter 0, BE and BS.
        let mut synced = SoftwareAuthenticator::new(origin)
            .with_sign_counter(false)
            .with_backup(true, true);
        let s = synced
            .register(
                &RegistrationOptions::new(RP, b"carol".to_vec(), "carol", challenge())
                    .with_algorithms(vec![-8, -7]),
            )
            .unwrap();
        for _ in 0..2 {
            let options = AssertionOptions::new(RP, challenge());
            let a = synced.get_assertion(&options).unwrap();
            let details = fido2(
                &python,
                &authenticate_input(&s.public_key_cose, &a, &options, origin, "preferred"),
            )
            .unwrap();
            assert_eq!(details["sign_count"], 0);
            assert_eq!(flag_names(&details), ["UP", "UV", "BE", "BS"]);
        }

        // A key file round trip keeps the keys fido2 knows.
        let text = authenticator.to_key_file();
        let mut restored = SoftwareAuthenticator::from_key_file(text.expose()).unwrap();
        let options = AssertionOptions::new(RP, challenge());
        let a = restored.get_assertion(&options).unwrap();
        let details = fido2(
            &python,
            &authenticate_input(&es.public_key_cose, &a, &options, origin, "preferred"),
        )
        .unwrap();
        assert_eq!(details["sign_count"], 4);
    }
}

#[test]
fn fido2_refuses_tampered_data() {
    let Some(python) = fido2_python() else { return };
    let mut authenticator = SoftwareAuthenticator::new(WEB_ORIGIN);
    for alg in [-7, -8] {
        let c = challenge();
        let r = authenticator
            .register(
                &RegistrationOptions::new(RP, vec![alg as u8], "alice", c.clone())
                    .with_algorithms(vec![alg])
                    .with_attestation(Attestation::PackedSelf),
            )
            .unwrap();
        authenticator.prefer(&r.credential_id).unwrap();
        let good = register_input(&r, &c, WEB_ORIGIN, "packed", "preferred");
        fido2(&python, &good).unwrap();

        // Registration: wrong origin, wrong RP, a flipped byte in the attestation
        // signature, fmt claimed "none" with a packed statement.
        let mut bad = good.clone();
        bad["origin"] = json!("https://evil.example.com");
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("origin"), "{e}");
        let mut bad = good.clone();
        bad["rp_id"] = json!("example.net");
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("RP ID"), "{e}");
        let mut att = r.attestation_object.clone();
        let last = att.len() - 5; // authData comes last: the key's last coordinate
        att[last] ^= 1;
        let mut bad = good.clone();
        bad["attestation_object"] = json!(b64(&att));
        fido2(&python, &bad).unwrap_err();
        let sig_at = r
            .attestation_object
            .windows(3)
            .position(|w| w == b"sig")
            .unwrap()
            + 8;
        let mut att = r.attestation_object.clone();
        att[sig_at] ^= 0x80;
        let mut bad = good.clone();
        bad["attestation_object"] = json!(b64(&att));
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("Invalid"), "{e}");
        let mut bad = good.clone();
        bad["expect_fmt"] = json!("none");
        fido2(&python, &bad).unwrap_err();

        // Assertions.
        let options = AssertionOptions::new(RP, challenge());
        let a = authenticator.get_assertion(&options).unwrap();
        assert_eq!(a.credential_id, r.credential_id);
        let good = authenticate_input(&r.public_key_cose, &a, &options, WEB_ORIGIN, "preferred");
        fido2(&python, &good).unwrap();
        let tamper = |field: &str, index: usize| {
            let mut bytes = unb64(&good[field]);
            bytes[index] ^= 0x01;
            let mut bad = good.clone();
            bad[field] = json!(b64(&bytes));
            fido2(&python, &bad).unwrap_err()
        };
        let e = tamper("signature", a.signature.len() - 1);
        assert!(e.contains("Invalid signature"), "{e}");
        let e = tamper("authenticator_data", 36); // the counter
        assert!(e.contains("Invalid signature"), "{e}");
        let e = tamper("authenticator_data", 0); // rpIdHash
        assert!(e.contains("RP ID"), "{e}");
        let mut bad = good.clone();
        bad["origin"] = json!("https://imap.example.com:8443");
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("origin"), "{e}");
        let mut bad = good.clone();
        bad["challenge"] = json!(b64(&challenge()));
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("challenge"), "{e}");
        let mut bad = good.clone();
        bad["allow_credentials"] = json!([b64(&[7; 16])]);
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("allowCredentials"), "{e}");
        let mut bad = good.clone();
        bad["expected_user_handle"] = json!(b64(b"mallory"));
        let e = fido2(&python, &bad).unwrap_err();
        assert!(e.contains("user handle"), "{e}");
    }

    // UV required by the server, the authenticator did not verify.
    let mut unverified = SoftwareAuthenticator::new(WEB_ORIGIN).with_user_verified(false);
    let r = unverified
        .register(&RegistrationOptions::new(
            RP,
            b"u".to_vec(),
            "u",
            challenge(),
        ))
        .unwrap();
    let options = AssertionOptions::new(RP, challenge());
    let a = unverified.get_assertion(&options).unwrap();
    let e = fido2(
        &python,
        &authenticate_input(&r.public_key_cose, &a, &options, WEB_ORIGIN, "required"),
    )
    .unwrap_err();
    assert!(e.contains("verif"), "{e}");
    // ... and our authenticator refuses to pretend.
    assert!(
        unverified
            .get_assertion(
                &options
                    .clone()
                    .with_user_verification(UserVerification::Required)
            )
            .is_err()
    );

    // No user presence (the test knob).
    let mut absent = SoftwareAuthenticator::new(WEB_ORIGIN).with_user_present(false);
    let r = absent
        .register(&RegistrationOptions::new(
            RP,
            b"u".to_vec(),
            "u",
            challenge(),
        ))
        .unwrap();
    let a = absent.get_assertion(&options).unwrap();
    let e = fido2(
        &python,
        &authenticate_input(&r.public_key_cose, &a, &options, WEB_ORIGIN, "preferred"),
    )
    .unwrap_err();
    assert!(e.contains("User Present"), "{e}");

    // BS without BE (the harness's own check, beyond Fido2Server).
    let mut odd = SoftwareAuthenticator::new(WEB_ORIGIN).with_backup(false, true);
    let r = odd
        .register(&RegistrationOptions::new(
            RP,
            b"u".to_vec(),
            "u",
            challenge(),
        ))
        .unwrap();
    let a = odd.get_assertion(&options).unwrap();
    let e = fido2(
        &python,
        &authenticate_input(&r.public_key_cose, &a, &options, WEB_ORIGIN, "preferred"),
    )
    .unwrap_err();
    assert!(e.contains("BS"), "{e}");
}

/// The independent Python authenticator's output: what the server side will be
/// verified against. Checked here for shape (it parses into the fields of
/// `PasskeyAssertion`) and, as a sanity check of the generator, by fido2.
#[test]
fn independent_authenticator_output() {
    let Some(python) = fido2_python() else { return };
    for alg in [-7, -8] {
        for style in ["compact", "spaced"] {
            for origin in [WEB_ORIGIN, NATIVE_ORIGIN] {
                let reg_challenge = challenge();
                let challenges = [challenge(), challenge()];
                let input = json!({
                    "rp_id": RP,
                    "origin": origin,
                    "user_handle": b64(b"alice-handle"),
                    "user_name": "alice",
                    "alg": alg,
                    "challenge": b64(&reg_challenge),
                    "assertion_challenges": challenges.iter().map(|c| b64(c)).collect::<Vec<_>>(),
                    "attestation": if style == "compact" { "packed" } else { "none" },
                    "backup": [true, style == "spaced"],
                    "client_data_style": style,
                });
                let (ok, stdout, stderr) = run(&python, "soft_authenticator.py", &input);
                assert!(ok, "{stdout} {stderr}");
                let out: Value = serde_json::from_str(&stdout).unwrap();
                let reg = &out["registration"];
                assert_eq!(reg["alg"], alg);
                let public_key_cose = unb64(&reg["public_key_cose"]);
                assert_eq!(
                    public_key_cose.first(),
                    Some(&if alg == -7 { 0xa5 } else { 0xa4 })
                );
                let fmt = input["attestation"].as_str().unwrap();
                let mut details = json!({});
                let reg_input = json!({
                    "op": "register", "rp_id": RP, "origin": origin,
                    "challenge": b64(&reg_challenge), "expect_fmt": fmt,
                    "credential_id": reg["credential_id"],
                    "client_data_json": reg["client_data_json"],
                    "attestation_object": reg["attestation_object"],
                });
                details["registration"] = fido2(&python, &reg_input).unwrap();
                assert_eq!(
                    unb64(&details["registration"]["public_key_cose"]),
                    public_key_cose
                );

                let assertions = out["assertions"].as_array().unwrap();
                assert_eq!(assertions.len(), 2);
                for (i, (a, c)) in assertions.iter().zip(&challenges).enumerate() {
                    let assertion = PasskeyAssertion {
                        credential_id: unb64(&a["credential_id"]),
                        authenticator_data: unb64(&a["authenticator_data"]),
                        client_data_json: unb64(&a["client_data_json"]),
                        signature: unb64(&a["signature"]),
                        user_handle: Some(unb64(&a["user_handle"])),
                    };
                    assert_eq!(assertion.credential_id, unb64(&reg["credential_id"]));
                    assert_eq!(assertion.user_handle.as_deref(), Some(&b"alice-handle"[..]));
                    let d = &assertion.authenticator_data;
                    assert_eq!(d.len(), 37);
                    assert_eq!(&d[..32], Sha256::digest(RP.as_bytes()).as_slice());
                    assert_eq!(d[32] & 0x45, 0x05); // UP, UV, no AT
                    assert_eq!(&d[33..37], &(i as u32 + 1).to_be_bytes());
                    let cd: Value = serde_json::from_slice(&assertion.client_data_json).unwrap();
                    assert_eq!(cd["type"], "webauthn.get");
                    assert_eq!(cd["challenge"], b64(c));
                    assert_eq!(cd["origin"], origin);
                    if alg == -8 {
                        assert_eq!(assertion.signature.len(), 64);
                    } else {
                        assert_eq!(assertion.signature.first(), Some(&0x30)); // DER
                    }
                    let options = AssertionOptions::new(RP, c.clone());
                    fido2(
                        &python,
                        &authenticate_input(
                            &public_key_cose,
                            &assertion,
                            &options,
                            origin,
                            "required",
                        ),
                    )
                    .unwrap();
                }
            }
        }
    }
}

/// The other direction: the independent Python authenticator registers with our
/// registration verification and logs in through our PASSKEY server (discoverable
/// flow: the server's challenge comes first, the Python keys are made per run), in
/// both codecs, for ES256 and EdDSA, web and native origins, both clientDataJSON
/// styles. A tampered signature and a replayed challenge are refused.
#[test]
fn independent_authenticator_logs_in_through_passkey() {
    use sasl_core::{
        ConnectionInfo, FailureKind, PasskeyAccount, PasskeyLookupKey, Request, ServerRegistry,
        ServerStep, UnixTime,
    };
    use sasl_passkey::codec::{RequestOptions, encode_assertion};
    use sasl_passkey::webauthn::{RelyingParty, verify_registration};
    use sasl_passkey::{Codec, PasskeyServer, PasskeyServerConfig};

    let Some(python) = fido2_python() else { return };
    let mut logins = 0;
    for alg in [-7, -8] {
        for codec in [Codec::Json, Codec::Cbor] {
            for (origin, style) in [(WEB_ORIGIN, "compact"), (NATIVE_ORIGIN, "spaced")] {
                let rp = RelyingParty::new(RP, [WEB_ORIGIN, NATIVE_ORIGIN])
                    .with_user_verification(UserVerification::Required);
                let config = PasskeyServerConfig::new(rp.clone())
                    .unwrap()
                    .with_codec(codec);
                let mechs = ServerRegistry::new().with(PasskeyServer::factory(config));
                let mut session = mechs.start("PASSKEY", &ConnectionInfo::tls()).unwrap();
                session.set_now(UnixTime::from_secs(1_767_225_600));
                let ServerStep::Challenge(options) = session.start(Some(b"")).unwrap() else {
                    panic!("request options expected")
                };
                let (got, options) = RequestOptions::decode(&options).unwrap();
                assert_eq!(got, codec);
                // The Python authenticator registers and answers the server's challenge.
                let reg_challenge = challenge();
                let input = json!({
                    "rp_id": RP, "origin": origin, "user_handle": b64(b"alice-handle"),
                    "user_name": "alice", "alg": alg, "challenge": b64(&reg_challenge),
                    "assertion_challenges": [b64(&options.challenge), b64(&challenge())],
                    "attestation": "packed", "client_data_style": style,
                });
                let (ok, stdout, stderr) = run(&python, "soft_authenticator.py", &input);
                assert!(ok, "{stdout} {stderr}");
                let out: Value = serde_json::from_str(&stdout).unwrap();
                let reg = &out["registration"];
                let record = verify_registration(
                    &rp,
                    &reg_challenge,
                    b"alice-handle",
                    &unb64(&reg["client_data_json"]),
                    &unb64(&reg["attestation_object"]),
                )
                .unwrap();
                let account = PasskeyAccount::new(
                    "alice",
                    b"alice-handle".to_vec(),
                    vec![record.to_credential()],
                );
                let store = |r: Request| match r {
                    Request::PasskeyLookup(q) => match q.key() {
                        PasskeyLookupKey::Credential { id, .. } if id == record.credential_id() => {
                            q.found(account.clone())
                        }
                        _ => q.not_found(),
                    },
                    other => other.unavailable(),
                };
                let to_assertion = |a: &Value| PasskeyAssertion {
                    credential_id: unb64(&a["credential_id"]),
                    authenticator_data: unb64(&a["authenticator_data"]),
                    client_data_json: unb64(&a["client_data_json"]),
                    signature: unb64(&a["signature"]),
                    user_handle: Some(unb64(&a["user_handle"])),
                };
                let assertions = out["assertions"].as_array().unwrap();
                // First: a tampered signature (the last byte flipped) is refused...
                let mut tampered = to_assertion(&assertions[0]);
                if let Some(last) = tampered.signature.last_mut() {
                    *last ^= 1;
                }
                let mut bad = mechs.start("PASSKEY", &ConnectionInfo::tls()).unwrap();
                bad.set_now(UnixTime::from_secs(1_767_225_600));
                assert!(matches!(bad.start(Some(b"")), Ok(ServerStep::Challenge(_))));
                // (that session's challenge is another one: this is also a replay)
                let step = bad
                    .step_with(&encode_assertion(codec, &tampered), &store)
                    .unwrap();
                assert!(matches!(step, ServerStep::Challenge(ref e) if e.starts_with(b"e=")));
                let ServerStep::Failure(f) = bad.step(b"").unwrap() else {
                    panic!()
                };
                assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
                // ... and the genuine assertion logs in.
                let genuine = to_assertion(&assertions[0]);
                let step = session
                    .step_with(&encode_assertion(codec, &genuine), &store)
                    .unwrap();
                let ServerStep::Success(ok) = step else {
                    panic!("alg {alg} {codec:?} {origin}: {step:?}")
                };
                assert_eq!(ok.identity(), "alice");
                logins += 1;
            }
        }
    }
    assert_eq!(logins, 8);
}
