//! The official W3C WebAuthn Level 3 test vectors (index.bs, "Test Vectors", as
//! copied into shared/specs/webauthn_vectors.json; SPECS §6.6): ES256, EdDSA and
//! RS256 assertions verify, and the negative tests the spec digest derives from them
//! fail with the right error.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::hex;
use sasl_core::{PasskeyAccount, PasskeyAssertion, PasskeyCredential, UserVerification};
use sasl_passkey::webauthn::{
    AssertionError, AuthenticatorData, ClientData, CoseAlgorithm, CoseKey, RelyingParty,
    verify_assertion,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../shared/specs/webauthn_vectors.json");

struct Vector {
    name: String,
    alg: CoseAlgorithm,
    rp_id: String,
    origin: String,
    rp_id_hash: Vec<u8>,
    credential_id: Vec<u8>,
    cose: Vec<u8>,
    challenge: Vec<u8>,
    auth_data: Vec<u8>,
    client_data: Vec<u8>,
    signature: Vec<u8>,
    flags: (bool, bool, bool, bool),
    sign_count: u32,
}

fn vectors() -> Vec<Vector> {
    let json: Value = serde_json::from_str(VECTORS).unwrap();
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k}")).to_owned();
    let list = json["vectors"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    list.iter()
        .map(|v| {
            let a = &v["assertion"];
            assert_eq!(
                s(a, "signed_data"),
                "authenticatorData || SHA-256(clientDataJSON)"
            );
            assert_eq!(
                s(a, "clientDataJSON_utf8").into_bytes(),
                hex(&s(a, "clientDataJSON_hex"))
            );
            Vector {
                name: s(v, "name"),
                alg: CoseAlgorithm::from_cose_id(v["alg"].as_i64().unwrap()).unwrap(),
                rp_id: s(v, "rpId"),
                origin: s(v, "expected_origin"),
                rp_id_hash: hex(&s(v, "rpIdHash_hex")),
                credential_id: hex(&s(v, "credential_id_hex")),
                cose: hex(&s(v, "credential_public_key_cose_hex")),
                challenge: hex(&s(a, "challenge_hex")),
                auth_data: hex(&s(a, "authenticatorData_hex")),
                client_data: hex(&s(a, "clientDataJSON_hex")),
                signature: hex(&s(a, "signature_hex")),
                flags: (
                    a["UP"].as_bool().unwrap(),
                    a["UV"].as_bool().unwrap(),
                    a["BE"].as_bool().unwrap(),
                    a["BS"].as_bool().unwrap(),
                ),
                sign_count: u32::try_from(a["signCount"].as_u64().unwrap()).unwrap(),
            }
        })
        .collect()
}

impl Vector {
    fn rp(&self) -> RelyingParty {
        RelyingParty::new(self.rp_id.clone(), [self.origin.clone()])
    }

    fn account(&self, stored_count: u32) -> PasskeyAccount {
        let credential =
            PasskeyCredential::new(self.credential_id.clone(), self.cose.clone(), stored_count)
                .with_backup(self.flags.2, self.flags.3);
        PasskeyAccount::new("user", b"vector-user".to_vec(), vec![credential])
    }

    fn assertion(&self) -> PasskeyAssertion {
        PasskeyAssertion {
            credential_id: self.credential_id.clone(),
            authenticator_data: self.auth_data.clone(),
            client_data_json: self.client_data.clone(),
            signature: self.signature.clone(),
            user_handle: None,
        }
    }

    fn verify_with(
        &self,
        rp: &RelyingParty,
        account: &PasskeyAccount,
        assertion: &PasskeyAssertion,
    ) -> Result<sasl_passkey::webauthn::VerifiedAssertion, AssertionError> {
        verify_assertion(
            rp,
            &self.challenge,
            std::slice::from_ref(&self.credential_id),
            account,
            assertion,
        )
    }
}

#[test]
fn vectors_parse() {
    for v in vectors() {
        let key = CoseKey::from_cbor(&v.cose).unwrap();
        assert_eq!(key.algorithm(), v.alg, "{}", v.name);
        assert_eq!(key.to_cbor(), v.cose);
        let ad = AuthenticatorData::parse(&v.auth_data).unwrap();
        assert_eq!(ad.rp_id_hash().as_slice(), v.rp_id_hash.as_slice());
        assert_eq!(v.rp().rp_id_hash().as_slice(), v.rp_id_hash.as_slice());
        let f = ad.flags();
        assert_eq!(
            (
                f.user_present(),
                f.user_verified(),
                f.backup_eligible(),
                f.backup_state()
            ),
            v.flags,
            "{}",
            v.name
        );
        assert_eq!(ad.sign_count(), v.sign_count);
        assert!(ad.attested_credential_data().is_none() && ad.extensions().is_none());
        let cd = ClientData::parse(&v.client_data).unwrap();
        assert_eq!(cd.ty(), "webauthn.get");
        assert_eq!(cd.challenge(), v.challenge.as_slice());
        assert_eq!(cd.origin(), v.origin);
        assert_eq!(cd.cross_origin(), Some(false));
        assert_eq!(cd.top_origin(), None);
    }
}

#[test]
fn vectors_verify() {
    let all = vectors();
    let algs: Vec<_> = all.iter().map(|v| v.alg).collect();
    assert_eq!(
        algs,
        [
            CoseAlgorithm::Es256,
            CoseAlgorithm::EdDsa,
            CoseAlgorithm::Rs256
        ]
    );
    for v in &all {
        let key = CoseKey::from_cbor(&v.cose).unwrap();
        let mut signed = v.auth_data.clone();
        signed.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(&v.client_data));
        key.verify(&signed, &v.signature).unwrap();

        let ok = v
            .verify_with(&v.rp(), &v.account(0), &v.assertion())
            .unwrap();
        assert_eq!(ok.credential_id(), v.credential_id.as_slice(), "{}", v.name);
        assert_eq!(ok.sign_count(), 0);
        assert_eq!(ok.backup_eligible(), v.flags.2);
        assert_eq!(ok.backup_state(), v.flags.3);
        assert!(!ok.user_verified());
        assert!(!ok.counter_regressed());
        let used = ok.to_passkey_use();
        assert_eq!(used.credential_id, v.credential_id);
        assert!(!used.possible_clone);

        // Discoverable flow: no allowCredentials, the userHandle names the account.
        let mut discoverable = v.assertion();
        discoverable.user_handle = Some(b"vector-user".to_vec());
        verify_assertion(&v.rp(), &v.challenge, &[], &v.account(0), &discoverable).unwrap();
        discoverable.user_handle = None;
        assert_eq!(
            verify_assertion(&v.rp(), &v.challenge, &[], &v.account(0), &discoverable),
            Err(AssertionError::UserHandleMissing)
        );
    }
}

/// SPECS §6.6 "Negative tests to derive from these".
#[test]
fn vectors_negative() {
    for v in vectors() {
        let rp = v.rp();
        let account = v.account(0);
        let name = &v.name;

        // One flipped byte in the signature, authenticator data or client data.
        let mut a = v.assertion();
        let last = a.signature.len() - 1;
        a.signature[last] ^= 1;
        assert_eq!(
            v.verify_with(&rp, &account, &a),
            Err(AssertionError::BadSignature),
            "{name}"
        );
        let mut a = v.assertion();
        a.authenticator_data[36] ^= 1; // the counter's last byte
        assert_eq!(
            v.verify_with(&rp, &account, &a),
            Err(AssertionError::BadSignature),
            "{name}"
        );
        let mut a = v.assertion();
        a.authenticator_data[32] ^= 0x02; // RFU1: ignored by the parser, but signed
        assert_eq!(
            v.verify_with(&rp, &account, &a),
            Err(AssertionError::BadSignature),
            "{name}"
        );
        let mut a = v.assertion();
        let pos = a.client_data_json.len() - 3; // inside "false"
        a.client_data_json[pos] = b'X';
        assert!(v.verify_with(&rp, &account, &a).is_err(), "{name}");
        let mut a = v.assertion();
        let cd = String::from_utf8(a.client_data_json.clone()).unwrap();
        a.client_data_json = cd
            .replace("\"crossOrigin\":false", "\"crossOrigin\":false ")
            .into_bytes();
        assert_eq!(
            v.verify_with(&rp, &account, &a),
            Err(AssertionError::BadSignature),
            "{name}"
        );

        // Another expected RP ID or origin.
        let other_rp = RelyingParty::new("example.com", [v.origin.clone()]);
        assert_eq!(
            v.verify_with(&other_rp, &account, &v.assertion()),
            Err(AssertionError::RpIdHashMismatch),
            "{name}"
        );
        let other_origin = RelyingParty::new(v.rp_id.clone(), ["https://example.com"]);
        assert_eq!(
            v.verify_with(&other_origin, &account, &v.assertion()),
            Err(AssertionError::OriginNotAllowed),
            "{name}"
        );

        // User verification required: every vector has UV clear.
        let uv = v.rp().with_user_verification(UserVerification::Required);
        assert_eq!(
            v.verify_with(&uv, &account, &v.assertion()),
            Err(AssertionError::UserNotVerified),
            "{name}"
        );

        // type webauthn.create.
        let mut a = v.assertion();
        let cd = String::from_utf8(a.client_data_json.clone()).unwrap();
        a.client_data_json = cd.replace("webauthn.get", "webauthn.create").into_bytes();
        assert_eq!(
            v.verify_with(&rp, &account, &a),
            Err(AssertionError::WrongType),
            "{name}"
        );

        // Another challenge.
        let mut other = v.challenge.clone();
        other[0] ^= 1;
        assert_eq!(
            verify_assertion(
                &rp,
                &other,
                std::slice::from_ref(&v.credential_id),
                &account,
                &v.assertion()
            ),
            Err(AssertionError::ChallengeMismatch),
            "{name}"
        );

        // Stored counter 5, received 0: refused, or accepted and flagged by policy.
        let stored5 = v.account(5);
        assert_eq!(
            v.verify_with(&rp, &stored5, &v.assertion()),
            Err(AssertionError::CounterRegression),
            "{name}"
        );
        let lenient = v.rp().allow_counter_regression(true);
        let ok = v.verify_with(&lenient, &stored5, &v.assertion()).unwrap();
        assert!(ok.counter_regressed());
        assert_eq!(ok.sign_count(), 5, "the stored counter never goes down");
        assert_eq!(ok.reported_sign_count(), 0);
        assert!(ok.to_passkey_use().possible_clone);

        // The stored BE must match.
        let flipped = PasskeyAccount::new(
            "user",
            b"vector-user".to_vec(),
            vec![
                PasskeyCredential::new(v.credential_id.clone(), v.cose.clone(), 0)
                    .with_backup(!v.flags.2, false),
            ],
        );
        assert_eq!(
            v.verify_with(&rp, &flipped, &v.assertion()),
            Err(AssertionError::BackupStateInvalid),
            "{name}"
        );
    }
}
