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

#[path = "../passkey_driver.rs"]
mod passkey_driver;

use criterion::{Criterion, criterion_group, criterion_main};
use passkey_driver::PasskeyFixture;
use sasl_benches::interleaved::Interleaved;
use sasl_passkey::Codec;
use sasl_passkey::codec::decode_assertion;
use sasl_passkey::webauthn::{ClientData, CoseKey, verify_assertion};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    for fixture in PasskeyFixture::all() {
        let case = fixture.case;
        let cose_bytes = &fixture.cose_key;
        let key = CoseKey::from_cbor(cose_bytes).unwrap();
        let (rp, challenge, account, assertion) = (
            &fixture.rp,
            &fixture.challenge,
            &fixture.account,
            &fixture.assertion,
        );
        let (client_data, signature) = (&assertion.client_data_json, &assertion.signature);
        let mut signed = assertion.authenticator_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data));
        key.verify(&signed, signature).expect("vector verifies");
        let allowed = vec![assertion.credential_id.clone()];
        verify_assertion(rp, challenge, &allowed, account, assertion).expect("verifies");

        let response = &fixture.response;
        let store = |r| fixture.answer(r);
        let exchange = || fixture.exchange(&store);
        assert_eq!(exchange().identity(), "alice");

        let mut group = c.benchmark_group(format!("passkey/{case}"));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        group.bench_function("raw_verify", |b| {
            b.iter(|| key.verify(black_box(&signed), black_box(signature)).is_ok())
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
            assert!(aws.verify_sig(&signed, signature).is_ok());
            let ring_key = ring::signature::UnparsedPublicKey::new(alg_ring, public.clone());
            assert!(ring_key.verify(&signed, signature).is_ok());
            group.bench_function("raw_aws_lc", |b| {
                b.iter(|| {
                    aws.verify_sig(black_box(&signed), black_box(signature))
                        .is_ok()
                })
            });
            group.bench_function("raw_ring", |b| {
                b.iter(|| {
                    ring_key
                        .verify(black_box(&signed), black_box(signature))
                        .is_ok()
                })
            });
        }
        group.bench_function("verify_assertion", |b| {
            b.iter(|| {
                verify_assertion(rp, challenge, &allowed, account, black_box(assertion)).is_ok()
            })
        });
        group.bench_function("session", |b| b.iter(exchange));
        // The mechanism's own parts, without the signature check.
        group.bench_function("part_decode_assertion", |b| {
            b.iter(|| decode_assertion(Codec::Json, black_box(response)).is_ok())
        });
        group.bench_function("part_client_data", |b| {
            b.iter(|| ClientData::parse(black_box(client_data)).is_ok())
        });
        group.bench_function("part_first_step", |b| {
            b.iter(|| black_box(fixture.first_step(&store)))
        });
        let interleaved = Interleaved::new();
        group.bench_function("session_interleaved", |b| {
            b.iter_custom(|iters| {
                interleaved.run(
                    iters,
                    || {
                        black_box(key.verify(black_box(&signed), black_box(signature)).is_ok());
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
