//! OAUTHBEARER server validation per exchange, beside a raw `jsonwebtoken::decode` of
//! the same token with the same crypto backend, in the same run.
//!
//! Tokens and keys are the PyJWT fixtures of sasl-oauthbearer (tests/data/jwt): RS256
//! (RSA 2048), ES256 (P-256) and EdDSA (Ed25519). Per algorithm:
//! - `raw_decode`: `jsonwebtoken::decode` with a prebuilt `DecodingKey` (signature,
//!   `iss`, `aud`; its clock-based `exp` check is off, the fixtures' time is fixed);
//! - `validator`: `JwtValidator::validate` (the same checks plus key selection by
//!   `kid`, key/algorithm fit, `exp`/`nbf`/`iat` against the given time, identity);
//! - `session`: a whole OAUTHBEARER exchange through `ServerRegistry`/`ServerSession`,
//!   the initial response parsed, the request answered by `JwtValidator::answer`.
//!
//! The backend is chosen per run, since `jsonwebtoken::decode` uses a process-wide
//! provider: `cargo bench -p sasl-benches --bench oauth` for aws-lc-rs, and
//! `SASL_BENCH_JWT_BACKEND=rust-crypto cargo bench -p sasl-benches --bench oauth` for
//! RustCrypto. Groups are named `oauth_<backend>/<alg>`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    unreachable_pub
)]

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sasl_benches::interleaved::Interleaved;
use sasl_core::{ConnectionInfo, Request, ServerRegistry, ServerStep, UnixTime};
use sasl_oauthbearer::{
    Backend, BearerMechanism, BearerServer, BearerServerConfig, JwsAlgorithm, JwtConfig,
    JwtValidator,
};
use serde_json::Value;
use std::hint::black_box;
use std::time::Duration;

const TOKENS: &str = include_str!("../../sasl-oauthbearer/tests/data/jwt/tokens.json");
const JWKS: &str = include_str!("../../sasl-oauthbearer/tests/data/jwt/jwks.json");
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "imap.example.com";

fn backend() -> (&'static str, Backend, &'static CryptoProvider) {
    match std::env::var("SASL_BENCH_JWT_BACKEND").as_deref() {
        Ok("rust-crypto") => (
            "rust_crypto",
            Backend::RustCrypto,
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        ),
        Ok("aws-lc") | Err(_) => (
            "aws_lc",
            Backend::AwsLc,
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        ),
        Ok(other) => panic!("SASL_BENCH_JWT_BACKEND={other}: use aws-lc or rust-crypto"),
    }
}

fn bench(c: &mut Criterion) {
    let (label, ours, provider) = backend();
    provider
        .install_default()
        .expect("first and only provider of this process");
    let fixtures: Value = serde_json::from_str(TOKENS).unwrap();
    let now = UnixTime::from_secs(fixtures["now"].as_u64().unwrap());
    let token_of = |name: &str| -> String {
        fixtures["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["token"].as_str())
            .unwrap()
            .to_owned()
    };
    let keys: JwkSet = serde_json::from_str(JWKS).unwrap();

    for (case, alg, ours_alg) in [
        ("rs256", Algorithm::RS256, JwsAlgorithm::RS256),
        ("es256", Algorithm::ES256, JwsAlgorithm::ES256),
        ("eddsa", Algorithm::EdDSA, JwsAlgorithm::EdDSA),
    ] {
        let token = token_of(case);
        let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
        let key = DecodingKey::from_jwk(keys.find(&kid).unwrap()).unwrap();
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        // The baseline must accept the token, or it measures a rejection.
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("raw decode accepts");

        let validator = JwtValidator::new(
            JWKS,
            JwtConfig::new([ours_alg], ISSUER, [AUDIENCE]).with_backend(ours),
        )
        .unwrap();
        assert_eq!(validator.validate(&token, now).unwrap().identity(), "alice");

        let mechs = ServerRegistry::new().with(BearerServer::factory(
            BearerMechanism::OAuthBearer,
            BearerServerConfig::new(),
        ));
        let conn = ConnectionInfo::tls().with_server("imap.example.com", 993);
        let message = format!(
            "n,a=alice,\x01host=imap.example.com\x01port=993\x01auth=Bearer {token}\x01\x01"
        )
        .into_bytes();
        let answer = |r: Request| match r {
            Request::ValidateToken(ask) => validator.answer(*ask),
            other => other.unavailable(),
        };
        let exchange = || {
            let Ok(mut session) = mechs.start("OAUTHBEARER", &conn) else {
                panic!("offered")
            };
            session.set_now(now);
            match session.start_with(Some(&message), &answer) {
                Ok(ServerStep::Success(ok)) => ok,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(exchange().identity(), "alice");

        let mut group = c.benchmark_group(format!("oauth_{label}/{case}"));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        group.bench_function("raw_decode", |b| {
            b.iter(|| jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation))
        });
        group.bench_function("validator", |b| {
            b.iter(|| validator.validate(black_box(&token), now))
        });
        group.bench_function("session", |b| b.iter(exchange));
        // The machine's speed drifts within a run; this one alternates a raw decode and
        // a session exchange per iteration, times both, reports the session's time and
        // prints the ratio of the two totals (the number the overhead target is about).
        let interleaved = Interleaved::new();
        group.bench_function("session_interleaved", |b| {
            b.iter_custom(|iters| {
                interleaved.run(
                    iters,
                    || {
                        black_box(
                            jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation)
                                .is_ok(),
                        );
                    },
                    || {
                        black_box(exchange());
                    },
                )
            })
        });
        interleaved.report(&format!("oauth_{label}/{case}"), "session / raw decode");
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
