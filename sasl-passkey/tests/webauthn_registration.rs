//! Registration (W3C WebAuthn §7.1): creation options JSON, `none` and `packed`
//! self-attestation with generated ES256 and Ed25519 keys, each refusal, and the
//! stored credential record's text form; a registered credential then logs in.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use proptest::prelude::*;
use sasl_core::{PasskeyAccount, PasskeyAssertion, UserVerification};
use sasl_passkey::webauthn::{
    CreationOptions, CredentialRecord, MAX_ATTESTATION_OBJECT_LEN, RegistrationError, RelyingParty,
    verify_assertion, verify_registration,
};

const NEW_ID: &[u8] = b"new-credential-id";
const AAGUID: [u8; 16] = [0xad; 16];

fn rp() -> RelyingParty {
    RelyingParty::new(RP_ID, [ORIGIN])
}

struct Reg {
    signer: Signer,
    challenge: Vec<u8>,
    client_data: Vec<u8>,
    auth_data: Vec<u8>,
}

impl Reg {
    fn new(signer: Signer, flags: u8) -> Self {
        let challenge = vec![0x77; 32];
        let client_data = client_data("webauthn.create", &challenge, ORIGIN, "");
        let auth_data = auth_data(
            RP_ID,
            flags | AT,
            0,
            &attested(AAGUID, NEW_ID, &signer.cose()),
        );
        Reg {
            signer,
            challenge,
            client_data,
            auth_data,
        }
    }

    fn none(&self) -> Vec<u8> {
        attestation_object("none", &[0xa0], &self.auth_data)
    }

    fn packed(&self) -> Vec<u8> {
        let sig = self
            .signer
            .sign_webauthn(&self.auth_data, &self.client_data);
        attestation_object(
            "packed",
            &packed_statement(self.signer.alg(), &sig),
            &self.auth_data,
        )
    }

    fn verify(
        &self,
        rp: &RelyingParty,
        object: &[u8],
    ) -> Result<CredentialRecord, RegistrationError> {
        verify_registration(rp, &self.challenge, USER_HANDLE, &self.client_data, object)
    }
}

#[test]
fn creation_options_json() {
    let rp = rp()
        .with_user_verification(UserVerification::Required)
        .with_timeout_ms(120_000);
    let opts = CreationOptions::new(
        &rp,
        "Example Mail",
        b"\x01\x02\xff".to_vec(),
        "alice@example.com",
        "Alice",
        vec![0xfb; 16],
    )
    .with_exclude_credentials(vec![b"old".to_vec()]);
    assert_eq!(opts.challenge(), &[0xfb; 16]);
    assert_eq!(opts.user_handle(), b"\x01\x02\xff");
    let json: serde_json::Value = serde_json::from_str(&opts.to_json()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "rp": {"id": "example.com", "name": "Example Mail"},
            "user": {"id": "AQL_", "name": "alice@example.com", "displayName": "Alice"},
            "challenge": "-_v7-_v7-_v7-_v7-_v7-w",
            "pubKeyCredParams": [
                {"type": "public-key", "alg": -7},
                {"type": "public-key", "alg": -8},
                {"type": "public-key", "alg": -257},
            ],
            "timeout": 120000,
            "excludeCredentials": [{"type": "public-key", "id": "b2xk"}],
            "authenticatorSelection": {
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": "required",
            },
            "attestation": "none",
        })
    );
    let preferred = CreationOptions::new(&self::rp(), "x", vec![1], "a", "A", vec![0; 16])
        .require_discoverable(false);
    let json: serde_json::Value = serde_json::from_str(&preferred.to_json()).unwrap();
    assert_eq!(json["authenticatorSelection"]["residentKey"], "preferred");
    assert_eq!(
        json["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(json["timeout"], 60000);
}

#[test]
fn register_then_login() {
    for (signer, packed) in [
        (Signer::es256(), false),
        (Signer::es256(), true),
        (Signer::ed25519(), false),
        (Signer::ed25519(), true),
    ] {
        let reg = Reg::new(signer, UP | UV | BE);
        let object = if packed { reg.packed() } else { reg.none() };
        let record = reg.verify(&rp(), &object).unwrap();
        assert_eq!(record.credential_id(), NEW_ID);
        assert_eq!(record.public_key(), reg.signer.cose().as_slice());
        assert_eq!(record.sign_count(), 0);
        assert_eq!(record.user_handle(), USER_HANDLE);
        assert!(record.backup_eligible() && !record.backup_state());
        assert_eq!(record.aaguid(), &AAGUID);
        assert!(record.transports().is_empty());

        // Store, load, log in.
        let record = record.with_transports(vec!["internal".into(), "hybrid".into()]);
        let text = record.to_text();
        assert!(text.starts_with("passkey-v1:"));
        let mut loaded: CredentialRecord = text.parse().unwrap();
        assert_eq!(loaded, record);
        assert_eq!(loaded.to_string(), text);

        let account =
            PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![loaded.to_credential()]);
        let challenge = vec![0x99; 32];
        let ad = auth_data(RP_ID, UP | UV | BE | BS, 0, &[]);
        let cd = client_data("webauthn.get", &challenge, ORIGIN, "");
        let assertion = PasskeyAssertion {
            credential_id: NEW_ID.to_vec(),
            signature: reg.signer.sign_webauthn(&ad, &cd),
            authenticator_data: ad,
            client_data_json: cd,
            user_handle: Some(USER_HANDLE.to_vec()),
        };
        let verified = verify_assertion(&rp(), &challenge, &[], &account, &assertion).unwrap();
        loaded.apply(&verified);
        assert!(loaded.backup_state());
        assert_eq!(loaded.sign_count(), 0);
        let again: CredentialRecord = loaded.to_text().parse().unwrap();
        assert!(again.backup_state());
    }
}

#[test]
fn registration_refusals() {
    let reg = Reg::new(Signer::es256(), UP);
    let ok = reg.none();
    reg.verify(&rp(), &ok).unwrap();

    // Client data.
    let mut r = Reg::new(Signer::es256(), UP);
    r.client_data = client_data("webauthn.get", &r.challenge, ORIGIN, "");
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::WrongType)
    );
    r.client_data = client_data("webauthn.create", &[1; 32], ORIGIN, "");
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::ChallengeMismatch)
    );
    r.client_data = client_data("webauthn.create", &r.challenge, "https://evil.example", "");
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::OriginNotAllowed)
    );
    r.client_data = client_data(
        "webauthn.create",
        &r.challenge,
        ORIGIN,
        r#","topOrigin":"https://example.com""#,
    );
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::CrossOriginNotAllowed)
    );
    r.client_data = b"{".to_vec();
    assert!(matches!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::MalformedClientData(_))
    ));

    // User verification, presence, backup flags, RP ID, AT.
    assert_eq!(
        reg.verify(
            &rp().with_user_verification(UserVerification::Required),
            &ok
        ),
        Err(RegistrationError::UserNotVerified)
    );
    let r = Reg::new(Signer::es256(), 0);
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::UserNotPresent)
    );
    let r = Reg::new(Signer::es256(), UP | BS);
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::BackupStateInvalid)
    );
    assert_eq!(
        reg.verify(&RelyingParty::new("example.org", [ORIGIN]), &ok),
        Err(RegistrationError::RpIdHashMismatch)
    );
    let mut r = Reg::new(Signer::es256(), UP);
    r.auth_data = auth_data(RP_ID, UP, 0, &[]);
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::MissingCredentialData)
    );
    r.auth_data = auth_data(
        RP_ID,
        UP | AT,
        0,
        &attested(AAGUID, NEW_ID, &hex("a50102033822200221582000")),
    );
    assert!(r.verify(&rp(), &r.none()).is_err());
    r.auth_data = auth_data(
        RP_ID,
        UP | AT,
        0,
        &attested(AAGUID, NEW_ID, &hex("a301020338222002")),
    );
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::UnsupportedKey)
    );
    let mut r = Reg::new(Signer::es256(), UP);
    r.auth_data.push(0);
    assert_eq!(
        r.verify(&rp(), &r.none()),
        Err(RegistrationError::TrailingBytes)
    );

    // Attestation object and statements.
    let mut trailing = ok.clone();
    trailing.push(0);
    assert!(matches!(
        reg.verify(&rp(), &trailing),
        Err(RegistrationError::MalformedAttestation(_))
    ));
    assert!(matches!(
        reg.verify(&rp(), &hex("a0")),
        Err(RegistrationError::MalformedAttestation(_))
    ));
    assert!(matches!(
        reg.verify(&rp(), &hex("80")),
        Err(RegistrationError::MalformedAttestation(_))
    ));
    let mut four = vec![0xa4];
    four.extend_from_slice(&ok[1..]);
    four.extend_from_slice(&cbor_text("x"));
    four.push(0);
    assert!(matches!(
        reg.verify(&rp(), &four),
        Err(RegistrationError::MalformedAttestation(_))
    ));
    let none_with_stmt = attestation_object("none", &packed_statement(-7, b"x"), &reg.auth_data);
    assert!(matches!(
        reg.verify(&rp(), &none_with_stmt),
        Err(RegistrationError::MalformedAttestation(_))
    ));
    for fmt in ["tpm", "fido-u2f", "android-key", "apple", ""] {
        let o = attestation_object(fmt, &[0xa0], &reg.auth_data);
        assert_eq!(
            reg.verify(&rp(), &o),
            Err(RegistrationError::UnsupportedAttestation),
            "{fmt}"
        );
    }
    let sig = reg.signer.sign_webauthn(&reg.auth_data, &reg.client_data);
    let wrong_alg = attestation_object("packed", &packed_statement(-8, &sig), &reg.auth_data);
    assert_eq!(
        reg.verify(&rp(), &wrong_alg),
        Err(RegistrationError::AttestationAlgorithmMismatch)
    );
    let mut bad = sig.clone();
    bad[8] ^= 1;
    let bad_sig = attestation_object("packed", &packed_statement(-7, &bad), &reg.auth_data);
    assert_eq!(
        reg.verify(&rp(), &bad_sig),
        Err(RegistrationError::BadAttestationSignature)
    );
    let other = Signer::es256().sign_webauthn(&reg.auth_data, &reg.client_data);
    let other_key = attestation_object("packed", &packed_statement(-7, &other), &reg.auth_data);
    assert_eq!(
        reg.verify(&rp(), &other_key),
        Err(RegistrationError::BadAttestationSignature)
    );
    let mut x5c = vec![0xa3];
    x5c.extend_from_slice(&packed_statement(-7, &sig)[1..]);
    x5c.extend_from_slice(&cbor_text("x5c"));
    x5c.extend_from_slice(&[0x81, 0x41, 0x00]);
    let with_x5c = attestation_object("packed", &x5c, &reg.auth_data);
    assert_eq!(
        reg.verify(&rp(), &with_x5c),
        Err(RegistrationError::UnsupportedAttestation)
    );
    let mut only_alg = vec![0xa1];
    only_alg.extend_from_slice(&cbor_text("alg"));
    only_alg.push(0x26);
    let o = attestation_object("packed", &only_alg, &reg.auth_data);
    assert!(matches!(
        reg.verify(&rp(), &o),
        Err(RegistrationError::MalformedAttestation(_))
    ));

    // User handle bounds.
    for handle in [&[][..], &[1; 65][..]] {
        assert_eq!(
            verify_registration(&rp(), &reg.challenge, handle, &reg.client_data, &ok),
            Err(RegistrationError::InvalidUserHandle)
        );
    }
    for e in [
        RegistrationError::WrongType,
        RegistrationError::MalformedAttestation("m"),
    ] {
        assert!(!e.detail().is_empty() && !e.to_string().is_empty());
    }
}

#[test]
fn record_text_is_strict() {
    let reg = Reg::new(Signer::ed25519(), UP | BE | BS);
    let record = reg.verify(&rp(), &reg.none()).unwrap();
    let text = record.to_text();
    assert_eq!(CredentialRecord::from_text(&text).unwrap(), record);

    let body = text.strip_prefix("passkey-v1:").unwrap();
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, body).unwrap();
    let reencode = |b: &[u8]| format!("passkey-v1:{}", b64(b));
    assert_eq!(reencode(&bytes), text);

    for bad in [
        String::new(),
        "passkey-v2:".to_owned() + body,
        "PASSKEY-V1:".to_owned() + body,
        text.clone() + "=",
        text.clone() + " ",
        text.replace('-', "+"),
        format!("passkey-v1:{}", b64(&[bytes.clone(), vec![0]].concat())),
        "passkey-v1:".to_owned(),
        "passkey-v1:oA".to_owned(),
    ] {
        assert!(CredentialRecord::from_text(&bad).is_err(), "{bad}");
    }
    // Map with 8 pairs but a key changed or out of order: first key is the byte at 1.
    let mut wrong_key = bytes.clone();
    assert_eq!(wrong_key[1], 0x01);
    wrong_key[1] = 0x09;
    assert!(CredentialRecord::from_text(&reencode(&wrong_key)).is_err());
    // Header 0xa8 -> 0xa7 leaves a trailing pair.
    let mut fewer = bytes.clone();
    fewer[0] = 0xa7;
    assert!(CredentialRecord::from_text(&reencode(&fewer)).is_err());
    let err = CredentialRecord::from_text("nope").unwrap_err();
    assert!(!err.detail().is_empty() && !err.to_string().is_empty());
}

/// A record's text form built field by field (keys 1 to 8, RECORD_PREFIX_V1).
fn record_text(id: &[u8], handle: &[u8], be: bool, bs: bool, transports: &[&str]) -> String {
    let key = Signer::ed25519().cose();
    let mut m = vec![0xa8, 0x01];
    m.extend_from_slice(&cbor_bytes(id));
    m.push(0x02);
    m.extend_from_slice(&cbor_bytes(&key));
    m.extend_from_slice(&[0x03, 0x05, 0x04]);
    m.extend_from_slice(&cbor_bytes(handle));
    m.extend_from_slice(&[0x05, if be { 0xf5 } else { 0xf4 }]);
    m.extend_from_slice(&[0x06, if bs { 0xf5 } else { 0xf4 }]);
    m.push(0x07);
    m.extend_from_slice(&head(4, transports.len()));
    for t in transports {
        m.extend_from_slice(&cbor_text(t));
    }
    m.push(0x08);
    m.extend_from_slice(&cbor_bytes(&AAGUID));
    format!("passkey-v1:{}", b64(&m))
}

/// Each field of a record is checked at its bounds, and read back as written.
#[test]
fn record_fields_at_their_bounds() {
    let parse = |t: String| CredentialRecord::from_text(&t).map_err(|e| e.detail());
    let ok = parse(record_text(b"id", b"h", false, false, &["usb", "nfc"])).unwrap();
    assert_eq!(ok.credential_id(), b"id");
    assert_eq!(ok.user_handle(), b"h");
    assert_eq!(ok.sign_count(), 5);
    assert!(!ok.backup_eligible() && !ok.backup_state());
    assert_eq!(ok.transports(), ["usb", "nfc"]);
    assert_eq!(ok.aaguid(), &AAGUID);
    let synced = parse(record_text(b"id", b"h", true, true, &[])).unwrap();
    assert!(synced.backup_eligible() && synced.backup_state());
    assert!(synced.transports().is_empty());
    assert_eq!(
        parse(record_text(b"id", b"h", false, true, &[])),
        Err("BS without BE")
    );

    assert!(parse(record_text(&[1; 1023], b"h", false, false, &[])).is_ok());
    for id in [&[][..], &[1; 1024][..]] {
        assert_eq!(
            parse(record_text(id, b"h", false, false, &[])),
            Err("credential id not 1 to 1023 bytes")
        );
    }
    assert!(parse(record_text(b"id", &[2; 64], false, false, &[])).is_ok());
    for handle in [&[][..], &[2; 65][..]] {
        assert_eq!(
            parse(record_text(b"id", handle, false, false, &[])),
            Err("user handle not 1 to 64 bytes")
        );
    }
    let long = "t".repeat(32);
    assert!(parse(record_text(b"id", b"h", false, false, &[long.as_str(); 16])).is_ok());
    assert_eq!(
        parse(record_text(b"id", b"h", false, false, &[long.as_str(); 17])),
        Err("transports not an array of at most 16")
    );
    for bad in ["", "t".repeat(33).as_str()] {
        assert_eq!(
            parse(record_text(b"id", b"h", false, false, &[bad])),
            Err("transport not a short text")
        );
    }
}

/// The size limits hold at their exact values, and each refusal names its check.
#[test]
fn registration_limits_and_details() {
    let reg = Reg::new(Signer::es256(), UP);
    let object = reg.none();
    for (len, ok) in [(1, true), (64, true), (0, false), (65, false)] {
        let handle = vec![5u8; len];
        let got = verify_registration(&rp(), &reg.challenge, &handle, &reg.client_data, &object);
        match got {
            Ok(record) => {
                assert!(ok, "{len}");
                assert_eq!(record.user_handle(), handle.as_slice());
            }
            Err(e) => {
                assert!(!ok, "{len}");
                assert_eq!(e, RegistrationError::InvalidUserHandle);
            }
        }
    }
    // An attestation object of exactly 32 KiB is parsed (and refused as CBOR), one
    // byte more is refused for its size.
    let exact = vec![0xa0; MAX_ATTESTATION_OBJECT_LEN];
    assert_eq!(MAX_ATTESTATION_OBJECT_LEN, 32 * 1024);
    let err = reg.verify(&rp(), &exact).unwrap_err();
    assert!(
        matches!(err, RegistrationError::MalformedAttestation(d) if d != "attestation object too large"),
        "{err:?}"
    );
    let err = reg
        .verify(&rp(), &[exact, vec![0xa0]].concat())
        .unwrap_err();
    assert_eq!(
        err,
        RegistrationError::MalformedAttestation("attestation object too large")
    );
    assert_eq!(err.detail(), "attestation object too large");
    assert_eq!(
        RegistrationError::WrongType.detail(),
        "clientDataJSON type is not webauthn.create"
    );

    // Record text: 8 KiB is read (and refused as not a record), one byte more is too long.
    let text = "x".repeat(8 * 1024);
    assert_eq!(
        CredentialRecord::from_text(&text).unwrap_err().detail(),
        "not a passkey-v1 record"
    );
    assert_eq!(
        CredentialRecord::from_text(&format!("{text}x"))
            .unwrap_err()
            .detail(),
        "too long"
    );
}

proptest! {
    #[test]
    fn record_round_trip_and_mutations(flip in any::<usize>(), val in 1u8..=255) {
        let reg = Reg::new(Signer::es256(), UP);
        let record = reg.verify(&rp(), &reg.none()).unwrap();
        let text = record.to_text();
        prop_assert_eq!(CredentialRecord::from_text(&text).unwrap(), record.clone());
        let mut bytes = text.into_bytes();
        let pos = flip % bytes.len();
        bytes[pos] ^= val;
        if let Ok(s) = std::str::from_utf8(&bytes) {
            if let Ok(parsed) = CredentialRecord::from_text(s) {
                // A change that still parses must have changed the record.
                prop_assert_ne!(parsed, record);
            }
        }
    }

    #[test]
    fn registration_never_panics(
        cd in proptest::collection::vec(any::<u8>(), 0..200),
        obj in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = verify_registration(&rp(), &[0; 32], USER_HANDLE, &cd, &obj);
        let reg = Reg::new(Signer::es256(), UP);
        let _ = verify_registration(&rp(), &reg.challenge, USER_HANDLE, &reg.client_data, &obj);
    }
}
