//! PASSKEY server verification per exchange beside the raw signature verification
//! alone, on the W3C WebAuthn test vectors (ES256, EdDSA, RS256 with a 3488-bit key).
//!
//! Per algorithm:
//! - `raw_verify`: the signature check alone (`CoseKey::verify`: aws-lc-rs on a key
//!   parsed once) over `authenticatorData || SHA-256(clientDataJSON)`, the hash
//!   precomputed;
//! - `verify_assertion`: all of WebAuthn §7.2 (clientDataJSON, challenge, origin,
//!   rpIdHash, flags, counter, signature);
//! - `session`: a whole PASSKEY exchange through `ServerRegistry`/`ServerSession`
//!   (first message, lookup, request options encoded, the assertion decoded from
//!   WebAuthn JSON, verified, success);
//! - `session_interleaved`: a raw verify and a session exchange alternating call by
//!   call, printing the ratio of the totals (the machine drifts within a run);
//! - `part_decode_assertion`, `part_client_data`, `part_first_step`: the mechanism's
//!   own parts without the signature check (the response decoded, `clientDataJSON`
//!   parsed, a session started up to its challenge with the lookup answered).
//!
//! For ES256 and Ed25519 the candidate backends' raw verification is measured too:
//! aws-lc-rs and ring (`raw_aws_lc`, `raw_ring`).
//!
//! Run: `cargo bench -p sasl-benches --bench passkey`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    unreachable_pub
)]

use criterion::{Criterion, criterion_group, criterion_main};
use sasl_benches::interleaved::Interleaved;
use sasl_core::{
    ConnectionInfo, PasskeyAccount, PasskeyAssertion, PasskeyCredential, Request, ServerRegistry,
    ServerStep, UnixTime,
};
use sasl_passkey::codec::{decode_assertion, encode_assertion};
use sasl_passkey::webauthn::{ClientData, CoseKey, RelyingParty, verify_assertion};
use sasl_passkey::{Codec, PasskeyServer, PasskeyServerConfig};
use sasl_test::FixedRandom;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const VECTORS: &str = include_str!("../../../shared/specs/webauthn_vectors.json");

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let json: Value = serde_json::from_str(VECTORS).unwrap();
    for v in json["vectors"].as_array().unwrap() {
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        let a = &v["assertion"];
        let sa = |k: &str| a[k].as_str().unwrap().to_owned();
        let case = match v["alg"].as_i64().unwrap() {
            -7 => "es256",
            -8 => "eddsa",
            _ => "rs256",
        };
        let cose_bytes = hex(&s("credential_public_key_cose_hex"));
        let key = CoseKey::from_cbor(&cose_bytes).unwrap();
        let auth_data = hex(&sa("authenticatorData_hex"));
        let client_data = hex(&sa("clientDataJSON_hex"));
        let signature = hex(&sa("signature_hex"));
        let challenge = hex(&sa("challenge_hex"));
        let credential_id = hex(&s("credential_id_hex"));
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        key.verify(&signed, &signature).expect("vector verifies");

        let (be, bs) = (a["BE"].as_bool().unwrap(), a["BS"].as_bool().unwrap());
        let account = PasskeyAccount::new(
            "alice",
            b"alice".to_vec(),
            vec![
                PasskeyCredential::new(credential_id.clone(), cose_bytes.clone(), 0)
                    .with_backup(be, bs),
            ],
        );
        let assertion = PasskeyAssertion {
            credential_id: credential_id.clone(),
            authenticator_data: auth_data.clone(),
            client_data_json: client_data.clone(),
            signature: signature.clone(),
            user_handle: None,
        };
        let rp = RelyingParty::new(s("rpId"), [s("expected_origin")]);
        let allowed = vec![credential_id.clone()];
        verify_assertion(&rp, &challenge, &allowed, &account, &assertion).expect("verifies");

        // The session: its random source returns the vector's challenge.
        let config = PasskeyServerConfig::new(rp.clone())
            .unwrap()
            .with_random(Arc::new(FixedRandom(challenge.clone())));
        let mechs = ServerRegistry::new().with(PasskeyServer::factory(config));
        let conn = ConnectionInfo::tls();
        let response = encode_assertion(Codec::Json, &assertion);
        let store = |r: Request| match r {
            Request::PasskeyLookup(q) => q.found(account.clone()),
            other => other.unavailable(),
        };
        let exchange = || {
            let mut session = mechs.start("PASSKEY", &conn).unwrap();
            session.set_now(UnixTime::from_secs(1_767_225_600));
            let Ok(ServerStep::Challenge(_)) = session.start_with(Some(b"alice"), &store) else {
                panic!("options expected")
            };
            match session.step_with(&response, &store) {
                Ok(ServerStep::Success(ok)) => ok,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(exchange().identity(), "alice");

        let mut group = c.benchmark_group(format!("passkey/{case}"));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        group.bench_function("raw_verify", |b| {
            b.iter(|| {
                key.verify(black_box(&signed), black_box(&signature))
                    .is_ok()
            })
        });
        if case != "rs256" {
            // The candidate backends on the same key (the point / x from the COSE key).
            let (alg_aws, alg_ring, public): (
                &'static dyn aws_lc_rs::signature::VerificationAlgorithm,
                &'static dyn ring::signature::VerificationAlgorithm,
                Vec<u8>,
            ) = if case == "es256" {
                let mut point = vec![4u8];
                point.extend_from_slice(&cose_bytes[10..42]);
                point.extend_from_slice(&cose_bytes[45..77]);
                (
                    &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
                    &ring::signature::ECDSA_P256_SHA256_ASN1,
                    point,
                )
            } else {
                (
                    &aws_lc_rs::signature::ED25519,
                    &ring::signature::ED25519,
                    cose_bytes[cose_bytes.len() - 32..].to_vec(),
                )
            };
            let aws = aws_lc_rs::signature::ParsedPublicKey::new(alg_aws, &public).unwrap();
            assert!(aws.verify_sig(&signed, &signature).is_ok());
            let ring_key = ring::signature::UnparsedPublicKey::new(alg_ring, public.clone());
            assert!(ring_key.verify(&signed, &signature).is_ok());
            group.bench_function("raw_aws_lc", |b| {
                b.iter(|| {
                    aws.verify_sig(black_box(&signed), black_box(&signature))
                        .is_ok()
                })
            });
            group.bench_function("raw_ring", |b| {
                b.iter(|| {
                    ring_key
                        .verify(black_box(&signed), black_box(&signature))
                        .is_ok()
                })
            });
        }
        group.bench_function("verify_assertion", |b| {
            b.iter(|| {
                verify_assertion(&rp, &challenge, &allowed, &account, black_box(&assertion)).is_ok()
            })
        });
        group.bench_function("session", |b| b.iter(exchange));
        // The mechanism's own parts, without the signature check.
        group.bench_function("part_decode_assertion", |b| {
            b.iter(|| decode_assertion(Codec::Json, black_box(&response)).is_ok())
        });
        group.bench_function("part_client_data", |b| {
            b.iter(|| ClientData::parse(black_box(&client_data)).is_ok())
        });
        group.bench_function("part_first_step", |b| {
            b.iter(|| {
                let mut session = mechs.start("PASSKEY", &conn).unwrap();
                session.set_now(UnixTime::from_secs(1_767_225_600));
                black_box(session.start_with(Some(b"alice"), &store).is_ok())
            })
        });
        let interleaved = Interleaved::new();
        group.bench_function("session_interleaved", |b| {
            b.iter_custom(|iters| {
                interleaved.run(
                    iters,
                    || {
                        black_box(
                            key.verify(black_box(&signed), black_box(&signature))
                                .is_ok(),
                        );
                    },
                    || {
                        black_box(exchange());
                    },
                )
            })
        });
        interleaved.report(&format!("passkey/{case}"), "session / raw verify");
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
