//! The main job: IMAP `AUTHENTICATE` exchanges end to end, printed as they cross the
//! wire. One role per file: [`server`] is the IMAP server with its account store,
//! [`client`] the mail client; they run on two threads and talk IMAP lines over
//! [`transport`], on top of a TLS 1.3 connection handshaken in memory ([`tls`]) whose
//! channel-binding data each side reads from its own end.
//!
//! 1. The client reads the server's capabilities and picks the strongest mechanism
//!    (SCRAM-SHA-512-PLUS, bound to the channel with `tls-exporter`).
//! 2. It logs in again with the SCRAM keys the first login returned (no PBKDF2).
//! 3. PLAIN without SASL-IR: the server's empty challenge asks for the initial
//!    response (RFC 4422 §5), and the password is asked for only then.
//! 4. A wrong SCRAM password and an unknown mechanism, with the replies they map to
//!    and what the client makes of them.
//!
//! Run with `cargo run -p sasl-scram --example imap_session`.

// An example stops at the first broken expectation; that is what it is for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
mod server;
mod tls;
mod transport;

use client::Login;
use sasl_core::{ClientAction, ClientCredentials, ClientOutcome, ClientRegistry, ServerRegistry};
use sasl_plain::{PlainClient, PlainServer};
use sasl_scram::{ScramClientConfig, ScramServerConfig, client_factories, server_factories};

fn main() {
    let (client_conn, server_conn) = tls::connection_pair();
    println!("== TLS 1.3 handshake done in memory; channel bindings from each side:");
    for b in server_conn.bindings() {
        println!(
            "   server: {:<21} {} bytes",
            b.kind().name(),
            b.data().len()
        );
    }

    let (client_wire, server_wire) = transport::Wire::pair();
    let server = std::thread::spawn(move || {
        let registry = ServerRegistry::new()
            .with_all(server_factories(
                ScramServerConfig::new(*b"a 32-byte server secret, random!").unwrap(),
            ))
            .with(PlainServer::factory());
        server::serve(server_wire, registry, server_conn, server::Accounts::new());
    });

    let registry = ClientRegistry::new()
        .with_all(client_factories(ScramClientConfig::new()))
        .with(PlainClient::factory());
    let wire = &client_wire;
    println!();
    let advertised = client::capabilities(wire, "A000");
    let alice = ClientCredentials::new("alice@example.org").with_password("correct horse");
    let strongest = Login {
        mechanism: None,
        initial_response: true,
        typed_password: "",
    };

    println!("\n== the client's strongest choice, bound to the TLS channel");
    let first = client::login(
        wire,
        &registry,
        &client_conn,
        &advertised,
        alice.clone(),
        strongest,
        "A001",
    );
    let ClientOutcome::Success(success) = first else {
        panic!("login failed: {first:?}")
    };
    println!(
        "   client: authenticated with {}, server proved itself: {}, channel binding: {:?}",
        success.mechanism(),
        success.server_verified(),
        success.channel_binding().map(|c| c.name()),
    );

    println!("\n== again with the keys cached by the first login (no PBKDF2 on the client)");
    let keys = success
        .scram_keys()
        .expect("a SCRAM login returns its keys")
        .clone();
    let again = Login {
        mechanism: None,
        initial_response: true,
        typed_password: "",
    };
    let cached = client::login(
        wire,
        &registry,
        &client_conn,
        &advertised,
        alice.with_scram_keys(keys),
        again,
        "A002",
    );
    assert!(cached.is_authenticated());

    println!("\n== PLAIN without SASL-IR, the password typed only when it is needed");
    let plain = Login {
        mechanism: Some("PLAIN"),
        initial_response: false,
        typed_password: "correct horse",
    };
    let on_demand = ClientCredentials::new("alice@example.org").with_password_on_demand();
    let outcome = client::login(
        wire,
        &registry,
        &client_conn,
        &advertised,
        on_demand,
        plain,
        "A003",
    );
    assert!(outcome.is_authenticated());

    println!("\n== SCRAM-SHA-256 with a wrong password");
    let wrong = ClientCredentials::new("alice@example.org").with_password("battery staple");
    let scram = Login {
        mechanism: Some("SCRAM-SHA-256"),
        initial_response: true,
        typed_password: "",
    };
    let outcome = client::login(
        wire,
        &registry,
        &client_conn,
        &advertised,
        wrong,
        scram,
        "A004",
    );
    let ClientOutcome::Failure(failure) = outcome else {
        panic!("a wrong password was accepted")
    };
    assert_eq!(failure.action(), ClientAction::AskUser);
    println!(
        "   client: failed ({:?}: {}), next step for the mail client: {:?}",
        failure.reason().kind(),
        failure.server_error().unwrap_or_default(),
        failure.action()
    );

    println!("\n== a mechanism the server does not offer");
    wire.send("A005 AUTHENTICATE CRAM-MD5");
    let reply = wire.recv().unwrap_or_default();
    assert!(reply.starts_with("A005 NO"), "{reply}");

    println!();
    wire.send("A006 LOGOUT");
    while wire.recv().is_some_and(|line| !line.starts_with("A006")) {}
    server.join().expect("the server thread ends cleanly");
}
