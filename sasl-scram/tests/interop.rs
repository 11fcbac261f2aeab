//! SCRAM interop with two independent implementations, in both directions: our client
//! against the peer's server, and the peer's client against our server. Driven by
//! `sasl_test::peers`.
//!
//! - `interop::gsasl`: GNU SASL's `gsasl` command (libgsasl 2.2). SCRAM-SHA-1 and
//!   SCRAM-SHA-256 (libgsasl has no SHA-512), each bare and `-PLUS` with `tls-exporter`
//!   and `tls-unique` (the only types gsasl asks for).
//! - `interop::scramp`: Python's `scramp` 1.5 (through `sasl-test/peers/scramp_peer.py`).
//!   SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512, each bare and `-PLUS` with
//!   `tls-exporter` (scramp refuses that name by policy; the driver lifts the refusal),
//!   `tls-unique` and `tls-server-end-point`.
//!
//! Both add wrong password, unknown user, channel-binding data mismatch, the `y` flag,
//! cached client keys, a forged server signature and both ways of carrying `v=`;
//! `interop::common` holds the account, the sessions and the checks that read the same
//! for either peer. The authorization identity is tested against gsasl; scramp rejects
//! any, and is only pinned down as refusing it.
//!
//! Without a peer installed its tests print `SKIPPED` and pass, unless
//! `SASL_REQUIRE_PEERS=1` (CI), where they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod interop {
    pub(crate) mod common;
    mod gsasl;
    mod scramp;
}
