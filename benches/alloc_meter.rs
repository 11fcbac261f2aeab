//! Counts heap allocations per server exchange with `allocation-counter` (a counting
//! global allocator, per thread). Included by the allocation bench and test only, so
//! the timing bench keeps the system allocator.

use crate::drivers::{Fixture, Meter};
use allocation_counter::AllocationInfo;
use sasl_benches::ScriptedClient;
use std::cell::Cell;

/// Sums what the server side allocates, and apart from it what the application's
/// lookup (nested inside a server segment) allocates.
#[derive(Default)]
pub struct AllocMeter {
    server: Cell<AllocationInfo>,
    lookup: Cell<AllocationInfo>,
}

/// Allocations of one server exchange.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// Inside the library's server calls (lookup excluded).
    pub library: u64,
    /// The application's lookup answer.
    pub lookup: u64,
    /// Bytes allocated by both.
    pub bytes: u64,
}

fn counted<R>(into: &Cell<AllocationInfo>, work: impl FnOnce() -> R) -> R {
    let mut out = None;
    let info = allocation_counter::measure(|| out = Some(work()));
    let mut sum = into.get();
    sum += info;
    into.set(sum);
    out.expect("measured work ran")
}

impl Meter for AllocMeter {
    fn server<R>(&self, work: impl FnOnce() -> R) -> R {
        counted(&self.server, work)
    }
    fn lookup<R>(&self, work: impl FnOnce() -> R) -> R {
        counted(&self.lookup, work)
    }
}

impl AllocMeter {
    /// The counts (nested lookup counts are part of the enclosing server segment's,
    /// so they are subtracted from the library's).
    pub fn counts(&self) -> Counts {
        let server = self.server.get();
        let lookup = self.lookup.get();
        Counts {
            library: server.count_total - lookup.count_total,
            lookup: lookup.count_total,
            bytes: server.bytes_total,
        }
    }
}

/// One server driver of [`Fixture`].
pub type Driver = fn(&Fixture, &ScriptedClient, &AllocMeter) -> bool;

/// The drivers, by report name.
pub const DRIVERS: [(&str, Driver); 4] = [
    ("ours_typed", Fixture::ours_typed_server),
    ("ours_session", Fixture::ours_session_server),
    ("rsasl", Fixture::rsasl_server),
    ("scram_crate", Fixture::scram_crate_server),
];

/// One client driver of [`Fixture`] (cached keys, server unmeasured).
pub type ClientDriver = fn(&Fixture, &AllocMeter) -> bool;

/// The client drivers, by report name.
pub const CLIENT_DRIVERS: [(&str, ClientDriver); 3] = [
    ("ours_typed", Fixture::ours_typed_client),
    ("ours_session", Fixture::ours_session_client),
    ("rsasl", Fixture::rsasl_client),
];

/// Allocations of one exchange, after `warm_up` exchanges (lazy one-time
/// initialisation such as thread-local RNGs is not per-exchange cost). Also checks
/// that every measured exchange costs the same. `exchange` runs one exchange under
/// the meter and says whether it authenticated.
fn stable_counts(warm_up: usize, runs: usize, exchange: impl Fn(&AllocMeter) -> bool) -> Counts {
    for _ in 0..warm_up {
        assert!(exchange(&AllocMeter::default()));
    }
    let mut first: Option<Counts> = None;
    for _ in 0..runs {
        let meter = AllocMeter::default();
        assert!(exchange(&meter));
        let counts = meter.counts();
        match &first {
            None => first = Some(counts),
            Some(f) => {
                assert_eq!(f.library, counts.library, "unstable count");
                assert_eq!(f.lookup, counts.lookup, "unstable count");
            }
        }
    }
    first.expect("at least one run")
}

/// Client allocations of one exchange (after `warm_up` exchanges); checks that every
/// measured exchange costs the same.
pub fn client_per_exchange(
    fixture: &Fixture,
    driver: ClientDriver,
    warm_up: usize,
    runs: usize,
) -> Counts {
    stable_counts(warm_up, runs, |meter| driver(fixture, meter))
}

/// Allocations of one server exchange (after `warm_up` exchanges); checks that every
/// measured exchange costs the same.
pub fn per_exchange(fixture: &Fixture, driver: Driver, warm_up: usize, runs: usize) -> Counts {
    let client = ScriptedClient::fixture();
    stable_counts(warm_up, runs, |meter| driver(fixture, &client, meter))
}

/// Allocations of one server exchange of a mechanism driver (after `warm_up`
/// exchanges), such as `|f, m| f.ours_server("PLAIN", m)`; checks that every measured
/// exchange costs the same.
pub fn mech_per_exchange(
    fixture: &crate::mechanism_drivers::MechFixture,
    driver: impl Fn(&crate::mechanism_drivers::MechFixture, &AllocMeter) -> bool,
    warm_up: usize,
    runs: usize,
) -> Counts {
    stable_counts(warm_up, runs, |meter| driver(fixture, meter))
}
