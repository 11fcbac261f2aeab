//! Behaviour assertion (not timing): a SCRAM-SHA-256 server exchange of ours with
//! stored credentials makes at most 5 heap allocations, typed and through
//! `ServerSession`, and answering the lookup from an in-memory store (a clone of the
//! shared `ScramCredentials`) allocates nothing.

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

#[path = "../alloc_meter.rs"]
mod alloc_meter;

const MAX_LIBRARY_ALLOCATIONS: u64 = 5;

#[test]
fn ours_typed_server_allocates_at_most_five_times() {
    let fixture = drivers::Fixture::new();
    let m = alloc_meter::per_exchange(&fixture, drivers::Fixture::ours_typed_server, 2, 5);
    assert!(
        m.library <= MAX_LIBRARY_ALLOCATIONS,
        "ours typed: {} allocations per server exchange (limit {MAX_LIBRARY_ALLOCATIONS})",
        m.library
    );
    // The application's answer is a clone of the stored credentials: an Arc clone.
    assert_eq!(m.lookup, 0, "lookup answer allocates");
}

#[test]
fn ours_session_server_allocates_at_most_five_times() {
    let fixture = drivers::Fixture::new();
    let m = alloc_meter::per_exchange(&fixture, drivers::Fixture::ours_session_server, 2, 5);
    assert!(
        m.library <= MAX_LIBRARY_ALLOCATIONS,
        "ours sessions: {} allocations per server exchange (limit {MAX_LIBRARY_ALLOCATIONS})",
        m.library
    );
    assert_eq!(m.lookup, 0, "lookup answer allocates");
}

#[test]
fn every_driver_authenticates() {
    let fixture = drivers::Fixture::new();
    for (name, driver) in alloc_meter::DRIVERS {
        let client = sasl_benches::ScriptedClient::fixture();
        assert!(
            driver(&fixture, &client, &alloc_meter::AllocMeter::default()),
            "{name}"
        );
    }
    assert!(fixture.ours_typed_full());
    assert!(fixture.ours_session_full());
    assert!(fixture.rsasl_full());
    assert!(fixture.scram_crate_full());
    for (name, driver) in alloc_meter::CLIENT_DRIVERS {
        assert!(
            driver(&fixture, &alloc_meter::AllocMeter::default()),
            "client {name}"
        );
    }
}
