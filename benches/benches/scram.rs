//! SCRAM-SHA-256 benchmarks: ours (sasl-scram, typed and through sasl-core sessions)
//! side by side with rsasl 2.3 and scram 0.6, plus two PBKDF2 floors, in one run.
//!
//! Groups (each is one table row set; compare within a group):
//! - `full_exchange_4096`: client and server in memory, client derives from the
//!   password at 4096 iterations, server uses stored credentials. The two-compression
//!   PBKDF2 floor is in the group for the overhead ratio.
//! - `server_exchange`: server work only (session start, server-first, proof check,
//!   server-final), with stored credentials; the client side runs untimed. The
//!   `*_interleaved` cases alternate rsasl's exchange and ours call by call and print
//!   `server_exchange/<ours>: ours / rsasl, interleaved = <ratio> (...)` on stderr,
//!   with the batch median and the fastest batches: the figures issue 6's targets
//!   are judged by.
//! - `unknown_user`: the equal-work property where it belongs: `provide()` (lookup
//!   answer to server-first challenge) for a known and an unknown user, and the whole
//!   failing server exchange for a known user with a wrong password and an unknown
//!   user (both end in `e=invalid-proof`). The names have the same length, since the
//!   fake salt's cost depends on it (the client chooses the name, so that tells it
//!   nothing).
//! - `client_cached`: the client's work of one exchange with cached keys (no PBKDF2):
//!   ours typed, ours through `ClientSession`, rsasl with a cached `SaltedPassword`
//!   (its `ScramCachedPassword` cannot be constructed outside rsasl) and rsasl's
//!   per-exchange key derivation from it alone; the server (ours typed) runs untimed.
//! - `client_key_4096`, `client_key_600000`: client key derivation, with the floors
//!   (the `pbkdf2` crate and a two-compressions-per-iteration loop).
//!
//! Run: `cargo bench -p sasl-benches` (medians: `python3 benches/medians.py`).

// Benchmark code: the workspace lints flag unwrap/expect/panic/indexing everywhere, but
// here a failed setup or a failed exchange must abort the run loudly, not be measured.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

#[path = "../drivers.rs"]
mod drivers;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use drivers::{Fixture, Meter, NoMeter};
use sasl_benches::interleaved::Interleaved;
use sasl_benches::{
    CLIENT_NONCE, HIGH_ITERATIONS, HmacPads, ITERATIONS, Keys, PASSWORD, SALT, ScriptedClient, USER,
};
use sasl_core::{
    FailureKind, OsRandom, RandomSource, Request, ScramHash, ServerMechanism, ServerStep, Verdict,
};
use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Times only the server's part of an exchange (two segments per exchange).
struct ServerTimer(Cell<Duration>);

impl Meter for ServerTimer {
    fn server<R>(&self, work: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let out = work();
        self.0.set(self.0.get() + start.elapsed());
        out
    }
    fn lookup<R>(&self, work: impl FnOnce() -> R) -> R {
        // Always nested in a timed server segment.
        work()
    }
}

fn check_all(fixture: &Fixture, client: &ScriptedClient) {
    // Every driver must really authenticate before it is timed.
    assert!(fixture.ours_typed_server(client, &NoMeter), "ours typed");
    assert!(
        fixture.ours_session_server(client, &NoMeter),
        "ours session"
    );
    assert!(fixture.rsasl_server(client, &NoMeter), "rsasl");
    assert!(fixture.scram_crate_server(client, &NoMeter), "scram crate");
    assert!(fixture.ours_typed_full(), "ours typed full");
    assert!(fixture.ours_session_full(), "ours session full");
    assert!(fixture.rsasl_full(), "rsasl full");
    assert!(fixture.scram_crate_full(), "scram crate full");
    assert!(fixture.ours_typed_client(&NoMeter), "ours typed client");
    assert!(fixture.ours_session_client(&NoMeter), "ours session client");
    assert!(fixture.rsasl_client(&NoMeter), "rsasl client");
}

fn full_exchange(c: &mut Criterion) {
    let fixture = Fixture::new();
    check_all(&fixture, &ScriptedClient::fixture());
    let mut group = c.benchmark_group("full_exchange_4096");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("floor_two_compressions_pbkdf2_only", |b| {
        b.iter(|| {
            sasl_benches::pbkdf2_two_compressions(black_box(PASSWORD.as_bytes()), SALT, ITERATIONS)
        })
    });
    group.bench_function("ours_typed", |b| {
        b.iter(|| assert!(fixture.ours_typed_full()))
    });
    group.bench_function("ours_session", |b| {
        b.iter(|| assert!(fixture.ours_session_full()))
    });
    group.bench_function("rsasl", |b| b.iter(|| assert!(fixture.rsasl_full())));
    group.bench_function("scram_crate", |b| {
        b.iter(|| assert!(fixture.scram_crate_full()))
    });
    group.finish();
}

fn server_exchange(c: &mut Criterion) {
    let fixture = Fixture::new();
    let client = ScriptedClient::fixture();
    let mut group = c.benchmark_group("server_exchange");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    type Driver = fn(&Fixture, &ScriptedClient, &ServerTimer) -> bool;
    let drivers: [(&str, Driver); 5] = [
        ("ours_typed", Fixture::ours_typed_server),
        ("ours_session", Fixture::ours_session_server),
        (
            "ours_session_per_lookup",
            Fixture::ours_session_server_per_lookup,
        ),
        ("rsasl", Fixture::rsasl_server),
        ("scram_crate", Fixture::scram_crate_server),
    ];
    // What any server must do per exchange, and nothing else: an 18-byte nonce from
    // the OS, HMAC(StoredKey, AuthMessage), H(ClientKey), a constant-time compare,
    // HMAC(ServerKey, AuthMessage) and base64 of nonce and verifier. No parsing, no
    // message building, no allocation. Timed as one segment (the drivers use two).
    let keys = sasl_benches::Keys::fixture();
    let server_nonce = "A".repeat(24);
    let auth_message = format!(
        "n={USER},r={CLIENT_NONCE},r={CLIENT_NONCE}{server_nonce},s={},i={ITERATIONS},c=biws,r={CLIENT_NONCE}{server_nonce}",
        BASE64.encode(SALT)
    );
    let proof = {
        let signature = HmacPads::new(&keys.stored_key).mac(auth_message.as_bytes());
        let mut proof = keys.client_key;
        proof.iter_mut().zip(signature).for_each(|(p, s)| *p ^= s);
        proof
    };
    group.bench_function("floor_crypto_and_nonce", |b| {
        b.iter(|| {
            let mut raw = [0u8; 18];
            OsRandom.fill(&mut raw).unwrap();
            let mut nonce = [0u8; 24];
            BASE64.encode_slice(raw, &mut nonce).unwrap();
            let auth = black_box(auth_message.as_bytes());
            let signature = HmacPads::new(&keys.stored_key).mac(auth);
            let mut client_key = black_box(proof);
            client_key
                .iter_mut()
                .zip(signature)
                .for_each(|(p, s)| *p ^= s);
            let ok = sasl_benches::sha256(&client_key)
                .iter()
                .zip(keys.stored_key)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
            assert!(ok);
            let verifier = HmacPads::new(&keys.server_key).mac(auth);
            let mut encoded = [0u8; 44];
            BASE64.encode_slice(verifier, &mut encoded).unwrap();
            (nonce, encoded)
        })
    });
    for (name, driver) in drivers {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let timer = ServerTimer(Cell::new(Duration::ZERO));
                for _ in 0..iters {
                    assert!(driver(&fixture, &client, &timer));
                }
                timer.0.get()
            })
        });
    }
    // The targets are ratios to rsasl: the same server work, rsasl's and ours
    // alternating exchange by exchange so that the machine's drift hits both.
    let timed = |driver: Driver| {
        let timer = ServerTimer(Cell::new(Duration::ZERO));
        assert!(driver(&fixture, &client, &timer));
        timer.0.get()
    };
    let interleaved: [(&str, Driver); 3] = [
        ("ours_typed", Fixture::ours_typed_server),
        ("ours_session", Fixture::ours_session_server),
        (
            "ours_session_per_lookup",
            Fixture::ours_session_server_per_lookup,
        ),
    ];
    for (name, driver) in interleaved {
        let pair = Interleaved::new();
        group.bench_function(format!("{name}_interleaved"), |b| {
            b.iter_custom(|iters| {
                pair.run_timed(iters, || timed(Fixture::rsasl_server), || timed(driver))
            })
        });
        pair.report(&format!("server_exchange/{name}"), "ours / rsasl");
    }
    group.finish();
}

/// The client's work of one exchange with cached keys (three timed segments: up to
/// client-first, server-first to client-final, server-final to the outcome); the
/// server side (ours typed) runs untimed.
fn client_cached(c: &mut Criterion) {
    let fixture = Fixture::new();
    let mut group = c.benchmark_group("client_cached");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    type Driver = fn(&Fixture, &ServerTimer) -> bool;
    let drivers: [(&str, Driver); 3] = [
        ("ours_typed", Fixture::ours_typed_client),
        ("ours_session", Fixture::ours_session_client),
        ("rsasl", Fixture::rsasl_client),
    ];
    // rsasl 2.3 cannot be given ClientKey/ServerKey (its `ScramCachedPassword` has no
    // public constructor), only the salted password, from which it derives the keys
    // per exchange: this is that derivation alone, to subtract from `rsasl`.
    let salted = Keys::fixture().salted_password;
    group.bench_function("rsasl_derive_keys_alone", |b| {
        b.iter(|| rsasl::mechanisms::scram::tools::derive_keys::<sha2::Sha256>(black_box(&salted)))
    });
    for (name, driver) in drivers {
        assert!(
            driver(&fixture, &ServerTimer(Cell::new(Duration::ZERO))),
            "{name}"
        );
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let timer = ServerTimer(Cell::new(Duration::ZERO));
                for _ in 0..iters {
                    assert!(driver(&fixture, &timer));
                }
                timer.0.get()
            })
        });
    }
    group.finish();
}

/// A known user (`user`) and an unknown one with a name of the same length.
const UNKNOWN_USER: &str = "resu";

/// A typed SCRAM-SHA-256 server, as the drivers make it.
fn new_server(fixture: &Fixture) -> sasl_scram::ScramServer {
    sasl_scram::ScramServer::new(
        std::sync::Arc::clone(&fixture.ours_server_config),
        sasl_scram::ScramVariant::bare(ScramHash::Sha256),
        &fixture.connection,
    )
    .unwrap()
}

/// Starts a typed server and feeds it `client`'s client-first message (untimed).
fn started_server(fixture: &Fixture, client: &ScriptedClient) -> sasl_scram::ScramServer {
    let mut server = new_server(fixture);
    let step = server
        .start(Some(client.client_first().as_bytes()))
        .unwrap();
    assert!(matches!(step, ServerStep::Request(Request::ScramLookup(_))));
    server
}

/// The application's answer: the stored credentials for [`USER`], `not_found` for
/// anyone else.
fn verdict(fixture: &Fixture, known: bool) -> Verdict {
    if known {
        Verdict::ScramFound {
            credentials: fixture.ours_credentials.clone(),
            authzid_granted: false,
        }
    } else {
        Verdict::Rejected(FailureKind::UnknownUser)
    }
}

/// One failing server exchange (two timed segments, as in `server_exchange`): the
/// proof does not verify, for a wrong password or an unknown user alike.
fn failing_exchange(
    fixture: &Fixture,
    client: &ScriptedClient,
    known: bool,
    timer: &ServerTimer,
) -> bool {
    use drivers::Meter as _;
    let client_first = client.client_first();
    let (mut server, step) = timer.server(|| {
        let mut server = new_server(fixture);
        let step = match server.start(Some(client_first.as_bytes())) {
            Ok(ServerStep::Request(Request::ScramLookup(_))) => {
                server.provide(verdict(fixture, known))
            }
            other => other,
        };
        (server, step)
    });
    let Ok(ServerStep::Challenge(server_first)) = step else {
        return false;
    };
    let Some(answer) = client.client_final(&server_first) else {
        return false;
    };
    let last = timer.server(|| server.step(&answer.message));
    matches!(last, Ok(ServerStep::Failure(f)) if f.message() == Some(&b"e=invalid-proof"[..]))
}

fn unknown_user(c: &mut Criterion) {
    let fixture = Fixture::new();
    let known_client = ScriptedClient::fixture();
    let unknown_client = ScriptedClient::new(UNKNOWN_USER, CLIENT_NONCE, &Keys::fixture());
    // A known user whose client derived its keys from a wrong password.
    let wrong_password_client = ScriptedClient::new(
        USER,
        CLIENT_NONCE,
        &Keys::derive("pencil!", SALT, ITERATIONS),
    );
    let mut group = c.benchmark_group("unknown_user");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, client, known) in [
        ("provide_known", &known_client, true),
        ("provide_unknown", &unknown_client, false),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut server = started_server(&fixture, client);
                    let answer = verdict(&fixture, known);
                    let start = Instant::now();
                    let step = server.provide(answer);
                    total += start.elapsed();
                    assert!(matches!(step, Ok(ServerStep::Challenge(_))));
                }
                total
            })
        });
    }
    for (name, client, known) in [
        ("exchange_wrong_password", &wrong_password_client, true),
        ("exchange_unknown_user", &unknown_client, false),
    ] {
        assert!(failing_exchange(
            &fixture,
            client,
            known,
            &ServerTimer(Cell::new(Duration::ZERO))
        ));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let timer = ServerTimer(Cell::new(Duration::ZERO));
                for _ in 0..iters {
                    assert!(failing_exchange(&fixture, client, known, &timer));
                }
                timer.0.get()
            })
        });
    }
    group.finish();
}

fn client_key(c: &mut Criterion, iterations: u32) {
    let mut group = c.benchmark_group(format!("client_key_{iterations}"));
    if iterations > 100_000 {
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
    } else {
        group
            .sample_size(50)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    }
    let password = PASSWORD.as_bytes();
    group.bench_function(
        BenchmarkId::new("floor_two_compressions", iterations),
        |b| b.iter(|| sasl_benches::pbkdf2_two_compressions(black_box(password), SALT, iterations)),
    );
    group.bench_function(BenchmarkId::new("floor_pbkdf2_crate", iterations), |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(black_box(password), SALT, iterations, &mut out);
            out
        })
    });
    group.bench_function(BenchmarkId::new("ours", iterations), |b| {
        b.iter(|| {
            sasl_scram::derive_client_keys(
                ScramHash::Sha256,
                black_box(PASSWORD),
                SALT,
                iterations,
                sasl_scram::PasswordPrep::SaslPrep,
            )
            .unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("rsasl", iterations), |b| {
        use rsasl::mechanisms::scram::tools;
        b.iter(|| {
            let mut salted = Default::default();
            tools::hash_password::<sha2::Sha256>(
                black_box(password),
                iterations,
                SALT,
                &mut salted,
            );
            tools::derive_keys::<sha2::Sha256>(&salted)
        })
    });
    #[cfg(feature = "native-pbkdf2")]
    {
        let nonzero = std::num::NonZeroU32::new(iterations).unwrap();
        group.bench_function(BenchmarkId::new("ring_pbkdf2", iterations), |b| {
            b.iter(|| {
                let mut out = [0u8; 32];
                ring::pbkdf2::derive(
                    ring::pbkdf2::PBKDF2_HMAC_SHA256,
                    nonzero,
                    SALT,
                    black_box(password),
                    &mut out,
                );
                out
            })
        });
        group.bench_function(BenchmarkId::new("aws_lc_rs_pbkdf2", iterations), |b| {
            b.iter(|| {
                let mut out = [0u8; 32];
                aws_lc_rs::pbkdf2::derive(
                    aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
                    nonzero,
                    SALT,
                    black_box(password),
                    &mut out,
                );
                out
            })
        });
    }
    // scram 0.6 exposes only SaltedPassword (ring's PBKDF2); ClientKey is two more
    // HMACs inside its exchange, under 0.1% of this at 4096 iterations.
    let nonzero = std::num::NonZeroU32::new(iterations).unwrap();
    group.bench_function(
        BenchmarkId::new("scram_crate_salted_password", iterations),
        |b| b.iter(|| scram::hash_password(black_box(PASSWORD), nonzero, SALT)),
    );
    group.finish();
}

fn client_keys(c: &mut Criterion) {
    client_key(c, ITERATIONS);
    client_key(c, HIGH_ITERATIONS);
}

criterion_group!(
    benches,
    full_exchange,
    server_exchange,
    client_cached,
    unknown_user,
    client_keys
);
criterion_main!(benches);
