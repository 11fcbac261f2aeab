//! Assertion verification refusals, one per check, on responses built and signed by
//! the tests (ES256 and Ed25519 keys from aws-lc-rs); parsers on arbitrary input and
//! mutated valid assertions (proptest).
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
use sasl_core::{FailureKind, PasskeyAccount, PasskeyCredential, UserVerification};
use sasl_passkey::webauthn::{
    AssertionError, AuthenticatorData, AuthenticatorDataError, ClientData, CoseKey, CoseKeyError,
    CredentialRecord, RelyingParty,
};

#[test]
fn valid_login_both_algorithms() {
    for signer in [Signer::es256(), Signer::ed25519()] {
        let login = Login::with_signer(signer);
        let ok = login.verify().unwrap();
        assert_eq!(ok.credential_id(), CRED_ID);
        assert_eq!(ok.sign_count(), 8);
        assert!(ok.user_verified());
        assert!(!ok.backup_eligible() && !ok.backup_state() && !ok.counter_regressed());
        // Without a userHandle in the non-discoverable flow.
        let mut login = login;
        login.assertion.user_handle = None;
        login.verify().unwrap();
        // A native-app origin in the allowlist.
        let ad = login.assertion.authenticator_data.clone();
        let cd = client_data(
            "webauthn.get",
            &login.challenge,
            "android:apk-key-hash:abc",
            "",
        );
        login.resign(ad, cd);
        login.verify().unwrap();
    }
}

#[test]
fn wrong_origin() {
    let mut login = Login::new();
    let ad = login.assertion.authenticator_data.clone();
    for origin in [
        "https://evil.example",
        "http://example.com",
        "https://example.com:443",
        "https://example.com/",
    ] {
        let cd = client_data("webauthn.get", &login.challenge, origin, "");
        login.resign(ad.clone(), cd);
        assert_eq!(
            login.verify(),
            Err(AssertionError::OriginNotAllowed),
            "{origin}"
        );
    }
}

#[test]
fn wrong_rp_id() {
    let mut login = Login::new();
    let cd = login.assertion.client_data_json.clone();
    login.resign(auth_data("evil.example", UP | UV, 8, &[]), cd);
    assert_eq!(login.verify(), Err(AssertionError::RpIdHashMismatch));
    // And the other way round: the server configured for another RP ID.
    let mut login = Login::new();
    login.rp = RelyingParty::new("mail.example.com", [ORIGIN]);
    assert_eq!(login.verify(), Err(AssertionError::RpIdHashMismatch));
}

#[test]
fn replayed_challenge() {
    let mut login = Login::new();
    login.challenge = vec![0x43; 32];
    assert_eq!(login.verify(), Err(AssertionError::ChallengeMismatch));
    login.challenge = vec![0x42; 31];
    assert_eq!(login.verify(), Err(AssertionError::ChallengeMismatch));
}

#[test]
fn user_presence_and_verification() {
    let mut login = Login::new();
    let cd = login.assertion.client_data_json.clone();
    login.resign(auth_data(RP_ID, UV, 8, &[]), cd.clone());
    assert_eq!(login.verify(), Err(AssertionError::UserNotPresent));

    login.resign(auth_data(RP_ID, UP, 8, &[]), cd);
    login.verify().unwrap();
    login.rp = login
        .rp
        .clone()
        .with_user_verification(UserVerification::Required);
    assert_eq!(login.verify(), Err(AssertionError::UserNotVerified));
    login.rp = login
        .rp
        .clone()
        .with_user_verification(UserVerification::Discouraged);
    login.verify().unwrap();
}

#[test]
fn bad_signature() {
    let mut login = Login::new();
    login.assertion.signature[10] ^= 0x80;
    assert_eq!(login.verify(), Err(AssertionError::BadSignature));
    login.assertion.signature.clear();
    assert_eq!(login.verify(), Err(AssertionError::BadSignature));
    // Signed by another key.
    let mut login = Login::new();
    let other = Signer::es256();
    login.assertion.signature = other.sign_webauthn(
        &login.assertion.authenticator_data,
        &login.assertion.client_data_json,
    );
    assert_eq!(login.verify(), Err(AssertionError::BadSignature));
}

#[test]
fn unknown_credential_and_other_users() {
    // Not in allowCredentials.
    let mut login = Login::new();
    login.assertion.credential_id = b"credential-9999".to_vec();
    assert_eq!(login.verify(), Err(AssertionError::CredentialNotAllowed));
    // Discoverable flow: a credential the account does not have.
    login.allowed.clear();
    assert_eq!(login.verify(), Err(AssertionError::UnknownCredential));

    // Bob's credential presented for Alice: Alice's allow list does not have it, and
    // in the discoverable flow Alice's account does not own it.
    let bob = Signer::es256();
    let mut login = Login::new();
    let ad = auth_data(RP_ID, UP | UV, 1, &[]);
    let cd = client_data("webauthn.get", &login.challenge, ORIGIN, "");
    login.assertion.signature = bob.sign_webauthn(&ad, &cd);
    login.assertion.authenticator_data = ad;
    login.assertion.client_data_json = cd;
    login.assertion.credential_id = b"bob-credential".to_vec();
    login.assertion.user_handle = Some(b"user-handle-bob".to_vec());
    assert_eq!(login.verify(), Err(AssertionError::CredentialNotAllowed));
    login.allowed.clear();
    assert_eq!(login.verify(), Err(AssertionError::UnknownCredential));
    // Listing Bob's id in Alice's challenge does not help either.
    login.allowed = vec![b"bob-credential".to_vec()];
    assert_eq!(login.verify(), Err(AssertionError::UnknownCredential));
}

#[test]
fn user_handle_mismatch() {
    let mut login = Login::new();
    login.assertion.user_handle = Some(b"user-handle-bob".to_vec());
    assert_eq!(login.verify(), Err(AssertionError::UserHandleMismatch));
    login.allowed.clear();
    assert_eq!(login.verify(), Err(AssertionError::UserHandleMismatch));
    login.assertion.user_handle = None;
    assert_eq!(login.verify(), Err(AssertionError::UserHandleMissing));
    login.assertion.user_handle = Some(USER_HANDLE.to_vec());
    login.verify().unwrap();
}

#[test]
fn counter_policy() {
    let mut login = Login::new();
    let cd = login.assertion.client_data_json.clone();
    for (new, ok) in [(6u32, false), (7, false), (8, true), (u32::MAX, true)] {
        login.resign(auth_data(RP_ID, UP | UV, new, &[]), cd.clone());
        assert_eq!(login.verify().is_ok(), ok, "{new}");
        if !ok {
            assert_eq!(login.verify(), Err(AssertionError::CounterRegression));
        }
    }
    // Both zero: no counter (synced passkeys).
    let cred = PasskeyCredential::new(CRED_ID.to_vec(), login.signer.cose(), 0);
    login.account = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![cred]);
    login.resign(auth_data(RP_ID, UP | UV, 0, &[]), cd.clone());
    let ok = login.verify().unwrap();
    assert!(!ok.counter_regressed());
    // Allowed regression: reported, and the stored counter is kept.
    let cred = PasskeyCredential::new(CRED_ID.to_vec(), login.signer.cose(), 7);
    login.account = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![cred]);
    login.resign(auth_data(RP_ID, UP | UV, 3, &[]), cd);
    assert_eq!(login.verify(), Err(AssertionError::CounterRegression));
    login.rp = login.rp.clone().allow_counter_regression(true);
    let ok = login.verify().unwrap();
    assert!(ok.counter_regressed());
    assert_eq!((ok.sign_count(), ok.reported_sign_count()), (7, 3));
}

#[test]
fn authenticator_data_structure() {
    let mut login = Login::new();
    let cd = login.assertion.client_data_json.clone();
    // Trailing bytes without ED, and after the extensions map.
    login.resign(auth_data(RP_ID, UP | UV, 8, &[0]), cd.clone());
    assert_eq!(login.verify(), Err(AssertionError::TrailingBytes));
    login.resign(auth_data(RP_ID, UP | UV | ED, 8, &hex("a0ff")), cd.clone());
    assert_eq!(login.verify(), Err(AssertionError::TrailingBytes));
    // A well-formed extensions map with an unknown extension is fine.
    login.resign(
        auth_data(RP_ID, UP | UV | ED, 8, &hex("a16b756e6b6e6f776e2d657874f5")),
        cd.clone(),
    );
    login.verify().unwrap();
    // Authenticator data of 96 bytes (signed from a stack buffer with the 32-byte
    // client data hash) and of 97 bytes (from the heap): both verify, and a wrong
    // signature fails on both.
    for key_len in [55, 56] {
        let mut ext = vec![0xa1];
        ext.extend(cbor_text(&"e".repeat(key_len)));
        ext.push(0xf5);
        let data = auth_data(RP_ID, UP | UV | ED, 8, &ext);
        assert_eq!(data.len(), 41 + key_len);
        login.resign(data, cd.clone());
        login.verify().unwrap();
        let last = login.assertion.signature.len() - 1;
        login.assertion.signature[last] ^= 1;
        assert_eq!(login.verify(), Err(AssertionError::BadSignature));
    }
    // ED without a map, with a non-map, with malformed CBOR.
    for rest in ["", "80", "a1", "bf", "a2010101"] {
        login.resign(auth_data(RP_ID, UP | UV | ED, 8, &hex(rest)), cd.clone());
        assert!(
            matches!(
                login.verify(),
                Err(AssertionError::MalformedAuthenticatorData(_))
            ),
            "{rest}"
        );
    }
    // Too short.
    let mut short = auth_data(RP_ID, UP | UV, 8, &[]);
    short.pop();
    login.resign(short, cd.clone());
    assert!(matches!(
        login.verify(),
        Err(AssertionError::MalformedAuthenticatorData(_))
    ));
    // Attested credential data in an assertion.
    let key = login.signer.cose();
    login.resign(
        auth_data(RP_ID, UP | UV | AT, 8, &attested([0; 16], CRED_ID, &key)),
        cd,
    );
    assert!(matches!(
        login.verify(),
        Err(AssertionError::MalformedAuthenticatorData(_))
    ));
}

#[test]
fn malformed_client_data() {
    let mut login = Login::new();
    let ad = login.assertion.authenticator_data.clone();
    let c = b64(&login.challenge);
    let cases = [
        "not json".to_owned(),
        "[]".to_owned(),
        String::new(),
        format!(r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}""#),
        format!(r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}"}} x"#),
        format!(
            r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}","origin":"{ORIGIN}"}}"#
        ),
        format!(r#"{{"type":"webauthn.get","challenge":"{c}=","origin":"{ORIGIN}"}}"#),
        format!(
            r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}","crossOrigin":"false"}}"#
        ),
        format!(r#"{{"type":"webauthn.get","challenge":"{c}"}}"#),
        format!(r#"{{"type":1,"challenge":"{c}","origin":"{ORIGIN}"}}"#),
        format!(r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}","topOrigin":5}}"#),
    ];
    for cd in cases {
        login.resign(ad.clone(), cd.clone().into_bytes());
        assert!(
            matches!(login.verify(), Err(AssertionError::MalformedClientData(_))),
            "{cd}"
        );
        assert_eq!(
            login.verify().unwrap_err().failure_kind(),
            FailureKind::Malformed
        );
    }
    login.resign(ad.clone(), vec![0xff, 0xfe]);
    assert!(matches!(
        login.verify(),
        Err(AssertionError::MalformedClientData(_))
    ));
    let mut big = client_data("webauthn.get", &login.challenge, ORIGIN, "");
    big.truncate(big.len() - 1);
    big.extend_from_slice(format!(r#","pad":"{}"}}"#, "a".repeat(9000)).as_bytes());
    login.resign(ad.clone(), big);
    assert!(matches!(
        login.verify(),
        Err(AssertionError::MalformedClientData(_))
    ));

    // A BOM is stripped, unknown members are ignored, member order does not matter.
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&client_data("webauthn.get", &login.challenge, ORIGIN, r#","other_keys_can_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex""#));
    login.resign(ad.clone(), bom);
    login.verify().unwrap();
    let reordered = format!(r#"{{"origin":"{ORIGIN}","challenge":"{c}","type":"webauthn.get"}}"#);
    login.resign(ad.clone(), reordered.into_bytes());
    login.verify().unwrap();
    // A repeated member this crate does not read changes nothing it checks.
    let repeated =
        format!(r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}","x":1,"x":2}}"#);
    login.resign(ad, repeated.into_bytes());
    login.verify().unwrap();
}

#[test]
fn wrong_type() {
    let mut login = Login::new();
    let ad = login.assertion.authenticator_data.clone();
    for ty in ["webauthn.create", "payment.get", "WEBAUTHN.GET", ""] {
        login.resign(ad.clone(), client_data(ty, &login.challenge, ORIGIN, ""));
        assert_eq!(login.verify(), Err(AssertionError::WrongType), "{ty}");
    }
}

#[test]
fn backup_flags() {
    let mut login = Login::new();
    let cd = login.assertion.client_data_json.clone();
    login.resign(auth_data(RP_ID, UP | UV | BS, 8, &[]), cd.clone());
    assert_eq!(login.verify(), Err(AssertionError::BackupStateInvalid));
    // BE set but the credential was registered as not backup eligible.
    login.resign(auth_data(RP_ID, UP | UV | BE | BS, 8, &[]), cd.clone());
    assert_eq!(login.verify(), Err(AssertionError::BackupStateInvalid));
    // Registered as eligible: BE alone and BE|BS both fine, BE clear is not.
    let cred =
        PasskeyCredential::new(CRED_ID.to_vec(), login.signer.cose(), 7).with_backup(true, false);
    login.account = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![cred]);
    let ok = login.verify().unwrap();
    assert!(ok.backup_eligible() && ok.backup_state());
    assert!(ok.to_passkey_use().backup_state);
    login.resign(auth_data(RP_ID, UP | UV | BE, 8, &[]), cd.clone());
    assert!(!login.verify().unwrap().backup_state());
    login.resign(auth_data(RP_ID, UP | UV, 8, &[]), cd);
    assert_eq!(login.verify(), Err(AssertionError::BackupStateInvalid));
}

#[test]
fn cross_origin() {
    let mut login = Login::new();
    let ad = login.assertion.authenticator_data.clone();
    let c = b64(&login.challenge);
    let cross = format!(
        r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}","crossOrigin":true}}"#
    );
    let top = format!(
        r#"{{"type":"webauthn.get","challenge":"{c}","origin":"{ORIGIN}","crossOrigin":true,"topOrigin":"https://top.example"}}"#
    );
    login.resign(ad.clone(), cross.clone().into_bytes());
    assert_eq!(login.verify(), Err(AssertionError::CrossOriginNotAllowed));
    login.resign(ad.clone(), top.clone().into_bytes());
    assert_eq!(login.verify(), Err(AssertionError::CrossOriginNotAllowed));

    login.rp = login.rp.clone().allow_cross_origin(true);
    login.resign(ad.clone(), cross.into_bytes());
    login.verify().unwrap();
    login.resign(ad.clone(), top.clone().into_bytes());
    assert_eq!(login.verify(), Err(AssertionError::OriginNotAllowed));
    login.rp = RelyingParty::new(RP_ID, [ORIGIN, "https://top.example"]).allow_cross_origin(true);
    login.resign(ad, top.into_bytes());
    login.verify().unwrap();
}

#[test]
fn unsupported_stored_key() {
    let mut login = Login::new();
    let cred = PasskeyCredential::new(CRED_ID.to_vec(), hex("a3010203262001"), 7);
    login.account = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![cred]);
    let e = login.verify().unwrap_err();
    assert_eq!(e, AssertionError::UnsupportedKey);
    assert_eq!(e.failure_kind(), FailureKind::Internal);
}

#[test]
fn failure_kinds_and_details() {
    use AssertionError::*;
    let all = [
        UnknownCredential,
        CredentialNotAllowed,
        UserHandleMissing,
        UserHandleMismatch,
        MalformedClientData("x"),
        WrongType,
        ChallengeMismatch,
        OriginNotAllowed,
        CrossOriginNotAllowed,
        MalformedAuthenticatorData("y"),
        TrailingBytes,
        RpIdHashMismatch,
        UserNotPresent,
        UserNotVerified,
        BackupStateInvalid,
        UnsupportedKey,
        BadSignature,
        CounterRegression,
    ];
    for e in all {
        assert!(!e.detail().is_empty());
        assert!(!e.to_string().is_empty());
        let expected = match e {
            MalformedClientData(_) | MalformedAuthenticatorData(_) | TrailingBytes => {
                FailureKind::Malformed
            }
            UnsupportedKey => FailureKind::Internal,
            _ => FailureKind::InvalidCredentials,
        };
        assert_eq!(e.failure_kind(), expected, "{e:?}");
    }
}

#[test]
fn cose_keys() {
    let es = Signer::es256().cose();
    assert!(CoseKey::from_cbor(&es).is_ok());
    // Trailing bytes, not a map, a missing alg, an off-curve point, a compressed
    // point, another curve, another algorithm.
    let mut trailing = es.clone();
    trailing.push(0);
    assert!(matches!(
        CoseKey::from_cbor(&trailing),
        Err(CoseKeyError::Malformed(_))
    ));
    assert!(matches!(
        CoseKey::from_cbor(&hex("80")),
        Err(CoseKeyError::Malformed(_))
    ));
    assert!(matches!(
        CoseKey::from_cbor(&hex("a10102")),
        Err(CoseKeyError::Malformed(_))
    ));
    let mut off_curve = es.clone();
    let last = off_curve.len() - 1;
    off_curve[last] ^= 1;
    assert!(matches!(
        CoseKey::from_cbor(&off_curve),
        Err(CoseKeyError::Malformed(_))
    ));
    let mut compressed = es[..es.len() - 35].to_vec();
    compressed.extend_from_slice(&hex("22f5"));
    assert!(matches!(
        CoseKey::from_cbor(&compressed),
        Err(CoseKeyError::Malformed(_))
    ));
    let mut p384 = es.clone();
    p384[6] = 0x02;
    assert!(matches!(
        CoseKey::from_cbor(&p384),
        Err(CoseKeyError::Unsupported(_))
    ));
    let mut es384 = es.clone();
    es384[4] = 0x38;
    assert!(CoseKey::from_cbor(&es384).is_err());
    let mut es_with_okp = es;
    es_with_okp[2] = 0x01;
    assert!(matches!(
        CoseKey::from_cbor(&es_with_okp),
        Err(CoseKeyError::Malformed(_))
    ));
    // RSA below 2048 bits.
    let mut small_rsa = hex("a401030339010020590100");
    small_rsa.extend_from_slice(&[0xc5; 256]);
    small_rsa.extend_from_slice(&hex("2143010001"));
    assert!(CoseKey::from_cbor(&small_rsa).is_ok(), "2048-bit modulus");
    let mut tiny = hex("a4010303390100205880");
    tiny.extend_from_slice(&[0xc5; 128]);
    tiny.extend_from_slice(&hex("2143010001"));
    assert!(matches!(
        CoseKey::from_cbor(&tiny),
        Err(CoseKeyError::Unsupported(_))
    ));
    let ed = Signer::ed25519().cose();
    let key = CoseKey::from_cbor(&ed).unwrap();
    assert_eq!(key.algorithm().cose_id(), -8);
}

#[test]
fn authenticator_data_accessors() {
    let key = Signer::ed25519().cose();
    let bytes = auth_data(
        RP_ID,
        UP | AT | ED,
        3,
        &[attested([7; 16], b"id", &key), hex("a0")].concat(),
    );
    let ad = AuthenticatorData::parse(&bytes).unwrap();
    let at = ad.attested_credential_data().unwrap();
    assert_eq!(at.aaguid(), &[7; 16]);
    assert_eq!(at.credential_id(), b"id");
    assert_eq!(at.public_key_bytes(), key.as_slice());
    assert_eq!(ad.extensions(), Some(&[0xa0u8][..]));
    assert_eq!(ad.sign_count(), 3);
    assert_eq!(ad.as_bytes(), bytes.as_slice());
    // Credential id length 0 and 1024.
    for len in [0usize, 1024] {
        let id = vec![1; len];
        let bytes = auth_data(RP_ID, UP | AT, 0, &attested([0; 16], &id, &key));
        assert!(matches!(
            AuthenticatorData::parse(&bytes),
            Err(AuthenticatorDataError::Malformed(_))
        ));
    }
    let id = vec![1; 1023];
    let bytes = auth_data(RP_ID, UP | AT, 0, &attested([0; 16], &id, &key));
    assert!(AuthenticatorData::parse(&bytes).is_ok());
    // AT with an unsupported key.
    let bytes = auth_data(
        RP_ID,
        UP | AT,
        0,
        &attested([0; 16], b"id", &hex("a301020338222001")),
    );
    assert!(matches!(
        AuthenticatorData::parse(&bytes),
        Err(AuthenticatorDataError::UnsupportedKey(_))
    ));
}

/// A COSE_Key may take 2048 bytes, alone or inside attested credential data, and no
/// more; a P-256 coordinate of another length is refused for its length.
#[test]
fn cose_key_limits_and_details() {
    let es = Signer::es256().cose();
    // The ES256 key with one more (ignored) member, `kid` (label 2), padded to `len`.
    let padded = |len: usize| {
        let pad = len - es.len() - 4;
        let mut v = vec![0xa6];
        v.extend_from_slice(&es[1..]);
        v.push(0x02);
        v.extend_from_slice(&head(2, pad));
        v.extend(std::iter::repeat_n(0x11u8, pad));
        assert_eq!(v.len(), len);
        v
    };
    let exact = padded(2048);
    assert!(CoseKey::from_cbor(&exact).is_ok());
    let err = CoseKey::from_cbor(&padded(2049)).err().unwrap();
    assert_eq!(err, CoseKeyError::Malformed("key too large"));
    assert_eq!(err.detail(), "key too large");
    let in_auth_data = |key: &[u8]| {
        let bytes = auth_data(RP_ID, UP | AT, 0, &attested([0; 16], b"id", key));
        AuthenticatorData::parse(&bytes).map(|ad| ad.attested_credential_data().is_some())
    };
    assert_eq!(in_auth_data(&exact), Ok(true));
    assert_eq!(
        in_auth_data(&padded(2049)),
        Err(AuthenticatorDataError::Malformed("key too large"))
    );

    // x or y one byte short (the rest of the key well formed).
    let short_x = {
        let mut v = hex("a5010203262001");
        v.extend_from_slice(&hex("21581f"));
        v.extend_from_slice(&es[11..42]);
        v.extend_from_slice(&es[42..]);
        v
    };
    let short_y = es[..es.len() - 35]
        .iter()
        .copied()
        .chain(hex("22581f"))
        .chain(es[es.len() - 31..].iter().copied())
        .collect::<Vec<u8>>();
    for key in [short_x, short_y] {
        let err = CoseKey::from_cbor(&key).err().unwrap();
        assert_eq!(err.detail(), "P-256 coordinate not 32 bytes");
    }
    assert_eq!(
        CoseKeyError::Unsupported("EdDSA key not Ed25519").detail(),
        "EdDSA key not Ed25519"
    );

    // RSA: n or e zero-padded (each alone), e of 32 bits and of 33.
    let rsa = |n: &[u8], e: &[u8]| {
        let mut v = hex("a40103033901002059");
        v.extend_from_slice(&(n.len() as u16).to_be_bytes());
        v.extend_from_slice(n);
        v.extend_from_slice(&[0x21]);
        v.extend_from_slice(&cbor_bytes(e));
        CoseKey::from_cbor(&v)
    };
    let n = [0xc5u8; 256];
    assert!(rsa(&n, &[1, 0, 1]).is_ok());
    let padded_n = [&[0u8][..], &n].concat();
    for (n, e) in [
        (&padded_n[..], &[1u8, 0, 1][..]),
        (&n[..], &[0, 1, 0, 1][..]),
    ] {
        assert_eq!(
            rsa(n, e).err().map(|e| e.detail()),
            Some("RSA component empty or zero-padded")
        );
    }
    assert!(rsa(&n, &[1, 0, 0, 1]).is_ok(), "a 32-bit exponent");
    assert_eq!(
        rsa(&n, &[1, 0, 0, 0, 1]).err(),
        Some(CoseKeyError::Unsupported(
            "RSA exponent larger than 32 bits"
        ))
    );

    // Keys compare by algorithm and bytes.
    let a = CoseKey::from_cbor(&es).unwrap();
    assert_eq!(a, CoseKey::from_cbor(&es).unwrap());
    assert_ne!(a, CoseKey::from_cbor(&Signer::es256().cose()).unwrap());
    assert_ne!(a, CoseKey::from_cbor(&Signer::ed25519().cose()).unwrap());
    assert_ne!(a, CoseKey::from_cbor(&exact).unwrap());
}

/// The size limits hold at their exact values, and each refusal says which check it was.
#[test]
fn size_limits_flags_and_details() {
    use sasl_passkey::webauthn::{
        ClientDataError, Flags, MAX_AUTHENTICATOR_DATA_LEN, MAX_CLIENT_DATA_LEN,
    };
    // Authenticator data of exactly the limit (an extensions map padded with one byte
    // string) parses; one byte more is refused as too large, not as trailing bytes.
    let exact = |len: usize| {
        let pad = len - 37 - 6; // a1 61 78 59 hi lo, then the bytes
        let mut ext = hex("a16178");
        ext.extend_from_slice(&head(2, pad));
        ext.extend(std::iter::repeat_n(0u8, pad));
        auth_data(RP_ID, UP | ED, 1, &ext)
    };
    let bytes = exact(MAX_AUTHENTICATOR_DATA_LEN);
    assert_eq!(bytes.len(), MAX_AUTHENTICATOR_DATA_LEN);
    let ad = AuthenticatorData::parse(&bytes).unwrap();
    assert_eq!(
        ad.extensions().map(<[u8]>::len),
        Some(MAX_AUTHENTICATOR_DATA_LEN - 37)
    );
    let over = exact(MAX_AUTHENTICATOR_DATA_LEN + 1);
    let err = AuthenticatorData::parse(&over).unwrap_err();
    assert_eq!(
        err,
        AuthenticatorDataError::Malformed("authenticator data too large")
    );
    assert_eq!(err.detail(), "authenticator data too large");

    // Extensions cut short and extensions that are not strict CBOR are told apart.
    let truncated = auth_data(RP_ID, UP | ED, 1, &hex("a16178"));
    assert_eq!(
        AuthenticatorData::parse(&truncated).unwrap_err().detail(),
        "extensions truncated"
    );
    let loose = auth_data(RP_ID, UP | ED, 1, &hex("a161781805"));
    assert_eq!(
        AuthenticatorData::parse(&loose).unwrap_err().detail(),
        "extensions not strict CBOR"
    );
    assert_eq!(
        AuthenticatorDataError::TrailingBytes.detail(),
        "bytes after the authenticator data"
    );
    let short = AuthenticatorData::parse(&[0; 36]).unwrap_err();
    assert_eq!(short.detail(), "shorter than 37 bytes");

    // The flags byte round-trips and each bit reads as its flag.
    for bits in [0u8, UP, UV, UP | UV | BE | BS, AT | ED, 0xff] {
        let flags = Flags::from_bits(bits);
        assert_eq!(flags.bits(), bits);
        assert_eq!(flags.user_present(), bits & UP != 0);
        assert_eq!(flags.user_verified(), bits & UV != 0);
        assert_eq!(flags.backup_eligible(), bits & BE != 0);
        assert_eq!(flags.backup_state(), bits & BS != 0);
        assert_eq!(flags.attested_credential_data(), bits & AT != 0);
        assert_eq!(flags.extension_data(), bits & ED != 0);
    }
    assert_eq!(ad.flags().bits(), UP | ED);

    // clientDataJSON of exactly 8 KiB parses; one byte more is refused as too large.
    let challenge = [9u8; 32];
    let sized = |len: usize| {
        let base = client_data("webauthn.get", &challenge, ORIGIN, r#","pad":"""#);
        let pad = len - base.len();
        client_data(
            "webauthn.get",
            &challenge,
            ORIGIN,
            &format!(r#","pad":"{}""#, "a".repeat(pad)),
        )
    };
    let cd = sized(MAX_CLIENT_DATA_LEN);
    assert_eq!(cd.len(), 8192);
    let parsed = ClientData::parse(&cd).unwrap();
    assert_eq!(parsed.challenge(), &challenge);
    let err: ClientDataError = ClientData::parse(&sized(MAX_CLIENT_DATA_LEN + 1)).unwrap_err();
    assert_eq!(err.detail(), "larger than 8 KiB");
    // The members in an array, as serde's derive would read them, are not client data.
    let array = format!(r#"["webauthn.get","{}","{ORIGIN}",false]"#, b64(&challenge));
    for text in ["[]", array.as_str(), "\"webauthn.get\"", "null"] {
        assert_eq!(
            ClientData::parse(text.as_bytes()).unwrap_err().detail(),
            "not one JSON object with string type/challenge/origin, boolean crossOrigin, each once",
            "{text}"
        );
    }
}

fn mutate(bytes: &mut Vec<u8>, op: u8, pos: usize, val: u8) {
    if bytes.is_empty() {
        bytes.push(val);
        return;
    }
    let pos = pos % bytes.len();
    match op % 4 {
        0 => bytes[pos] ^= val | 1,
        1 => bytes.truncate(pos),
        2 => bytes.insert(pos, val),
        _ => {
            bytes.remove(pos);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = AuthenticatorData::parse(&bytes);
        let _ = ClientData::parse(&bytes);
        let _ = CoseKey::from_cbor(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = CredentialRecord::from_text(text);
            let _ = CredentialRecord::from_text(&format!("passkey-v1:{text}"));
        }
        let _ = CredentialRecord::from_text(&format!("passkey-v1:{}", b64(&bytes)));
    }

    #[test]
    fn structured_authenticator_data_never_panics(
        flags in any::<u8>(),
        rest in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let _ = AuthenticatorData::parse(&auth_data(RP_ID, flags, 1, &rest));
    }

    #[test]
    fn mutated_assertions_never_verify(
        field in 0u8..4,
        op in any::<u8>(),
        pos in any::<usize>(),
        val in any::<u8>(),
        ed in any::<bool>(),
    ) {
        let mut login = if ed { Login::with_signer(Signer::ed25519()) } else { Login::new() };
        let a = &mut login.assertion;
        match field {
            0 => mutate(&mut a.authenticator_data, op, pos, val),
            1 => mutate(&mut a.client_data_json, op, pos, val),
            2 => mutate(&mut a.signature, op, pos, val),
            _ => mutate(&mut a.credential_id, op, pos, val),
        }
        prop_assert!(login.verify().is_err());
    }
}

#[test]
fn into_failure_reason() {
    let reason = sasl_core::FailureReason::from(AssertionError::BadSignature);
    assert_eq!(reason.kind(), FailureKind::InvalidCredentials);
    assert_eq!(reason.detail(), "signature does not verify");
}
