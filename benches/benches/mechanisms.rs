//! Every non-SCRAM password/token/certificate mechanism side by side with rsasl 2.3:
//! PLAIN, LOGIN, EXTERNAL, OAUTHBEARER and XOAUTH2 (issue 11). One group per
//! mechanism (`mech_plain`, `mech_login`, ...), four benchmarks each:
//! - `ours_full`, `rsasl_full`: a full in-memory exchange, client and server session
//!   of the same library, the client's credentials built per exchange, both ends
//!   checked;
//! - `ours_server`, `rsasl_server`: the server's work alone (session start, parsing,
//!   the application's answer, the result), the client scripted with the same bytes
//!   for both libraries;
//! - `full_interleaved`, `server_interleaved`: rsasl's and our driver alternating call
//!   by call in one loop (criterion reports ours); the ratio of the two totals, which
//!   the machine's drift within a run cannot bias, is printed on stderr as
//!   `mech_<name>/<kind>: ours / rsasl, interleaved = <ratio> (...)`.
//!
//! The application's answers (constant-time password compare, one valid token,
//! EXTERNAL's identity on the connection) and the drivers are in
//! `mechanism_drivers.rs`, shared with the allocation bench and test. Every iteration
//! asserts that the exchange authenticated the right user.
//!
//! Run: `cargo bench -p sasl-benches --bench mechanisms` (one group:
//! `-- mech_plain`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code
)]

#[path = "../drivers.rs"]
mod drivers;

#[path = "../mechanism_drivers.rs"]
mod mechanism_drivers;

use criterion::{Criterion, criterion_group, criterion_main};
use drivers::NoMeter;
use mechanism_drivers::{MECHANISMS, MechFixture};
use sasl_benches::interleaved::Interleaved;

fn mechanisms(c: &mut Criterion) {
    let fixture = MechFixture::new();
    for mech in MECHANISMS {
        // Every driver must really authenticate before it is timed.
        assert!(fixture.ours_full(mech), "{mech}: ours full");
        assert!(fixture.rsasl_full(mech), "{mech}: rsasl full");
        assert!(fixture.ours_server(mech, &NoMeter), "{mech}: ours server");
        assert!(fixture.rsasl_server(mech, &NoMeter), "{mech}: rsasl server");

        let mut group = c.benchmark_group(format!("mech_{}", mech.to_ascii_lowercase()));
        group.bench_function("ours_full", |b| b.iter(|| assert!(fixture.ours_full(mech))));
        group.bench_function("rsasl_full", |b| {
            b.iter(|| assert!(fixture.rsasl_full(mech)))
        });
        group.bench_function("ours_server", |b| {
            b.iter(|| assert!(fixture.ours_server(mech, &NoMeter)))
        });
        group.bench_function("rsasl_server", |b| {
            b.iter(|| assert!(fixture.rsasl_server(mech, &NoMeter)))
        });
        let label = format!("mech_{}", mech.to_ascii_lowercase());
        let full = Interleaved::new();
        group.bench_function("full_interleaved", |b| {
            b.iter_custom(|iters| {
                full.run(
                    iters,
                    || assert!(fixture.rsasl_full(mech)),
                    || assert!(fixture.ours_full(mech)),
                )
            })
        });
        full.report(&format!("{label}/full"), "ours / rsasl");
        let server = Interleaved::new();
        group.bench_function("server_interleaved", |b| {
            b.iter_custom(|iters| {
                server.run(
                    iters,
                    || assert!(fixture.rsasl_server(mech, &NoMeter)),
                    || assert!(fixture.ours_server(mech, &NoMeter)),
                )
            })
        });
        server.report(&format!("{label}/server"), "ours / rsasl");
        group.finish();
    }
}

criterion_group!(benches, mechanisms);
criterion_main!(benches);
