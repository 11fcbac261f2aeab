//! The main job: IMAP `AUTHENTICATE` exchanges end to end, printed as they would cross
//! the wire.
//!
//! 1. A TLS 1.3 handshake runs in memory (rustls, test certificates from
//!    `sasl-core/tests/data/certs`), and both sides read their channel-binding data from
//!    their own connection (`tls-exporter`, `tls-server-end-point`).
//! 2. The server advertises its mechanisms for that connection; the client picks the
//!    strongest common one (a SCRAM `-PLUS` variant) and logs in, bound to the channel.
//! 3. A PLAIN login, then a wrong SCRAM password, with the IMAP and SMTP replies the
//!    failure maps to.
//!
//! Run with `cargo run -p sasl-scram --example imap_session`.

// An example prints and stops at the first problem; that is what it is for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use sasl_core::channel_binding::{from_rustls_client, from_rustls_server};
use sasl_core::{
    Answer, ClientCredentials, ClientOutcome, ClientRegistry, ClientStep, ConnectionInfo, Request,
    ScramCredentials, ScramHash, ServerRegistry, ServerReply, ServerStep, wire,
};
use sasl_plain::{PlainClient, PlainServer};
use sasl_scram::{
    PasswordPrep, ScramClientConfig, ScramServerConfig, client_factories, server_factories,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The server's account database: SCRAM credentials per hash, never a password. PLAIN
/// logins are checked by re-deriving SCRAM-SHA-256 keys from the presented password.
struct Accounts {
    scram: HashMap<(String, ScramHash), ScramCredentials>,
}

impl Accounts {
    fn new() -> Self {
        let mut scram = HashMap::new();
        for hash in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512] {
            let creds = sasl_scram::derive_with_random_salt(
                hash,
                "correct horse",
                4096,
                &sasl_core::OsRandom,
            )
            .unwrap();
            scram.insert(("alice@example.org".to_owned(), hash), creds);
        }
        Self { scram }
    }

    /// Answers the session's requests, as an async server would after an `.await`.
    fn answer(&self, request: Request) -> Answer {
        match request {
            Request::ScramLookup(lookup) => {
                match self
                    .scram
                    .get(&(lookup.authcid().to_owned(), lookup.hash()))
                {
                    Some(creds) => lookup.found(creds.clone()),
                    None => lookup.not_found(),
                }
            }
            Request::VerifyPassword(check) => {
                // PLAIN: checked against the stored SCRAM verifier in constant time.
                let stored = self
                    .scram
                    .get(&(check.authcid().to_owned(), ScramHash::Sha256));
                let ok = stored.is_some_and(|s| {
                    sasl_scram::verify_password(s, check.password(), PasswordPrep::SaslPrep)
                });
                if ok { check.valid() } else { check.invalid() }
            }
            other => other.unavailable(),
        }
    }
}

fn main() {
    let (client_conn, server_conn) = tls_connection_pair();
    println!("== TLS 1.3 handshake done in memory; channel bindings from each side:");
    for b in server_conn.bindings() {
        println!(
            "   server: {:<21} {} bytes",
            b.kind().name(),
            b.data().len()
        );
    }

    let server = ServerRegistry::new()
        .with_all(server_factories(
            ScramServerConfig::new(*b"a 32-byte server secret, random!").unwrap(),
        ))
        .with(PlainServer::factory());
    let client = ClientRegistry::new()
        .with_all(client_factories(ScramClientConfig::new()))
        .with(PlainClient::factory());
    let accounts = Accounts::new();

    let advertised: Vec<String> = server
        .advertise(&server_conn)
        .iter()
        .map(|m| m.to_string())
        .collect();
    let caps: Vec<String> = advertised.iter().map(|m| format!("AUTH={m}")).collect();
    println!("\nS: * CAPABILITY IMAP4rev2 {}", caps.join(" "));

    let creds = ClientCredentials::new("alice@example.org").with_password("correct horse");
    let chosen = client.select(&advertised, &creds, &client_conn).unwrap();
    println!("\n== {chosen}: the client's strongest choice, bound to the TLS channel");
    let outcome = imap_login(
        &server,
        &client,
        &accounts,
        chosen.as_str(),
        &advertised,
        creds.clone(),
        (&client_conn, &server_conn),
        "A001",
    );
    let ClientOutcome::Success(success) = outcome else {
        panic!("login failed: {outcome:?}")
    };
    println!(
        "   client: authenticated, server proved itself: {}, channel binding: {:?}, keys to cache: {}",
        success.server_verified(),
        success.channel_binding().map(|c| c.name()),
        success.scram_keys().is_some()
    );

    // Reconnect: the cached keys skip PBKDF2 on the client.
    let cached = creds
        .clone()
        .with_scram_keys(success.scram_keys().unwrap().clone());
    println!(
        "\n== {chosen} again with the keys cached by the first login (no PBKDF2 on the client)"
    );
    let again = imap_login(
        &server,
        &client,
        &accounts,
        chosen.as_str(),
        &advertised,
        cached,
        (&client_conn, &server_conn),
        "A002",
    );
    assert!(again.is_authenticated());

    println!("\n== PLAIN (over TLS)");
    let plain = imap_login(
        &server,
        &client,
        &accounts,
        "PLAIN",
        &advertised,
        creds,
        (&client_conn, &server_conn),
        "A003",
    );
    assert!(plain.is_authenticated());

    println!("\n== SCRAM-SHA-256 with a wrong password");
    let wrong = ClientCredentials::new("alice@example.org").with_password("battery staple");
    let failed = imap_login(
        &server,
        &client,
        &accounts,
        "SCRAM-SHA-256",
        &advertised,
        wrong,
        (&client_conn, &server_conn),
        "A004",
    );
    let ClientOutcome::Failure(f) = failed else {
        panic!("wrong password accepted")
    };
    println!(
        "   client: failed ({:?}), next step for the mail client: {:?}",
        f.reason().kind(),
        f.action()
    );
}

/// One `AUTHENTICATE` command, printing every line as IMAP carries it.
#[allow(clippy::too_many_arguments)]
fn imap_login(
    server: &ServerRegistry,
    client: &ClientRegistry,
    accounts: &Accounts,
    mechanism: &str,
    advertised: &[String],
    credentials: ClientCredentials,
    (client_conn, server_conn): (&ConnectionInfo, &ConnectionInfo),
    tag: &str,
) -> ClientOutcome {
    let mut c = client
        .start(mechanism, advertised, credentials, client_conn)
        .unwrap();
    let ClientStep::Respond(initial) = c.start().unwrap() else {
        panic!("client-first expected")
    };
    let initial_line = wire::encode_initial_response(initial.expose());
    println!("C: {tag} AUTHENTICATE {mechanism} {initial_line}");
    show(initial.expose());

    // The server side decodes exactly what crossed the wire.
    let mut s = server.start(mechanism, server_conn).unwrap();
    let ir = wire::decode_initial_response(Some(initial_line.as_bytes())).unwrap();
    let mut step = s.start(ir.as_deref()).unwrap();
    loop {
        step = match step {
            ServerStep::Request(request) => s.provide(accounts.answer(request)).unwrap(),
            ServerStep::Challenge(challenge) => {
                println!("S: + {}", wire::encode_challenge(&challenge));
                show(&challenge);
                match c.step(&challenge).unwrap() {
                    ClientStep::Respond(response) => {
                        let line = wire::encode_response(response.expose());
                        println!("C: {line}");
                        show(response.expose());
                        server_reads(&mut s, &line)
                    }
                    ClientStep::Abort(f) => {
                        println!(
                            "C: {}        (client gives up: {})",
                            wire::CANCEL,
                            f.reason()
                        );
                        server_reads(&mut s, wire::CANCEL)
                    }
                    ClientStep::AwaitChallenge | ClientStep::Request(_) => {
                        panic!("this client was given its password up front")
                    }
                }
            }
            ServerStep::Success(auth) => {
                println!("S: {tag} OK {mechanism} authentication successful");
                println!(
                    "   server: {} logged in (channel-bound: {})",
                    auth.identity(),
                    auth.channel_bound()
                );
                return c.finish(ServerReply::success()).unwrap();
            }
            ServerStep::Failure(failed) => {
                println!("S: {}", failed.imap().line(tag, "authentication failed"));
                println!(
                    "   server log: {}   (SMTP would reply: {})",
                    failed.reason(),
                    failed.smtp().line()
                );
                // The client reads the tagged line back into a failure kind.
                let line = failed.imap().line(tag, "authentication failed");
                let reply = ServerReply::from_imap(&line).unwrap_or_else(ServerReply::failure);
                return c.finish(reply).unwrap();
            }
        };
    }
}

/// The server decodes one client line exactly as it crossed the wire: `*` cancels,
/// anything else is base64 (an IMAP server answers a malformed line with `BAD`).
fn server_reads(s: &mut sasl_core::ServerSession, line: &str) -> ServerStep {
    match wire::decode_response(line.as_bytes()) {
        Ok(wire::Response::Data(data)) => s.step(data.expose()).unwrap(),
        Ok(wire::Response::Cancel) => s.cancel().unwrap(),
        Err(e) => panic!("our own client sent a malformed line: {e}"),
    }
}

/// Prints a decoded message when it is text (SCRAM, LOGIN), hiding PLAIN's password.
fn show(data: &[u8]) {
    if data.contains(&0) {
        println!(
            "   ({} bytes: authzid NUL authcid NUL password)",
            data.len()
        );
    } else if let Ok(text) = std::str::from_utf8(data) {
        if !text.is_empty() {
            println!("   = {text}");
        }
    }
}

/// A real TLS 1.3 connection, handshaken in memory, and each side's `ConnectionInfo`
/// with the channel bindings it reads from its own end.
fn tls_connection_pair() -> (ConnectionInfo, ConnectionInfo) {
    let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sasl-core/tests/data/certs");
    let read = |name: &str| std::fs::read(certs.join(name)).unwrap();
    let (ca, leaf, key) = (
        read("tls-ca.der"),
        read("tls-leaf.der"),
        read("tls-leaf.key.der"),
    );
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(ca)).unwrap();
    let client_config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let mut client = ClientConnection::new(
        Arc::new(client_config),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
    while client.is_handshaking() || server.is_handshaking() {
        let mut buf = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        let mut rest = &buf[..];
        while !rest.is_empty() {
            server.read_tls(&mut rest).unwrap();
            server.process_new_packets().unwrap();
        }
        let mut buf = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        let mut rest = &buf[..];
        while !rest.is_empty() {
            client.read_tls(&mut rest).unwrap();
            client.process_new_packets().unwrap();
        }
    }
    let client_info =
        ConnectionInfo::tls().with_channel_bindings(from_rustls_client(&client).unwrap());
    let server_info =
        ConnectionInfo::tls().with_channel_bindings(from_rustls_server(&server, &leaf).unwrap());
    (client_info, server_info)
}
