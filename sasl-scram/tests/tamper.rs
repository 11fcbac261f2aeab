//! Tampering through the sasl-test driver's hooks, on the session API: flipping any
//! bit, swapping nonces, stripping channel binding or truncating any message never
//! yields success on the side that checks it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_core::{
    Answer, ChannelBinding, ChannelBindingType, ClientCredentials, ClientRegistry, ConnectionInfo,
    Request, ScramCredentials, ScramHash, ServerRegistry,
};
use sasl_scram::{ScramClientConfig, ScramServerConfig, client_factories, server_factories};
use sasl_test::{Direction, Driver, Transcript, tamper};
use std::sync::OnceLock;

const MECHS: [&str; 4] = [
    "SCRAM-SHA-1",
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-512",
    "SCRAM-SHA-512-PLUS",
];

fn credentials(hash: ScramHash) -> ScramCredentials {
    static CREDS: OnceLock<Vec<ScramCredentials>> = OnceLock::new();
    let all = CREDS.get_or_init(|| {
        [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512]
            .into_iter()
            .map(|h| sasl_scram::derive(h, "pencil", b"tamper test salt", 4096).unwrap())
            .collect()
    });
    all.iter().find(|c| c.hash() == hash).unwrap().clone()
}

fn store(request: Request) -> Answer {
    match request {
        Request::ScramLookup(l) if l.authcid() == "user" => {
            let creds = credentials(l.hash());
            l.found(creds)
        }
        other => other.reject(sasl_core::FailureKind::UnknownUser),
    }
}

fn connection() -> ConnectionInfo {
    ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        vec![0x42; 32],
    ))
}

fn run(mech: &str, hook: Option<sasl_test::TamperHook>) -> Transcript {
    let conn = connection();
    let servers = ServerRegistry::new().with_all(server_factories(
        ScramServerConfig::new(*b"tamper tests server secret 32 b!").unwrap(),
    ));
    // A small iteration floor is not needed: the server uses 4096.
    let clients = ClientRegistry::new().with_all(client_factories(ScramClientConfig::new()));
    let advertised = servers.advertise(&conn);
    let client = clients
        .start(
            mech,
            &advertised,
            ClientCredentials::new("user").with_password("pencil"),
            &conn,
        )
        .unwrap();
    let server = servers.start(mech, &conn).unwrap();
    let driver = Driver::new(client, server, store);
    match hook {
        Some(h) => driver.with_tamper(h).run().unwrap(),
        None => driver.run().unwrap(),
    }
}

/// The side that verifies a message: the server checks client messages (and the empty
/// final acknowledgement carries nothing to check), the client checks server messages.
fn assert_no_success(t: &Transcript, direction: Direction, index: usize, what: &str) {
    match direction {
        Direction::ClientToServer if index < 2 => {
            assert!(
                !t.server_succeeded(),
                "{what}: server accepted a tampered message\n{}",
                t.shape()
            )
        }
        Direction::ClientToServer => {}
        Direction::ServerToClient => {
            assert!(
                !t.client_succeeded(),
                "{what}: client accepted a tampered message\n{}",
                t.shape()
            )
        }
    }
    assert!(
        !t.both_succeeded() || (direction == Direction::ClientToServer && index >= 2),
        "{what}"
    );
}

#[test]
fn reference_exchange_succeeds_with_expected_shape() {
    for mech in MECHS {
        let t = run(mech, None);
        assert!(t.both_succeeded(), "{mech}: {}", t.shape());
        // client-first, server-first, client-final, server-final (as a challenge), ack.
        assert_eq!(t.shape(), "C S C S C ok ok", "{mech}");
        assert_eq!(
            t.authenticated().unwrap().channel_bound(),
            mech.ends_with("-PLUS")
        );
    }
}

#[test]
fn flipping_any_bit_never_succeeds() {
    for mech in MECHS {
        let reference = run(mech, None);
        for m in &reference.messages {
            if m.data.is_empty() {
                continue;
            }
            for pos in 0..m.data.len() {
                for bit in [0u8, 5] {
                    let t = run(
                        mech,
                        Some(Box::new(tamper::flip_bit(m.direction, m.index, pos, bit))),
                    );
                    assert_no_success(
                        &t,
                        m.direction,
                        m.index,
                        &format!("{mech} {:?}#{} byte {pos} bit {bit}", m.direction, m.index),
                    );
                }
            }
        }
    }
}

#[test]
fn truncating_any_message_never_succeeds() {
    for mech in MECHS {
        let reference = run(mech, None);
        for m in reference.messages.iter().filter(|m| !m.data.is_empty()) {
            for len in [0, 1, m.data.len() / 2, m.data.len() - 1] {
                let t = run(
                    mech,
                    Some(Box::new(tamper::truncate(m.direction, m.index, len))),
                );
                assert_no_success(
                    &t,
                    m.direction,
                    m.index,
                    &format!("{mech} {:?}#{} cut to {len}", m.direction, m.index),
                );
            }
        }
    }
}

#[test]
fn swapped_nonce_and_stripped_binding_never_succeed() {
    for mech in MECHS {
        // Nonces are fresh in every run, so the hook edits the client-final's r= in
        // flight: the last character of the combined nonce changes.
        let t = run(
            mech,
            Some(Box::new(|m: &sasl_test::Message| {
                if m.direction != Direction::ClientToServer || m.index != 1 {
                    return None;
                }
                let end = m.data.windows(3).position(|w| w == b",p=")?;
                let mut data = m.data.clone();
                let last = data.get_mut(end - 1)?;
                *last = if *last == b'A' { b'B' } else { b'A' };
                Some(data)
            })),
        );
        assert!(t.messages.len() >= 3, "{mech}: {}", t.shape());
        assert!(!t.server_succeeded(), "{mech}: swapped nonce accepted");
        assert_eq!(
            t.server_failure().unwrap().message(),
            Some(&b"e=other-error"[..]),
            "{mech}"
        );

        if mech.ends_with("-PLUS") {
            // A man in the middle strips the binding: the client-first claims no binding.
            for flag in [&b"n,,"[..], b"y,,"] {
                let t = run(
                    mech,
                    Some(Box::new(tamper::replace(
                        Direction::ClientToServer,
                        0,
                        b"p=tls-exporter,,",
                        flag,
                    ))),
                );
                assert!(
                    !t.server_succeeded(),
                    "{mech}: stripped binding ({}) accepted",
                    String::from_utf8_lossy(flag)
                );
            }
        } else {
            // A client that could bind but saw no -PLUS says y; a server offering -PLUS
            // on this connection rejects it (downgrade), so the MITM can't rewrite n→y.
            let t = run(
                mech,
                Some(Box::new(tamper::replace(
                    Direction::ClientToServer,
                    0,
                    b"n,,",
                    b"y,,",
                ))),
            );
            assert!(
                !t.server_succeeded(),
                "{mech}: y accepted on a connection offering -PLUS"
            );
        }
    }
}
