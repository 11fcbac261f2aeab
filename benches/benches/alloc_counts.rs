//! Prints heap allocations per server exchange (stored credentials, no PBKDF2) for
//! ours, rsasl 2.3 and scram 0.6, then per server exchange of PLAIN, LOGIN, EXTERNAL,
//! OAUTHBEARER and XOAUTH2 for ours and rsasl 2.3 (the `mechanisms` bench's drivers).
//! Runs as part of `cargo bench -p sasl-benches`.

// Benchmark code: a failed exchange should abort the run loudly.
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

#[path = "../alloc_meter.rs"]
mod alloc_meter;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that names nothing here skips.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|f| "alloc_counts".contains(f.as_str())) {
        return;
    }
    let fixture = drivers::Fixture::new();
    println!("heap allocations per server exchange (SCRAM-SHA-256, stored credentials)");
    println!(
        "{:<14} {:>10} {:>10} {:>12} {:>12}",
        "server", "library", "lookup", "lib+lookup", "bytes total"
    );
    for (name, driver) in alloc_meter::DRIVERS {
        let c = alloc_meter::per_exchange(&fixture, driver, 3, 20);
        println!(
            "{:<14} {:>10} {:>10} {:>12} {:>12}",
            name,
            c.library,
            c.lookup,
            c.library + c.lookup,
            c.bytes,
        );
    }
    println!(
        "library: allocations inside the server library calls (for rsasl this includes its \
         credential callback, which lends borrowed slices; scram 0.6's provider returns owned \
         Vecs, 2 of its count).\nlookup: the application building the owned ScramCredentials \
         answer (ours only: a clone of the stored credentials, which shares them through an \
         Arc)."
    );
    println!();
    println!(
        "heap allocations per client exchange (SCRAM-SHA-256, cached keys, server unmeasured)"
    );
    println!("{:<14} {:>10} {:>12}", "client", "library", "bytes total");
    for (name, driver) in alloc_meter::CLIENT_DRIVERS {
        let c = alloc_meter::client_per_exchange(&fixture, driver, 3, 20);
        println!("{:<14} {:>10} {:>12}", name, c.library, c.bytes);
    }
    println!(
        "client library: everything in the client's calls, including building the \
         credentials (ours: ClientCredentials with a clone of the cached ScramKeys) and \
         rsasl's callback."
    );
    println!();
    mechanisms();
}

fn mechanisms() {
    let fixture = mechanism_drivers::MechFixture::new();
    println!("heap allocations per server exchange, other mechanisms (client scripted)");
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10}",
        "mechanism", "ours lib", "answer", "ours sum", "rsasl", "ours bytes", "rsasl bytes"
    );
    for mech in mechanism_drivers::MECHANISMS {
        let o = alloc_meter::mech_per_exchange(&fixture, |f, m| f.ours_server(mech, m), 3, 20);
        let r = alloc_meter::mech_per_exchange(&fixture, |f, m| f.rsasl_server(mech, m), 3, 20);
        println!(
            "{:<12} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10}",
            mech,
            o.library,
            o.lookup,
            o.library + o.lookup,
            r.library + r.lookup,
            o.bytes,
            r.bytes,
        );
    }
    println!(
        "ours lib: inside ServerRegistry::start and the session's calls; answer: the \
         application's store answering the request (VerifyPassword / ValidateToken; \
         EXTERNAL with an empty authzid asks nothing); rsasl: everything inside SASLServer \
         start and step, including its callbacks and the validation's String."
    );
}
