//! Channel bindings read from real rustls connections. Most tests handshake
//! in memory (records are moved between client and server through `Vec`
//! buffers); the `stream_owned_*` tests run `rustls::StreamOwned` on both
//! ends of a `UnixStream::pair()`, one end per thread. Certificates and keys
//! come from `tests/data/certs/make.sh`.
#![cfg(feature = "rustls")]
// Test helpers outside #[test] functions are not covered by clippy.toml's
// allow-*-in-tests settings; failing loudly is what a test helper should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use sasl_core::channel_binding::{
    ChannelBinding, ChannelBindingType, EndPointErrorKind, RustlsBindingError, TLS_EXPORTER_LENGTH,
    from_rustls_client, from_rustls_server, tls_server_end_point,
};

fn read(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/certs")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One test PKI from make.sh: `prefix` is "tls" (P-256 leaf signed with
/// ecdsa-with-SHA384), "tls-rsa" (RSA-2048 leaf signed with
/// sha256WithRSAEncryption) or "tls-ed25519".
struct Pki {
    ca: Vec<u8>,
    leaf: Vec<u8>,
    key: Vec<u8>,
}

impl Pki {
    fn load(prefix: &str) -> Self {
        Self {
            ca: read(&format!("{prefix}-ca.der")),
            leaf: read(&format!("{prefix}-leaf.der")),
            key: read(&format!("{prefix}-leaf.key.der")),
        }
    }
}

fn configs(
    pki: &Pki,
    version: &'static rustls::SupportedProtocolVersion,
) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(pki.ca.clone())).unwrap();
    let client = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(pki.leaf.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone())),
        )
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

fn connect(
    client_cfg: &Arc<ClientConfig>,
    server_cfg: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    let name = ServerName::try_from("localhost").unwrap();
    let client = ClientConnection::new(client_cfg.clone(), name).unwrap();
    let server = ServerConnection::new(server_cfg.clone()).unwrap();
    (client, server)
}

fn client_to_server(client: &mut ClientConnection, server: &mut ServerConnection) -> bool {
    sasl_test::tls::transfer(client, server).unwrap()
}

fn server_to_client(server: &mut ServerConnection, client: &mut ClientConnection) -> bool {
    sasl_test::tls::transfer(server, client).unwrap()
}

fn complete_handshake(client: &mut ClientConnection, server: &mut ServerConnection) {
    sasl_test::tls::complete_handshake(client, server).unwrap();
}

fn handshake(
    pki: &Pki,
    version: &'static rustls::SupportedProtocolVersion,
) -> (ClientConnection, ServerConnection) {
    let (c, s) = configs(pki, version);
    let (mut client, mut server) = connect(&c, &s);
    complete_handshake(&mut client, &mut server);
    (client, server)
}

#[test]
fn tls13_gives_exporter_then_end_point_on_both_sides() {
    let pki = Pki::load("tls");
    let (client, server) = handshake(&pki, &rustls::version::TLS13);
    assert_eq!(
        client.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );

    let c = from_rustls_client(&client).unwrap();
    let s = from_rustls_server(&server, &pki.leaf).unwrap();
    let kinds: Vec<_> = c.iter().map(ChannelBinding::kind).collect();
    assert_eq!(
        kinds,
        [
            ChannelBindingType::TlsExporter,
            ChannelBindingType::TlsServerEndPoint
        ]
    );
    assert_eq!(c, s, "client and server must derive identical bindings");

    assert_eq!(c[0].data().len(), TLS_EXPORTER_LENGTH);
    assert_ne!(c[0].data(), &[0u8; TLS_EXPORTER_LENGTH]);
    let expected = tls_server_end_point(&pki.leaf).unwrap();
    assert_eq!(c[1], expected);
    assert_eq!(
        expected.data().len(),
        48,
        "the test leaf is signed with ecdsa-with-SHA384"
    );
}

#[test]
fn tls13_exporter_differs_between_connections() {
    let pki = Pki::load("tls");
    let (cc, sc) = configs(&pki, &rustls::version::TLS13);
    let mut exporters = Vec::new();
    for _ in 0..2 {
        let (mut client, mut server) = connect(&cc, &sc);
        complete_handshake(&mut client, &mut server);
        let c = from_rustls_client(&client).unwrap();
        let s = from_rustls_server(&server, &pki.leaf).unwrap();
        assert_eq!(c[0], s[0]);
        // The end-point binding is per server, not per connection.
        assert_eq!(c[1], tls_server_end_point(&pki.leaf).unwrap());
        exporters.push(c[0].clone());
    }
    assert_ne!(exporters[0].data(), exporters[1].data());
}

#[test]
fn bindings_are_refused_until_the_handshake_completes() {
    let pki = Pki::load("tls");
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let (cc, sc) = configs(&pki, version);
        let (mut client, mut server) = connect(&cc, &sc);
        assert_eq!(
            from_rustls_client(&client),
            Err(RustlsBindingError::HandshakeIncomplete)
        );
        assert_eq!(
            from_rustls_server(&server, &pki.leaf),
            Err(RustlsBindingError::HandshakeIncomplete)
        );
        // ClientHello sent and answered: both sides are mid-handshake, the
        // server already knows the version and the client has the
        // server's certificate (TLS 1.2) or soon will.
        assert!(client_to_server(&mut client, &mut server));
        assert!(server.protocol_version().is_some());
        assert_eq!(
            from_rustls_server(&server, &pki.leaf),
            Err(RustlsBindingError::HandshakeIncomplete)
        );
        assert!(server_to_client(&mut server, &mut client));
        if client.is_handshaking() {
            assert_eq!(
                from_rustls_client(&client),
                Err(RustlsBindingError::HandshakeIncomplete)
            );
        }
        complete_handshake(&mut client, &mut server);
        assert!(from_rustls_client(&client).is_ok());
        assert!(from_rustls_server(&server, &pki.leaf).is_ok());
    }
    let err = RustlsBindingError::HandshakeIncomplete.to_string();
    assert!(err.contains("handshake is not complete"), "{err}");
}

/// rustls offers Extended Master Secret but does not report whether the peer
/// accepted it, and RFC 9266 forbids a TLS 1.2 exporter without it, so over
/// TLS 1.2 only `tls-server-end-point` is returned.
#[test]
fn tls12_gives_only_end_point() {
    let pki = Pki::load("tls");
    let (client, server) = handshake(&pki, &rustls::version::TLS12);
    assert_eq!(
        client.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    let c = from_rustls_client(&client).unwrap();
    let s = from_rustls_server(&server, &pki.leaf).unwrap();
    assert_eq!(c, vec![tls_server_end_point(&pki.leaf).unwrap()]);
    assert_eq!(c, s);
}

/// An Ed25519-signed certificate has no end-point binding: over TLS 1.3 the
/// exporter alone is returned, over TLS 1.2 there is nothing, and the error
/// says why.
#[test]
fn ed25519_certificates_have_no_end_point_binding() {
    let pki = Pki::load("tls-ed25519");

    let (client, server) = handshake(&pki, &rustls::version::TLS13);
    let c = from_rustls_client(&client).unwrap();
    let s = from_rustls_server(&server, &pki.leaf).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind(), ChannelBindingType::TlsExporter);
    assert_eq!(c, s);

    let (client, server) = handshake(&pki, &rustls::version::TLS12);
    for result in [
        from_rustls_client(&client),
        from_rustls_server(&server, &pki.leaf),
    ] {
        match result {
            Err(RustlsBindingError::EndPoint(e)) => {
                assert_eq!(e.kind(), EndPointErrorKind::NoHashAlgorithm);
                let msg = RustlsBindingError::EndPoint(e).to_string();
                assert!(msg.contains("1.3.101.112"), "{msg}");
            }
            other => panic!("expected an end-point error, got {other:?}"),
        }
    }
}

/// `std::error::Error::source` exposes the underlying end-point error.
#[test]
fn error_source_chain() {
    use std::error::Error as _;
    let inner = tls_server_end_point(&read("ed25519.der")).unwrap_err();
    let outer = RustlsBindingError::EndPoint(inner.clone());
    assert_eq!(
        outer.source().map(|s| s.to_string()),
        Some(inner.to_string())
    );
    assert!(RustlsBindingError::HandshakeIncomplete.source().is_none());
}

/// The tls-server-end-point digest make.sh computed for `file` with
/// `openssl dgst`, independently of the code under test.
fn openssl_end_point(file: &str) -> Vec<u8> {
    let text = String::from_utf8(read("expected.txt")).unwrap();
    let hex = text
        .lines()
        .find_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next() == Some(file)).then(|| parts.nth(1).unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("expected.txt has no line for {file}"));
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Checks what both ends of one connection derived: the same list, with the
/// exporter only over TLS 1.3, and the end-point binding that openssl
/// computed for the leaf.
fn assert_same_bindings(
    prefix: &str,
    version: &'static rustls::SupportedProtocolVersion,
    client: &[ChannelBinding],
    server: &[ChannelBinding],
) {
    let what = format!("{prefix} over {:?}", version.version);
    assert_eq!(
        client, server,
        "{what}: client and server must derive identical bindings"
    );
    let kinds: Vec<_> = client.iter().map(ChannelBinding::kind).collect();
    let end_point = if version.version == rustls::ProtocolVersion::TLSv1_3 {
        assert_eq!(
            kinds,
            [
                ChannelBindingType::TlsExporter,
                ChannelBindingType::TlsServerEndPoint
            ],
            "{what}"
        );
        assert_eq!(client[0].data().len(), TLS_EXPORTER_LENGTH, "{what}");
        assert_ne!(client[0].data(), &[0u8; TLS_EXPORTER_LENGTH], "{what}");
        &client[1]
    } else {
        // TLS 1.2: the exporter is omitted (see tls12_gives_only_end_point).
        assert_eq!(kinds, [ChannelBindingType::TlsServerEndPoint], "{what}");
        &client[0]
    };
    assert_eq!(
        end_point.data(),
        openssl_end_point(&format!("{prefix}-leaf.der")),
        "{what}"
    );
}

/// The server's view (its own leaf passed in) equals the client's view (the
/// leaf it received) for an RSA certificate too, over TLS 1.3 and TLS 1.2.
/// The ECDSA P-256 leaf is covered, for both versions, by
/// `tls13_gives_exporter_then_end_point_on_both_sides` and
/// `tls12_gives_only_end_point`; it is checked here again against openssl's
/// digest.
#[test]
fn server_view_equals_client_view_for_rsa_and_ecdsa_leaves() {
    for prefix in ["tls-rsa", "tls"] {
        let pki = Pki::load(prefix);
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let (client, server) = handshake(&pki, version);
            assert_eq!(client.protocol_version(), Some(version.version));
            assert_eq!(server.protocol_version(), Some(version.version));
            // The client really received this PKI's leaf.
            assert_eq!(
                client.peer_certificates().map(|c| c[0].as_ref()),
                Some(&pki.leaf[..])
            );
            let c = from_rustls_client(&client).unwrap();
            let s = from_rustls_server(&server, &pki.leaf).unwrap();
            assert_same_bindings(prefix, version, &c, &s);
        }
    }
    // The two leaves hash differently: SHA-256 (RSA) and SHA-384 (ECDSA).
    assert_eq!(openssl_end_point("tls-rsa-leaf.der").len(), 32);
    assert_eq!(openssl_end_point("tls-leaf.der").len(), 48);
}

/// How the `stream_owned_*` tests get a handshake done on a stream.
#[cfg(unix)]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Drive {
    /// `while conn.is_handshaking() { conn.complete_io(&mut sock)? }`.
    CompleteIo,
    /// The first application I/O: the client writes "ping" (and later
    /// reads "pong"), the server reads "ping" (and later writes "pong").
    FirstIo,
}

/// Runs one connection over a `UnixStream::pair()`, `rustls::StreamOwned`
/// on both ends (the server on its own thread). On each side it asserts
/// that extraction right after `StreamOwned::new` is refused with
/// `HandshakeIncomplete`, drives the handshake as `drive` says, extracts,
/// exchanges "ping"/"pong", and asserts that a second extraction gives the
/// same bindings. Returns (client's bindings, server's bindings).
#[cfg(unix)]
fn over_socket_pair(
    pki: &Pki,
    version: &'static rustls::SupportedProtocolVersion,
    drive: Drive,
) -> (Vec<ChannelBinding>, Vec<ChannelBinding>) {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    use rustls::StreamOwned;

    let (cc, sc) = configs(pki, version);
    let (client_conn, server_conn) = connect(&cc, &sc);
    let (client_sock, server_sock) = UnixStream::pair().unwrap();
    // A broken handshake fails the test instead of hanging it.
    for sock in [&client_sock, &server_sock] {
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        sock.set_write_timeout(Some(Duration::from_secs(20)))
            .unwrap();
    }

    let leaf = pki.leaf.clone();
    let server = std::thread::spawn(move || {
        let mut tls = StreamOwned::new(server_conn, server_sock);
        // StreamOwned::new does no I/O: the handshake has not even started.
        assert_eq!(
            from_rustls_server(&tls.conn, &leaf),
            Err(RustlsBindingError::HandshakeIncomplete)
        );
        let mut ping = [0u8; 4];
        if drive == Drive::CompleteIo {
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
        } else {
            tls.read_exact(&mut ping).unwrap();
        }
        assert!(!tls.conn.is_handshaking());
        let bindings = from_rustls_server(&tls.conn, &leaf).unwrap();
        if drive == Drive::CompleteIo {
            tls.read_exact(&mut ping).unwrap();
        }
        assert_eq!(&ping, b"ping");
        tls.write_all(b"pong").unwrap();
        tls.flush().unwrap();
        assert_eq!(from_rustls_server(&tls.conn, &leaf).unwrap(), bindings);
        bindings
    });

    let mut tls = StreamOwned::new(client_conn, client_sock);
    assert_eq!(
        from_rustls_client(&tls.conn),
        Err(RustlsBindingError::HandshakeIncomplete)
    );
    if drive == Drive::CompleteIo {
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).unwrap();
        }
    } else {
        tls.write_all(b"ping").unwrap();
    }
    assert!(!tls.conn.is_handshaking());
    let client_bindings = from_rustls_client(&tls.conn).unwrap();
    if drive == Drive::CompleteIo {
        tls.write_all(b"ping").unwrap();
    }
    let mut pong = [0u8; 4];
    tls.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"pong");
    assert_eq!(from_rustls_client(&tls.conn).unwrap(), client_bindings);

    let server_bindings = server.join().unwrap();
    (client_bindings, server_bindings)
}

/// `StreamOwned` handshakes lazily: extraction right after constructing it
/// is `HandshakeIncomplete`; after driving `complete_io` until
/// `!is_handshaking()` both ends extract the same bindings.
#[cfg(unix)]
#[test]
fn stream_owned_bindings_after_complete_io() {
    for prefix in ["tls", "tls-rsa"] {
        let pki = Pki::load(prefix);
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let (c, s) = over_socket_pair(&pki, version, Drive::CompleteIo);
            assert_same_bindings(prefix, version, &c, &s);
        }
    }
}

/// As above, but the handshake happens inside the first application write
/// (client) and read (server), the way code that never calls `complete_io`
/// gets it done.
#[cfg(unix)]
#[test]
fn stream_owned_bindings_after_first_write_and_read() {
    for prefix in ["tls", "tls-rsa"] {
        let pki = Pki::load(prefix);
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let (c, s) = over_socket_pair(&pki, version, Drive::FirstIo);
            assert_same_bindings(prefix, version, &c, &s);
        }
    }
}

/// Two `StreamOwned` connections to the same server: the end-point binding
/// is the same, the exporter is not, so a binding from one connection cannot
/// be replayed on another.
#[cfg(unix)]
#[test]
fn stream_owned_exporter_is_per_connection() {
    let pki = Pki::load("tls");
    let (first, _) = over_socket_pair(&pki, &rustls::version::TLS13, Drive::CompleteIo);
    let (second, _) = over_socket_pair(&pki, &rustls::version::TLS13, Drive::FirstIo);
    assert_ne!(first[0], second[0]);
    assert_eq!(first[1], second[1]);
}
